#include "connectors/bigquery/bigquery_connector.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "connectors/bigquery/bigquery_auth.h"
#include "connectors/bigquery/bigquery_types.h"
#include "connectors/common/http_client.h"
#include "connectors/common/sql_guard.h"
#include "core/json_value.h"

namespace tributary {

namespace {

namespace json = boost::json;
using namespace bigquery;  // NOLINT(google-build-using-namespace): this connector's helpers
using Clock = std::chrono::steady_clock;

constexpr auto kCatalogTimeout = std::chrono::seconds(30);
constexpr auto kHealthTimeout = std::chrono::seconds(10);
constexpr auto kCancelTimeout = std::chrono::seconds(5);
// jobs.query / getQueryResults wait at most this long on the server before answering
// jobComplete=false, so that a cancel or deadline is noticed between calls.
constexpr int64_t kMaxServerWaitMs = 10'000;
// 403 rateLimitExceeded is not an HTTP-level retryable status: retried here.
constexpr int kRateLimitAttempts = 4;
// A transport failure this close to the deadline is the deadline.
constexpr auto kDeadlineSlack = std::chrono::milliseconds(50);
// Header lines as named strings (GCC 12 -O3 warns falsely on a literal pushed into a vector).
const std::string kMetadataFlavor = "Metadata-Flavor: Google";
const std::string kJsonContentType = "Content-Type: application/json";

struct Settings {
  std::string endpoint;  // no trailing slash
  std::string project_id;
  std::string location;
  std::map<std::string, std::string> labels;
  int64_t maximum_bytes_billed = 0;
  double price_per_tib_usd = 6.25;
  int64_t page_size = 10'000;
  //! Dataset of unqualified table names (jobs.query defaultDataset, DescribeTable("t")).
  std::string default_dataset;
};

std::string FormatBytes(int64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1024 && unit < 5) {
    v /= 1024;
    ++unit;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.2f %s", v, kUnits[unit]);
  return buf;
}

std::string FormatUsd(double usd) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "$%.4f", usd);
  return buf;
}

class BigQueryConnector final : public Connector {
 public:
  explicit BigQueryConnector(const SourceContext& context) : context_(context) {}
  ~BigQueryConnector() override { Close(); }

  std::string_view type() const override { return "bigquery"; }

  Capabilities capabilities() const override {
    return Capabilities{.dialect = "bigquery",
                        .schema_introspection = true,
                        .parameters = true,
                        .cancellation = true,
                        .cost_estimate = true};
  }

