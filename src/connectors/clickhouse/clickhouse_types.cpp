#include "connectors/clickhouse/clickhouse_types.h"

#include <charconv>
#include <cstdint>

#include "core/json_text.h"
#include "core/time_util.h"

namespace tributary::clickhouse {

namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// "Wrapper(inner)" -> inner, when `s` is exactly that.
std::optional<std::string_view> Unwrap(std::string_view s, std::string_view wrapper) {
  if (s.size() > wrapper.size() + 2 && StartsWith(s, wrapper) && s[wrapper.size()] == '(' &&
      s.back() == ')') {
    return s.substr(wrapper.size() + 1, s.size() - wrapper.size() - 2);
  }
  return std::nullopt;
}

// Decodes one backslash escape at text[i] == '\\'; appends to out and returns the index of
// the last consumed character.
size_t DecodeEscape(std::string_view text, size_t i, std::string& out) {
  if (i + 1 >= text.size()) {
    out += '\\';
    return i;
  }
  char c = text[i + 1];
  switch (c) {
    case 'b':
      out += '\b';
      break;
    case 'f':
      out += '\f';
      break;
    case 'r':
      out += '\r';
      break;
    case 'n':
      out += '\n';
      break;
    case 't':
      out += '\t';
      break;
    case '0':
      out += '\0';
      break;
    case 'a':
      out += '\a';
      break;
    case 'v':
      out += '\v';
      break;
    case 'x': {
      unsigned value = 0;
      if (i + 3 < text.size() &&
          std::from_chars(text.data() + i + 2, text.data() + i + 4, value, 16).ptr ==
              text.data() + i + 4) {
        out += static_cast<char>(value);
        return i + 3;
      }
      out += 'x';
      break;
    }
    default:
      out += c;
      break;  // \\ \' \" and any other character stand for themselves
  }
  return i + 1;
}

bool IsUtcZone(std::string_view zone) {
  return zone == "UTC" || zone == "Etc/UTC" || zone == "GMT" || zone == "Etc/GMT" ||
         zone == "Universal" || zone == "Zulu";
}

// The zone of "DateTime('Zone')", or an empty view for a plain DateTime.
std::string_view DateTimeZone(std::string_view base) {
  auto inner = Unwrap(base, "DateTime");
  if (!inner || inner->size() < 2) return {};
  std::string_view zone = *inner;
  if (zone.front() == '\'' && zone.back() == '\'') zone = zone.substr(1, zone.size() - 2);
  return zone;
}

}  // namespace

MappedType MapClickHouseType(std::string_view type_name) {
  MappedType mapped;
  std::string_view t = type_name;
  if (auto inner = Unwrap(t, "LowCardinality")) t = *inner;
  if (auto inner = Unwrap(t, "Nullable")) {
    mapped.nullable = true;
    t = *inner;
  }
  if (auto inner = Unwrap(t, "LowCardinality")) t = *inner;
  mapped.base = std::string(t);
  if (t == "Int8" || t == "Int16" || t == "Int32" || t == "Int64" || t == "UInt8" ||
      t == "UInt16" || t == "UInt32") {
    mapped.type = ColumnType::kInt64;
  } else if (t == "UInt64" || StartsWith(t, "Decimal")) {
    mapped.type = ColumnType::kDecimal;
  } else if (t == "Float32" || t == "Float64") {
    mapped.type = ColumnType::kDouble;
  } else if (t == "Date") {
    mapped.type = ColumnType::kDate;
  } else if (t == "DateTime" || (StartsWith(t, "DateTime(") && IsUtcZone(DateTimeZone(t)))) {
    mapped.type = ColumnType::kTimestamp;
  } else if (StartsWith(t, "Array(") || StartsWith(t, "Tuple(")) {
    mapped.type = ColumnType::kJson;
  } else if (t == "Nothing") {
    mapped.type = ColumnType::kNull;
    mapped.nullable = true;
  } else {
    // String, FixedString(N), Enum8/16, UUID, DateTime('<zone>') and anything newer.
    mapped.type = ColumnType::kString;
  }
  return mapped;
}

