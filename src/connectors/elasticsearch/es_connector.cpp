#include "connectors/elasticsearch/es_connector.h"

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "connectors/common/http_client.h"
#include "connectors/common/sql_guard.h"
#include "connectors/elasticsearch/es_protocol.h"
#include "core/json_value.h"
#include "core/time_util.h"

namespace tributary {

namespace {

namespace json = boost::json;
namespace od = simdjson::ondemand;
using es::Flavor;
using es::JsonKind;
using es::RawCell;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr auto kCatalogTimeout = std::chrono::seconds(30);
constexpr auto kHealthTimeout = std::chrono::seconds(5);
// Closing a cursor or point in time, or cancelling a server task, gets this long.
constexpr auto kCleanupTimeout = std::chrono::seconds(3);
constexpr const char* kKeepAlive = "2m";

struct Settings {
  std::vector<std::string> nodes;  // scheme://host:port, no trailing slash
  std::string user;
  std::string password;
  std::string api_key;
  std::string default_index;
  Flavor flavor = Flavor::kUnknown;
  int64_t page_size = 1000;
  HttpClientOptions http;
};

std::string Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

// One JSON value of a response as a RawCell (numbers keep their raw text for decimals).
RawCell ReadCell(od::value value) {
  RawCell cell;
  const od::json_type type = value.type();
  switch (type) {
    case od::json_type::null:
      cell.kind = JsonKind::kNull;
      break;
    case od::json_type::boolean:
      cell.kind = JsonKind::kBool;
      cell.boolean = value.get_bool();
      break;
    case od::json_type::number: {
      cell.text = Trim(value.raw_json_token());
      const od::number_type number_type = value.get_number_type();
      switch (number_type) {
        case od::number_type::signed_integer:
          cell.kind = JsonKind::kInt;
          cell.integer = value.get_int64();
          break;
        case od::number_type::unsigned_integer:
          cell.kind = JsonKind::kUInt;
          cell.unsigned_integer = value.get_uint64();
          break;
        case od::number_type::floating_point_number:
          cell.kind = JsonKind::kDouble;
          cell.number = value.get_double();
          break;
        default:
          cell.kind = JsonKind::kBigInt;
          break;
      }
      break;
    }
    case od::json_type::string:
      cell.kind = JsonKind::kString;
      cell.text = std::string(value.get_string().value());
      break;
    case od::json_type::array:
      cell.kind = JsonKind::kArray;
      cell.text = Trim(od::array(value.get_array()).raw_json().value());
      break;
    case od::json_type::object:
      cell.kind = JsonKind::kObject;
      cell.text = Trim(od::object(value.get_object()).raw_json().value());
      break;
  }
  return cell;
}

//! Collects rows under the request's row and byte limits.
class RowSink {
 public:
  RowSink(int64_t max_rows, int64_t max_bytes) : max_rows_(max_rows), max_bytes_(max_bytes) {}

  //! False when the row was not taken because a limit is reached (the result is truncated).
  bool Accept(size_t row_bytes) {
    if (full_) return false;
    if (max_rows_ > 0 && rows_ >= max_rows_) {
      full_ = true;
      truncated_by_ = "rows";
      return false;
    }
    if (max_bytes_ > 0 && bytes_ >= static_cast<size_t>(max_bytes_)) {
      full_ = true;
      truncated_by_ = "bytes";
      return false;
    }
    ++rows_;
    bytes_ += row_bytes;
    return true;
  }
  bool full() const { return full_; }
  int64_t rows() const { return rows_; }
  //! Rows still wanted (for page sizes): the rest of the row limit plus one to see whether
  //! more exist; INT64_MAX without a row limit.
  int64_t wanted() const { return max_rows_ > 0 ? max_rows_ - rows_ + 1 : INT64_MAX; }
  const std::string& truncated_by() const { return truncated_by_; }

