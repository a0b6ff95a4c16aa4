#include "connectors/json_api/json_api_loader.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "connectors/duckdb/duckdb_setup.h"
#include "core/encoding.h"
#include "core/time_util.h"

namespace tributary::json_api {

namespace {

namespace od = simdjson::ondemand;

// The columns' pointers merged: a node is a column (a leaf) or leads to some.
struct PointerNode {
  int column = -1;
  std::map<std::string, PointerNode, std::less<>> children;
};

// One converted value, waiting for the record to be complete (the appender takes a row's
// values in column order, the JSON gives them in field order).
struct Cell {
  enum class Kind { kNull, kInt, kDouble, kBool, kText, kBlob, kDate, kTimestamp };
  Kind kind = Kind::kNull;
  int64_t i = 0;
  double d = 0;
  bool b = false;
  std::string text;
};

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r' ||
                           text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

const char* TypeWord(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "a string";
    case FieldType::kInt64:
      return "an int64 (a whole number)";
    case FieldType::kDouble:
      return "a double (a number)";
    case FieldType::kBool:
      return "a bool (true or false)";
    case FieldType::kDate:
      return "a date (\"YYYY-MM-DD\")";
    case FieldType::kTimestamp:
      return "a timestamp (ISO-8601 text or epoch seconds)";
    case FieldType::kDecimal:
      return "a decimal (a number or numeric string)";
    case FieldType::kJson:
      return "json";
    case FieldType::kBytes:
      return "bytes (a base64 string)";
  }
  return "a value";
}

bool ParseInt(std::string_view text, int64_t& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && error == std::errc() && end == text.data() + text.size();
}

bool ParseDouble(std::string_view text, double& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && error == std::errc() && end == text.data() + text.size() &&
         std::isfinite(out);
}

}  // namespace

struct TableLoader::Impl {
  const TableSpec* spec = nullptr;
  duckdb_appender appender = nullptr;
  PointerNode root;
  od::parser parser;
  std::vector<Cell> cells;
  int64_t rows = 0;
  // Error context of the record being read.
  int64_t page = 0;
  int64_t record_in_page = 0;
  const std::string* shown_path = nullptr;

  ~Impl() {
    if (appender != nullptr) duckdb_appender_destroy(&appender);
  }

  Status ValueError(const ColumnSpec& column, std::string_view got) const {
    std::string message = "table " + spec->name + ", record " + std::to_string(rows) + " (record " +
                          std::to_string(record_in_page) + " of page " + std::to_string(page) +
                          " of " + *shown_path + "), column " + column.name + " (" +
                          column.pointer_text + "): expected " + TypeWord(column.type) + ", got ";
    message.append(got);
    message += "; declare the column with a type that fits the API's data (tables." + spec->name +
               ".columns." + column.name + ".type)";
    return QueryError(std::move(message));
  }

  static std::string Describe(od::value& value) {
    od::json_type type;
    if (value.type().get(type) != simdjson::SUCCESS) return "an unreadable value";
    switch (type) {
      case od::json_type::object:
        return "an object";
      case od::json_type::array:
        return "an array";
      default:
        break;
    }
    std::string token(Trim(value.raw_json_token()));
    if (token.size() > 40) token = token.substr(0, 40) + "...";
    return token;
  }

