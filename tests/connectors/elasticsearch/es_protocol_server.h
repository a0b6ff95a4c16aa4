// EsProtocolServer: a protocol-level Elasticsearch / OpenSearch test server on LocalHttpServer.
// Elasticsearch cannot run here, so this implements the documented REST endpoints the connector
// calls and COMPUTES the answers: indices (mapping + documents) live in an in-memory DuckDB;
// `_sql` runs the SQL on DuckDB (index names and `"logs-*"` patterns become views / unions),
// `_search` translates a DSL subset (match_all, term, terms, range, match, exists, ids, bool
// must/filter/should/must_not, sort, size, _source filtering, search_after, point in time with
// `_shard_doc`; terms aggregations with avg/sum/min/max/value_count sub-aggregations) into
// DuckDB SQL. Also: GET /, `_mapping`, `_cat/indices`, `_cat/aliases`, `_sql/close`, `_pit`,
// `_tasks` (list by X-Opaque-Id, `_cancel`), basic auth and API keys, per-user index
// permissions, ES-shaped error bodies (parsing_exception, verification_exception,
// index_not_found_exception, security_exception, es_rejected_execution_exception with
// Retry-After on demand), slow indices (a query touching one waits, interruptibly, so timeouts
// and cancels can be tested), and an OpenSearch flavour (`/_plugins/_sql` jdbc answers,
// distribution "opensearch").
// Header-only (inline) so that both the protocol tests and the conformance target include it.
// Thread-safety: requests are served concurrently (each on its own DuckDB connection); the
// setup methods (CreateIndex, AddDocument, ...) may be called from any thread.
#pragma once

#include <duckdb.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "common/status.h"
#include "core/encoding.h"
#include "core/time_util.h"
#include "support/local_http_server.h"

namespace tributary::testing::es {

namespace json = boost::json;

//! Who may call the server: no users and no keys means no authentication at all.
struct EsServerOptions {
  //! "elasticsearch" or "opensearch".
  std::string flavor = "elasticsearch";
  std::map<std::string, std::string> users;  //!< user -> password
  std::set<std::string> api_keys;            //!< accepted `ApiKey <key>` values
  //! user -> indices that user may not read (403 security_exception).
  std::map<std::string, std::set<std::string>> denied;
  //! Users without the cluster monitor privilege (GET / answers 403).
  std::set<std::string> no_monitor;
};

class EsProtocolServer {
 public:
  explicit EsProtocolServer(EsServerOptions options = {}) : options_(std::move(options)) {
    if (duckdb_open(nullptr, &db_) != DuckDBSuccess ||
        duckdb_connect(db_, &admin_) != DuckDBSuccess) {
      ADD_FAILURE() << "cannot open the in-memory DuckDB of the ES test server";
    }
    http_ = std::make_unique<LocalHttpServer>(
        [this](const LocalHttpRequest& request) { return Handle(request); });
  }
  ~EsProtocolServer() {
    http_->Stop();
    http_.reset();
    duckdb_disconnect(&admin_);
    duckdb_close(&db_);
  }

  std::string url() const { return http_->url(); }
  LocalHttpServer& http() { return *http_; }

  //! Creates an index from its mapping's "properties" object (JSON text).
  Status CreateIndex(const std::string& name, const std::string& properties_json) {
    boost::system::error_code ec;
    json::value props = json::parse(properties_json, ec);
    if (ec || !props.is_object()) return InvalidArgument("properties are not a JSON object");
    std::lock_guard lock(mu_);
    Index index;
    index.name = name;
    index.properties = props.as_object();
    Flatten(index.properties, "", index.fields);
    std::string columns = "_id VARCHAR, _seq BIGINT, _source VARCHAR";
    std::string view;
    for (const auto& f : index.fields) {
      columns += ", " + Quote(f.name) + " " + DuckType(f.type);
      if (f.type != "object" && f.type != "nested" && f.type != "flattened") {
        view += (view.empty() ? "" : ", ") + Quote(f.name);
      }
    }
    TRIB_RETURN_IF_ERROR(Exec("CREATE TABLE " + Quote(name + "$docs") + " (" + columns + ")"));
    if (view.empty()) view = "NULL AS _none";
    TRIB_RETURN_IF_ERROR(Exec("CREATE VIEW " + Quote(name) + " AS SELECT " + view + " FROM " +
                              Quote(name + "$docs") + " ORDER BY _seq"));
    indices_[name] = std::move(index);
    return Status::Ok();
  }

  //! Indexes one document (its _source as JSON text).
  Status AddDocument(const std::string& index_name, const std::string& id,
                     const std::string& source_json) {
    return AddDocuments(index_name, {{id, source_json}});
  }

  //! Indexes many documents (through DuckDB's appender: a 100 000-document index takes well
  //! under a second).
  Status AddDocuments(const std::string& index_name,
                      const std::vector<std::pair<std::string, std::string>>& docs) {
    std::lock_guard lock(mu_);
    auto it = indices_.find(index_name);
    if (it == indices_.end()) return NotFound("no index " + index_name);
    const Index& index = it->second;
    duckdb_appender appender = nullptr;
    const std::string table = index_name + "$docs";
    if (duckdb_appender_create(admin_, nullptr, table.c_str(), &appender) != DuckDBSuccess) {
      Status s = Internal("cannot append to " + table + ": " +
                          std::string(duckdb_appender_error(appender)));
      duckdb_appender_destroy(&appender);
      return s;
    }
    Status status = Status::Ok();
    for (const auto& [id, source] : docs) {
      boost::system::error_code ec;
      json::value doc = json::parse(source, ec);
      if (ec || !doc.is_object()) {
        status = InvalidArgument("document " + id + " is not a JSON object");
        break;
      }
      duckdb_append_varchar_length(appender, id.data(), id.size());
      duckdb_append_int64(appender, ++next_seq_);
      duckdb_append_varchar_length(appender, source.data(), source.size());
      for (const auto& field : index.fields) {
        AppendField(appender, field.type, Lookup(doc.as_object(), field.name));
      }
      if (duckdb_appender_end_row(appender) != DuckDBSuccess) {
        status = Internal("document " + id + ": " + duckdb_appender_error(appender));
        break;
      }
    }
    if (duckdb_appender_destroy(&appender) != DuckDBSuccess && status.ok()) {
      status = Internal("appending to " + table + " failed");
    }
    return status;
  }

  void AddAlias(const std::string& alias, const std::string& index) {
    std::lock_guard lock(mu_);
    aliases_[alias].insert(index);
  }
  //! A data stream: queried by its name, backed by (hidden) indices created beforehand.
  void AddDataStream(const std::string& name, const std::string& backing_index) {
    std::lock_guard lock(mu_);
    data_streams_[name].insert(backing_index);
  }
  //! Queries touching `index` wait this long first (interrupted by a task cancel or timeout).
  void SetSlowIndex(const std::string& index, std::chrono::milliseconds delay) {
    std::lock_guard lock(mu_);
    slow_[index] = delay;
  }
  //! The next `count` query requests answer 429 es_rejected_execution_exception.
  void RejectNext(int count, std::string retry_after = "0") {
    std::lock_guard lock(mu_);
    reject_next_ = count;
    retry_after_ = std::move(retry_after);
  }
  size_t open_cursors() const {
    std::lock_guard lock(mu_);
    return cursors_.size();
  }
  size_t open_pits() const {
    std::lock_guard lock(mu_);
    return pits_.size();
  }
  int cancelled_tasks() const { return cancelled_tasks_.load(); }
  size_t running_tasks() const {
    std::lock_guard lock(mu_);
    return tasks_.size();
  }
  //! Requests whose path starts with `prefix`.
  std::vector<LocalHttpRequest> RequestsTo(const std::string& prefix) const {
    std::vector<LocalHttpRequest> out;
    for (auto& r : http_->requests()) {
      if (r.path.rfind(prefix, 0) == 0) out.push_back(r);
    }
    return out;
  }

 private:
  struct Field {
    std::string name;
    std::string type;
  };
  struct Index {
    std::string name;
    json::object properties;
    std::vector<Field> fields;
  };
  struct Cursor {
    json::array rows;
    size_t next = 0;
    size_t fetch = 1000;
  };
  struct Task {
    int64_t id = 0;
    std::string action;
    std::string opaque_id;
    std::atomic<bool> cancelled{false};
  };
  struct HttpError {
    HttpError(int s, std::string t, std::string r, std::string i = "")
        : status(s), type(std::move(t)), reason(std::move(r)), index(std::move(i)) {}
    int status;
    std::string type;
    std::string reason;
    std::string index;
  };

  // ---- helpers ----

  static std::string Quote(const std::string& name) {
    std::string out = "\"";
    for (char c : name) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  }

