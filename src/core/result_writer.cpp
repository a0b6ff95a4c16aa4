#include "core/result_writer.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>

#include "core/encoding.h"
#include "core/time_util.h"

namespace tributary {

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void WriteCell(JsonWriter& w, const ColumnData& col, size_t row) {
  if (col.is_null(row)) {
    w.Null();
    return;
  }
  switch (col.type()) {
    case ColumnType::kNull:
      w.Null();
      return;
    case ColumnType::kBool:
      w.Bool(col.bool_at(row));
      return;
    case ColumnType::kInt64:
      w.Int64(col.int_at(row));
      return;
    case ColumnType::kDouble: {
      double d = col.double_at(row);
      if (std::isnan(d)) {
        w.String("NaN");
      } else if (std::isinf(d)) {
        w.String(d > 0 ? "Infinity" : "-Infinity");
      } else {
        w.Double(d);
      }
      return;
    }
    case ColumnType::kDecimal: {
      const std::string& s = col.string_at(row);
      w.RawValue(s.data(), s.size(), rapidjson::kNumberType);
      return;
    }
    case ColumnType::kString: {
      const std::string& s = col.string_at(row);
      w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      return;
    }
    case ColumnType::kJson: {
      const std::string& s = col.string_at(row);
      w.RawValue(s.data(), s.size(), rapidjson::kObjectType);
      return;
    }
    case ColumnType::kBytes: {
      std::string b64 = Base64Encode(col.string_at(row));
      w.String(b64.data(), static_cast<rapidjson::SizeType>(b64.size()));
      return;
    }
    case ColumnType::kDate: {
      std::string s = FormatDate(col.int_at(row));
      w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      return;
    }
    case ColumnType::kTimestamp: {
      std::string s = FormatTimestamp(col.int_at(row));
      w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      return;
    }
  }
}

void AppendCsvField(std::string& out, std::string_view field) {
  bool needs_quotes = field.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!needs_quotes) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

std::string CellToJson(const QueryResult& result, size_t row, size_t col) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WriteCell(w, result.column(col), row);
  return {buf.GetString(), buf.GetSize()};
}

std::string CellToText(const QueryResult& result, size_t row, size_t col) {
  const ColumnData& c = result.column(col);
  if (c.is_null(row)) return {};
  switch (c.type()) {
    case ColumnType::kString:
    case ColumnType::kDecimal:
    case ColumnType::kJson:
      return c.string_at(row);
    case ColumnType::kBytes:
      return Base64Encode(c.string_at(row));
    case ColumnType::kDate:
      return FormatDate(c.int_at(row));
    case ColumnType::kTimestamp:
      return FormatTimestamp(c.int_at(row));
    case ColumnType::kBool:
      return c.bool_at(row) ? "true" : "false";
    default:
      return CellToJson(result, row, col);
  }
}

std::string ResultToJson(const QueryResult& result) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("columns");
  w.StartArray();
  for (const auto& c : result.columns()) {
    w.StartObject();
    w.Key("name");
    w.String(c.name.data(), static_cast<rapidjson::SizeType>(c.name.size()));
    w.Key("type");
    std::string_view t = ColumnTypeName(c.type);
    w.String(t.data(), static_cast<rapidjson::SizeType>(t.size()));
    w.Key("sourceType");
    w.String(c.source_type.data(), static_cast<rapidjson::SizeType>(c.source_type.size()));
    w.EndObject();
  }
  w.EndArray();
  w.Key("rows");
  w.StartArray();
  const size_t rows = result.row_count();
  const size_t cols = result.column_count();
  for (size_t r = 0; r < rows; ++r) {
    w.StartArray();
    for (size_t c = 0; c < cols; ++c) WriteCell(w, result.column(c), r);
    w.EndArray();
  }
  w.EndArray();
  w.Key("stats");
  w.StartObject();
  w.Key("rows");
  w.Uint64(rows);
  w.Key("elapsedMs");
  w.Double(static_cast<double>(result.stats().elapsed_us) / 1000.0);
  w.Key("truncated");
  w.Bool(result.stats().truncated);
  if (result.stats().truncated) {
    w.Key("truncatedBy");
    w.String(result.stats().truncated_by.c_str());
  }
  w.EndObject();
  if (!result.stats().warnings.empty()) {
    // meta.warnings: what the caller should know about an answer (cost estimates).
    w.Key("meta");
    w.StartObject();
    w.Key("warnings");
    w.StartArray();
    for (const auto& warning : result.stats().warnings) {
      w.StartObject();
      w.Key("code");
      w.String(warning.code.data(), static_cast<rapidjson::SizeType>(warning.code.size()));
      w.Key("message");
      w.String(warning.message.data(), static_cast<rapidjson::SizeType>(warning.message.size()));
      w.Key("bytes");
      w.Int64(warning.bytes);
      w.Key("usd");
      w.Double(warning.usd);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

void AppendCsvHeader(const QueryResult& result, std::string& out) {
  for (size_t c = 0; c < result.column_count(); ++c) {
    if (c) out.push_back(',');
    AppendCsvField(out, result.columns()[c].name);
  }
  out.append("\r\n");
}

void AppendCsvRow(const QueryResult& result, size_t row, std::string& out) {
  for (size_t c = 0; c < result.column_count(); ++c) {
    if (c) out.push_back(',');
    AppendCsvField(out, CellToText(result, row, c));
  }
  out.append("\r\n");
}

std::string ResultToCsv(const QueryResult& result) {
  std::string out;
  AppendCsvHeader(result, out);
  for (size_t r = 0; r < result.row_count(); ++r) AppendCsvRow(result, r, out);
  return out;
}

}  // namespace tributary