  Status Convert(od::value& value, const ColumnSpec& column, Cell& cell) {
    od::json_type type;
    if (auto error = value.type().get(type); error != simdjson::SUCCESS) {
      return JsonError(error);
    }
    if (type == od::json_type::null) {
      cell.kind = Cell::Kind::kNull;
      return Status::Ok();
    }
    auto text_of = [&](std::string_view& out) {
      return value.get_string().get(out) == simdjson::SUCCESS;
    };
    std::string_view text;
    switch (column.type) {
      case FieldType::kString:
        if (type == od::json_type::string && text_of(text)) {
          cell.kind = Cell::Kind::kText;
          cell.text.assign(text);
          return Status::Ok();
        }
        if (type == od::json_type::number || type == od::json_type::boolean) {
          cell.kind = Cell::Kind::kText;
          cell.text.assign(Trim(value.raw_json_token()));
          return Status::Ok();
        }
        break;
      case FieldType::kInt64:
        if (type == od::json_type::number && value.get_int64().get(cell.i) == simdjson::SUCCESS) {
          cell.kind = Cell::Kind::kInt;
          return Status::Ok();
        }
        if (type == od::json_type::string && text_of(text) && ParseInt(text, cell.i)) {
          cell.kind = Cell::Kind::kInt;
          return Status::Ok();
        }
        break;
      case FieldType::kDouble:
        if (type == od::json_type::number && value.get_double().get(cell.d) == simdjson::SUCCESS) {
          cell.kind = Cell::Kind::kDouble;
          return Status::Ok();
        }
        if (type == od::json_type::string && text_of(text) && ParseDouble(text, cell.d)) {
          cell.kind = Cell::Kind::kDouble;
          return Status::Ok();
        }
        break;
      case FieldType::kBool:
        if (type == od::json_type::boolean && value.get_bool().get(cell.b) == simdjson::SUCCESS) {
          cell.kind = Cell::Kind::kBool;
          return Status::Ok();
        }
        break;
      case FieldType::kDate:
        if (type == od::json_type::string && text_of(text)) {
          if (auto days = ParseDate(text)) {
            cell.kind = Cell::Kind::kDate;
            cell.i = *days;
            return Status::Ok();
          }
        }
        break;
      case FieldType::kTimestamp:
        if (type == od::json_type::string && text_of(text)) {
          if (auto micros = ParseTimestamp(text)) {
            cell.kind = Cell::Kind::kTimestamp;
            cell.i = *micros;
            return Status::Ok();
          }
        } else if (type == od::json_type::number) {
          int64_t seconds = 0;
          double fractional = 0;
          constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / 1'000'000;
          if (value.get_int64().get(seconds) == simdjson::SUCCESS && seconds <= kMaxSeconds &&
              seconds >= -kMaxSeconds) {
            cell.kind = Cell::Kind::kTimestamp;
            cell.i = seconds * 1'000'000;
            return Status::Ok();
          }
          if (value.get_double().get(fractional) == simdjson::SUCCESS &&
              std::fabs(fractional) < static_cast<double>(kMaxSeconds)) {
            cell.kind = Cell::Kind::kTimestamp;
            cell.i = std::llround(fractional * 1e6);
            return Status::Ok();
          }
        }
        break;
      case FieldType::kDecimal:
        // Exact: the number's own digits go to DuckDB, which checks precision and scale.
        if (type == od::json_type::number) {
          cell.kind = Cell::Kind::kText;
          cell.text.assign(Trim(value.raw_json_token()));
          return Status::Ok();
        }
        if (type == od::json_type::string && text_of(text)) {
          cell.kind = Cell::Kind::kText;
          cell.text.assign(text);
          return Status::Ok();
        }
        break;
      case FieldType::kJson: {
        std::string_view raw;
        simdjson::error_code error = simdjson::SUCCESS;
        if (type == od::json_type::object) {
          od::object object;
          error = value.get_object().get(object);
          if (!error) error = object.raw_json().get(raw);
        } else if (type == od::json_type::array) {
          od::array array;
          error = value.get_array().get(array);
          if (!error) error = array.raw_json().get(raw);
        } else {
          raw = value.raw_json_token();
        }
        if (error) return JsonError(error);
        cell.kind = Cell::Kind::kText;
        cell.text.assign(Trim(raw));
        return Status::Ok();
      }
      case FieldType::kBytes:
        if (type == od::json_type::string && text_of(text)) {
          if (auto raw = Base64Decode(text)) {
            cell.kind = Cell::Kind::kBlob;
            cell.text = std::move(*raw);
            return Status::Ok();
          }
        }
        break;
    }
    return ValueError(column, Describe(value));
  }

  Status JsonError(simdjson::error_code error) const {
    return QueryError("table " + spec->name + ": page " + std::to_string(page) + " of " +
                      *shown_path + " is not valid JSON (" + simdjson::error_message(error) +
                      " near record " + std::to_string(record_in_page) +
                      "); the API must answer with a JSON document");
  }

  // Visits the fields of `value` that some column's pointer goes through.
  Status Walk(od::value& value, const PointerNode& node) {
    od::json_type type;
    if (auto error = value.type().get(type)) return JsonError(error);
    if (type == od::json_type::object) {
      od::object object;
      if (auto error = value.get_object().get(object)) return JsonError(error);
      for (auto field_result : object) {
        od::field field;
        if (auto error = std::move(field_result).get(field)) return JsonError(error);
        std::string_view key;
        if (auto error = field.unescaped_key().get(key)) return JsonError(error);
        auto it = node.children.find(key);
        if (it == node.children.end()) continue;
        od::value child = field.value();
        TRIB_RETURN_IF_ERROR(Visit(child, it->second));
      }
    } else if (type == od::json_type::array) {
      od::array array;
      if (auto error = value.get_array().get(array)) return JsonError(error);
      size_t index = 0;
      for (auto item_result : array) {
        od::value item;
        if (auto error = std::move(item_result).get(item)) return JsonError(error);
        auto it = node.children.find(std::to_string(index++));
        if (it == node.children.end()) continue;
        TRIB_RETURN_IF_ERROR(Visit(item, it->second));
      }
    }
    // A scalar where an object was expected: the deeper fields are missing (NULL).
    return Status::Ok();
  }