  static std::string DuckType(const std::string& type) {
    if (type == "long" || type == "integer" || type == "short" || type == "byte") {
      return type == "long"      ? "BIGINT"
             : type == "integer" ? "INTEGER"
             : type == "short"   ? "SMALLINT"
                                 : "TINYINT";
    }
    if (type == "double" || type == "scaled_float") return "DOUBLE";
    if (type == "float" || type == "half_float") return "FLOAT";
    if (type == "boolean") return "BOOLEAN";
    if (type == "date" || type == "date_nanos") return "TIMESTAMP";
    return "VARCHAR";  // keyword, text, ip, object/nested as JSON text
  }

  static void Flatten(const json::object& props, const std::string& prefix,
                      std::vector<Field>& out) {
    for (const auto& [key, def] : props) {
      if (!def.is_object()) continue;
      const std::string name = prefix + std::string(key);
      const json::object& d = def.as_object();
      std::string type = d.contains("type") ? std::string(d.at("type").as_string()) : "object";
      if (type == "object" && d.contains("properties")) {
        Flatten(d.at("properties").as_object(), name + ".", out);
      } else {
        out.push_back(Field{name, type});
      }
    }
  }

  static const json::value* Lookup(const json::object& doc, const std::string& dotted) {
    if (auto* v = doc.if_contains(dotted)) return v;
    const size_t dot = dotted.find('.');
    if (dot == std::string::npos) return nullptr;
    const json::value* head = doc.if_contains(dotted.substr(0, dot));
    if (!head || !head->is_object()) return nullptr;
    return Lookup(head->as_object(), dotted.substr(dot + 1));
  }

  //! A UTC instant as DuckDB TIMESTAMP text (no zone suffix).
  static std::string DuckTimestamp(int64_t micros) {
    std::string text = FormatTimestamp(micros);
    if (!text.empty() && text.back() == 'Z') text.pop_back();
    return text;
  }

  static std::optional<int64_t> TimestampOf(const json::value& v) {
    if (v.is_int64()) return v.as_int64() * 1000;  // epoch millis
    if (!v.is_string()) return std::nullopt;
    std::string_view text = v.as_string();
    if (auto micros = ParseTimestamp(text)) return micros;
    if (auto days = ParseDate(text)) return *days * 86'400'000'000LL;
    return std::nullopt;
  }

  // One field of a document into the appender, as the column's DuckDB type. A multi-valued
  // field is stored by its first value (its _source keeps them all).
  static void AppendField(duckdb_appender a, const std::string& type, const json::value* v) {
    if (v && v->is_array()) v = v->as_array().empty() ? nullptr : &v->as_array()[0];
    const std::string duck = DuckType(type);
    std::optional<int64_t> micros;
    if (v && duck == "TIMESTAMP") micros = TimestampOf(*v);
    if (!v || v->is_null()) {
      duckdb_append_null(a);
    } else if (type == "object" || type == "nested" || type == "flattened") {
      const std::string text = json::serialize(*v);
      duckdb_append_varchar_length(a, text.data(), text.size());
    } else if (duck == "BIGINT" || duck == "INTEGER" || duck == "SMALLINT" || duck == "TINYINT") {
      v->is_int64() ? duckdb_append_int64(a, v->as_int64()) : duckdb_append_null(a);
    } else if (duck == "DOUBLE" || duck == "FLOAT") {
      v->is_number() ? duckdb_append_double(a, v->to_number<double>()) : duckdb_append_null(a);
    } else if (duck == "BOOLEAN") {
      v->is_bool() ? duckdb_append_bool(a, v->as_bool()) : duckdb_append_null(a);
    } else if (duck == "TIMESTAMP") {
      micros ? duckdb_append_timestamp(a, duckdb_timestamp{*micros}) : duckdb_append_null(a);
    } else {
      const std::string text = v->is_string() ? std::string(v->as_string()) : json::serialize(*v);
      duckdb_append_varchar_length(a, text.data(), text.size());
    }
  }

  Status Exec(const std::string& sql) {
    duckdb_result result;
    if (duckdb_query(admin_, sql.c_str(), &result) != DuckDBSuccess) {
      Status s = Internal(std::string(duckdb_result_error(&result)) + " in " + sql);
      duckdb_destroy_result(&result);
      return s;
    }
    duckdb_destroy_result(&result);
    return Status::Ok();
  }

  static bool Matches(const std::string& pattern, const std::string& name) {
    // '*' wildcards only.
    size_t p = 0, n = 0, star = std::string::npos, mark = 0;
    while (n < name.size()) {
      if (p < pattern.size() && pattern[p] == name[n]) {
        ++p;
        ++n;
      } else if (p < pattern.size() && pattern[p] == '*') {
        star = p++;
        mark = n;
      } else if (star != std::string::npos) {
        p = star + 1;
        n = ++mark;
      } else {
        return false;
      }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
  }

  // Resolves an index expression (names, aliases, patterns, lists, -exclusions). A concrete
  // name that does not exist is an index_not_found_exception; a pattern may match nothing.
  std::variant<std::vector<std::string>, HttpError> Resolve(const std::string& expression) const {
    std::set<std::string> out;
    size_t start = 0;
    while (start <= expression.size()) {
      size_t comma = expression.find(',', start);
      if (comma == std::string::npos) comma = expression.size();
      std::string element = expression.substr(start, comma - start);
      start = comma + 1;
      if (element.empty()) continue;
      bool exclude = element.front() == '-';
      if (exclude) element = element.substr(1);
      std::set<std::string> matched;
      const bool wildcard = element.find('*') != std::string::npos;
      for (const auto& [name, index] : indices_) {
        if (Matches(element, name) && (name.front() != '.' || element.front() == '.')) {
          matched.insert(name);
        }
      }
      for (const auto* named : {&aliases_, &data_streams_}) {
        for (const auto& [alias, targets] : *named) {
          if (Matches(element, alias)) matched.insert(targets.begin(), targets.end());
        }
      }
      if (matched.empty() && !wildcard && !exclude) {
        return HttpError{404, "index_not_found_exception", "no such index [" + element + "]",
                         element};
      }
      for (const auto& m : matched) exclude ? (void)out.erase(m) : (void)out.insert(m);
    }
    return std::vector<std::string>(out.begin(), out.end());
  }

  static LocalHttpResponse Json(int status, const json::value& body) {
    LocalHttpResponse r;
    r.status = status;
    r.body = json::serialize(body);
    return r;
  }

  LocalHttpResponse Error(const HttpError& e) const {
    if (options_.flavor == "opensearch" && e.type.find("exception") == std::string::npos) {
      return Json(e.status, json::object{{"error", json::object{{"reason", "Invalid SQL query"},
                                                                {"details", e.reason},
                                                                {"type", e.type}}},
                                         {"status", e.status}});
    }
    json::object cause{{"type", e.type}, {"reason", e.reason}};
    if (!e.index.empty()) {
      cause["index"] = e.index;
      cause["resource.type"] = "index_or_alias";
      cause["resource.id"] = e.index;
      cause["index_uuid"] = "_na_";
    }
    json::object error = cause;
    error["root_cause"] = json::array{cause};
    return Json(e.status, json::object{{"error", error}, {"status", e.status}});
  }

  // ---- dispatch ----

  LocalHttpResponse Handle(const LocalHttpRequest& request) {
    std::string user;
    if (auto denied = Authenticate(request, user)) return *denied;
    const std::string& path = request.path;
    const std::string& method = request.method;
    const bool opensearch = options_.flavor == "opensearch";
    if (path == "/" && method == "GET") {
      if (options_.no_monitor.count(user)) {
        return Error({403, "security_exception",
                      "action [cluster:monitor/main] is unauthorized for user [" + user +
                          "] with effective roles [reader], this action is granted by the "
                          "cluster privileges [monitor,manage,all]"});
      }
      return Root();
    }
    if (path == "/_cat/indices") return CatIndices();
    if (path == "/_cat/aliases") return CatAliases();
    if (path == "/_data_stream" && method == "GET") return DataStreams();
    if (path == "/_tasks" && method == "GET") return ListTasks();
    if (path.rfind("/_tasks/", 0) == 0 && path.size() > 16 &&
        path.compare(path.size() - 8, 8, "/_cancel") == 0) {
      return CancelTask(path.substr(8, path.size() - 16));
    }
    if (path == "/_pit" && method == "DELETE") return ClosePit(request.body);
    const std::string sql_path = opensearch ? "/_plugins/_sql" : "/_sql";
    if (path == sql_path + "/close") return CloseCursor(request.body);
    if (auto rejected = MaybeReject()) return *rejected;
    if (path == sql_path && method == "POST") return Sql(request, user);
    if (path == "/_search") return Search(request, "", user);
    // /<index>/_mapping, /<index>/_search, /<index>/_pit
    const size_t slash = path.find('/', 1);
    if (slash != std::string::npos) {
      const std::string index = path.substr(1, slash - 1);
      const std::string api = path.substr(slash);
      if (api == "/_mapping" && method == "GET") return Mapping(index, user);
      if (api == "/_search") return Search(request, index, user);
      if (api == "/_pit" && method == "POST" && !opensearch) return OpenPit(index, user);
    }
    return Error({400, "illegal_argument_exception",
                  "request [" + method + " " + path + "] is not served by the test server"});
  }

  std::optional<LocalHttpResponse> Authenticate(const LocalHttpRequest& request,
                                                std::string& user) const {
    if (options_.users.empty() && options_.api_keys.empty()) return std::nullopt;
    const std::string auth = request.Header("authorization");
    std::string who;
    if (auth.rfind("ApiKey ", 0) == 0) {
      if (options_.api_keys.count(auth.substr(7))) {
        user = "api_key";
        return std::nullopt;
      }
      who =
          "unable to authenticate with provided credentials and anonymous access is not "
          "allowed for this request";
    } else if (auth.rfind("Basic ", 0) == 0) {
      auto decoded = Base64Decode(auth.substr(6));
      std::string name, password;
      if (decoded) {
        const size_t colon = decoded->find(':');
        name = decoded->substr(0, colon);
        password = colon == std::string::npos ? "" : decoded->substr(colon + 1);
      }
      auto it = options_.users.find(name);
      if (it != options_.users.end() && it->second == password) {
        user = name;
        return std::nullopt;
      }
      who = "unable to authenticate user [" + name + "] for REST request [" + request.path + "]";
    } else {
      who = "missing authentication credentials for REST request [" + request.path + "]";
    }
    LocalHttpResponse r = Error({401, "security_exception", who});
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"security\" charset=\"UTF-8\"");
    r.headers.emplace_back("WWW-Authenticate", "ApiKey");
    return r;
  }

