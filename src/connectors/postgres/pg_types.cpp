#include "connectors/postgres/pg_types.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "core/json_text.h"
#include "core/time_util.h"

namespace tributary::pg {
namespace {

// Built-in type OIDs (stable across PostgreSQL versions, from pg_type.dat).
constexpr TypeOid kBool = 16, kBytea = 17, kChar = 18, kName = 19, kInt8 = 20, kInt2 = 21,
                  kInt4 = 23, kText = 25, kOid = 26, kJsonOid = 114, kFloat4 = 700, kFloat8 = 701,
                  kBpchar = 1042, kVarchar = 1043, kDateOid = 1082, kTimestampOid = 1114,
                  kTimestampTz = 1184, kNumeric = 1700, kJsonb = 3802;

std::string CompactJson(std::string_view text);

std::optional<CellKind> ScalarKind(TypeOid oid) {
  switch (oid) {
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid:
      return CellKind::kInt;
    case kNumeric:
      return CellKind::kNumeric;
    case kFloat4:
    case kFloat8:
      return CellKind::kFloat;
    case kBool:
      return CellKind::kBool;
    case kDateOid:
      return CellKind::kDate;
    case kTimestampOid:
    case kTimestampTz:
      return CellKind::kTimestamp;
    case kJsonOid:
    case kJsonb:
      return CellKind::kJson;
    case kBytea:
      return CellKind::kBytes;
    default:
      return std::nullopt;
  }
}

ColumnType TypeOfKind(CellKind kind) {
  switch (kind) {
    case CellKind::kInt:
      return ColumnType::kInt64;
    case CellKind::kNumeric:
      return ColumnType::kDecimal;
    case CellKind::kFloat:
      return ColumnType::kDouble;
    case CellKind::kBool:
      return ColumnType::kBool;
    case CellKind::kDate:
      return ColumnType::kDate;
    case CellKind::kTimestamp:
      return ColumnType::kTimestamp;
    case CellKind::kJson:
    case CellKind::kArray:
      return ColumnType::kJson;
    case CellKind::kBytes:
      return ColumnType::kBytes;
    case CellKind::kText:
      return ColumnType::kString;
  }
  return ColumnType::kString;
}

std::string FallbackName(TypeOid oid) {
  switch (oid) {
    case kBool:
      return "bool";
    case kBytea:
      return "bytea";
    case kChar:
      return "char";
    case kName:
      return "name";
    case kInt8:
      return "int8";
    case kInt2:
      return "int2";
    case kInt4:
      return "int4";
    case kText:
      return "text";
    case kOid:
      return "oid";
    case kJsonOid:
      return "json";
    case kFloat4:
      return "float4";
    case kFloat8:
      return "float8";
    case kBpchar:
      return "bpchar";
    case kVarchar:
      return "varchar";
    case kDateOid:
      return "date";
    case kTimestampOid:
      return "timestamp";
    case kTimestampTz:
      return "timestamptz";
    case kNumeric:
      return "numeric";
    case kJsonb:
      return "jsonb";
    default:
      return "oid " + std::to_string(oid);
  }
}

std::string TypeName(TypeOid oid, const TypeCache& types) {
  auto it = types.find(oid);
  return it != types.end() ? it->second.name : FallbackName(oid);
}

bool ParseInt(std::string_view text, int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool ParseUnsigned(std::string_view text, size_t& pos, int digits, int64_t& out) {
  out = 0;
  for (int i = 0; i < digits; ++i, ++pos) {
    if (pos >= text.size() || text[pos] < '0' || text[pos] > '9') return false;
    out = out * 10 + (text[pos] - '0');
  }
  return true;
}

bool ParseDouble(std::string_view text, double& out) {
  // strtod understands "NaN", "Infinity" and "-Infinity" (PostgreSQL's spellings).
  std::string copy(text);
  errno = 0;
  char* end = nullptr;
  out = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size() && !copy.empty();
}

// Parses "YYYY-MM-DD" at the start of `text` (the year may have more than four digits).
bool ParseCivilDate(std::string_view text, size_t& pos, int64_t& year, int64_t& month,
                    int64_t& day) {
  size_t digits = 0;
  while (pos + digits < text.size() && text[pos + digits] >= '0' && text[pos + digits] <= '9') {
    ++digits;
  }
  if (digits < 4) return false;
  if (!ParseUnsigned(text, pos, static_cast<int>(digits), year)) return false;
  if (pos >= text.size() || text[pos++] != '-') return false;
  if (!ParseUnsigned(text, pos, 2, month)) return false;
  if (pos >= text.size() || text[pos++] != '-') return false;
  if (!ParseUnsigned(text, pos, 2, day)) return false;
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// Strips a trailing " BC" and turns the year into the proleptic one (1 BC is year 0).
bool StripEra(std::string_view& text) {
  constexpr std::string_view kBc = " BC";
  if (text.size() > kBc.size() && text.substr(text.size() - kBc.size()) == kBc) {
    text.remove_suffix(kBc.size());
    return true;
  }
  return false;
}

// Writes one array element (unquoted elements may be numbers or booleans; quoted ones were
// quoted because of their characters, never because of their type).
void AppendElement(std::string& out, std::string_view text, bool quoted, CellKind element) {
  if (!quoted && (text == "NULL" || text == "null" || text == "Null")) {
    out += "null";
    return;
  }
  switch (element) {
    case CellKind::kInt:
    case CellKind::kNumeric:
    case CellKind::kFloat: {
      double d;
      if (ParseDouble(text, d) && std::isfinite(d) && text.find_first_of("nN") == text.npos) {
        out += text;
        return;
      }
      AppendJsonString(text, out);  // NaN, Infinity
      return;
    }
    case CellKind::kBool:
      out += (text == "t" || text == "true") ? "true" : "false";
      return;
    case CellKind::kJson:
      out += CompactJson(text);
      return;
    default:
      AppendJsonString(text, out);
  }
}

// jsonb prints with spaces after ':' and ','; results carry JSON compactly, whatever the
// column's type (json keeps the text as it was inserted).
std::string CompactJson(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size()) {
        out.push_back(text[++i]);
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
      out.push_back(c);
    } else if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

ColumnMapping MapType(TypeOid oid, int typmod, const TypeCache& types) {
  ColumnMapping m;
  m.source_type = TypeName(oid, types);
  if (auto kind = ScalarKind(oid)) {
    m.kind = *kind;
  } else if (auto it = types.find(oid);
             it != types.end() && it->second.category == 'A' && it->second.element != 0) {
    m.kind = CellKind::kArray;
    auto element = ScalarKind(it->second.element);
    m.element = element ? *element : CellKind::kText;
    // Bytes inside an array stay in PostgreSQL's hex text: JSON has no bytes type.
    if (m.element == CellKind::kBytes) m.element = CellKind::kText;
    m.source_type = TypeName(it->second.element, types) + "[]";
  } else {
    m.kind = CellKind::kText;
  }
  if (oid == kNumeric && typmod >= 4) {
    const int mod = typmod - 4;
    m.source_type.append(1, '(').append(std::to_string((mod >> 16) & 0xffff)).append(1, ',');
    m.source_type.append(std::to_string(mod & 0xffff)).append(1, ')');
  } else if ((oid == kVarchar || oid == kBpchar) && typmod >= 4) {
    m.source_type.append(1, '(').append(std::to_string(typmod - 4)).append(1, ')');
  }
  m.type = TypeOfKind(m.kind);
  return m;
}

std::optional<int64_t> ParsePgDate(std::string_view text) {
  if (text == "infinity") return std::numeric_limits<int32_t>::max();
  if (text == "-infinity") return -static_cast<int64_t>(std::numeric_limits<int32_t>::max());
  const bool bc = StripEra(text);
  size_t pos = 0;
  int64_t year, month, day;
  if (!ParseCivilDate(text, pos, year, month, day) || pos != text.size()) return std::nullopt;
  if (bc) year = 1 - year;
  return DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
}

std::optional<int64_t> ParsePgTimestamp(std::string_view text) {
  if (text == "infinity") return std::numeric_limits<int64_t>::max();
  if (text == "-infinity") return -std::numeric_limits<int64_t>::max();
  const bool bc = StripEra(text);
  size_t pos = 0;
  int64_t year, month, day, hour = 0, minute = 0, second = 0, micros = 0;
  if (!ParseCivilDate(text, pos, year, month, day)) return std::nullopt;
  if (pos < text.size()) {
    if (text[pos] != ' ' && text[pos] != 'T') return std::nullopt;
    ++pos;
    if (!ParseUnsigned(text, pos, 2, hour) || pos >= text.size() || text[pos++] != ':' ||
        !ParseUnsigned(text, pos, 2, minute) || pos >= text.size() || text[pos++] != ':' ||
        !ParseUnsigned(text, pos, 2, second)) {
      return std::nullopt;
    }
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      int digits = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (digits < 6) micros = micros * 10 + (text[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0) return std::nullopt;
      for (int d = digits; d < 6; ++d) micros *= 10;
    }
  }
  int64_t offset_seconds = 0;
  if (pos < text.size()) {
    const char sign = text[pos++];
    if (sign != '+' && sign != '-') return std::nullopt;
    int64_t oh = 0, om = 0, os = 0;
    if (!ParseUnsigned(text, pos, 2, oh)) return std::nullopt;
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!ParseUnsigned(text, pos, 2, om)) return std::nullopt;
      if (pos < text.size() && text[pos] == ':') {
        ++pos;
        if (!ParseUnsigned(text, pos, 2, os)) return std::nullopt;
      }
    }
    offset_seconds = (oh * 3600 + om * 60 + os) * (sign == '-' ? -1 : 1);
  }
  if (pos != text.size() || hour > 24 || minute > 59 || second > 60) return std::nullopt;
  if (bc) year = 1 - year;
  const int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return seconds * 1'000'000 + micros;
}

std::optional<std::string> DecodeBytea(std::string_view text) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) {
    return std::nullopt;
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve((text.size() - 2) / 2);
  for (size_t i = 2; i < text.size(); i += 2) {
    const int hi = nibble(text[i]), lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

Result<std::string> ArrayToJson(std::string_view text, CellKind element) {
  auto malformed = [&] {
    return QueryError("malformed PostgreSQL array text: " + std::string(text.substr(0, 80)));
  };
  size_t pos = 0;
  // Arrays with lower bounds other than 1 carry a dimension prefix: "[0:2]={...}".
  if (!text.empty() && text[0] == '[') {
    pos = text.find('=');
    if (pos == text.npos) return malformed();
    ++pos;
  }
  std::string out;
  int depth = 0;
  bool expect_value = true;  // after '{' or ','
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == '{') {
      out.push_back('[');
      ++depth;
      ++pos;
      expect_value = true;
      if (pos < text.size() && text[pos] == '}') {
        out.push_back(']');
        --depth;
        ++pos;
        expect_value = false;
      }
    } else if (c == '}') {
      if (depth == 0) return malformed();
      out.push_back(']');
      --depth;
      ++pos;
      expect_value = false;
    } else if (c == ',') {
      out.push_back(',');
      ++pos;
      expect_value = true;
    } else if (c == ' ') {
      ++pos;
    } else {
      if (!expect_value || depth == 0) return malformed();
      std::string value;
      bool quoted = false;
      if (c == '"') {
        quoted = true;
        ++pos;
        while (pos < text.size() && text[pos] != '"') {
          if (text[pos] == '\\' && pos + 1 < text.size()) ++pos;
          value.push_back(text[pos++]);
        }
        if (pos >= text.size()) return malformed();
        ++pos;  // closing quote
      } else {
        while (pos < text.size() && text[pos] != ',' && text[pos] != '}') {
          value.push_back(text[pos++]);
        }
      }
      AppendElement(out, value, quoted, element);
      expect_value = false;
    }
  }
  if (depth != 0 || out.empty()) return malformed();
  return out;
}

Result<Value> ConvertCell(const ColumnMapping& mapping, std::string_view text) {
  auto bad = [&]() -> Status {
    return QueryError("cannot read PostgreSQL " + mapping.source_type + " value '" +
                      std::string(text.substr(0, 64)) + "'");
  };
  switch (mapping.kind) {
    case CellKind::kInt: {
      int64_t v;
      if (!ParseInt(text, v)) return bad();
      return Value::Int64(v);
    }
    case CellKind::kNumeric:
      // NaN and +/-Infinity have no exact decimal (nor JSON number) form.
      if (text == "NaN" || text == "Infinity" || text == "-Infinity") return Value::Null();
      return Value::Decimal(std::string(text));
    case CellKind::kFloat: {
      double v;
      if (!ParseDouble(text, v)) return bad();
      return Value::Double(v);
    }
    case CellKind::kBool:
      return Value::Bool(text == "t");
    case CellKind::kDate: {
      auto days = ParsePgDate(text);
      if (!days) return bad();
      return Value::Date(*days);
    }
    case CellKind::kTimestamp: {
      auto micros = ParsePgTimestamp(text);
      if (!micros) return bad();
      return Value::Timestamp(*micros);
    }
    case CellKind::kJson:
      return Value::Json(CompactJson(text));
    case CellKind::kArray: {
      TRIB_ASSIGN_OR_RETURN(std::string doc, ArrayToJson(text, mapping.element));
      return Value::Json(std::move(doc));
    }
    case CellKind::kBytes: {
      auto raw = DecodeBytea(text);
      if (!raw) return bad();
      return Value::Bytes(std::move(*raw));
    }
    case CellKind::kText:
      return Value::String(std::string(text));
  }
  return bad();
}

Result<BoundParam> BindParam(const Value& value, int index) {
  BoundParam p;
  switch (value.type) {
    case ColumnType::kNull:
      p.is_null = true;
      return p;
    case ColumnType::kBool:
      p.oid = kBool;
      p.data = value.as_bool() ? "true" : "false";
      break;
    case ColumnType::kInt64:
      p.oid = kInt8;
      p.data = std::to_string(value.as_int());
      break;
    case ColumnType::kDouble: {
      p.oid = kFloat8;
      const double d = value.as_double();
      if (std::isnan(d)) {
        p.data = "NaN";
      } else if (std::isinf(d)) {
        p.data = d > 0 ? "Infinity" : "-Infinity";
      } else {
        char buf[64];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
        p.data.assign(buf, end);
      }
      break;
    }
    case ColumnType::kDecimal:
      p.oid = kNumeric;
      p.data = value.as_string();
      if (p.data.empty() || p.data.find_first_not_of("+-.0123456789eE") != std::string::npos) {
        return InvalidArgument("parameter $" + std::to_string(index) + " is not a decimal number");
      }
      break;
    case ColumnType::kString:
      p.oid = 0;  // unknown: the server infers the type from the context
      p.data = value.as_string();
      break;
    case ColumnType::kJson:
      p.oid = kJsonb;
      p.data = value.as_string();
      break;
    case ColumnType::kDate:
      p.oid = kDateOid;
      p.data = FormatDate(value.as_int());
      break;
    case ColumnType::kTimestamp:
      p.oid = kTimestampTz;
      p.data = FormatTimestamp(value.as_int());
      break;
    case ColumnType::kBytes:
      p.oid = kBytea;
      p.binary = true;
      p.data = value.as_string();
      break;
  }
  if (value.type != ColumnType::kBytes && p.data.find('\0') != std::string::npos) {
    return InvalidArgument("parameter $" + std::to_string(index) +
                           " contains a NUL character, which PostgreSQL text cannot hold");
  }
  return p;
}

}  // namespace tributary::pg