std::string TsvUnescape(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\') {
      i = DecodeEscape(field, i, out);
    } else {
      out += field[i];
    }
  }
  return out;
}

std::optional<std::string> ClickHouseTextToJson(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  int depth = 0;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '[' || c == '(') {
      out += '[';
      ++depth;
      ++i;
    } else if (c == ']' || c == ')') {
      if (--depth < 0) return std::nullopt;
      out += ']';
      ++i;
    } else if (c == ',') {
      out += ',';
      ++i;
    } else if (c == ' ') {
      ++i;
    } else if (c == '\'') {
      std::string raw;
      ++i;
      bool closed = false;
      for (; i < text.size(); ++i) {
        if (text[i] == '\\') {
          i = DecodeEscape(text, i, raw);
        } else if (text[i] == '\'') {
          closed = true;
          ++i;
          break;
        } else {
          raw += text[i];
        }
      }
      if (!closed) return std::nullopt;
      AppendJsonString(raw, out);
    } else {
      size_t end = i;
      while (end < text.size() && text[end] != ',' && text[end] != ']' && text[end] != ')') ++end;
      std::string_view token = text.substr(i, end - i);
      while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
      if (token == "NULL" || token == "nan" || token == "-nan" || token == "inf" ||
          token == "-inf" || token == "+inf") {
        out += "null";
      } else {
        if (!token.empty() && token.front() == '+') token.remove_prefix(1);
        double ignored;
        auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), ignored);
        if (token.empty() || ec != std::errc() || ptr != token.data() + token.size()) {
          return std::nullopt;
        }
        out += token;
      }
      i = end;
    }
  }
  if (depth != 0) return std::nullopt;
  return out;
}

Status AppendClickHouseCell(const MappedType& type, std::string_view text, ColumnData& column,
                            std::string_view column_name) {
  auto bad = [&](std::string_view what) {
    return QueryError("ClickHouse sent a " + std::string(what) +
                      " value that does not parse in column '" + std::string(column_name) + "'");
  };
  switch (type.type) {
    case ColumnType::kInt64: {
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || ptr != text.data() + text.size()) return bad(type.base);
      column.AppendInt(v);
      return Status::Ok();
    }
    case ColumnType::kDouble: {
      std::string_view t = text;
      if (!t.empty() && t.front() == '+') t.remove_prefix(1);
      double v = 0;
      auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (ec != std::errc() || ptr != t.data() + t.size()) return bad(type.base);
      column.AppendDouble(v);
      return Status::Ok();
    }
    case ColumnType::kDecimal:
      column.AppendString(std::string(text));
      return Status::Ok();
    case ColumnType::kDate: {
      if (text == "0000-00-00") {  // ClickHouse's rendering of day 0
        column.AppendInt(0);
        return Status::Ok();
      }
      auto days = ParseDate(text);
      if (!days) return bad("Date");
      column.AppendInt(*days);
      return Status::Ok();
    }
    case ColumnType::kTimestamp: {
      if (text == "0000-00-00 00:00:00") {  // ClickHouse's rendering of second 0
        column.AppendInt(0);
        return Status::Ok();
      }
      auto micros = ParseTimestamp(text);
      if (!micros) return bad("DateTime");
      column.AppendInt(*micros);
      return Status::Ok();
    }
    case ColumnType::kJson: {
      auto json = ClickHouseTextToJson(text);
      if (!json) return bad(type.base);
      column.AppendString(std::move(*json));
      return Status::Ok();
    }
    case ColumnType::kNull:
      column.AppendNull();
      return Status::Ok();
    default: {
      std::string_view zone =
          StartsWith(type.base, "DateTime(") ? DateTimeZone(type.base) : std::string_view{};
      if (!zone.empty()) {
        column.AppendString(std::string(text) + " " + std::string(zone));
      } else {
        column.AppendString(std::string(text));
      }
      return Status::Ok();
    }
  }
}

}  // namespace tributary::clickhouse