  std::optional<LocalHttpResponse> Forbidden(const std::string& user,
                                             const std::vector<std::string>& indices,
                                             const std::string& action) const {
    auto it = options_.denied.find(user);
    if (it == options_.denied.end()) return std::nullopt;
    for (const auto& index : indices) {
      if (it->second.count(index)) {
        return Error({403, "security_exception",
                      "action [" + action + "] is unauthorized for user [" + user +
                          "] with effective roles [reader] on indices [" + index +
                          "], this action is granted by the index privileges [read,all]"});
      }
    }
    return std::nullopt;
  }

  std::optional<LocalHttpResponse> MaybeReject() {
    std::lock_guard lock(mu_);
    if (reject_next_ <= 0) return std::nullopt;
    --reject_next_;
    LocalHttpResponse r =
        Error({429, "es_rejected_execution_exception",
               "rejected execution of coordinating operation [coordinating_and_primary_bytes=0, "
               "replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1, "
               "max_coordinating_and_primary_bytes=1]"});
    r.headers.emplace_back("Retry-After", retry_after_);
    return r;
  }

  LocalHttpResponse Root() const {
    json::object version{{"number", options_.flavor == "opensearch" ? "2.11.0" : "8.11.0"},
                         {"build_flavor", "default"},
                         {"lucene_version", "9.8.0"}};
    if (options_.flavor == "opensearch") version["distribution"] = "opensearch";
    return Json(200, json::object{{"name", "node-1"},
                                  {"cluster_name", "tributary-test"},
                                  {"cluster_uuid", "c1uSt3r"},
                                  {"version", version},
                                  {"tagline", "You Know, for Search"}});
  }

  LocalHttpResponse CatIndices() {
    std::lock_guard lock(mu_);
    json::array out;
    for (const auto& [name, index] : indices_) {
      out.push_back(json::object{{"health", "green"}, {"status", "open"}, {"index", name}});
    }
    return Json(200, out);
  }

  LocalHttpResponse CatAliases() {
    std::lock_guard lock(mu_);
    json::array out;
    for (const auto& [alias, targets] : aliases_) {
      for (const auto& t : targets) {
        out.push_back(
            json::object{{"alias", alias}, {"index", t}, {"filter", "-"}, {"is_write_index", "-"}});
      }
    }
    return Json(200, out);
  }

  LocalHttpResponse DataStreams() {
    std::lock_guard lock(mu_);
    json::array streams;
    for (const auto& [name, backing] : data_streams_) {
      json::array indices;
      for (const auto& b : backing) indices.push_back(json::object{{"index_name", b}});
      streams.push_back(json::object{{"name", name},
                                     {"timestamp_field", json::object{{"name", "@timestamp"}}},
                                     {"indices", indices},
                                     {"status", "GREEN"},
                                     {"hidden", false}});
    }
    return Json(200, json::object{{"data_streams", streams}});
  }

  LocalHttpResponse Mapping(const std::string& expression, const std::string& user) {
    std::lock_guard lock(mu_);
    auto resolved = Resolve(expression);
    if (auto* e = std::get_if<HttpError>(&resolved)) return Error(*e);
    const auto& names = std::get<std::vector<std::string>>(resolved);
    if (auto denied = Forbidden(user, names, "indices:admin/mappings/get")) return *denied;
    json::object out;
    for (const auto& n : names) {
      out[n] = json::object{{"mappings", json::object{{"properties", indices_[n].properties}}}};
    }
    return Json(200, out);
  }

  // ---- tasks ----

  std::shared_ptr<Task> StartTask(const std::string& action, const LocalHttpRequest& request) {
    auto task = std::make_shared<Task>();
    task->action = action;
    task->opaque_id = request.Header("x-opaque-id");
    std::lock_guard lock(mu_);
    task->id = ++next_task_;
    tasks_[task->id] = task;
    return task;
  }
  void EndTask(const std::shared_ptr<Task>& task) {
    std::lock_guard lock(mu_);
    tasks_.erase(task->id);
  }

  LocalHttpResponse ListTasks() {
    std::lock_guard lock(mu_);
    json::object tasks;
    for (const auto& [id, task] : tasks_) {
      json::object headers;
      if (!task->opaque_id.empty()) headers["X-Opaque-Id"] = task->opaque_id;
      tasks["node-1:" + std::to_string(id)] =
          json::object{{"node", "node-1"},    {"id", id},
                       {"type", "transport"}, {"action", task->action},
                       {"cancellable", true}, {"headers", headers}};
    }
    return Json(200,
                json::object{{"nodes", json::object{{"node-1", json::object{{"name", "node-1"},
                                                                            {"tasks", tasks}}}}}});
  }

  LocalHttpResponse CancelTask(const std::string& task_id) {
    std::lock_guard lock(mu_);
    const std::string prefix = "node-1:";
    if (task_id.rfind(prefix, 0) == 0) {
      auto it = tasks_.find(std::atoll(task_id.c_str() + prefix.size()));
      if (it != tasks_.end()) {
        it->second->cancelled = true;
        ++cancelled_tasks_;
        return Json(200, json::object{{"nodes", json::object{}}});
      }
    }
    return Error({404, "resource_not_found_exception", "task [" + task_id + "] is missing"});
  }

  // Waits for a slow index (if any is involved): false with an error when cancelled or out of
  // time (the request's own timeout).
  std::optional<HttpError> SlowDown(const std::vector<std::string>& names, const Task& task,
                                    std::chrono::milliseconds server_timeout) {
    std::chrono::milliseconds delay{0};
    {
      std::lock_guard lock(mu_);
      for (const auto& n : names) {
        auto it = slow_.find(n);
        if (it != slow_.end()) delay = std::max(delay, it->second);
      }
    }
    const auto until = std::chrono::steady_clock::now() + delay;
    const auto timeout_at = std::chrono::steady_clock::now() + server_timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (task.cancelled) {
        return HttpError{400, "task_cancelled_exception", "task cancelled [by user request]"};
      }
      if (server_timeout.count() > 0 && std::chrono::steady_clock::now() >= timeout_at) {
        return HttpError{500, "elasticsearch_timeout_exception", "query timed out"};
      }
      if (!http_->WaitFor(std::chrono::milliseconds(10))) break;
    }
    return std::nullopt;
  }

  static std::chrono::milliseconds ParseTimeValue(const json::value* v) {
    if (!v || !v->is_string()) return std::chrono::milliseconds(0);
    std::string text(v->as_string());
    int64_t factor = 1;
    if (text.size() > 2 && text.compare(text.size() - 2, 2, "ms") == 0) {
      text.resize(text.size() - 2);
    } else if (!text.empty() && text.back() == 's') {
      text.pop_back();
      factor = 1000;
    } else if (!text.empty() && text.back() == 'm') {
      text.pop_back();
      factor = 60'000;
    }
    return std::chrono::milliseconds(std::atoll(text.c_str()) * factor);
  }

  // ---- SQL ----