  Status Visit(od::value& value, const PointerNode& node) {
    if (node.column >= 0) {
      return Convert(value, spec->columns[node.column], cells[node.column]);
    }
    return Walk(value, node);
  }

  Status AppendRow() {
    for (size_t c = 0; c < cells.size(); ++c) {
      const Cell& cell = cells[c];
      duckdb_state state = DuckDBSuccess;
      switch (cell.kind) {
        case Cell::Kind::kNull:
          state = duckdb_append_null(appender);
          break;
        case Cell::Kind::kInt:
          state = duckdb_append_int64(appender, cell.i);
          break;
        case Cell::Kind::kDouble:
          state = duckdb_append_double(appender, cell.d);
          break;
        case Cell::Kind::kBool:
          state = duckdb_append_bool(appender, cell.b);
          break;
        case Cell::Kind::kText:
          state = duckdb_append_varchar_length(appender, cell.text.data(), cell.text.size());
          break;
        case Cell::Kind::kBlob:
          state = duckdb_append_blob(appender, cell.text.data(), cell.text.size());
          break;
        case Cell::Kind::kDate:
          state = duckdb_append_date(appender, duckdb_date{static_cast<int32_t>(cell.i)});
          break;
        case Cell::Kind::kTimestamp:
          state = duckdb_append_timestamp(appender, duckdb_timestamp{cell.i});
          break;
      }
      if (state == DuckDBError) {
        // DuckDB refused the value (a decimal out of its precision, text not a number).
        const char* error = duckdb_appender_error(appender);
        std::string got = "'" + cell.text.substr(0, 40) + "'";
        if (error != nullptr) got += " (" + std::string(error) + ")";
        return ValueError(spec->columns[c], got);
      }
    }
    if (duckdb_appender_end_row(appender) == DuckDBError) {
      const char* error = duckdb_appender_error(appender);
      return Internal("table " + spec->name + ": cannot store record " + std::to_string(rows) +
                      ": " + (error ? error : "unknown DuckDB error"));
    }
    ++rows;
    return Status::Ok();
  }
};

TableLoader::TableLoader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TableLoader::~TableLoader() = default;

Result<std::unique_ptr<TableLoader>> TableLoader::Create(const TableSpec& spec,
                                                         duckdb_connection connection,
                                                         const std::string& schema,
                                                         const std::string& table) {
  auto impl = std::make_unique<Impl>();
  impl->spec = &spec;
  if (duckdb_appender_create(connection, schema.c_str(), table.c_str(), &impl->appender) ==
      DuckDBError) {
    const char* error = impl->appender ? duckdb_appender_error(impl->appender) : nullptr;
    return Internal("table " + spec.name +
                    ": cannot start loading: " + (error ? error : "unknown DuckDB error"));
  }
  for (size_t c = 0; c < spec.columns.size(); ++c) {
    PointerNode* node = &impl->root;
    for (const auto& token : spec.columns[c].pointer) node = &node->children[token];
    node->column = static_cast<int>(c);
  }
  impl->cells.resize(spec.columns.size());
  return std::unique_ptr<TableLoader>(new TableLoader(std::move(impl)));
}

