// `${VAR}` substitution in config scalars (declared in config/config.h).
//
// Only `${NAME}` and `${NAME:-default}` are supported. Other shell forms (`${NAME-x}`,
// `${NAME:x}`, nesting) are errors rather than being passed through, so a typo cannot end up
// as a literal password or path. A default is literal text up to the first `}`. Messages
// never quote the whole value: it may hold a password written inline.
// Thread-safety: stateless; the EnvLookup decides what it touches.
#include <cctype>

#include "config/config.h"

namespace tributary {

namespace {

bool IsNameStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

}  // namespace

Result<std::string> SubstituteEnv(const std::string& text, const EnvLookup& env) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != '$') {
      out += c;
      ++i;
      continue;
    }
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (next == '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next != '{') {
      // A lone `$` (a price, a regex anchor) is kept as written.
      out += '$';
      ++i;
      continue;
    }
    const size_t close = text.find('}', i + 2);
    if (close == std::string::npos) {
      return ConfigError("unterminated '${'; close it with '}' or write '$$' for a literal '$'");
    }
    const std::string reference = text.substr(i, close - i + 1);
    const std::string body = text.substr(i + 2, close - i - 2);
    size_t name_end = 0;
    while (name_end < body.size() && IsNameChar(body[name_end])) ++name_end;
    const std::string name = body.substr(0, name_end);
    const std::string rest = body.substr(name_end);
    const bool has_default = rest.rfind(":-", 0) == 0;
    if (name.empty() || !IsNameStart(name[0]) || (!rest.empty() && !has_default)) {
      return ConfigError("invalid variable reference '" + reference +
                         "'; write ${NAME} or ${NAME:-default}, NAME being letters, digits "
                         "and '_' not starting with a digit");
    }
    const std::string fallback = has_default ? rest.substr(2) : std::string();
    if (fallback.find("${") != std::string::npos) {
      return ConfigError("nested variable reference in the default of ${" + name +
                         "}; a default is literal text, write ${" + name + ":-value}");
    }
    std::optional<std::string> found = env(name);
    if (has_default && (!found || found->empty())) {
      out += fallback;
    } else if (!found) {
      return ConfigError("environment variable '" + name + "' is not set; export it or write ${" +
                         name + ":-default}");
    } else {
      out += *found;
    }
    i = close + 1;
  }
  return out;
}

}  // namespace tributary