  static std::string EsTypeOf(duckdb_type type) {
    switch (type) {
      case DUCKDB_TYPE_BIGINT:
      case DUCKDB_TYPE_HUGEINT:
      case DUCKDB_TYPE_UBIGINT:
      case DUCKDB_TYPE_UINTEGER:
        return "long";
      case DUCKDB_TYPE_INTEGER:
      case DUCKDB_TYPE_USMALLINT:
        return "integer";
      case DUCKDB_TYPE_SMALLINT:
      case DUCKDB_TYPE_UTINYINT:
        return "short";
      case DUCKDB_TYPE_TINYINT:
        return "byte";
      case DUCKDB_TYPE_DOUBLE:
      case DUCKDB_TYPE_DECIMAL:
        return "double";
      case DUCKDB_TYPE_FLOAT:
        return "float";
      case DUCKDB_TYPE_BOOLEAN:
        return "boolean";
      case DUCKDB_TYPE_TIMESTAMP:
      case DUCKDB_TYPE_TIMESTAMP_TZ:
        return "datetime";
      case DUCKDB_TYPE_DATE:
        return "date";
      case DUCKDB_TYPE_SQLNULL:
        return "null";
      default:
        return "keyword";
    }
  }

  std::string RenderTimestamp(int64_t micros) const {
    std::string text = FormatTimestamp(micros);  // ...SS[.ffffff]Z
    if (options_.flavor == "opensearch") {
      text[10] = ' ';
      text.pop_back();
      return text;
    }
    // ES SQL: milliseconds always, more digits only when they are not zero.
    if (text.find('.') == std::string::npos) {
      text.insert(text.size() - 1, ".000");
    } else {
      while (text.size() - text.find('.') - 2 > 3 && text[text.size() - 2] == '0') {
        text.erase(text.size() - 2, 1);
      }
    }
    return text;
  }

  json::value Cell(duckdb_result* r, idx_t col, idx_t row) const {
    if (duckdb_value_is_null(r, col, row)) return nullptr;
    switch (duckdb_column_type(r, col)) {
      case DUCKDB_TYPE_BOOLEAN:
        return duckdb_value_boolean(r, col, row);
      case DUCKDB_TYPE_TINYINT:
      case DUCKDB_TYPE_SMALLINT:
      case DUCKDB_TYPE_INTEGER:
      case DUCKDB_TYPE_BIGINT:
      case DUCKDB_TYPE_UTINYINT:
      case DUCKDB_TYPE_USMALLINT:
      case DUCKDB_TYPE_UINTEGER:
        return duckdb_value_int64(r, col, row);
      case DUCKDB_TYPE_HUGEINT:
      case DUCKDB_TYPE_UBIGINT: {
        char* text = duckdb_value_varchar(r, col, row);
        json::value v = json::parse(text);
        duckdb_free(text);
        return v;
      }
      case DUCKDB_TYPE_FLOAT:
      case DUCKDB_TYPE_DOUBLE:
      case DUCKDB_TYPE_DECIMAL: {
        const double d = duckdb_value_double(r, col, row);
        if (std::isnan(d)) return "NaN";
        if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
        return d;
      }
      case DUCKDB_TYPE_TIMESTAMP:
      case DUCKDB_TYPE_TIMESTAMP_TZ:
        return json::value(RenderTimestamp(duckdb_value_timestamp(r, col, row).micros));
      case DUCKDB_TYPE_DATE:
        return json::value(FormatDate(duckdb_value_date(r, col, row).days));
      default: {
        char* text = duckdb_value_varchar(r, col, row);
        json::value v = json::string(text ? text : "");
        duckdb_free(text);
        return v;
      }
    }
  }

  // DuckDB's messages turned into ES SQL's error types.
  static HttpError SqlError(const std::string& message) {
    auto quoted = [&](const std::string& marker) {
      size_t at = message.find(marker);
      if (at == std::string::npos) return std::string();
      at += marker.size();
      const size_t end = message.find('"', at);
      return message.substr(at, end == std::string::npos ? std::string::npos : end - at);
    };
    if (message.find("Table with name") != std::string::npos) {
      std::string name = message.substr(message.find("Table with name ") + 16);
      name = name.substr(0, name.find(' '));
      return {400, "verification_exception",
              "Found 1 problem\nline 1:1: Unknown index [" + name + "]"};
    }
    if (message.find("Referenced column") != std::string::npos) {
      return {400, "verification_exception",
              "Found 1 problem\nline 1:8: Unknown column [" + quoted("Referenced column \"") + "]"};
    }
    if (message.find("Parser Error") != std::string::npos) {
      return {400, "parsing_exception", "line 1:1: " + message};
    }
    return {400, "verification_exception", "Found 1 problem\nline 1:1: " + message};
  }