 private:
  int64_t max_rows_;
  int64_t max_bytes_;
  int64_t rows_ = 0;
  size_t bytes_ = 0;
  bool full_ = false;
  std::string truncated_by_;
};

//! A column of raw cells typed at the end: the declared type, or JSON when a cell does not fit.
struct RawColumn {
  std::string name;
  std::string source_type;
  ColumnType type = ColumnType::kNull;
  std::vector<RawCell> cells;
};

QueryResult BuildResult(std::vector<RawColumn>& columns) {
  std::vector<ColumnInfo> infos;
  for (auto& column : columns) {
    ColumnType type = column.type;
    for (const auto& cell : column.cells) {
      if (!es::ConvertCell(cell, type)) {
        type = ColumnType::kJson;
        break;
      }
    }
    column.type = type;
    infos.push_back(ColumnInfo{column.name, type, column.source_type});
  }
  QueryResult result(std::move(infos));
  for (size_t c = 0; c < columns.size(); ++c) {
    ColumnData& data = result.column(c);
    for (const auto& cell : columns[c].cells) {
      auto value = es::ConvertCell(cell, columns[c].type);
      data.Append(value ? *value : Value::Null());
    }
    columns[c].cells.clear();
  }
  return result;
}

size_t CellBytes(const RawCell& cell) {
  return 8 + cell.text.size();
}

// A typed ES SQL parameter ({"type":"long","value":1}).
Result<json::value> SqlParameter(const Value& v, size_t index) {
  json::object p;
  switch (v.type) {
    case ColumnType::kNull:
      p["type"] = "null";
      p["value"] = nullptr;
      return json::value(std::move(p));
    case ColumnType::kBool:
      if (v.is_null()) break;
      p["type"] = "boolean";
      p["value"] = v.as_bool();
      return json::value(std::move(p));
    case ColumnType::kInt64:
      if (v.is_null()) break;
      p["type"] = "long";
      p["value"] = v.as_int();
      return json::value(std::move(p));
    case ColumnType::kDouble:
      if (v.is_null()) break;
      if (!std::isfinite(v.as_double())) {
        return InvalidArgument("parameter " + std::to_string(index + 1) +
                               " is not a finite number; Elasticsearch SQL cannot bind it");
      }
      p["type"] = "double";
      p["value"] = v.as_double();
      return json::value(std::move(p));
    case ColumnType::kDecimal: {
      if (v.is_null()) break;
      boost::system::error_code ec;
      json::value number = ParseJson(v.as_string(), ec);
      if (ec || !number.is_number()) {
        return InvalidArgument("parameter " + std::to_string(index + 1) + " is not a decimal");
      }
      p["type"] = "double";  // ES has no decimal type
      p["value"] = number;
      return json::value(std::move(p));
    }
    case ColumnType::kString:
      if (v.is_null()) break;
      p["type"] = "keyword";
      p["value"] = v.as_string();
      return json::value(std::move(p));
    case ColumnType::kDate:
      if (v.is_null()) break;
      p["type"] = "date";
      p["value"] = FormatDate(v.as_int());
      return json::value(std::move(p));
    case ColumnType::kTimestamp:
      if (v.is_null()) break;
      p["type"] = "datetime";
      p["value"] = FormatTimestamp(v.as_int());
      return json::value(std::move(p));
    case ColumnType::kJson:
    case ColumnType::kBytes:
      return InvalidArgument("parameter " + std::to_string(index + 1) + " is of type " +
                             std::string(ColumnTypeName(v.type)) +
                             ", which Elasticsearch SQL cannot bind; pass it as a string");
  }
  p["type"] = "null";
  p["value"] = nullptr;
  return json::value(std::move(p));
}

// The ES SQL read-only check: the shared guard (SQLite's lexing is closest to ES SQL: '' in
// strings, "" and `` identifiers, -- and /* */ comments), plus ES SQL's own catalog commands.
Status CheckEsSql(const std::string& sql) {
  auto tokens = TokenizeSql(sql, SqlDialect::kSqlite);
  if (tokens.ok() && !tokens->empty()) {
    const std::string& first = tokens->front().text;
    if (tokens->front().kind == SqlToken::Kind::kWord &&
        (first == "SHOW" || first == "DESCRIBE" || first == "DESC" || first == "SYS")) {
      for (size_t i = 0; i + 1 < tokens->size(); ++i) {
        if ((*tokens)[i].kind == SqlToken::Kind::kPunct && (*tokens)[i].text == ";") {
          return QueryError("only one statement is allowed");
        }
      }
      return Status::Ok();
    }
  }
  return CheckReadOnlySql(sql, SqlDialect::kSqlite);
}

// The "sort" of a search body as an array, with the paging tiebreaker appended.
json::array SortWithTiebreaker(const json::value* sort, const std::string& tiebreaker) {
  json::array out;
  if (sort) {
    if (sort->is_array()) {
      out = sort->as_array();
    } else {
      out.push_back(*sort);
    }
  }
  bool has = false;
  for (const auto& s : out) {
    if ((s.is_string() && s.as_string() == tiebreaker) ||
        (s.is_object() && s.as_object().contains(tiebreaker))) {
      has = true;
    }
  }
  if (!has) out.push_back(json::object{{tiebreaker, "asc"}});
  return out;
}

// `_source` include patterns ("user.*", "status") of a search body; empty = everything.
bool SourceIncludes(const std::vector<std::string>& patterns, const std::string& field) {
  if (patterns.empty()) return true;
  for (const auto& p : patterns) {
    if (p == field) return true;
    if (field.rfind(p + ".", 0) == 0) return true;  // an object includes its subfields
    // One '*' wildcard anywhere.
    const size_t star = p.find('*');
    if (star != std::string::npos) {
      const std::string prefix = p.substr(0, star), suffix = p.substr(star + 1);
      if (field.size() >= prefix.size() + suffix.size() && field.rfind(prefix, 0) == 0 &&
          field.compare(field.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return true;
      }
    }
  }
  return false;
}

// Walks one hit's _source, recording leaf values by dotted name. A name that is a mapped
// leaf field keeps its whole value (an object for `nested`/`flattened`, an array of values).
void FlattenSource(od::object object, const std::string& prefix,
                   const std::map<std::string, size_t>& columns,
                   std::map<std::string, RawCell>& out) {
  for (auto field : object) {
    const std::string name = prefix + std::string(field.unescaped_key().value());
    od::value value = field.value();
    const od::json_type type = value.type();
    if (columns.count(name) == 0 && type == od::json_type::object) {
      FlattenSource(value.get_object(), name + ".", columns, out);
      continue;
    }
    if (columns.count(name) == 0) continue;  // not mapped (dynamic: false) or not selected
    out[name] = ReadCell(value);
  }
}

class ElasticsearchConnector final : public Connector {
 public:
  explicit ElasticsearchConnector(const SourceContext& context) : context_(context) {}
  ~ElasticsearchConnector() override { Close(); }

  std::string_view type() const override { return "elasticsearch"; }

  Capabilities capabilities() const override {
    // OpenSearch SQL has no bound parameters; ES SQL has typed ones.
    const bool opensearch = flavor_.load() == Flavor::kOpenSearch;
    return Capabilities{.dialect = opensearch ? "opensearch" : "elasticsearch",
                        .schema_introspection = true,
                        .parameters = !opensearch,
                        .cancellation = true,
                        .cost_estimate = false,
                        .query_options = true};
  }

  Status Open() override {
    const Options& o = context_.options;
    Settings s;
    const std::string where = "source '" + context_.id + "'";
    std::string urls = o.GetString("url", "http://127.0.0.1:9200");
    size_t start = 0;
    while (start <= urls.size()) {
      size_t comma = urls.find(',', start);
      if (comma == std::string::npos) comma = urls.size();
      std::string url = Trim(std::string_view(urls).substr(start, comma - start));
      start = comma + 1;
      if (url.empty()) continue;
      if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
        return ConfigError(where + ": url '" + url + "' must start with http:// or https://");
      }
      if (url.find('@') != std::string::npos) {
        return ConfigError(where + ": put credentials in user/password or api_key, not in the url");
      }
      if (url.find_first_of("?#", 0) != std::string::npos) {
        return ConfigError(where + ": url must be scheme://host:port[/prefix], no query");
      }
      while (!url.empty() && url.back() == '/') url.pop_back();
      s.nodes.push_back(url);
    }
    if (s.nodes.empty()) return ConfigError(where + ": url names no node");
    s.user = o.GetString("user");
    s.password = o.GetString("password");
    s.api_key = o.GetString("api_key");
    if (!s.api_key.empty() && !s.user.empty()) {
      return ConfigError(where + ": give either user/password or api_key, not both");
    }
    if (!s.password.empty() && s.user.empty()) {
      return ConfigError(where + ": password is set but user is not");
    }
    s.default_index = o.GetString("index");
    if (!s.default_index.empty()) {
      Status valid = es::ValidateIndexExpression(s.default_index);
      if (!valid.ok()) return ConfigError(where + ": index: " + valid.message());
    }
    const std::string flavor = o.GetString("flavor");
    if (flavor == "elasticsearch") {
      s.flavor = Flavor::kElasticsearch;
    } else if (flavor == "opensearch") {
      s.flavor = Flavor::kOpenSearch;
    } else if (!flavor.empty()) {
      return ConfigError(where + ": flavor must be elasticsearch or opensearch, not '" + flavor +
                         "' (leave it out to detect it from GET /)");
    }
    s.page_size = o.GetInt("page_size", 1000);
    s.http = HttpClientOptionsFrom(o, context_.id, 8);
    settings_ = s;
    flavor_ = s.flavor;
    HttpClientOptions client = s.http;
    // With several nodes a refused connection moves on to the next node instead.
    client.retry.retry_transport_errors = s.nodes.size() == 1;
    client_ = std::make_unique<HttpClient>(client);
    return Status::Ok();
  }

  void Close() override {
    if (client_) client_->Close();
  }

  Result<HealthInfo> HealthCheck() override {
    if (!client_) return Unavailable("source '" + context_.id + "' is not open");
    const auto start = Clock::now();
    TRIB_ASSIGN_OR_RETURN(auto response,
                          Call("GET", "/", "", start + kHealthTimeout, CancelToken(), ""));
    const auto latency =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    if (response.status != 200) {
      Status error = MapError(response, "GET /");
      return Unavailable(error.message());
    }
    boost::system::error_code ec;
    json::value root = ParseJson(response.body, ec);
    if (ec || !root.is_object()) {
      return Unavailable("source '" + context_.id + "': GET / did not answer with JSON; is " +
                         settings_.nodes.front() + " an Elasticsearch or OpenSearch node?");
    }
    std::string cluster, number, distribution = "elasticsearch";
    if (auto* c = root.as_object().if_contains("cluster_name"); c && c->is_string()) {
      cluster = std::string(c->as_string());
    }
    if (auto* v = root.as_object().if_contains("version"); v && v->is_object()) {
      if (auto* n = v->as_object().if_contains("number"); n && n->is_string()) {
        number = std::string(n->as_string());
      }
      if (auto* d = v->as_object().if_contains("distribution"); d && d->is_string()) {
        distribution = std::string(d->as_string());
      }
    }
    if (settings_.flavor == Flavor::kUnknown) {
      flavor_ = distribution == "opensearch" ? Flavor::kOpenSearch : Flavor::kElasticsearch;
    }
    HealthInfo health;
    health.latency = std::max(latency, std::chrono::microseconds(1));
    health.detail = std::string(distribution == "opensearch" ? "OpenSearch " : "Elasticsearch ") +
                    number + ", cluster '" + cluster + "'";
    return health;
  }

  Result<std::vector<TableInfo>> ListTables() override {
    if (!client_) return Unavailable("source '" + context_.id + "' is not open");
    const auto deadline = Clock::now() + kCatalogTimeout;
    std::vector<TableInfo> tables;
    std::set<std::string> names;
    TRIB_ASSIGN_OR_RETURN(auto indices, CallJson("GET", "/_cat/indices?format=json&h=index,status",
                                                 "", deadline, CancelToken()));
    if (indices.is_array()) {
      for (const auto& row : indices.as_array()) {
        if (!row.is_object()) continue;
        const json::value* name = row.as_object().if_contains("index");
        if (!name || !name->is_string()) continue;
        std::string n(name->as_string());
        if (n.empty() || n.front() == '.') continue;  // hidden and system indices
        if (names.insert(n).second) tables.push_back(TableInfo{"", n, "table"});
      }
    }
    TRIB_ASSIGN_OR_RETURN(auto aliases, CallJson("GET", "/_cat/aliases?format=json&h=alias,index",
                                                 "", deadline, CancelToken()));
    if (aliases.is_array()) {
      for (const auto& row : aliases.as_array()) {
        if (!row.is_object()) continue;
        const json::value* name = row.as_object().if_contains("alias");
        if (!name || !name->is_string()) continue;
        std::string n(name->as_string());
        if (n.empty() || n.front() == '.') continue;
        if (names.insert(n).second) tables.push_back(TableInfo{"", n, "view"});
      }
    }
    // Data streams (ES 7.9+, OpenSearch 1.0+): their backing indices are hidden, the stream
    // name is what one queries. A cluster without them (or a user without the privilege to
    // list them) answers 4xx: then there are none to show.
    TRIB_ASSIGN_OR_RETURN(auto streams, Call("GET", "/_data_stream?expand_wildcards=open", "",
                                             deadline, CancelToken(), ""));
    if (streams.status == 200) {
      boost::system::error_code ec;
      json::value root = ParseJson(streams.body, ec);
      const json::value* list =
          !ec && root.is_object() ? root.as_object().if_contains("data_streams") : nullptr;
      if (list && list->is_array()) {
        for (const auto& stream : list->as_array()) {
          const json::value* name =
              stream.is_object() ? stream.as_object().if_contains("name") : nullptr;
          if (!name || !name->is_string()) continue;
          std::string n(name->as_string());
          if (n.empty() || n.front() == '.') continue;
          if (names.insert(n).second) tables.push_back(TableInfo{"", n, "table"});
        }
      }
    } else if (streams.status >= 500 || streams.status == 401) {
      return MapError(streams, "GET /_data_stream");
    }
    std::sort(tables.begin(), tables.end(),
              [](const TableInfo& a, const TableInfo& b) { return a.name < b.name; });
    return tables;
  }

  Result<TableSchema> DescribeTable(std::string_view table) override {
    if (!client_) return Unavailable("source '" + context_.id + "' is not open");
    const std::string index(table);
    TRIB_RETURN_IF_ERROR(es::ValidateIndexExpression(index));
    size_t index_count = 0;
    TRIB_ASSIGN_OR_RETURN(
        auto fields, Mapping(index, Clock::now() + kCatalogTimeout, CancelToken(), &index_count));
    if (index_count == 0) {
      return NotFound("source '" + context_.id + "': no index matches '" + index +
                      "' (list the indices with GET /api/v1/sources/{id}/tables)");
    }
    TableSchema schema;
    const bool pattern = index.find_first_of("*,") != std::string::npos;
    schema.table = TableInfo{"", index, pattern ? "view" : "table"};
    for (const auto& f : fields) {
      schema.columns.push_back(TableColumn{f.name, es::MapFieldType(f.type), f.type, true});
    }
    return schema;
  }

  Result<QueryResult> Execute(const QueryRequest& request) override {
    if (!client_) return Unavailable("source '" + context_.id + "' is not open");
    for (const auto& [key, value] : request.options) {
      if (key != "index") {
        return InvalidArgument("source '" + context_.id + "': unknown query option '" + key +
                               "'; the elasticsearch connector accepts: index");
      }
    }
    const auto start = Clock::now();
    Query query{request, start + request.timeout, NewRemoteRequestId("tributary-")};
    const std::string text = Trim(request.sql);
    Result<QueryResult> result =
        !text.empty() && text.front() == '{' ? RunDsl(query, text) : RunSql(query, text);
    if (result.ok()) {
      result->stats().elapsed_us =
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    }
    return result;
  }

 private:
  struct Query {
    const QueryRequest& request;
    Clock::time_point deadline;
    std::string opaque_id;
  };

  std::string Who() const {
    if (!settings_.api_key.empty()) return "the API key";
    if (!settings_.user.empty()) return "user '" + settings_.user + "'";
    return "anonymous access (no user or api_key configured)";
  }

  Status MapError(const HttpResponse& response, const std::string& endpoint) const {
    return es::MapErrorResponse(response.status, response.body,
                                "source '" + context_.id + "' (" + endpoint + ")", Who());
  }

  // One REST call, trying the nodes in turn (starting with the next one) while a node cannot be
  // reached. HTTP error statuses come back in the response.
  Result<HttpResponse> Call(const std::string& method, const std::string& path, std::string body,
                            Clock::time_point deadline, const CancelToken& cancel,
                            const std::string& opaque_id) {
    HttpRequest request;
    if (method == "GET") {
      request.post = false;
    } else if (method != "POST") {
      request.method = method;
    }
    request.body = std::move(body);
    request.headers.push_back("Accept: application/json");
    if (!request.body.empty()) request.headers.push_back("Content-Type: application/json");
    if (!opaque_id.empty()) request.headers.push_back("X-Opaque-Id: " + opaque_id);
    if (!settings_.api_key.empty()) {
      request.headers.push_back("Authorization: ApiKey " + settings_.api_key);
    } else if (!settings_.user.empty()) {
      request.basic_user = settings_.user;
      request.basic_password = settings_.password;
    }
    const size_t nodes = settings_.nodes.size();
    const size_t first = next_node_.fetch_add(1) % nodes;
    Result<HttpResponse> result = Internal("no node tried");
    for (size_t i = 0; i < nodes; ++i) {
      request.url = settings_.nodes[(first + i) % nodes] + path;
      result = client_->Perform(request, cancel, deadline);
      if (result.ok() || result.status().code() != ErrorCode::kUnavailable) break;
      if (Clock::now() >= deadline) break;
    }
    if (!result.ok() && result.status().code() == ErrorCode::kUnavailable) {
      return Unavailable("source '" + context_.id + "': " + result.status().message());
    }
    return result;
  }

  // A catalog call whose 2xx answer is small JSON.
  Result<json::value> CallJson(const std::string& method, const std::string& path, std::string body,
                               Clock::time_point deadline, const CancelToken& cancel) {
    TRIB_ASSIGN_OR_RETURN(auto response, Call(method, path, std::move(body), deadline, cancel, ""));
    if (response.status < 200 || response.status >= 300) {
      return MapError(response, method + " " + path.substr(0, path.find('?')));
    }
    boost::system::error_code ec;
    json::value root = ParseJson(response.body, ec);
    if (ec) {
      return Unavailable("source '" + context_.id + "': " + method + " " + path +
                         " did not answer with JSON");
    }
    return root;
  }

  // A query call: the transfer's failures become the query's timeout / cancel errors (and
  // cancel the server task), HTTP errors are mapped.
  Result<HttpResponse> QueryCall(Query& q, const std::string& method, const std::string& path,
                                 std::string body) {
    auto response = Call(method, path, std::move(body), q.deadline, q.request.cancel, q.opaque_id);
    if (!response.ok()) {
      const ErrorCode code = response.status().code();
      if (code == ErrorCode::kCancelled || q.request.cancel.cancelled()) {
        CancelServerTasks(q.opaque_id);
        return QueryCancelledError(q.request.cancel);
      }
      if (code == ErrorCode::kDeadlineExceeded ||
          (code == ErrorCode::kUnavailable && Clock::now() + milliseconds(50) >= q.deadline)) {
        CancelServerTasks(q.opaque_id);
        return QueryTimeoutError(q.request.timeout);
      }
      return response.status();
    }
    if (response->status < 200 || response->status >= 300) {
      // The server's own request_timeout ran out: still the query's timeout.
      if (Clock::now() + milliseconds(50) >= q.deadline && response->status >= 500) {
        return QueryTimeoutError(q.request.timeout);
      }
      return MapError(*response, method + " " + path.substr(0, path.find('?')));
    }
    return response;
  }

  std::string Remaining(const Query& q) const {
    auto left = std::chrono::duration_cast<milliseconds>(q.deadline - Clock::now()).count();
    return std::to_string(std::max<int64_t>(1, left)) + "ms";
  }

  Result<Flavor> EnsureFlavor(const Query& q) {
    Flavor f = flavor_.load();
    if (f != Flavor::kUnknown) return f;
    auto answer = CallJson("GET", "/", "", q.deadline, q.request.cancel);
    if (!answer.ok()) {
      if (answer.status().code() != ErrorCode::kPermissionDenied) return answer.status();
      // A key without the monitor privilege cannot read GET /: the flavour must be configured.
      return PermissionDenied(answer.status().message() +
                              "; set the source's flavor option (elasticsearch or opensearch) "
                              "so that it need not be detected");
    }
    const json::value& root = *answer;
    std::string distribution;
    if (root.is_object()) {
      if (auto* v = root.as_object().if_contains("version"); v && v->is_object()) {
        if (auto* d = v->as_object().if_contains("distribution"); d && d->is_string()) {
          distribution = std::string(d->as_string());
        }
      }
    }
    f = distribution == "opensearch" ? Flavor::kOpenSearch : Flavor::kElasticsearch;
    flavor_ = f;
    return f;
  }

  // Best effort: finds the server tasks started with our X-Opaque-Id and cancels them, on a
  // handle of its own (the pool may be exhausted by the very query being stopped).
  void CancelServerTasks(const std::string& opaque_id) {
    HttpHandle http;
    HttpRequest base;
    base.tls = settings_.http.tls;
    base.connect_timeout = settings_.http.connect_timeout;
    base.total_timeout = std::chrono::duration_cast<milliseconds>(kCleanupTimeout);
    base.headers.push_back("Accept: application/json");
    if (!settings_.api_key.empty()) {
      base.headers.push_back("Authorization: ApiKey " + settings_.api_key);
    } else if (!settings_.user.empty()) {
      base.basic_user = settings_.user;
      base.basic_password = settings_.password;
    }
    HttpRequest list = base;
    list.post = false;
    list.url =
        settings_.nodes.front() + "/_tasks?detailed=true&actions=" + UrlEncode("*search*,*sql*");
    auto listed = http.Perform(list, nullptr);
    if (!listed.ok() || listed->status != 200) return;
    boost::system::error_code ec;
    json::value root = ParseJson(listed->body, ec);
    if (ec || !root.is_object()) return;
    const json::value* nodes = root.as_object().if_contains("nodes");
    if (!nodes || !nodes->is_object()) return;
    for (const auto& [node, info] : nodes->as_object()) {
      if (!info.is_object()) continue;
      const json::value* tasks = info.as_object().if_contains("tasks");
      if (!tasks || !tasks->is_object()) continue;
      for (const auto& [task_id, task] : tasks->as_object()) {
        if (!task.is_object()) continue;
        const json::value* headers = task.as_object().if_contains("headers");
        if (!headers || !headers->is_object()) continue;
        const json::value* id = headers->as_object().if_contains("X-Opaque-Id");
        if (!id || !id->is_string() || id->as_string() != opaque_id) continue;
        HttpRequest cancel = base;
        cancel.url =
            settings_.nodes.front() + "/_tasks/" + UrlEncode(std::string(task_id)) + "/_cancel";
        (void)http.Perform(cancel, nullptr);
      }
    }
  }

  // Closes an SQL cursor or a point in time, best effort.
  void Cleanup(const std::string& method, const std::string& path, const std::string& body) {
    (void)Call(method, path, body, Clock::now() + kCleanupTimeout, CancelToken(), "");
  }

  // ---- SQL ----

  Result<QueryResult> RunSql(Query& q, const std::string& sql) {
    const QueryRequest& request = q.request;
    if (!request.skip_statement_guard) TRIB_RETURN_IF_ERROR(CheckEsSql(sql));
    TRIB_ASSIGN_OR_RETURN(Flavor flavor, EnsureFlavor(q));
    const bool opensearch = flavor == Flavor::kOpenSearch;
    if (!request.param_names.empty()) {
      return InvalidArgument("source '" + context_.id +
                             "': Elasticsearch SQL has positional `?` parameters, not named ones");
    }
    if (opensearch && !request.params.empty()) {
      return InvalidArgument("source '" + context_.id +
                             "': OpenSearch SQL has no bound parameters; write the values into "
                             "the query or use the query DSL");
    }
    const std::string endpoint = opensearch ? "/_plugins/_sql" : "/_sql";
    const std::string path = endpoint + (opensearch ? "?format=jdbc" : "?format=json");
    RowSink sink(request.max_rows, request.max_bytes);
    int64_t fetch = std::max<int64_t>(1, std::min<int64_t>(settings_.page_size, sink.wanted()));

    json::object body;
    body["query"] = sql;
    body["fetch_size"] = fetch;
    if (!opensearch) {
      json::array params;
      for (size_t i = 0; i < request.params.size(); ++i) {
        TRIB_ASSIGN_OR_RETURN(auto p, SqlParameter(request.params[i], i));
        params.push_back(std::move(p));
      }
      if (!params.empty()) body["params"] = std::move(params);
      body["time_zone"] = "Z";
      body["request_timeout"] = Remaining(q);
      body["page_timeout"] = kKeepAlive;
    }

    std::vector<RawColumn> columns;
    std::string cursor;
    std::string next_body = json::serialize(body);
    for (;;) {
      TRIB_ASSIGN_OR_RETURN(auto response, QueryCall(q, "POST", path, next_body));
      cursor.clear();
      Status parsed = ParseSqlPage(response.body, columns, sink, cursor);
      if (!parsed.ok()) {
        if (!cursor.empty()) Cleanup("POST", endpoint + "/close", CursorBody(cursor, opensearch));
        return parsed.WithContext("source '" + context_.id + "' (POST " + endpoint + ")");
      }
      if (cursor.empty()) break;
      if (sink.full()) {
        Cleanup("POST", endpoint + "/close", CursorBody(cursor, opensearch));
        break;
      }
      json::object page;
      page["cursor"] = cursor;
      if (!opensearch) page["request_timeout"] = Remaining(q);
      next_body = json::serialize(page);
    }
    QueryResult result = BuildResult(columns);
    if (sink.full()) {
      result.stats().truncated = true;
      result.stats().truncated_by = sink.truncated_by();
    }
    return result;
  }

  static std::string CursorBody(const std::string& cursor, bool) {
    return json::serialize(json::object{{"cursor", cursor}});
  }

  // One page of an SQL answer: columns/schema (first page), rows/datarows, cursor.
  Status ParseSqlPage(const std::string& body, std::vector<RawColumn>& columns, RowSink& sink,
                      std::string& cursor) {
    thread_local od::parser parser;
    try {
      simdjson::padded_string padded(body);
      od::document doc = parser.iterate(padded);
      for (auto field : doc.get_object()) {
        const std::string_view key = field.unescaped_key().value();
        if (key == "columns" || key == "schema") {
          columns.clear();
          for (auto column : field.value().get_array()) {
            RawColumn c;
            for (auto part : column.get_object()) {
              const std::string_view k = part.unescaped_key().value();
              if (k == "name") c.name = std::string(part.value().get_string().value());
              if (k == "alias") {
                od::value alias = part.value();
                const bool is_null = alias.is_null();
                if (!is_null) c.name = std::string(alias.get_string().value());
              }
              if (k == "type") c.source_type = std::string(part.value().get_string().value());
            }
            c.type = es::MapSqlType(c.source_type);
            columns.push_back(std::move(c));
          }
        } else if (key == "rows" || key == "datarows") {
          for (auto row : field.value().get_array()) {
            if (sink.full()) continue;  // skip the rest of the page (truncated)
            std::vector<RawCell> cells;
            cells.reserve(columns.size());
            size_t bytes = 0;
            for (auto cell : row.get_array()) {
              cells.push_back(ReadCell(cell.value()));
              bytes += CellBytes(cells.back());
            }
            if (cells.size() != columns.size()) {
              return Internal("a row has " + std::to_string(cells.size()) + " cells for " +
                              std::to_string(columns.size()) + " columns");
            }
            if (!sink.Accept(bytes)) continue;
            for (size_t c = 0; c < cells.size(); ++c) {
              columns[c].cells.push_back(std::move(cells[c]));
            }
          }
        } else if (key == "cursor") {
          od::value value = field.value();
          const bool is_null = value.is_null();
          if (!is_null) cursor = std::string(value.get_string().value());
        }
      }
    } catch (const simdjson::simdjson_error& e) {
      return Internal(std::string("the SQL answer is not the expected JSON: ") + e.what());
    }
    return Status::Ok();
  }

  // ---- Query DSL ----

  Result<std::vector<es::MappedField>> Mapping(const std::string& index, Clock::time_point deadline,
                                               const CancelToken& cancel, size_t* index_count) {
    const std::string path = "/" + UrlEncode(index) + "/_mapping";
    TRIB_ASSIGN_OR_RETURN(auto response, Call("GET", path, "", deadline, cancel, ""));
    if (response.status < 200 || response.status >= 300) {
      Status error = MapError(response, "GET /" + index + "/_mapping");
      if (error.code() == ErrorCode::kNotFound) {
        return NotFound("source '" + context_.id + "': index '" + index +
                        "' does not exist (list the indices with GET "
                        "/api/v1/sources/{id}/tables)");
      }
      return error;
    }
    return es::FlattenMapping(response.body, index_count);
  }

  Result<QueryResult> RunDsl(Query& q, const std::string& text) {
    const QueryRequest& request = q.request;
    if (!request.params.empty()) {
      return InvalidArgument("source '" + context_.id +
                             "': a query DSL body takes no parameters; put the values in the JSON");
    }
    boost::system::error_code ec;
    json::value parsed = ParseJson(text, ec);
    if (ec || !parsed.is_object()) {
      return QueryError("source '" + context_.id +
                        "': a query starting with '{' is read as a query DSL body, but it is not "
                        "a JSON object: " +
                        (ec ? ec.message() : std::string("not an object")));
    }
    json::object body = parsed.as_object();
    static const std::set<std::string> kAllowed = {"index",
                                                   "query",
                                                   "sort",
                                                   "_source",
                                                   "size",
                                                   "aggs",
                                                   "aggregations",
                                                   "post_filter",
                                                   "min_score",
                                                   "track_total_hits",
                                                   "runtime_mappings",
                                                   "collapse"};
    for (const auto& [key, unused] : body) {
      if (kAllowed.count(std::string(key)) == 0) {
        return QueryError("source '" + context_.id + "': the query DSL key '" + std::string(key) +
                          "' is not supported; use index, query, sort, _source, size, aggs, "
                          "post_filter, min_score, track_total_hits, runtime_mappings, collapse");
      }
    }
    std::string index;
    if (const json::value* i = body.if_contains("index")) {
      if (!i->is_string())
        return QueryError("source '" + context_.id + "': index must be a string");
      index = std::string(i->as_string());
      body.erase("index");
    } else if (auto it = request.options.find("index"); it != request.options.end()) {
      index = it->second;
    } else {
      index = settings_.default_index;
    }
    if (index.empty()) {
      return QueryError("source '" + context_.id +
                        "': no index: put \"index\" in the query body, pass the query option "
                        "index, or configure the source's index");
    }
    TRIB_RETURN_IF_ERROR(es::ValidateIndexExpression(index));
    TRIB_ASSIGN_OR_RETURN(Flavor flavor, EnsureFlavor(q));
    if (body.contains("aggs") || body.contains("aggregations")) {
      return RunAggregation(q, index, std::move(body));
    }
    int64_t user_size = -1;
    if (const json::value* s = body.if_contains("size")) {
      if (!s->is_int64() || s->as_int64() < 0) {
        return QueryError("source '" + context_.id + "': size must be a non-negative integer");
      }
      user_size = s->as_int64();
      body.erase("size");
    }
    std::vector<std::string> includes;
    bool no_source = false;
    if (const json::value* src = body.if_contains("_source")) {
      if (src->is_bool()) {
        no_source = !src->as_bool();
      } else if (src->is_string()) {
        includes.push_back(std::string(src->as_string()));
      } else if (src->is_array()) {
        for (const auto& p : src->as_array()) {
          if (p.is_string()) includes.push_back(std::string(p.as_string()));
        }
      }
    }
    // Columns: _id, _index, then the mapped fields (the mapping gives their types).
    TRIB_ASSIGN_OR_RETURN(auto fields, Mapping(index, q.deadline, request.cancel, nullptr));
    std::vector<RawColumn> columns(2);
    columns[0].name = "_id";
    columns[0].source_type = "_id";
    columns[0].type = ColumnType::kString;
    columns[1].name = "_index";
    columns[1].source_type = "_index";
    columns[1].type = ColumnType::kString;
    std::map<std::string, size_t> column_of;
    if (!no_source) {
      for (const auto& f : fields) {
        if (!SourceIncludes(includes, f.name)) continue;
        column_of[f.name] = columns.size();
        columns.push_back(RawColumn{f.name, f.type, es::MapFieldType(f.type), {}});
      }
    }

    const bool opensearch = flavor == Flavor::kOpenSearch;
    std::string pit;
    if (!opensearch) {
      TRIB_ASSIGN_OR_RETURN(
          auto opened,
          QueryCall(q, "POST", "/" + UrlEncode(index) + "/_pit?keep_alive=" + kKeepAlive, ""));
      boost::system::error_code pit_ec;
      json::value pit_json = ParseJson(opened.body, pit_ec);
      if (pit_ec || !pit_json.is_object() || !pit_json.as_object().contains("id") ||
          !pit_json.at("id").is_string()) {
        return Internal("source '" + context_.id + "': the point in time answer has no id");
      }
      pit = std::string(pit_json.at("id").as_string());
    }
    body["sort"] = SortWithTiebreaker(body.if_contains("sort"), opensearch ? "_id" : "_shard_doc");
    body["track_total_hits"] = false;
    if (no_source) body["_source"] = false;
    RowSink sink(request.max_rows, request.max_bytes);
    int64_t taken = 0;
    Status status = Status::Ok();
    std::optional<json::value> search_after;
    for (;;) {
      int64_t size = std::min<int64_t>(settings_.page_size, sink.wanted());
      if (user_size >= 0) size = std::min<int64_t>(size, user_size - taken);
      if (size <= 0) break;
      body["size"] = size;
      body["timeout"] = Remaining(q);
      if (search_after) body["search_after"] = *search_after;
      std::string path;
      if (!opensearch) {
        body["pit"] = json::object{{"id", pit}, {"keep_alive", kKeepAlive}};
        path = "/_search";
      } else {
        path = "/" + UrlEncode(index) + "/_search";
      }
      auto response = QueryCall(q, "POST", path, json::serialize(body));
      if (!response.ok()) {
        status = response.status();
        break;
      }
      int64_t hits = 0;
      std::string last_sort, next_pit;
      bool timed_out = false;
      status =
          ParseHits(response->body, column_of, columns, sink, hits, last_sort, next_pit, timed_out);
      if (!status.ok()) break;
      if (timed_out) {
        status = QueryTimeoutError(request.timeout);
        break;
      }
      if (!next_pit.empty()) pit = next_pit;
      taken += hits;
      if (hits < size || sink.full() || last_sort.empty()) break;
      search_after = ParseJson(last_sort, ec);
      if (ec) {
        status = Internal("source '" + context_.id + "': a hit's sort values are not JSON");
        break;
      }
    }
    if (!pit.empty()) Cleanup("DELETE", "/_pit", json::serialize(json::object{{"id", pit}}));
    if (!status.ok()) return status;
    QueryResult result = BuildResult(columns);
    if (sink.full()) {
      result.stats().truncated = true;
      result.stats().truncated_by = sink.truncated_by();
    }
    return result;
  }

  // One _search page: hits into the columns, the last hit's sort values, the new pit id.
  Status ParseHits(const std::string& body, const std::map<std::string, size_t>& column_of,
                   std::vector<RawColumn>& columns, RowSink& sink, int64_t& hits,
                   std::string& last_sort, std::string& pit, bool& timed_out) {
    thread_local od::parser parser;
    try {
      simdjson::padded_string padded(body);
      od::document doc = parser.iterate(padded);
      for (auto field : doc.get_object()) {
        const std::string_view key = field.unescaped_key().value();
        if (key == "timed_out") {
          timed_out = field.value().get_bool();
        } else if (key == "pit_id") {
          pit = std::string(field.value().get_string().value());
        } else if (key == "hits") {
          for (auto outer : field.value().get_object()) {
            if (outer.unescaped_key().value() != "hits") continue;
            for (auto hit : outer.value().get_array()) {
              ++hits;
              RawCell id, index_name;
              std::map<std::string, RawCell> values;
              for (auto part : hit.get_object()) {
                const std::string_view k = part.unescaped_key().value();
                if (k == "_id") {
                  id = ReadCell(part.value());
                } else if (k == "_index") {
                  index_name = ReadCell(part.value());
                } else if (k == "_source") {
                  FlattenSource(part.value().get_object(), "", column_of, values);
                } else if (k == "sort") {
                  od::array sort = part.value().get_array();
                  last_sort = Trim(sort.raw_json().value());
                }
              }
              if (sink.full()) continue;
              size_t bytes = CellBytes(id) + CellBytes(index_name);
              for (const auto& [name, cell] : values) bytes += CellBytes(cell);
              if (!sink.Accept(bytes)) continue;
              columns[0].cells.push_back(std::move(id));
              columns[1].cells.push_back(std::move(index_name));
              for (size_t c = 2; c < columns.size(); ++c) {
                auto it = values.find(columns[c].name);
                columns[c].cells.push_back(it == values.end() ? RawCell{} : std::move(it->second));
              }
            }
          }
        }
      }
    } catch (const simdjson::simdjson_error& e) {
      return Internal("source '" + context_.id +
                      "': the _search answer is not the expected JSON: " + e.what());
    }
    return Status::Ok();
  }

  // An aggregation search: one bucket aggregation becomes one row per bucket (key, doc_count and
  // each metric sub-aggregation's value); metric aggregations alone give one row.
  Result<QueryResult> RunAggregation(Query& q, const std::string& index, json::object body) {
    body["size"] = 0;
    body["timeout"] = Remaining(q);
    body["track_total_hits"] = false;
    TRIB_ASSIGN_OR_RETURN(auto response, QueryCall(q, "POST", "/" + UrlEncode(index) + "/_search",
                                                   json::serialize(body)));
    boost::system::error_code ec;
    json::value root = ParseJson(response.body, ec);
    if (ec || !root.is_object()) {
      return Internal("source '" + context_.id + "': the aggregation answer is not JSON");
    }
    if (auto* t = root.as_object().if_contains("timed_out"); t && t->is_bool() && t->as_bool()) {
      return QueryTimeoutError(q.request.timeout);
    }
    const json::value* aggs = root.as_object().if_contains("aggregations");
    if (!aggs || !aggs->is_object()) return QueryError("the answer has no aggregations");
    auto cell_of = [](const json::value& v) {
      RawCell cell;
      if (v.is_null()) return cell;
      if (v.is_bool()) {
        cell.kind = JsonKind::kBool;
        cell.boolean = v.as_bool();
      } else if (v.is_int64()) {
        cell.kind = JsonKind::kInt;
        cell.integer = v.as_int64();
        cell.text = std::to_string(cell.integer);
      } else if (v.is_uint64()) {
        cell.kind = JsonKind::kUInt;
        cell.unsigned_integer = v.as_uint64();
        cell.text = std::to_string(cell.unsigned_integer);
      } else if (v.is_double()) {
        cell.kind = JsonKind::kDouble;
        cell.number = v.as_double();
        cell.text = json::serialize(v);
      } else if (v.is_string()) {
        cell.kind = JsonKind::kString;
        cell.text = std::string(v.as_string());
      } else {
        cell.kind = v.is_array() ? JsonKind::kArray : JsonKind::kObject;
        cell.text = json::serialize(v);
      }
      return cell;
    };
    std::vector<RawColumn> columns;
    RowSink sink(q.request.max_rows, q.request.max_bytes);
    const json::object& all = aggs->as_object();
    const json::value* bucket_agg = nullptr;
    std::string bucket_name;
    for (const auto& [name, agg] : all) {
      if (agg.is_object() && agg.as_object().contains("buckets")) {
        if (bucket_agg) {
          return QueryError("source '" + context_.id +
                            "': only one bucket aggregation at the top level can become a table; "
                            "nest the others inside it");
        }
        bucket_agg = &agg;
        bucket_name = std::string(name);
      }
    }
    if (!bucket_agg) {
      for (const auto& [name, agg] : all) {
        RawColumn c{std::string(name), "metric", ColumnType::kDouble, {}};
        const json::value* v = agg.is_object() ? agg.as_object().if_contains("value") : nullptr;
        c.cells.push_back(v ? cell_of(*v) : RawCell{});
        columns.push_back(std::move(c));
      }
      (void)sink.Accept(0);
      return BuildResult(columns);
    }
    const json::value& buckets = bucket_agg->at("buckets");
    if (!buckets.is_array()) {
      return QueryError("source '" + context_.id + "': keyed buckets are not supported");
    }
    // Columns from the first bucket: key (key_as_string for dates), doc_count, metrics.
    columns.push_back(RawColumn{bucket_name, "key", ColumnType::kJson, {}});
    columns.push_back(RawColumn{"doc_count", "long", ColumnType::kInt64, {}});
    std::vector<std::string> metrics;
    bool date_keys = false;
    if (!buckets.as_array().empty() && buckets.as_array()[0].is_object()) {
      const json::object& first = buckets.as_array()[0].as_object();
      date_keys = first.contains("key_as_string") && first.at("key").is_int64();
      for (const auto& [name, sub] : first) {
        if (sub.is_object() && sub.as_object().contains("value")) {
          metrics.push_back(std::string(name));
          columns.push_back(RawColumn{std::string(name), "metric", ColumnType::kDouble, {}});
        }
      }
      const json::value& key = first.at("key");
      columns[0].type = date_keys         ? ColumnType::kTimestamp
                        : key.is_int64()  ? ColumnType::kInt64
                        : key.is_double() ? ColumnType::kDouble
                                          : ColumnType::kString;
    }
    for (const auto& bucket : buckets.as_array()) {
      if (!bucket.is_object()) continue;
      const json::object& b = bucket.as_object();
      std::vector<RawCell> row;
      // Date keys are epoch millis: ConvertCell reads them as a timestamp.
      RawCell key = b.contains("key") ? cell_of(b.at("key")) : RawCell{};
      row.push_back(key);
      row.push_back(b.contains("doc_count") ? cell_of(b.at("doc_count")) : RawCell{});
      for (const auto& m : metrics) {
        const json::value* sub = b.if_contains(m);
        const json::value* v =
            sub && sub->is_object() ? sub->as_object().if_contains("value") : nullptr;
        row.push_back(v ? cell_of(*v) : RawCell{});
      }
      size_t bytes = 0;
      for (const auto& c : row) bytes += CellBytes(c);
      if (!sink.Accept(bytes)) break;
      for (size_t c = 0; c < row.size(); ++c) columns[c].cells.push_back(std::move(row[c]));
    }
    QueryResult result = BuildResult(columns);
    if (sink.full()) {
      result.stats().truncated = true;
      result.stats().truncated_by = sink.truncated_by();
    }
    return result;
  }

  SourceContext context_;
  Settings settings_;
  std::atomic<Flavor> flavor_{Flavor::kUnknown};
  std::atomic<size_t> next_node_{0};
  std::unique_ptr<HttpClient> client_;
};

}  // namespace

ConnectorFactory ElasticsearchConnectorFactory() {
  ConnectorFactory f;
  f.type = "elasticsearch";
  f.description = "Elasticsearch or OpenSearch over REST: SQL (_sql) and query DSL (_search)";
  f.schema = {
      {.name = "url",
       .type = OptionType::kString,
       .description = "http[s]://host:9200, or several nodes separated by commas "
                      "(default http://127.0.0.1:9200)"},
      {.name = "user", .type = OptionType::kString, .description = "user for HTTP basic auth"},
      {.name = "password",
       .type = OptionType::kString,
       .secret = true,
       .description = "password, e.g. ${ES_PASSWORD}"},
      {.name = "api_key",
       .type = OptionType::kString,
       .secret = true,
       .description = "API key (the base64 \"encoded\" value), sent as Authorization: ApiKey"},
      {.name = "index",
       .type = OptionType::kString,
       .description = "default index, alias or pattern (logs-*) for query DSL bodies"},
      {.name = "flavor",
       .type = OptionType::kString,
       .description = "elasticsearch or opensearch (default: detected from GET /)"},
      {.name = "page_size",
       .type = OptionType::kInt,
       .description = "rows per SQL page / search page (default 1000)",
       .min = 1,
       .max = 10'000},
  };
  AppendHttpConnectionOptionSpecs(f.schema, 8);
  f.create = [](const SourceContext& context) -> std::unique_ptr<Connector> {
    return std::make_unique<ElasticsearchConnector>(context);
  };
  return f;
}

}  // namespace tributary
