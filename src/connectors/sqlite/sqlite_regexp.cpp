#include "connectors/sqlite/sqlite_regexp.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>

namespace tributary::sqlite_internal {

namespace {

// A compiled pattern plus what it was compiled from, so a cached one is reused only when the
// compile options are the same.
struct CompiledPattern {
  pcre2_code* code = nullptr;
  uint32_t options = 0;
  ~CompiledPattern() { pcre2_code_free(code); }
};

void DeletePattern(void* p) {
  delete static_cast<CompiledPattern*>(p);
}

struct MatchData {
  explicit MatchData(const pcre2_code* code)
      : data(pcre2_match_data_create_from_pattern(code, nullptr)) {}
  ~MatchData() { pcre2_match_data_free(data); }
  MatchData(const MatchData&) = delete;
  MatchData& operator=(const MatchData&) = delete;
  pcre2_match_data* data;
};

std::string Pcre2Message(int code) {
  PCRE2_UCHAR buffer[256];
  if (pcre2_get_error_message(code, buffer, sizeof(buffer)) < 0) {
    return "PCRE2 error " + std::to_string(code);
  }
  return reinterpret_cast<const char*>(buffer);
}

std::string_view TextArg(sqlite3_value* v) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(v));
  return {text ? text : "", static_cast<size_t>(sqlite3_value_bytes(v))};
}

class PatternRef {
 public:
  // Looks the pattern of argument `arg` up in the statement cache or compiles it.
  PatternRef(sqlite3_context* ctx, sqlite3_value** argv, int arg, const char* function,
             uint32_t options)
      : ctx_(ctx), arg_(arg) {
    auto* cached = static_cast<CompiledPattern*>(sqlite3_get_auxdata(ctx, arg));
    if (cached != nullptr && cached->options == options) {
      code_ = cached->code;
      return;
    }
    const std::string_view pattern = TextArg(argv[arg]);
    int error = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                     PCRE2_UTF | PCRE2_UCP | options, &error, &offset, nullptr);
    if (code == nullptr) {
      const std::string message = std::string(function) + ": invalid regular expression '" +
                                  std::string(pattern) + "': " + Pcre2Message(error) +
                                  " at offset " + std::to_string(offset);
      sqlite3_result_error(ctx, message.c_str(), -1);
      return;
    }
    // JIT is an optimisation only: when unavailable, pcre2_match interprets.
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    owned_ = std::make_unique<CompiledPattern>();
    owned_->code = code;
    owned_->options = options;
    code_ = code;
  }
  // Hands a freshly compiled pattern to SQLite's cache (which may free it at once), after the
  // result has been set.
  ~PatternRef() {
    if (owned_) sqlite3_set_auxdata(ctx_, arg_, owned_.release(), DeletePattern);
  }
  PatternRef(const PatternRef&) = delete;
  PatternRef& operator=(const PatternRef&) = delete;

  bool ok() const { return code_ != nullptr; }
  const pcre2_code* code() const { return code_; }

 private:
  sqlite3_context* ctx_;
  int arg_;
  const pcre2_code* code_ = nullptr;
  std::unique_ptr<CompiledPattern> owned_;
};

bool AnyNull(int argc, sqlite3_value** argv) {
  for (int i = 0; i < argc; ++i) {
    if (sqlite3_value_type(argv[i]) == SQLITE_NULL) return true;
  }
  return false;
}

// Runs one match from `start`; returns PCRE2's code (>= 0 match, PCRE2_ERROR_NOMATCH, or an
// error already reported on ctx as -1000).
int Match(sqlite3_context* ctx, const char* function, const pcre2_code* code,
          std::string_view subject, size_t start, pcre2_match_data* data, uint32_t options = 0) {
  const int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(),
                             start, options, data, nullptr);
  if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
    const std::string message = std::string(function) + ": " + Pcre2Message(rc);
    sqlite3_result_error(ctx, message.c_str(), -1);
    return -1000;
  }
  return rc;
}

void MatchesImpl(sqlite3_context* ctx, sqlite3_value** argv, int text_arg, int pattern_arg,
                 const char* function) {
  PatternRef pattern(ctx, argv, pattern_arg, function, 0);
  if (!pattern.ok()) return;
  MatchData data(pattern.code());
  const int rc = Match(ctx, function, pattern.code(), TextArg(argv[text_arg]), 0, data.data);
  if (rc == -1000) return;
  sqlite3_result_int(ctx, rc >= 0 ? 1 : 0);
}

// regexp(pattern, text): the order SQLite uses for `text REGEXP pattern`.
void RegexpFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (AnyNull(argc, argv)) return sqlite3_result_null(ctx);
  MatchesImpl(ctx, argv, 1, 0, "regexp");
}

void RegexpMatchesFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (AnyNull(argc, argv)) return sqlite3_result_null(ctx);
  MatchesImpl(ctx, argv, 0, 1, "regexp_matches");
}

void RegexpExtractFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (AnyNull(argc, argv)) return sqlite3_result_null(ctx);
  const sqlite3_int64 group = argc >= 3 ? sqlite3_value_int64(argv[2]) : 0;
  PatternRef pattern(ctx, argv, 1, "regexp_extract", 0);
  if (!pattern.ok()) return;
  uint32_t capture_count = 0;
  pcre2_pattern_info(pattern.code(), PCRE2_INFO_CAPTURECOUNT, &capture_count);
  if (group < 0 || group > static_cast<sqlite3_int64>(capture_count)) {
    const std::string message = "regexp_extract: group " + std::to_string(group) +
                                " does not exist in '" + std::string(TextArg(argv[1])) +
                                "' (it has " + std::to_string(capture_count) + " groups)";
    return sqlite3_result_error(ctx, message.c_str(), -1);
  }
  MatchData data(pattern.code());
  const std::string_view subject = TextArg(argv[0]);
  const int rc = Match(ctx, "regexp_extract", pattern.code(), subject, 0, data.data);
  if (rc == -1000) return;
  if (rc < 0) return sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.data);
  const PCRE2_SIZE begin = ovector[2 * group], end = ovector[2 * group + 1];
  if (begin == PCRE2_UNSET) return sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
  sqlite3_result_text(ctx, subject.data() + begin, static_cast<int>(end - begin), SQLITE_TRANSIENT);
}

// Appends `replacement` with its group references expanded; false (error reported) for a
// reference to a group the pattern does not have.
bool AppendReplacement(sqlite3_context* ctx, std::string& out, std::string_view replacement,
                       std::string_view subject, const PCRE2_SIZE* ovector,
                       uint32_t capture_count) {
  for (size_t i = 0; i < replacement.size(); ++i) {
    const char c = replacement[i];
    if ((c == '\\' || c == '$') && i + 1 < replacement.size()) {
      const char next = replacement[i + 1];
      int group = -1;
      size_t consumed = 1;
      if (next >= '0' && next <= '9') {
        group = next - '0';
      } else if (c == '$' && next == '{') {
        const size_t close = replacement.find('}', i + 2);
        const std::string_view digits =
            close == std::string_view::npos ? "" : replacement.substr(i + 2, close - i - 2);
        if (!digits.empty() && digits.size() <= 3 &&
            digits.find_first_not_of("0123456789") == std::string_view::npos) {
          group = std::stoi(std::string(digits));
          consumed = close - i;
        }
      } else if (next == c) {
        out += c;
        ++i;
        continue;
      }
      if (group >= 0) {
        if (group > static_cast<int>(capture_count)) {
          const std::string message = "regexp_replace: the replacement refers to group " +
                                      std::to_string(group) + " but the pattern has " +
                                      std::to_string(capture_count) + " groups";
          sqlite3_result_error(ctx, message.c_str(), -1);
          return false;
        }
        const PCRE2_SIZE begin = ovector[2 * group], end = ovector[2 * group + 1];
        if (begin != PCRE2_UNSET) out.append(subject.substr(begin, end - begin));
        i += consumed;
        continue;
      }
    }
    out += c;
  }
  return true;
}

void RegexpReplaceFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (AnyNull(argc, argv)) return sqlite3_result_null(ctx);
  bool global = false;
  uint32_t compile_options = 0;
  if (argc >= 4) {
    for (char flag : TextArg(argv[3])) {
      if (flag == 'g') {
        global = true;
      } else if (flag == 'i') {
        compile_options |= PCRE2_CASELESS;
      } else {
        const std::string message = std::string("regexp_replace: unknown option '") + flag +
                                    "' (expected 'g' for every match and/or 'i' to ignore case)";
        return sqlite3_result_error(ctx, message.c_str(), -1);
      }
    }
  }
  PatternRef pattern(ctx, argv, 1, "regexp_replace", compile_options);
  if (!pattern.ok()) return;
  uint32_t capture_count = 0;
  pcre2_pattern_info(pattern.code(), PCRE2_INFO_CAPTURECOUNT, &capture_count);
  const std::string_view subject = TextArg(argv[0]);
  const std::string_view replacement = TextArg(argv[2]);
  MatchData data(pattern.code());
  std::string out;
  size_t copied = 0;  // subject bytes up to here are already in `out`
  size_t start = 0;
  while (start <= subject.size()) {
    const int rc = Match(ctx, "regexp_replace", pattern.code(), subject, start, data.data);
    if (rc == -1000) return;
    if (rc < 0) break;
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.data);
    out.append(subject.substr(copied, ovector[0] - copied));
    if (!AppendReplacement(ctx, out, replacement, subject, ovector, capture_count)) return;
    copied = ovector[1];
    if (!global) break;
    if (ovector[1] > ovector[0]) {
      start = ovector[1];
    } else {
      // An empty match: copy one whole UTF-8 character and search on after it.
      if (ovector[1] >= subject.size()) break;
      size_t next = ovector[1] + 1;
      while (next < subject.size() && (static_cast<unsigned char>(subject[next]) & 0xC0) == 0x80) {
        ++next;
      }
      out.append(subject.substr(copied, next - copied));
      copied = next;
      start = next;
    }
  }
  out.append(subject.substr(std::min(copied, subject.size())));
  sqlite3_result_text64(ctx, out.data(), out.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

}  // namespace

int RegisterRegexpFunctions(sqlite3* db) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  struct Registration {
    const char* name;
    int args;
    void (*function)(sqlite3_context*, int, sqlite3_value**);
  };
  const Registration registrations[] = {
      {"regexp", 2, RegexpFunction},
      {"regexp_matches", 2, RegexpMatchesFunction},
      {"regexp_extract", 2, RegexpExtractFunction},
      {"regexp_extract", 3, RegexpExtractFunction},
      {"regexp_replace", 3, RegexpReplaceFunction},
      {"regexp_replace", 4, RegexpReplaceFunction},
  };
  for (const auto& r : registrations) {
    const int rc = sqlite3_create_function_v2(db, r.name, r.args, kFlags, nullptr, r.function,
                                              nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

}  // namespace tributary::sqlite_internal