  // Replaces "pattern*" identifiers by the union of the matching indices' views; collects the
  // indices a statement touches (for slow indices and permissions).
  std::variant<std::string, HttpError> TranslateSql(const std::string& sql,
                                                    std::vector<std::string>& touched) {
    std::lock_guard lock(mu_);
    std::string out;
    for (size_t i = 0; i < sql.size();) {
      if (sql[i] == '\'') {  // copy string literals untouched
        size_t end = i + 1;
        while (end < sql.size() &&
               !(sql[end] == '\'' && (end + 1 >= sql.size() || sql[end + 1] != '\''))) {
          end += sql[end] == '\'' ? 2 : 1;
        }
        out += sql.substr(i, end + 1 - i);
        i = end + 1;
        continue;
      }
      if (sql[i] == '"') {
        const size_t end = sql.find('"', i + 1);
        if (end == std::string::npos)
          return HttpError{400, "parsing_exception",
                           "line 1:" + std::to_string(i + 1) + ": unterminated quoted identifier"};
        const std::string ident = sql.substr(i + 1, end - i - 1);
        if (ident.find_first_of("*,") != std::string::npos) {
          auto resolved = Resolve(ident);
          if (auto* e = std::get_if<HttpError>(&resolved)) return *e;
          const auto& names = std::get<std::vector<std::string>>(resolved);
          if (names.empty()) {
            return HttpError{400, "verification_exception",
                             "Found 1 problem\nline 1:1: Unknown index [" + ident + "]"};
          }
          std::string u = "(";
          for (size_t n = 0; n < names.size(); ++n) {
            u += (n ? " UNION ALL BY NAME SELECT * FROM " : "SELECT * FROM ") + Quote(names[n]);
            touched.push_back(names[n]);
          }
          out += u + ")";
        } else {
          if (indices_.count(ident)) touched.push_back(ident);
          out += sql.substr(i, end + 1 - i);
        }
        i = end + 1;
        continue;
      }
      if (std::isalpha(static_cast<unsigned char>(sql[i])) || sql[i] == '_') {
        size_t end = i;
        while (end < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[end])) ||
                                    sql[end] == '_' || sql[end] == '-'))
          ++end;
        const std::string word = sql.substr(i, end - i);
        if (indices_.count(word)) {
          touched.push_back(word);
          out += Quote(word);
        } else if (aliases_.count(word) || data_streams_.count(word)) {
          std::string u = "(";
          size_t n = 0;
          for (const auto& t : aliases_.count(word) ? aliases_.at(word) : data_streams_.at(word)) {
            u += (n++ ? " UNION ALL BY NAME SELECT * FROM " : "SELECT * FROM ") + Quote(t);
            touched.push_back(t);
          }
          out += u + ")";
        } else {
          // A hyphen belongs to a name only inside an index name.
          size_t plain = i;
          while (plain < end && sql[plain] != '-') ++plain;
          out += sql.substr(i, plain - i);
          i = plain;
          continue;
        }
        i = end;
        continue;
      }
      out += sql[i++];
    }
    return out;
  }

  static bool BindParam(duckdb_prepared_statement stmt, idx_t i, const json::value& p) {
    const json::value* value = &p;
    std::string type;
    if (p.is_object() && p.as_object().contains("value")) {
      value = &p.at("value");
      if (p.as_object().contains("type")) type = std::string(p.at("type").as_string());
    }
    if (value->is_null()) return duckdb_bind_null(stmt, i) == DuckDBSuccess;
    if (type == "datetime" || type == "date") {
      if (!value->is_string()) return false;
      if (type == "date") {
        auto days = ParseDate(value->as_string());
        return days &&
               duckdb_bind_date(stmt, i, duckdb_date{static_cast<int32_t>(*days)}) == DuckDBSuccess;
      }
      auto micros = ParseTimestamp(value->as_string());
      return micros && duckdb_bind_timestamp(stmt, i, duckdb_timestamp{*micros}) == DuckDBSuccess;
    }
    if (value->is_bool()) return duckdb_bind_boolean(stmt, i, value->as_bool()) == DuckDBSuccess;
    if (value->is_int64()) return duckdb_bind_int64(stmt, i, value->as_int64()) == DuckDBSuccess;
    if (value->is_double()) return duckdb_bind_double(stmt, i, value->as_double()) == DuckDBSuccess;
    if (value->is_string()) {
      const std::string text(value->as_string());
      return duckdb_bind_varchar_length(stmt, i, text.data(), text.size()) == DuckDBSuccess;
    }
    return false;
  }

  // Runs one SQL statement (or prepared statement) on its own connection, checking the task.
  std::variant<std::pair<json::array, json::array>, HttpError> RunSql(const std::string& sql,
                                                                      const json::array& params,
                                                                      const Task& task) {
    duckdb_connection con = nullptr;
    duckdb_connect(db_, &con);
    duckdb_prepared_statement stmt = nullptr;
    auto cleanup = [&] {
      duckdb_destroy_prepare(&stmt);
      duckdb_disconnect(&con);
    };
    if (duckdb_prepare(con, sql.c_str(), &stmt) != DuckDBSuccess) {
      HttpError e = SqlError(duckdb_prepare_error(stmt));
      cleanup();
      return e;
    }
    const idx_t wanted = duckdb_nparams(stmt);
    if (wanted != params.size()) {
      cleanup();
      return HttpError{400, "parsing_exception",
                       "line 1:1: Not enough actual parameters " + std::to_string(wanted) + " vs " +
                           std::to_string(params.size())};
    }
    for (idx_t i = 0; i < wanted; ++i) {
      if (!BindParam(stmt, i + 1, params[i])) {
        cleanup();
        return HttpError{400, "parsing_exception",
                         "line 1:1: invalid parameter " + std::to_string(i + 1)};
      }
    }
    // Executed task by task, so that a cancelled server task stops the work in DuckDB.
    duckdb_pending_result pending = nullptr;
    if (duckdb_pending_prepared(stmt, &pending) != DuckDBSuccess) {
      HttpError e = SqlError(duckdb_pending_error(pending));
      duckdb_destroy_pending(&pending);
      cleanup();
      return e;
    }
    for (;;) {
      if (task.cancelled) {
        duckdb_destroy_pending(&pending);
        cleanup();
        return HttpError{400, "task_cancelled_exception", "task cancelled [by user request]"};
      }
      const duckdb_pending_state state = duckdb_pending_execute_task(pending);
      if (state == DUCKDB_PENDING_RESULT_READY) break;
      if (state == DUCKDB_PENDING_ERROR) {
        HttpError e = SqlError(duckdb_pending_error(pending));
        duckdb_destroy_pending(&pending);
        cleanup();
        return e;
      }
    }
    duckdb_result result;
    if (duckdb_execute_pending(pending, &result) != DuckDBSuccess) {
      HttpError e = SqlError(duckdb_result_error(&result));
      duckdb_destroy_result(&result);
      duckdb_destroy_pending(&pending);
      cleanup();
      return e;
    }
    duckdb_destroy_pending(&pending);
    json::array columns, rows;
    const idx_t ncols = duckdb_column_count(&result);
    for (idx_t c = 0; c < ncols; ++c) {
      columns.push_back(json::object{{"name", duckdb_column_name(&result, c)},
                                     {"type", EsTypeOf(duckdb_column_type(&result, c))}});
    }
    const idx_t nrows = duckdb_row_count(&result);
    for (idx_t r = 0; r < nrows; ++r) {
      json::array row;
      for (idx_t c = 0; c < ncols; ++c) row.push_back(Cell(&result, c, r));
      rows.push_back(std::move(row));
    }
    duckdb_destroy_result(&result);
    cleanup();
    return std::make_pair(std::move(columns), std::move(rows));
  }

  json::object SqlPage(Cursor& cursor, json::object page, bool opensearch) {
    json::array rows;
    while (cursor.next < cursor.rows.size() && rows.size() < cursor.fetch) {
      rows.push_back(std::move(cursor.rows[cursor.next++]));
    }
    page[opensearch ? "datarows" : "rows"] = std::move(rows);
    if (opensearch) {
      page["status"] = 200;
      page["size"] = page.at("datarows").as_array().size();
    }
    return page;
  }

  LocalHttpResponse Sql(const LocalHttpRequest& request, const std::string& user) {
    const bool opensearch = options_.flavor == "opensearch";
    boost::system::error_code ec;
    json::value body = json::parse(request.body, ec);
    if (ec || !body.is_object())
      return Error({400, "x_content_parse_exception", "request body is not a JSON object"});
    const json::object& b = body.as_object();
    if (const json::value* c = b.if_contains("cursor")) {
      std::lock_guard lock(mu_);
      const std::string id(c->as_string());
      auto it = cursors_.find(id);
      if (it == cursors_.end())
        return Error({404, "search_context_missing_exception",
                      "No search context found for id [" + id + "]"});
      json::object page = SqlPage(it->second, json::object{}, opensearch);
      if (it->second.next < it->second.rows.size()) {
        page["cursor"] = id;
      } else {
        cursors_.erase(it);
      }
      return Json(200, page);
    }
    const std::string sql = b.contains("query") ? std::string(b.at("query").as_string()) : "";
    size_t first = sql.find_first_not_of(" \t\r\n(");
    std::string keyword = first == std::string::npos ? "" : sql.substr(first, 6);
    for (char& ch : keyword) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (keyword != "SELECT") {
      std::string word = first == std::string::npos
                             ? ""
                             : sql.substr(first, sql.find_first_of(" \t\r\n;", first) - first);
      return Error({400, "parsing_exception",
                    "line 1:" + std::to_string(first + 1) + ": mismatched input '" + word +
                        "' expecting {'(', 'ANALYZE', 'DEBUG', 'EXPLAIN', 'OPTIMIZED', 'PARSED', "
                        "'SHOW', 'SELECT', 'SYS'}"});
    }
    std::vector<std::string> touched;
    auto translated = TranslateSql(sql, touched);
    if (auto* e = std::get_if<HttpError>(&translated)) return Error(*e);
    if (auto denied = Forbidden(user, touched, "indices:data/read/sql")) return *denied;
    auto task = StartTask("indices:data/read/sql", request);
    auto slow = SlowDown(touched, *task, ParseTimeValue(b.if_contains("request_timeout")));
    if (slow) {
      EndTask(task);
      return Error(*slow);
    }
    json::array params;
    if (const json::value* p = b.if_contains(opensearch ? "parameters" : "params");
        p && p->is_array()) {
      params = p->as_array();
    }
    auto ran = RunSql(std::get<std::string>(translated), params, *task);
    EndTask(task);
    if (auto* e = std::get_if<HttpError>(&ran)) return Error(*e);
    auto& [columns, rows] = std::get<std::pair<json::array, json::array>>(ran);
    Cursor cursor;
    cursor.rows = std::move(rows);
    const json::value* fetch = b.if_contains("fetch_size");
    cursor.fetch = fetch && fetch->is_int64() && fetch->as_int64() > 0 ? fetch->as_int64() : 1000;
    json::object page;
    if (opensearch) {
      for (auto& c : columns) {
        auto& t = c.as_object()["type"];
        if (t.is_string() && t.as_string() == "datetime") t = "timestamp";
      }
      page["schema"] = columns;
      page["total"] = cursor.rows.size();
    } else {
      page["columns"] = columns;
    }
    page = SqlPage(cursor, std::move(page), opensearch);
    if (cursor.next < cursor.rows.size()) {
      std::lock_guard lock(mu_);
      const std::string id = "c" + std::to_string(++next_cursor_) + "=";
      page["cursor"] = id;
      cursors_[id] = std::move(cursor);
    }
    return Json(200, page);
  }

  LocalHttpResponse CloseCursor(const std::string& text) {
    boost::system::error_code ec;
    json::value body = json::parse(text, ec);
    bool closed = false;
    if (!ec && body.is_object() && body.as_object().contains("cursor")) {
      std::lock_guard lock(mu_);
      closed = cursors_.erase(std::string(body.at("cursor").as_string())) > 0;
    }
    return Json(200, json::object{{"succeeded", closed}});
  }

  // ---- point in time ----

  LocalHttpResponse OpenPit(const std::string& expression, const std::string& user) {
    std::lock_guard lock(mu_);
    auto resolved = Resolve(expression);
    if (auto* e = std::get_if<HttpError>(&resolved)) return Error(*e);
    const auto& names = std::get<std::vector<std::string>>(resolved);
    if (auto denied = Forbidden(user, names, "indices:data/read/open_point_in_time"))
      return *denied;
    const std::string id = Base64Encode("pit-" + std::to_string(++next_pit_));
    pits_[id] = names;
    return Json(200, json::object{{"id", id}});
  }

  LocalHttpResponse ClosePit(const std::string& text) {
    boost::system::error_code ec;
    json::value body = json::parse(text, ec);
    size_t freed = 0;
    if (!ec && body.is_object() && body.as_object().contains("id")) {
      std::lock_guard lock(mu_);
      freed = pits_.erase(std::string(body.at("id").as_string()));
    }
    return Json(200, json::object{{"succeeded", true}, {"num_freed", freed}});
  }

  // ---- search ----

  struct Translation {
    std::string where;
    std::vector<json::value> params;           // bound in order
    std::map<std::string, std::string> types;  // field -> ES type
  };

  std::optional<HttpError> Condition(const json::value& query, Translation& t, std::string& out) {
    if (!query.is_object() || query.as_object().size() != 1) {
      return HttpError{400, "parsing_exception",
                       "[_na] query malformed, must start with start_object"};
    }
    const auto& [kind_sv, spec] = *query.as_object().begin();
    const std::string kind(kind_sv);
    auto field_value = [&](const json::value& s,
                           const char* inner) -> std::pair<std::string, const json::value*> {
      if (!s.is_object() || s.as_object().empty()) return {"", nullptr};
      const auto& [f, v] = *s.as_object().begin();
      const json::value* value = &v;
      if (v.is_object() && v.as_object().contains(inner)) value = &v.at(inner);
      return {std::string(f), value};
    };
    auto column = [&](const std::string& f) -> std::string {
      if (f == "_id") return "_id";
      if (!t.types.count(f)) return "";
      return Quote(f);
    };
    auto param = [&](const std::string& field, const json::value& v) {
      const std::string type = field == "_id" ? "keyword" : t.types[field];
      if ((type == "date" || type == "date_nanos") && (v.is_string() || v.is_int64())) {
        auto micros = TimestampOf(v);
        t.params.push_back(micros ? json::value(DuckTimestamp(*micros)) : v);
        return std::string("CAST(? AS TIMESTAMP)");
      }
      t.params.push_back(v);
      return std::string("?");
    };
    if (kind == "match_all") {
      out = "TRUE";
    } else if (kind == "match_none") {
      out = "FALSE";
    } else if (kind == "term" || kind == "match" || kind == "match_phrase") {
      auto [field, value] = field_value(spec, kind == "term" ? "value" : "query");
      if (!value)
        return HttpError{400, "parsing_exception", "[" + kind + "] query malformed, no field"};
      const std::string col = column(field);
      if (col.empty()) {
        out = "FALSE";
      } else if (kind != "term" && t.types[field] == "text" && value->is_string()) {
        // Analysed text: any whitespace token (match) or the phrase, case-insensitively.
        std::vector<std::string> tokens;
        std::string text(value->as_string());
        if (kind == "match_phrase") {
          tokens.push_back(text);
        } else {
          size_t s = 0;
          while (s < text.size()) {
            size_t e = text.find(' ', s);
            if (e == std::string::npos) e = text.size();
            if (e > s) tokens.push_back(text.substr(s, e - s));
            s = e + 1;
          }
        }
        out = "(FALSE";
        for (const auto& tok : tokens) {
          t.params.push_back(json::value(tok));
          out += " OR lower(" + col + ") LIKE '%' || lower(?) || '%'";
        }
        out += ")";
      } else {
        out = col + " = " + param(field, *value);
      }
    } else if (kind == "terms") {
      auto [field, value] = field_value(spec, "");
      if (!value || !value->is_array())
        return HttpError{400, "parsing_exception",
                         "[terms] query does not support [" + field + "]"};
      const std::string col = column(field);
      if (col.empty() || value->as_array().empty()) {
        out = "FALSE";
      } else {
        out = col + " IN (";
        for (size_t i = 0; i < value->as_array().size(); ++i) {
          out += (i ? ", " : "") + param(field, value->as_array()[i]);
        }
        out += ")";
      }
    } else if (kind == "ids") {
      const json::value* values =
          spec.is_object() ? spec.as_object().if_contains("values") : nullptr;
      if (!values || !values->is_array())
        return HttpError{400, "parsing_exception", "[ids] query malformed"};
      out = "(FALSE";
      for (const auto& v : values->as_array()) out += " OR _id = " + param("_id", v);
      out += ")";
    } else if (kind == "range") {
      auto [field, value] = field_value(spec, "");
      if (!value || !value->is_object())
        return HttpError{400, "parsing_exception",
                         "[range] query malformed, no start_object after query name"};
      const std::string col = column(field);
      if (col.empty()) {
        out = "FALSE";
      } else {
        out = "TRUE";
        for (const auto& [op, v] : value->as_object()) {
          std::string sql_op = op == "gte"   ? ">="
                               : op == "gt"  ? ">"
                               : op == "lte" ? "<="
                               : op == "lt"  ? "<"
                                             : "";
          if (sql_op.empty()) {
            if (op == "format" || op == "time_zone" || op == "boost") continue;
            return HttpError{400, "parsing_exception",
                             "[range] query does not support [" + std::string(op) + "]"};
          }
          out += " AND " + col + " " + sql_op + " " + param(field, v);
        }
      }
    } else if (kind == "exists") {
      const json::value* f = spec.is_object() ? spec.as_object().if_contains("field") : nullptr;
      if (!f || !f->is_string())
        return HttpError{400, "parsing_exception", "[exists] must be provided with a [field]"};
      const std::string col = column(std::string(f->as_string()));
      out = col.empty() ? "FALSE" : col + " IS NOT NULL";
    } else if (kind == "bool") {
      if (!spec.is_object()) return HttpError{400, "parsing_exception", "[bool] malformed query"};
      std::string must = "TRUE", should, must_not;
      std::vector<json::value> must_params, should_params, must_not_params;
      bool has_must = false;
      for (const auto& [clause, body] : spec.as_object()) {
        std::vector<const json::value*> items;
        if (body.is_array()) {
          for (const auto& q : body.as_array()) items.push_back(&q);
        } else {
          items.push_back(&body);
        }
        if (clause == "minimum_should_match" || clause == "boost") continue;
        if (clause != "must" && clause != "filter" && clause != "should" && clause != "must_not") {
          return HttpError{400, "parsing_exception",
                           "[bool] query does not support [" + std::string(clause) + "]"};
        }
        for (const auto* q : items) {
          std::string c;
          // Each clause's parameters are kept apart: they are bound in the text's order.
          std::vector<json::value> outer;
          outer.swap(t.params);
          auto e = Condition(*q, t, c);
          outer.swap(t.params);
          if (e) return e;
          std::vector<json::value>& into = clause == "should"     ? should_params
                                           : clause == "must_not" ? must_not_params
                                                                  : must_params;
          into.insert(into.end(), outer.begin(), outer.end());
          if (clause == "must" || clause == "filter") {
            must += " AND (" + c + ")";
            has_must = true;
          } else if (clause == "should") {
            should += (should.empty() ? "(" : " OR (") + c + ")";
          } else {
            must_not += " AND NOT COALESCE((" + c + "), FALSE)";
          }
        }
      }
      out = "(" + must + must_not;
      t.params.insert(t.params.end(), must_params.begin(), must_params.end());
      t.params.insert(t.params.end(), must_not_params.begin(), must_not_params.end());
      // Next to must/filter clauses, should only scores: it does not filter.
      if (!should.empty() && !has_must) {
        out += " AND (" + should + ")";
        t.params.insert(t.params.end(), should_params.begin(), should_params.end());
      }
      out += ")";
    } else {
      return HttpError{400, "parsing_exception", "unknown query [" + kind + "]"};
    }
    return std::nullopt;
  }

  static json::value FilterSource(const json::value& source,
                                  const std::vector<std::string>& includes,
                                  const std::string& prefix = "") {
    if (includes.empty() || !source.is_object()) return source;
    json::object out;
    for (const auto& [k, v] : source.as_object()) {
      const std::string name = prefix + std::string(k);
      bool keep = false, descend = false;
      for (const auto& p : includes) {
        if (Matches(p, name) || name.rfind(p + ".", 0) == 0) keep = true;
        if (p.rfind(name + ".", 0) == 0 ||
            (p.find('*') != std::string::npos && p.rfind(name, 0) == 0))
          descend = true;
      }
      if (keep) {
        out[k] = v;
      } else if (descend && v.is_object()) {
        json::value sub = FilterSource(v, includes, name + ".");
        if (!sub.as_object().empty()) out[k] = sub;
      }
    }
    return out;
  }

  LocalHttpResponse Search(const LocalHttpRequest& request, const std::string& expression,
                           const std::string& user) {
    boost::system::error_code ec;
    json::value body =
        request.body.empty() ? json::value(json::object{}) : json::parse(request.body, ec);
    if (ec || !body.is_object())
      return Error({400, "x_content_parse_exception", "request body is not a JSON object"});
    json::object& b = body.as_object();
    std::vector<std::string> names;
    std::string pit_id;
    Translation t;
    {
      std::lock_guard lock(mu_);
      if (const json::value* pit = b.if_contains("pit")) {
        if (!expression.empty())
          return Error({400, "action_request_validation_exception",
                        "Validation Failed: 1: [indices] cannot be used with point in time;"});
        pit_id = std::string(pit->at("id").as_string());
        auto it = pits_.find(pit_id);
        if (it == pits_.end())
          return Error({404, "search_context_missing_exception",
                        "No search context found for id [" + pit_id + "]"});
        names = it->second;
      } else {
        auto resolved = Resolve(expression.empty() ? "*" : expression);
        if (auto* e = std::get_if<HttpError>(&resolved)) return Error(*e);
        names = std::get<std::vector<std::string>>(resolved);
      }
      if (auto denied = Forbidden(user, names, "indices:data/read/search")) return *denied;
      for (const auto& n : names) {
        for (const auto& f : indices_[n].fields) t.types.emplace(f.name, f.type);
      }
    }
    for (const auto& [key, v] : b) {
      static const std::set<std::string> kKnown = {
          "query",   "sort", "size",         "_source", "search_after", "pit", "track_total_hits",
          "timeout", "aggs", "aggregations", "from"};
      if (!kKnown.count(std::string(key))) {
        return Error({400, "parsing_exception",
                      "Unknown key for a START_OBJECT in [" + std::string(key) + "]."});
      }
    }
    std::string where = "TRUE";
    if (const json::value* q = b.if_contains("query")) {
      if (auto e = Condition(*q, t, where)) return Error(*e);
    }
    if (names.empty()) {
      return Json(200, json::object{{"took", 0},
                                    {"timed_out", false},
                                    {"hits", json::object{{"hits", json::array{}}}}});
    }
    std::string from = "(";
    for (size_t n = 0; n < names.size(); ++n) {
      from += (n ? " UNION ALL BY NAME " : "") + std::string("SELECT *, ") + "'" + names[n] +
              "' AS _index FROM " + Quote(names[n] + "$docs");
    }
    from += ") AS docs";
    auto task = StartTask("indices:data/read/search", request);
    auto slow = SlowDown(names, *task, ParseTimeValue(b.if_contains("timeout")));
    if (slow) {
      EndTask(task);
      if (slow->status == 500) {
        // A search timeout gives partial (here: no) results with timed_out: true.
        return Json(200, json::object{{"took", 1},
                                      {"timed_out", true},
                                      {"hits", json::object{{"hits", json::array{}}}}});
      }
      return Error(*slow);
    }
    LocalHttpResponse response = b.contains("aggs") || b.contains("aggregations")
                                     ? Aggregate(b, from, where, t, *task)
                                     : Hits(b, from, where, t, pit_id, *task);
    EndTask(task);
    return response;
  }

  LocalHttpResponse Hits(const json::object& b, const std::string& from, std::string where,
                         Translation& t, const std::string& pit_id, const Task& task) {
    // Sort keys: (SQL expression, descending, ES type for rendering sort values).
    struct Key {
      std::string expr;
      bool desc;
      std::string type;
      std::string name;
    };
    std::vector<Key> keys;
    if (const json::value* sort = b.if_contains("sort")) {
      json::array items = sort->is_array() ? sort->as_array() : json::array{*sort};
      for (const auto& item : items) {
        std::string field;
        bool desc = false;
        if (item.is_string()) {
          field = std::string(item.as_string());
        } else if (item.is_object() && item.as_object().size() == 1) {
          const auto& [f, o] = *item.as_object().begin();
          field = std::string(f);
          const json::value* order =
              o.is_string() ? &o : (o.is_object() ? o.as_object().if_contains("order") : nullptr);
          desc = order && order->is_string() && order->as_string() == "desc";
        }
        if (field == "_shard_doc" || field == "_doc") {
          keys.push_back({"_seq", desc, "long", field});
        } else if (field == "_id") {
          keys.push_back({"_id", desc, "keyword", field});
        } else if (field == "_score") {
          continue;
        } else if (t.types.count(field)) {
          const std::string type = t.types[field];
          if (type == "text") {
            return Error(
                {400, "illegal_argument_exception",
                 "Text fields are not optimised for operations that require per-document field "
                 "data like aggregations and sorting, so these operations are disabled by default. "
                 "Please use a keyword field instead. Alternatively, set fielddata=true on [" +
                     field + "] in order to load field data by uninverting the inverted index."});
          }
          keys.push_back({Quote(field), desc, type, field});
        } else {
          return Error({400, "query_shard_exception",
                        "No mapping found for [" + field + "] in order to sort on"});
        }
      }
    }
    if (const json::value* after = b.if_contains("search_after")) {
      if (!after->is_array() || after->as_array().size() != keys.size()) {
        return Error({400, "illegal_argument_exception",
                      "search_after has " +
                          std::to_string(after->is_array() ? after->as_array().size() : 0) +
                          " value(s) but sort has " + std::to_string(keys.size()) + "."});
      }
      // Lexicographic "after": (k1 > v1) OR (k1 = v1 AND k2 > v2) ...
      std::string cond = "(FALSE", equal = "TRUE";
      for (size_t i = 0; i < keys.size(); ++i) {
        json::value v = after->as_array()[i];
        std::string placeholder = "?";
        if (keys[i].type == "date" || keys[i].type == "date_nanos") {
          v = DuckTimestamp(v.to_number<int64_t>() * 1000);
          placeholder = "CAST(? AS TIMESTAMP)";
        }
        t.params.push_back(v);
        t.params.push_back(v);
        cond += " OR (" + equal + " AND " + keys[i].expr + (keys[i].desc ? " < " : " > ") +
                placeholder + ")";
        equal += " AND " + keys[i].expr + " = " + placeholder;
      }
      // Each placeholder appears once in `cond` and once in a later `equal`; bind in order.
      std::vector<json::value> ordered;
      std::vector<json::value> pairs =
          std::vector<json::value>(t.params.end() - 2 * keys.size(), t.params.end());
      t.params.resize(t.params.size() - 2 * keys.size());
      for (size_t i = 0; i < keys.size(); ++i) {
        for (size_t j = 0; j < i; ++j) ordered.push_back(pairs[2 * j]);
        ordered.push_back(pairs[2 * i]);
      }
      for (auto& v : ordered) t.params.push_back(v);
      where = "(" + where + ") AND " + cond + ")";
    }
    int64_t size = 10;
    if (const json::value* s = b.if_contains("size")) size = s->to_number<int64_t>();
    std::string sql = "SELECT _id, _index, _source";
    for (size_t i = 0; i < keys.size(); ++i) sql += ", " + keys[i].expr;
    sql += " FROM " + from + " WHERE " + where;
    if (!keys.empty()) {
      sql += " ORDER BY ";
      for (size_t i = 0; i < keys.size(); ++i)
        sql += (i ? ", " : "") + keys[i].expr + (keys[i].desc ? " DESC" : " ASC") + " NULLS LAST";
    } else {
      sql += " ORDER BY _seq";
    }
    sql += " LIMIT " + std::to_string(size);
    json::array params(t.params.begin(), t.params.end());
    auto ran = RunSql(sql, params, task);
    if (auto* e = std::get_if<HttpError>(&ran)) return Error(*e);
    auto& rows = std::get<std::pair<json::array, json::array>>(ran).second;
    std::vector<std::string> includes;
    bool no_source = false;
    if (const json::value* src = b.if_contains("_source")) {
      if (src->is_bool()) no_source = !src->as_bool();
      if (src->is_string()) includes.push_back(std::string(src->as_string()));
      if (src->is_array()) {
        for (const auto& p : src->as_array()) includes.push_back(std::string(p.as_string()));
      }
    }
    json::array hits;
    for (auto& row : rows) {
      auto& r = row.as_array();
      json::object hit{{"_index", r[1]}, {"_id", r[0]}, {"_score", nullptr}};
      if (!no_source) hit["_source"] = FilterSource(json::parse(r[2].as_string()), includes);
      json::array sort_values;
      for (size_t i = 0; i < keys.size(); ++i) {
        json::value v = r[3 + i];
        if ((keys[i].type == "date" || keys[i].type == "date_nanos") && v.is_string()) {
          auto micros = ParseTimestamp(v.as_string());
          v = micros ? json::value(*micros / 1000) : json::value(nullptr);
        }
        sort_values.push_back(v);
      }
      if (!keys.empty()) hit["sort"] = sort_values;
      hits.push_back(std::move(hit));
    }
    json::object out{{"took", 1},
                     {"timed_out", false},
                     {"hits", json::object{{"max_score", nullptr}, {"hits", hits}}}};
    if (!pit_id.empty()) out["pit_id"] = pit_id;
    return Json(200, out);
  }

  LocalHttpResponse Aggregate(const json::object& b, const std::string& from,
                              const std::string& where, Translation& t, const Task& task) {
    const json::value& aggs = b.contains("aggs") ? b.at("aggs") : b.at("aggregations");
    if (!aggs.is_object())
      return Error({400, "parsing_exception", "aggregations must be an object"});
    json::object results;
    for (const auto& [name, def] : aggs.as_object()) {
      if (!def.is_object())
        return Error(
            {400, "parsing_exception", "aggregation [" + std::string(name) + "] malformed"});
      const json::object& d = def.as_object();
      auto metric_sql = [&](const json::object& m, std::string& out) -> std::optional<HttpError> {
        for (const char* fn : {"avg", "sum", "min", "max", "value_count"}) {
          if (!m.contains(fn)) continue;
          const std::string field(m.at(fn).at("field").as_string());
          if (!t.types.count(field))
            return HttpError{400, "illegal_argument_exception", "field [" + field + "] not found"};
          out = std::string(std::string(fn) == "value_count" ? "count" : fn) + "(" + Quote(field) +
                ")";
          return std::nullopt;
        }
        return HttpError{400, "parsing_exception", "Unknown aggregation type"};
      };
      json::array params(t.params.begin(), t.params.end());
      if (d.contains("terms")) {
        const json::object& terms = d.at("terms").as_object();
        const std::string field(terms.at("field").as_string());
        if (!t.types.count(field))
          return Error({400, "illegal_argument_exception", "field [" + field + "] not found"});
        const int64_t size = terms.contains("size") ? terms.at("size").to_number<int64_t>() : 10;
        std::vector<std::string> metric_names;
        std::string select = "SELECT " + Quote(field) + " AS key, count(*) AS doc_count";
        if (const json::value* sub = d.if_contains("aggs")) {
          for (const auto& [mn, md] : sub->as_object()) {
            std::string expr;
            if (auto e = metric_sql(md.as_object(), expr)) return Error(*e);
            select += ", " + expr;
            metric_names.push_back(std::string(mn));
          }
        }
        const std::string sql = select + " FROM " + from + " WHERE " + where + " AND " +
                                Quote(field) +
                                " IS NOT NULL GROUP BY 1 ORDER BY doc_count DESC, key ASC LIMIT " +
                                std::to_string(size);
        auto ran = RunSql(sql, params, task);
        if (auto* e = std::get_if<HttpError>(&ran)) return Error(*e);
        json::array buckets;
        for (auto& row : std::get<std::pair<json::array, json::array>>(ran).second) {
          auto& r = row.as_array();
          json::object bucket{{"key", r[0]}, {"doc_count", r[1]}};
          for (size_t i = 0; i < metric_names.size(); ++i)
            bucket[metric_names[i]] = json::object{{"value", r[2 + i]}};
          buckets.push_back(bucket);
        }
        results[name] = json::object{
            {"doc_count_error_upper_bound", 0}, {"sum_other_doc_count", 0}, {"buckets", buckets}};
      } else if (d.contains("date_histogram")) {
        const json::object& histogram = d.at("date_histogram").as_object();
        const std::string field(histogram.at("field").as_string());
        if (!t.types.count(field)) {
          return Error({400, "illegal_argument_exception", "field [" + field + "] not found"});
        }
        // calendar_interval: a unit (date_trunc); fixed_interval: N units (time_bucket).
        static const std::map<std::string, std::pair<std::string, std::string>> kCalendar = {
            {"minute", {"minute", "1 minute"}},
            {"1m", {"minute", "1 minute"}},
            {"hour", {"hour", "1 hour"}},
            {"1h", {"hour", "1 hour"}},
            {"day", {"day", "1 day"}},
            {"1d", {"day", "1 day"}},
            {"week", {"week", "1 week"}},
            {"1w", {"week", "1 week"}},
            {"month", {"month", "1 month"}},
            {"1M", {"month", "1 month"}},
            {"quarter", {"quarter", "3 months"}},
            {"1q", {"quarter", "3 months"}},
            {"year", {"year", "1 year"}},
            {"1y", {"year", "1 year"}}};
        std::string bucket, step;
        if (const json::value* c = histogram.if_contains("calendar_interval")) {
          auto it = kCalendar.find(std::string(c->as_string()));
          if (it == kCalendar.end()) {
            return Error({400, "illegal_argument_exception",
                          "The supplied interval [" + std::string(c->as_string()) +
                              "] could not be parsed as a calendar interval."});
          }
          bucket =
              "CAST(date_trunc('" + it->second.first + "', " + Quote(field) + ") AS TIMESTAMP)";
          step = it->second.second;
        } else if (const json::value* f = histogram.if_contains("fixed_interval")) {
          const std::string text(f->as_string());
          size_t digits = 0;
          while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
            ++digits;
          static const std::map<std::string, std::string> kUnits = {{"ms", "milliseconds"},
                                                                    {"s", "seconds"},
                                                                    {"m", "minutes"},
                                                                    {"h", "hours"},
                                                                    {"d", "days"}};
          auto unit = kUnits.find(text.substr(digits));
          if (digits == 0 || unit == kUnits.end()) {
            return Error({400, "illegal_argument_exception",
                          "failed to parse setting [date_histogram.fixedInterval] with value [" +
                              text + "] as a time value"});
          }
          step = text.substr(0, digits) + " " + unit->second;
          bucket =
              "time_bucket(INTERVAL '" + step + "', " + Quote(field) + ", TIMESTAMP '1970-01-01')";
        } else {
          return Error({400, "illegal_argument_exception",
                        "Invalid interval specified, must be non-null and non-empty"});
        }
        std::vector<std::string> metric_names;
        std::string metrics;
        if (const json::value* sub = d.if_contains("aggs")) {
          for (const auto& [mn, md] : sub->as_object()) {
            std::string expr;
            if (auto e = metric_sql(md.as_object(), expr)) return Error(*e);
            metrics += ", " + expr + " AS m" + std::to_string(metric_names.size());
            metric_names.push_back(std::string(mn));
          }
        }
        // min_doc_count 0 (ES's default): empty buckets between the first and the last.
        std::string sql = "WITH b AS (SELECT " + bucket + " AS k, count(*) AS c" + metrics +
                          " FROM " + from + " WHERE " + where + " AND " + Quote(field) +
                          " IS NOT NULL GROUP BY 1), s AS (SELECT unnest(generate_series("
                          "(SELECT min(k) FROM b), (SELECT max(k) FROM b), INTERVAL '" +
                          step + "')) AS k) SELECT s.k, coalesce(b.c, 0)";
        for (size_t i = 0; i < metric_names.size(); ++i) sql += ", b.m" + std::to_string(i);
        sql += " FROM s LEFT JOIN b ON s.k = b.k ORDER BY s.k";
        auto ran = RunSql(sql, params, task);
        if (auto* e = std::get_if<HttpError>(&ran)) return Error(*e);
        json::array buckets;
        for (auto& row : std::get<std::pair<json::array, json::array>>(ran).second) {
          auto& r = row.as_array();
          const auto micros = ParseTimestamp(r[0].as_string());
          json::object b{
              {"key_as_string", r[0]}, {"key", micros ? *micros / 1000 : 0}, {"doc_count", r[1]}};
          for (size_t i = 0; i < metric_names.size(); ++i)
            b[metric_names[i]] = json::object{{"value", r[2 + i]}};
          buckets.push_back(b);
        }
        results[name] = json::object{{"buckets", buckets}};
      } else {
        std::string expr;
        if (auto e = metric_sql(d, expr)) return Error(*e);
        auto ran = RunSql("SELECT " + expr + " FROM " + from + " WHERE " + where, params, task);
        if (auto* e = std::get_if<HttpError>(&ran)) return Error(*e);
        results[name] = json::object{
            {"value", std::get<std::pair<json::array, json::array>>(ran).second[0].as_array()[0]}};
      }
    }
    return Json(200, json::object{{"took", 1},
                                  {"timed_out", false},
                                  {"hits", json::object{{"hits", json::array{}}}},
                                  {"aggregations", results}});
  }

  EsServerOptions options_;
  duckdb_database db_ = nullptr;
  duckdb_connection admin_ = nullptr;
  mutable std::mutex mu_;
  std::map<std::string, Index> indices_;
  std::map<std::string, std::set<std::string>> aliases_;
  std::map<std::string, std::set<std::string>> data_streams_;
  std::map<std::string, std::chrono::milliseconds> slow_;
  std::map<std::string, Cursor> cursors_;
  std::map<std::string, std::vector<std::string>> pits_;
  std::map<int64_t, std::shared_ptr<Task>> tasks_;
  int64_t next_seq_ = 0;
  int64_t next_task_ = 0;
  int64_t next_cursor_ = 0;
  int64_t next_pit_ = 0;
  int reject_next_ = 0;
  std::string retry_after_ = "0";
  std::atomic<int> cancelled_tasks_{0};
  std::unique_ptr<LocalHttpServer> http_;
};

}  // namespace tributary::testing::es
