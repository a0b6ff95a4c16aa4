#include "connectors/clickhouse/clickhouse_sql.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>

#include "core/time_util.h"

namespace tributary::clickhouse {

namespace {

// One stretch of SQL: code, or a string / quoted identifier / comment kept verbatim.
struct Span {
  size_t begin;
  size_t end;
  bool code;
};

// Splits SQL the way ClickHouse's lexer does: '...' strings and "..."/`...` identifiers with
// backslash escapes (and doubled quotes), -- line comments, /* */ comments.
Result<std::vector<Span>> SplitSql(std::string_view sql) {
  std::vector<Span> spans;
  size_t code_start = 0;
  size_t i = 0;
  auto flush_code = [&](size_t end) {
    if (end > code_start) spans.push_back({code_start, end, true});
  };
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {
      flush_code(i);
      size_t start = i++;
      bool closed = false;
      while (i < sql.size()) {
        if (sql[i] == '\\') {
          i += 2;
        } else if (sql[i] == c) {
          if (i + 1 < sql.size() && sql[i + 1] == c) {
            i += 2;
          } else {
            ++i;
            closed = true;
            break;
          }
        } else {
          ++i;
        }
      }
      if (!closed) {
        return QueryError("unterminated quoted text starting at offset " + std::to_string(start));
      }
      spans.push_back({start, i, false});
      code_start = i;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      flush_code(i);
      size_t start = i;
      while (i < sql.size() && sql[i] != '\n') ++i;
      spans.push_back({start, i, false});
      code_start = i;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      flush_code(i);
      size_t start = i;
      size_t close = sql.find("*/", i + 2);
      if (close == std::string_view::npos) {
        return QueryError("unterminated comment starting at offset " + std::to_string(start));
      }
      i = close + 2;
      spans.push_back({start, i, false});
      code_start = i;
    } else {
      ++i;
    }
  }
  flush_code(sql.size());
  return spans;
}

std::string EscapeString(std::string_view raw) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "'";
  for (unsigned char c : raw) {
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else if (c >= 0x80) {
      // UTF-8 continuation and lead bytes pass through; they cannot end a literal.
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  out += '\'';
  return out;
}

bool IsDecimalText(std::string_view text, int& scale, int& digits) {
  size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  size_t int_digits = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++int_digits;
  scale = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++scale;
    if (scale == 0) return false;
  }
  digits = static_cast<int>(int_digits) + scale;
  return int_digits > 0 && i == text.size();
}

std::string ToChars(int64_t v) {
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ptr);
}

}  // namespace

Result<std::string> RenderClickHouseLiteral(const Value& value) {
  if (value.is_null()) return std::string("NULL");
  switch (value.type) {
    case ColumnType::kNull:
      return std::string("NULL");
    case ColumnType::kBool:
      // 18.16 has no Bool type: UInt8 1/0, as ClickHouse's own comparisons return.
      return std::string(value.as_bool() ? "1" : "0");
    case ColumnType::kInt64: {
      // A bare literal takes the smallest type that fits (9007199254740993 would be UInt64,
      // read back as decimal): toInt64 keeps the parameter's type. The cost: `LIMIT ?` is
      // refused, as 18.16 wants a literal there.
      return "toInt64(" + ToChars(value.as_int()) + ")";
    }
    case ColumnType::kDouble: {
      double v = value.as_double();
      if (std::isnan(v)) return std::string("nan");
      if (std::isinf(v)) return std::string(v > 0 ? "inf" : "-inf");
      char buf[64];
      auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
      std::string text(buf, ptr);
      // "5" would be an integer literal: keep the parameter a Float64.
      if (text.find_first_of(".e") == std::string::npos) text += ".0";
      return text;
    }
    case ColumnType::kDecimal: {
      const std::string& text = value.as_string();
      int scale = 0;
      int digits = 0;
      if (!IsDecimalText(text, scale, digits) || digits > 38) {
        return InvalidArgument("decimal parameter is not a plain decimal of at most 38 digits");
      }
      return "toDecimal128('" + text + "', " + std::to_string(scale) + ")";
    }
    case ColumnType::kString:
    case ColumnType::kJson:
    case ColumnType::kBytes:
      return EscapeString(value.as_string());
    case ColumnType::kDate: {
      int64_t days = value.as_int();
      // 18.16 parses Date text only up to the end of 2105 (later dates wrap to 0000-00-00).
      if (days < 0 || days > DaysFromCivil(2105, 12, 31)) {
        return InvalidArgument("date parameter " + FormatDate(days) +
                               " is outside ClickHouse's Date range 1970-01-01..2105-12-31");
      }
      return "toDate('" + FormatDate(days) + "')";
    }
    case ColumnType::kTimestamp: {
      int64_t micros = value.as_int();
      int64_t seconds = micros / 1'000'000;
      if (micros % 1'000'000 == 0 && seconds >= 0 && seconds <= 4294967295LL) {
        return "toDateTime(" + ToChars(seconds) + ", 'UTC')";
      }
      // 18.16's DateTime holds whole seconds from 1970 to 2106: anything else stays exact as
      // UTC text "YYYY-MM-DD HH:MM:SS.ffffff" (a String that ClickHouse converts on comparison
      // with a DateTime when it fits).
      std::string iso = FormatTimestamp(micros);  // YYYY-MM-DDTHH:MM:SS[.ffffff]Z
      if (!iso.empty() && iso.back() == 'Z') iso.pop_back();
      if (size_t t = iso.find('T'); t != std::string::npos) iso[t] = ' ';
      return EscapeString(iso);
    }
  }
  return InvalidArgument("unsupported parameter type");
}