Result<PageInfo> TableLoader::AddPage(std::string_view body, int64_t page,
                                      const std::string& shown_path) {
  Impl& s = *impl_;
  s.page = page;
  s.record_in_page = 0;
  s.shown_path = &shown_path;
  const TableSpec& spec = *s.spec;
  simdjson::padded_string json(body);
  od::document doc;
  if (auto error = s.parser.iterate(json).get(doc)) return s.JsonError(error);

  od::array records;
  simdjson::error_code error = simdjson::SUCCESS;
  if (spec.records.empty()) {
    error = doc.get_array().get(records);
  } else {
    od::value at;
    error = doc.at_pointer(spec.records_text).get(at);
    if (error == simdjson::NO_SUCH_FIELD || error == simdjson::INDEX_OUT_OF_BOUNDS) {
      return QueryError("table " + spec.name + ": page " + std::to_string(page) + " of " +
                        shown_path + " has nothing at the records pointer " + spec.records_text +
                        "; check tables." + spec.name + ".records against the API's response");
    }
    if (!error) {
      od::json_type type;
      error = at.type().get(type);
      if (!error && type == od::json_type::null) {
        return PageInfo{};  // "data": null, as some APIs say for an empty page
      }
      if (!error && type != od::json_type::array) {
        return QueryError("table " + spec.name + ": page " + std::to_string(page) + " of " +
                          shown_path + " holds no array at the records pointer " +
                          spec.records_text + "; point tables." + spec.name +
                          ".records at the list of records");
      }
      if (!error) error = at.get_array().get(records);
    }
  }
  if (error == simdjson::INCORRECT_TYPE) {
    return QueryError("table " + spec.name + ": page " + std::to_string(page) + " of " +
                      shown_path + " is not a JSON array; set tables." + spec.name +
                      ".records to the pointer of the record list, e.g. /data");
  }
  if (error) return s.JsonError(error);

  PageInfo info;
  for (auto item_result : records) {
    od::value record;
    if (auto e = std::move(item_result).get(record)) return s.JsonError(e);
    for (auto& cell : s.cells) cell.kind = Cell::Kind::kNull;
    TRIB_RETURN_IF_ERROR(s.Walk(record, s.root));
    TRIB_RETURN_IF_ERROR(s.AppendRow());
    ++s.record_in_page;
    ++info.records;
  }

  const PaginationSpec& pagination = spec.pagination;
  if (pagination.kind == PaginationSpec::Kind::kNextLink ||
      pagination.kind == PaginationSpec::Kind::kCursor) {
    od::value next;
    auto e = doc.at_pointer(pagination.pointer_text).get(next);
    if (e == simdjson::NO_SUCH_FIELD || e == simdjson::INDEX_OUT_OF_BOUNDS) return info;
    if (e) return s.JsonError(e);
    od::json_type type;
    if (auto t = next.type().get(type)) return s.JsonError(t);
    std::string_view text;
    if (type == od::json_type::string) {
      if (auto t = next.get_string().get(text)) return s.JsonError(t);
      info.next.assign(text);
    } else if (type == od::json_type::number) {
      info.next.assign(Trim(next.raw_json_token()));
    } else if (type != od::json_type::null) {
      return QueryError("table " + spec.name + ": page " + std::to_string(page) + " of " +
                        shown_path + " has " + Impl::Describe(next) + " at " +
                        pagination.pointer_text + " where the next " +
                        (pagination.kind == PaginationSpec::Kind::kCursor ? "cursor" : "link") +
                        " should be a string; check tables." + spec.name + ".pagination.pointer");
    }
  }
  return info;
}

Status TableLoader::Finish() {
  if (duckdb_appender_flush(impl_->appender) == DuckDBError) {
    const char* error = duckdb_appender_error(impl_->appender);
    return Internal("table " + impl_->spec->name +
                    ": cannot store the records: " + (error ? error : "unknown DuckDB error"));
  }
  return Status::Ok();
}

int64_t TableLoader::rows() const {
  return impl_->rows;
}

std::string ColumnDefinitions(const TableSpec& spec) {
  std::string out = "(";
  for (size_t c = 0; c < spec.columns.size(); ++c) {
    if (c) out += ", ";
    out += duckdb_internal::SqlIdentifier(spec.columns[c].name) + " " + spec.columns[c].duckdb_type;
  }
  return out + ")";
}

std::string NextFromLinkHeader(std::string_view header) {
  // <url>; rel="next", <url2>; rel="last"
  size_t pos = 0;
  while (pos < header.size()) {
    const size_t open = header.find('<', pos);
    if (open == std::string_view::npos) break;
    const size_t close = header.find('>', open);
    if (close == std::string_view::npos) break;
    const std::string_view url = header.substr(open + 1, close - open - 1);
    size_t end = header.find('<', close);
    if (end == std::string_view::npos) end = header.size();
    std::string params(header.substr(close + 1, end - close - 1));
    for (char& c : params) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
    if (params.find("rel=\"next\"") != std::string::npos ||
        params.find("rel=next") != std::string::npos) {
      return std::string(url);
    }
    pos = close + 1;
  }
  return {};
}

}  // namespace tributary::json_api