  Status Open() override {
    const Options& o = context_.options;
    const std::string where = "source '" + context_.id + "'";
    Settings s;
    s.endpoint = o.GetString("endpoint", "https://bigquery.googleapis.com");
    while (!s.endpoint.empty() && s.endpoint.back() == '/') s.endpoint.pop_back();
    if (s.endpoint.rfind("http://", 0) != 0 && s.endpoint.rfind("https://", 0) != 0) {
      return ConfigError(where + ": endpoint must start with http:// or https://");
    }
    s.location = o.GetString("location");
    s.labels = o.GetStringMap("labels");
    s.maximum_bytes_billed = o.GetInt("maximum_bytes_billed", 0);
    s.price_per_tib_usd = o.GetDouble("price_per_tib_usd", 6.25);
    if (s.price_per_tib_usd < 0) {
      return ConfigError(where + ": price_per_tib_usd must not be negative");
    }
    s.page_size = o.GetInt("page_size", 10'000);
    s.default_dataset = o.GetString("default_dataset");

    TokenSourceOptions tokens;
    tokens.source_id = context_.id;
    tokens.token_uri_override = o.GetString("token_uri");
    std::string metadata = o.GetString("metadata_url", "http://metadata.google.internal");
    while (!metadata.empty() && metadata.back() == '/') metadata.pop_back();
    tokens.metadata_url = metadata;
    const bool has_file = o.Has("credentials_file");
    const bool has_json = o.Has("credentials_json");
    if (has_file && has_json) {
      return ConfigError(where + ": give either credentials_file or credentials_json, not both");
    }
    if (has_file || has_json) {
      std::string text;
      std::string key_where;
      if (has_file) {
        std::filesystem::path path = o.GetString("credentials_file");
        if (path.is_relative() && !context_.base_dir.empty()) path = context_.base_dir / path;
        std::ifstream in(path, std::ios::binary);
        if (!in) {
          return ConfigError(where + ": cannot read credentials_file '" + path.string() + "' (" +
                             o.LocationOf("credentials_file").ToString() +
                             "); check the path and its permissions");
        }
        std::stringstream buffer;
        buffer << in.rdbuf();
        text = buffer.str();
        key_where = where + ": credentials_file '" + path.string() + "'";
      } else {
        text = o.GetString("credentials_json");
        key_where =
            where + ": credentials_json (" + o.LocationOf("credentials_json").ToString() + ")";
        if (text.empty()) {
          return ConfigError(key_where + " is empty; is the environment variable it names set?");
        }
      }
      TRIB_ASSIGN_OR_RETURN(ServiceAccountKey key, ParseServiceAccountKey(text, key_where));
      s.project_id = key.project_id;
      tokens.key = std::make_unique<ServiceAccountKey>(std::move(key));
    }
    if (o.Has("project_id")) s.project_id = o.GetString("project_id");
    settings_ = s;

    const HttpClientOptions http = HttpClientOptionsFrom(o, context_.id, 8);
    EnsureCurlGlobalInit();
    http_ = std::make_unique<HttpClient>(http);
    tokens_ = std::make_unique<TokenProvider>(std::move(tokens), http_.get());
    return Status::Ok();
  }

  void Close() override {
    if (http_) http_->Close();
  }

  Result<HealthInfo> HealthCheck() override {
    if (!http_) return Unavailable("source '" + context_.id + "' is not open");
    auto start = Clock::now();
    TRIB_ASSIGN_OR_RETURN(
        int64_t bytes, DryRun("SELECT 1", QueryRequest{}, CancelToken(), start + kHealthTimeout));
    (void)bytes;
    HealthInfo health;
    health.latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    TRIB_ASSIGN_OR_RETURN(std::string project, ProjectId(CancelToken(), start + kHealthTimeout));
    health.detail = "BigQuery project " + project + " (location " +
                    (settings_.location.empty() ? std::string("default") : settings_.location) +
                    ")";
    return health;
  }

  Result<std::vector<TableInfo>> ListTables() override {
    if (!http_) return Unavailable("source '" + context_.id + "' is not open");
    const auto deadline = Clock::now() + kCatalogTimeout;
    CancelToken cancel;
    std::vector<std::string> datasets;
    TRIB_RETURN_IF_ERROR(ListPaged(
        "datasets", "datasets", "datasets.list", cancel, deadline, [&](const json::object& d) {
          if (auto* ref = d.if_contains("datasetReference"); ref && ref->is_object()) {
            datasets.push_back(Str(ref->as_object(), "datasetId"));
          }
        }));
    std::vector<TableInfo> tables;
    for (const auto& dataset : datasets) {
      TRIB_RETURN_IF_ERROR(
          ListPaged("datasets/" + UrlEncode(dataset) + "/tables", "tables", "tables.list", cancel,
                    deadline, [&](const json::object& t) {
                      std::string id;
                      if (auto* ref = t.if_contains("tableReference"); ref && ref->is_object()) {
                        id = Str(ref->as_object(), "tableId");
                      }
                      tables.push_back(TableInfo{dataset, id, KindOf(Str(t, "type"))});
                    }));
    }
    std::sort(tables.begin(), tables.end(), [](const TableInfo& a, const TableInfo& b) {
      return std::tie(a.schema, a.name) < std::tie(b.schema, b.name);
    });
    return tables;
  }

  Result<TableSchema> DescribeTable(std::string_view table) override {
    if (!http_) return Unavailable("source '" + context_.id + "' is not open");
    std::string name(table);
    name.erase(std::remove(name.begin(), name.end(), '`'), name.end());
    std::vector<std::string> parts;
    for (size_t start = 0;;) {
      size_t dot = name.find('.', start);
      parts.push_back(name.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (parts.size() == 1 && !settings_.default_dataset.empty()) {
      parts.insert(parts.begin(), settings_.default_dataset);
    }
    if (parts.size() < 2 || parts.size() > 3 ||
        std::any_of(parts.begin(), parts.end(), [](auto& p) { return p.empty(); })) {
      return InvalidArgument("source '" + context_.id + "': name the table as dataset.table (" +
                             "or project.dataset.table, or set default_dataset), got '" +
                             std::string(table) + "'");
    }
    const auto deadline = Clock::now() + kCatalogTimeout;
    CancelToken cancel;
    std::string project;
    if (parts.size() == 3) {
      project = parts[0];
      parts.erase(parts.begin());
    } else {
      TRIB_ASSIGN_OR_RETURN(project, ProjectId(cancel, deadline));
    }
    std::string url = settings_.endpoint + "/bigquery/v2/projects/" + UrlEncode(project) +
                      "/datasets/" + UrlEncode(parts[0]) + "/tables/" + UrlEncode(parts[1]);
    auto answer = Call(url, "", false, "tables.get", cancel, deadline);
    if (!answer.ok()) {
      if (answer.status().code() == ErrorCode::kNotFound) {
        return NotFound("table '" + std::string(table) + "' does not exist in source '" +
                        context_.id + "' (" + answer.status().message() + ")");
      }
      return answer.status();
    }
    boost::system::error_code ec;
    json::value v = ParseJson(*answer, ec);
    if (ec || !v.is_object()) return QueryError("BigQuery sent a malformed tables.get answer");
    const auto& o = v.as_object();
    TableSchema schema;
    schema.table = TableInfo{parts[0], parts[1], KindOf(Str(o, "type"))};
    if (auto* s = o.if_contains("schema"); s && s->is_object()) {
      if (auto* f = s->as_object().if_contains("fields"); f && f->is_array()) {
        TRIB_ASSIGN_OR_RETURN(auto fields, ParseSchemaFieldsJson(json::serialize(*f)));
        for (const auto& field : fields) {
          schema.columns.push_back(TableColumn{field.name, MapFieldType(field),
                                               SourceTypeName(field), field.mode != "REQUIRED"});
        }
      }
    }
    return schema;
  }

  Result<QueryResult> Execute(const QueryRequest& request) override {
    if (!http_) return Unavailable("source '" + context_.id + "' is not open");
    if (!request.options.empty()) {
      return InvalidArgument("source '" + context_.id + "': unknown query option '" +
                             request.options.begin()->first +
                             "'; BigQuery queries accept no options");
    }
    if (!request.skip_statement_guard) {
      TRIB_RETURN_IF_ERROR(CheckReadOnlySql(request.sql, SqlDialect::kMySql));
    }
    if (!request.param_names.empty() && request.param_names.size() != request.params.size()) {
      return InvalidArgument("source '" + context_.id +
                             "': " + std::to_string(request.params.size()) + " parameters but " +
                             std::to_string(request.param_names.size()) + " names");
    }
    const auto start = Clock::now();
    const auto deadline = start + request.timeout;
    QueryResult result;
    std::vector<QueryWarning> warnings;

    // Cost control: a dry run estimates the bytes the query will process.
    if (request.cost_warn_bytes > 0 || request.cost_deny_bytes > 0) {
      auto estimate = DryRun(request.sql, request, request.cancel, deadline);
      if (!estimate.ok()) return StoppedOr(estimate.status(), request, deadline, "");
      const int64_t bytes = *estimate;
      const double usd =
          static_cast<double>(bytes) / static_cast<double>(1ll << 40) * settings_.price_per_tib_usd;
      const std::string estimate_text = std::to_string(bytes) + " bytes (" + FormatBytes(bytes) +
                                        ", about " + FormatUsd(usd) + " at " +
                                        FormatUsd(settings_.price_per_tib_usd) + " per TiB)";
      if (request.cost_deny_bytes > 0 && bytes > request.cost_deny_bytes) {
        return CostLimit("source '" + context_.id + "': the query would process " + estimate_text +
                         ", above the limit of " + std::to_string(request.cost_deny_bytes) +
                         " bytes (" + FormatBytes(request.cost_deny_bytes) + ", " +
                         request.cost_deny_from + "); read fewer columns or partitions, or raise " +
                         request.cost_deny_from);
      }
      if (request.cost_warn_bytes > 0 && bytes > request.cost_warn_bytes) {
        warnings.push_back(QueryWarning{"COST_WARNING",
                                        "source '" + context_.id + "': the query processes " +
                                            estimate_text + ", above the warning threshold of " +
                                            std::to_string(request.cost_warn_bytes) + " bytes (" +
                                            FormatBytes(request.cost_warn_bytes) + ")",
                                        bytes, usd});
      }
    }

    TRIB_ASSIGN_OR_RETURN(std::string project, ProjectId(request.cancel, deadline));
    const std::string base = settings_.endpoint + "/bigquery/v2/projects/" + UrlEncode(project);
    int64_t page_rows = settings_.page_size;
    if (request.max_rows > 0) page_rows = std::min(page_rows, request.max_rows + 1);

    std::string body = QueryBody(project, request.sql, request, false, page_rows, deadline);
    auto first = Call(base + "/queries", body, true, "jobs.query", request.cancel, deadline);
    if (!first.ok()) return StoppedOr(first.status(), request, deadline, "");
    TRIB_ASSIGN_OR_RETURN(QueryPage page, ParseQueryPage(*first));
    const std::string job_id = page.job_id;
    const std::string location = page.location.empty() ? settings_.location : page.location;
    bool have_schema = false;
    std::vector<FieldSchema> schema;
    while (true) {
      if (page.job_complete) {
        if (!have_schema) {
          schema = page.schema.value_or(std::vector<FieldSchema>{});
          result = QueryResult(ColumnsOf(schema));
          have_schema = true;
        }
        bool stopped = false;
        TRIB_RETURN_IF_ERROR(AppendRows(page.rows_json, schema, request.max_rows, request.max_bytes,
                                        result, &stopped));
        if (stopped) break;
        if (page.page_token.empty()) break;
        // More pages exist: stop when a limit is already reached.
        if (request.max_rows > 0 && static_cast<int64_t>(result.row_count()) >= request.max_rows) {
          result.stats().truncated = true;
          result.stats().truncated_by = "rows";
          break;
        }
        if (request.max_bytes > 0 &&
            static_cast<int64_t>(result.ApproxBytes()) > request.max_bytes) {
          result.stats().truncated = true;
          result.stats().truncated_by = "bytes";
          break;
        }
      }
      if (job_id.empty()) {
        return QueryError("source '" + context_.id +
                          "': BigQuery answered jobs.query without a jobReference");
      }
      if (request.cancel.cancelled()) {
        CancelJob(base, job_id, location);
        return QueryCancelledError(request.cancel);
      }
      if (Clock::now() >= deadline) {
        CancelJob(base, job_id, location);
        return QueryTimeoutError(request.timeout);
      }
      std::string url = base + "/queries/" + UrlEncode(job_id) +
                        "?maxResults=" + std::to_string(page_rows) +
                        "&timeoutMs=" + std::to_string(ServerWaitMs(deadline));
      if (!location.empty()) url += "&location=" + UrlEncode(location);
      if (page.job_complete) url += "&pageToken=" + UrlEncode(page.page_token);
      auto next = Call(url, "", false, "jobs.getQueryResults", request.cancel, deadline);
      if (!next.ok()) return StoppedOr(next.status(), request, deadline, job_id, base, location);
      TRIB_ASSIGN_OR_RETURN(page, ParseQueryPage(*next));
      if (!page.schema && have_schema) page.schema = schema;
    }
    result.stats().warnings = std::move(warnings);
    result.stats().elapsed_us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    return result;
  }

 private:
  static std::string Str(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  }

  static std::string KindOf(const std::string& type) {
    return type == "VIEW" || type == "MATERIALIZED_VIEW" ? "view" : "table";
  }

  static int64_t ServerWaitMs(Clock::time_point deadline) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return std::clamp<int64_t>(left, 1, kMaxServerWaitMs);
  }

  // The project queries run in: the option, the key's, or the metadata server's.
  Result<std::string> ProjectId(const CancelToken& cancel, Clock::time_point deadline) {
    std::lock_guard<std::mutex> lock(project_mu_);
    if (!settings_.project_id.empty()) return settings_.project_id;
    HttpRequest request;
    request.url = context_.options.GetString("metadata_url", "http://metadata.google.internal");
    while (!request.url.empty() && request.url.back() == '/') request.url.pop_back();
    request.url += "/computeMetadata/v1/project/project-id";
    request.post = false;
    request.headers.push_back(kMetadataFlavor);
    auto response = http_->Perform(std::move(request), cancel, deadline);
    if (!response.ok() || response->status != 200 || response->body.empty()) {
      return ConfigError("source '" + context_.id +
                         "': no project_id: set project_id (or use a service-account key, "
                         "whose project_id is the default); the metadata server did not tell "
                         "one");
    }
    settings_.project_id = response->body;
    return settings_.project_id;
  }

  std::string QueryBody(const std::string& project, const std::string& sql,
                        const QueryRequest& request, bool dry_run, int64_t page_rows,
                        Clock::time_point deadline) const {
    json::object body;
    body["query"] = sql;
    body["useLegacySql"] = false;
    if (dry_run) body["dryRun"] = true;
    if (!request.params.empty()) {
      const bool named = !request.param_names.empty();
      body["parameterMode"] = named ? "NAMED" : "POSITIONAL";
      json::array params;
      for (size_t i = 0; i < request.params.size(); ++i) {
        params.push_back(
            ParseJson(QueryParameterJson(request.params[i], named ? request.param_names[i] : "")));
      }
      body["queryParameters"] = std::move(params);
    }
    if (!settings_.location.empty()) body["location"] = settings_.location;
    if (!settings_.default_dataset.empty()) {
      body["defaultDataset"] =
          json::object{{"projectId", project}, {"datasetId", settings_.default_dataset}};
    }
    if (!settings_.labels.empty()) {
      json::object labels;
      for (const auto& [k, v] : settings_.labels) labels[k] = v;
      body["labels"] = std::move(labels);
    }
    if (settings_.maximum_bytes_billed > 0) {
      body["maximumBytesBilled"] = std::to_string(settings_.maximum_bytes_billed);
    }
    if (!dry_run) {
      // jobs.query's idempotency key: a retried POST (transport failure, 429, 5xx) does not
      // start a second job.
      body["requestId"] = NewRemoteRequestId("trib-");
      body["timeoutMs"] = ServerWaitMs(deadline);
      body["maxResults"] = page_rows;
    }
    return json::serialize(body);
  }

  // Estimated bytes of `sql` (a dry run; BigQuery checks the query too).
  Result<int64_t> DryRun(const std::string& sql, const QueryRequest& request,
                         const CancelToken& cancel, Clock::time_point deadline) {
    TRIB_ASSIGN_OR_RETURN(std::string project, ProjectId(cancel, deadline));
    const std::string url =
        settings_.endpoint + "/bigquery/v2/projects/" + UrlEncode(project) + "/queries";
    TRIB_ASSIGN_OR_RETURN(std::string answer,
                          Call(url, QueryBody(project, sql, request, true, 0, deadline), true,
                               "jobs.query (dry run)", cancel, deadline));
    TRIB_ASSIGN_OR_RETURN(QueryPage page, ParseQueryPage(answer));
    return std::max<int64_t>(0, page.total_bytes_processed);
  }

  // One authorised API call: the body of a 2xx answer, or the mapped error. A 401 refreshes the
  // token once; 403 rateLimitExceeded/quotaExceeded is retried with backoff (429 and 5xx are
  // retried by the HttpClient).
  Result<std::string> Call(const std::string& url, const std::string& body, bool post,
                           const std::string& what, const CancelToken& cancel,
                           Clock::time_point deadline) {
    const std::string where = "source '" + context_.id + "': " + what;
    bool refreshed = false;
    std::chrono::milliseconds backoff{500};
    for (int attempt = 1;; ++attempt) {
      TRIB_ASSIGN_OR_RETURN(std::string token, tokens_->Token(cancel, deadline));
      HttpRequest request;
      request.url = url;
      request.post = post;
      request.body = body;
      request.headers.push_back("Authorization: Bearer " + token);
      if (post) request.headers.push_back(kJsonContentType);
      auto response = http_->Perform(std::move(request), cancel, deadline);
      if (!response.ok()) {
        // A transfer cut by its own time limit ends a hair before the deadline by our clock.
        if (response.status().code() == ErrorCode::kUnavailable &&
            Clock::now() + kDeadlineSlack >= deadline) {
          return DeadlineExceeded(where + ": deadline passed");
        }
        return response.status().WithContext(where);
      }
      if (response->status >= 200 && response->status < 300) return std::move(response->body);
      if (response->status == 401 && !refreshed) {
        tokens_->Invalidate();
        refreshed = true;
        continue;
      }
      const std::string reason = ErrorReason(response->body);
      if (response->status == 403 && (reason == "rateLimitExceeded" || reason == "quotaExceeded") &&
          attempt < kRateLimitAttempts) {
        auto wait = ParseRetryAfter(response->Header("retry-after")).value_or(backoff);
        backoff *= 2;
        if (Clock::now() + wait < deadline) {
          const auto wake = Clock::now() + wait;
          while (Clock::now() < wake) {
            if (cancel.cancelled()) return QueryCancelledError(cancel);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
          continue;
        }
      }
      return MapBigQueryError(response->status, response->body, where);
    }
  }

  // Pages through a list API (`items` of each answer), calling `each` per item.
  template <typename F>
  Status ListPaged(const std::string& path, const std::string& items, const std::string& what,
                   const CancelToken& cancel, Clock::time_point deadline, F each) {
    TRIB_ASSIGN_OR_RETURN(std::string project, ProjectId(cancel, deadline));
    std::string token;
    do {
      std::string url = settings_.endpoint + "/bigquery/v2/projects/" + UrlEncode(project) + "/" +
                        path + "?maxResults=1000";
      if (!token.empty()) url += "&pageToken=" + UrlEncode(token);
      TRIB_ASSIGN_OR_RETURN(std::string answer, Call(url, "", false, what, cancel, deadline));
      boost::system::error_code ec;
      json::value v = ParseJson(answer, ec);
      if (ec || !v.is_object()) return QueryError("BigQuery sent a malformed " + what + " answer");
      const auto& o = v.as_object();
      if (auto* list = o.if_contains(items); list && list->is_array()) {
        for (const auto& item : list->as_array()) {
          if (item.is_object()) each(item.as_object());
        }
      }
      token = Str(o, "nextPageToken");
    } while (!token.empty());
    return Status::Ok();
  }

  // A failed call of a query: a timeout or cancel stops the job (when there is one) and gives
  // the standard errors; anything else is returned as it is.
  Status StoppedOr(const Status& status, const QueryRequest& request, Clock::time_point deadline,
                   const std::string& job_id, const std::string& base = "",
                   const std::string& location = "") {
    const bool cancelled = request.cancel.cancelled();
    const bool timed_out =
        status.code() == ErrorCode::kDeadlineExceeded ||
        (Clock::now() + kDeadlineSlack >= deadline &&
         (status.code() == ErrorCode::kUnavailable || status.code() == ErrorCode::kCancelled));
    if (!cancelled && !timed_out) return status;
    if (!job_id.empty()) CancelJob(base, job_id, location);
    if (cancelled) return QueryCancelledError(request.cancel);
    return QueryTimeoutError(request.timeout);
  }

  // jobs.cancel, best effort, on its own short deadline (the query's has passed).
  void CancelJob(const std::string& base, const std::string& job_id, const std::string& location) {
    std::string url = base + "/jobs/" + UrlEncode(job_id) + "/cancel";
    if (!location.empty()) url += "?location=" + UrlEncode(location);
    (void)Call(url, "", true, "jobs.cancel", CancelToken(), Clock::now() + kCancelTimeout);
  }

  SourceContext context_;
  Settings settings_;
  std::mutex project_mu_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<TokenProvider> tokens_;
};

}  // namespace

ConnectorFactory BigQueryConnectorFactory() {
  ConnectorFactory f;
  f.type = "bigquery";
  f.description = "Google BigQuery over the REST API v2 (service-account key or metadata server)";
  f.schema = {
      {.name = "project_id",
       .type = OptionType::kString,
       .description = "project the queries run in (default: the key's project_id)"},
      {.name = "location",
       .type = OptionType::kString,
       .description = "job location, e.g. US, EU, europe-west1"},
      {.name = "credentials_file",
       .type = OptionType::kString,
       .description = "path of a service-account key JSON file"},
      {.name = "credentials_json",
       .type = OptionType::kString,
       .secret = true,
       .description = "the whole service-account key JSON, e.g. "
                      "${GOOGLE_APPLICATION_CREDENTIALS_JSON}"},
      {.name = "endpoint",
       .type = OptionType::kString,
       .description = "API base URL (default https://bigquery.googleapis.com)"},
      {.name = "token_uri",
       .type = OptionType::kString,
       .description = "OAuth token endpoint (default: the key's token_uri)"},
      {.name = "metadata_url",
       .type = OptionType::kString,
       .description = "metadata server for Application Default Credentials (default "
                      "http://metadata.google.internal)"},
      {.name = "default_dataset",
       .type = OptionType::kString,
       .description = "dataset of unqualified table names (jobs.query defaultDataset)"},
      {.name = "labels",
       .type = OptionType::kStringMap,
       .description = "labels set on every query job"},
      {.name = "maximum_bytes_billed",
       .type = OptionType::kInt,
       .description = "BigQuery fails a job that would bill more bytes",
       .min = 1},
      {.name = "price_per_tib_usd",
       .type = OptionType::kDouble,
       .description = "on-demand price per TiB for cost estimates (default 6.25)"},
      {.name = "page_size",
       .type = OptionType::kInt,
       .description = "rows per result page (maxResults, default 10000)",
       .min = 1,
       .max = 100'000},
  };
  f.create = [](const SourceContext& context) -> std::unique_ptr<Connector> {
    return std::make_unique<BigQueryConnector>(context);
  };
  AppendHttpConnectionOptionSpecs(f.schema, 8);
  return f;
}

}  // namespace tributary