Result<std::string> BindClickHouseParameters(std::string_view sql,
                                             const std::vector<Value>& params) {
  TRIB_ASSIGN_OR_RETURN(auto spans, SplitSql(sql));
  std::string out;
  out.reserve(sql.size() + params.size() * 8);
  size_t used = 0;
  for (const Span& span : spans) {
    std::string_view text = sql.substr(span.begin, span.end - span.begin);
    if (!span.code) {
      out += text;
      continue;
    }
    for (char c : text) {
      if (c != '?') {
        out += c;
        continue;
      }
      if (used >= params.size()) {
        return InvalidArgument("the query has more ? placeholders than the " +
                               std::to_string(params.size()) + " parameters given");
      }
      auto literal = RenderClickHouseLiteral(params[used]);
      if (!literal.ok()) {
        return literal.status().WithContext("parameter " + std::to_string(used + 1));
      }
      out += *literal;
      ++used;
    }
  }
  if (used != params.size()) {
    return InvalidArgument("the query has " + std::to_string(used) + " ? placeholders but " +
                           std::to_string(params.size()) + " parameters were given");
  }
  return out;
}

bool HasFormatClause(std::string_view sql) {
  auto spans = SplitSql(sql);
  if (!spans.ok()) return false;
  // The code's trailing tokens: words and single punctuation characters.
  std::vector<std::string> tokens;
  for (const Span& span : *spans) {
    if (!span.code) {
      if (sql[span.begin] != '-' && sql[span.begin] != '/') tokens.push_back("'");
      continue;
    }
    for (size_t i = span.begin; i < span.end;) {
      unsigned char c = static_cast<unsigned char>(sql[i]);
      if (std::isspace(c)) {
        ++i;
      } else if (std::isalnum(c) || c == '_') {
        size_t start = i;
        while (i < span.end &&
               (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_')) {
          ++i;
        }
        std::string word(sql.substr(start, i - start));
        for (char& ch : word) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        tokens.push_back(std::move(word));
      } else {
        tokens.emplace_back(1, static_cast<char>(c));
        ++i;
      }
    }
  }
  while (!tokens.empty() && tokens.back() == ";") tokens.pop_back();
  if (tokens.size() < 2) return false;
  const std::string& name = tokens.back();
  bool name_is_word =
      !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  return name_is_word && tokens[tokens.size() - 2] == "FORMAT";
}

int ClickHouseErrorCode(std::string_view body) {
  constexpr std::string_view kPrefix = "Code: ";
  size_t at = body.find(kPrefix);
  if (at == std::string_view::npos) return -1;
  int code = -1;
  const char* begin = body.data() + at + kPrefix.size();
  auto [ptr, ec] = std::from_chars(begin, body.data() + body.size(), code);
  return ec == std::errc() ? code : -1;
}

Status MapClickHouseError(long http_status, std::string_view body) {  // NOLINT
  const int code = ClickHouseErrorCode(body);
  // The human part: between "DB::Exception: " and ", e.what()" (or the end).
  std::string message;
  constexpr std::string_view kMarker = "DB::Exception: ";
  size_t at = body.find(kMarker);
  if (at != std::string_view::npos) {
    std::string_view rest = body.substr(at + kMarker.size());
    size_t end = rest.rfind(", e.what() = ");
    if (end != std::string_view::npos) rest = rest.substr(0, end);
    message = std::string(rest);
  } else {
    message = std::string(body.substr(0, 300));
  }
  while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) {
    message.pop_back();
  }
  if (message.size() > 500) message = message.substr(0, 500) + "...";
  const std::string tagged = "ClickHouse error " + std::to_string(code) + ": " + message;
  switch (code) {
    case 192:  // UNKNOWN_USER
    case 193:  // WRONG_PASSWORD
    case 194:  // REQUIRED_PASSWORD
    case 195:  // IP_ADDRESS_NOT_ALLOWED
    case 516:  // AUTHENTICATION_FAILED (newer servers)
      return Unavailable("authentication failed (check user and password)");
    case 81:  // UNKNOWN_DATABASE
      return Unavailable("unknown database: " + message);
    case 164:  // READONLY
      return PermissionDenied("the ClickHouse session is read-only: " + message);
    case 159:  // TIMEOUT_EXCEEDED
      return DeadlineExceeded(tagged);
    case 394:  // QUERY_WAS_CANCELLED
      return Cancelled(tagged);
    case -1:
      if (http_status == 401 || http_status == 403) {
        return Unavailable("authentication failed (check user and password)");
      }
      return Unavailable("ClickHouse answered HTTP " + std::to_string(http_status) +
                         (message.empty() ? std::string() : ": " + message));
    default:
      return QueryError(tagged);
  }
}

}  // namespace tributary::clickhouse
