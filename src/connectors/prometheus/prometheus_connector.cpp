#include "connectors/prometheus/prometheus_connector.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "connectors/common/http_client.h"
#include "connectors/prometheus/prometheus_query.h"
#include "connectors/prometheus/prometheus_response.h"

namespace tributary {

namespace {

using namespace prometheus;  // NOLINT(google-build-using-namespace): this connector's helpers
using Clock = std::chrono::steady_clock;

constexpr auto kCatalogTimeout = std::chrono::seconds(30);
constexpr auto kHealthTimeout = std::chrono::seconds(5);

struct Settings {
  std::string base_url;  // scheme://host:port[/prefix], no trailing slash
  std::string user;
  std::string password;
  std::vector<std::string> headers;  // "Name: value", auth included
  HttpClientOptions http;
  PromPlanLimits plan;
  int64_t max_response_bytes = 256ll << 20;
};

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsMetricName(std::string_view name) {
  static const std::regex kMetric("[a-zA-Z_:][a-zA-Z0-9_:]*");
  return std::regex_match(name.begin(), name.end(), kMetric);
}

class PrometheusConnector final : public Connector {
 public:
  explicit PrometheusConnector(const SourceContext& context) : context_(context) {}
  ~PrometheusConnector() override { Close(); }

  std::string_view type() const override { return "prometheus"; }

  Capabilities capabilities() const override {
    // PromQL has no placeholders: parameters is false.
    return Capabilities{.dialect = "promql",
                        .schema_introspection = true,
                        .parameters = false,
                        .cancellation = true,
                        .cost_estimate = false,
                        .query_options = true};
  }

  Status Open() override {
    const Options& o = context_.options;
    const std::string where = "source '" + context_.id + "'";
    Settings s;
    std::string url = o.GetString("url");
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return ConfigError(where +
                         ": url must start with http:// or https://, e.g. "
                         "http://127.0.0.1:9090");
    }
    if (url.find('@') != std::string::npos) {
      return ConfigError(where +
                         ": put credentials in user/password or bearer_token, not in "
                         "the url");
    }
    if (url.find('?') != std::string::npos || url.find('#') != std::string::npos) {
      return ConfigError(where + ": url must be the Prometheus base URL, without a query string");
    }
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (url.size() >= 7 && url.compare(url.size() - 7, 7, "/api/v1") == 0) {
      return ConfigError(where +
                         ": url must be the Prometheus base URL, without /api/v1 (e.g. "
                         "http://127.0.0.1:9090)");
    }
    s.base_url = url;
    s.user = o.GetString("user");
    s.password = o.GetString("password");
    const std::string token = o.GetString("bearer_token");
    if (!token.empty() && (!s.user.empty() || !s.password.empty())) {
      return ConfigError(where + ": give either user/password or bearer_token, not both");
    }
    if (s.user.empty() && !s.password.empty()) {
      return ConfigError(where + ": password is set but user is not; set user too");
    }
    for (const auto& [name, value] : o.GetStringMap("headers")) {
      if (name.empty() || name.find_first_of(":\r\n ") != std::string::npos ||
          value.find_first_of("\r\n") != std::string::npos) {
        return ConfigError(where + ": header '" + name +
                           "' is not a valid HTTP header name (or its value spans lines)");
      }
      s.headers.push_back(name + ": " + value);
    }
    if (!token.empty()) s.headers.push_back("Authorization: Bearer " + token);
    s.http = HttpClientOptionsFrom(o, context_.id, 8);
    s.plan.max_points = o.GetInt("max_points", 11000);
    const std::string default_step = o.GetString("default_step", "60s");
    auto step = ParsePromDuration(default_step, "default_step");
    if (!step.ok()) return ConfigError(where + ": " + step.status().message());
    s.plan.default_step_ms = *step;
    s.max_response_bytes = o.GetInt("max_response_mb", 256) << 20;
    settings_ = std::move(s);

    EnsureCurlGlobalInit();
    // Connects lazily: a server that is down does not stop Open.
    client_ = std::make_unique<HttpClient>(settings_.http);
    return Status::Ok();
  }

  void Close() override {
    if (client_) client_->Close();
  }

  Result<HealthInfo> HealthCheck() override {
    if (!client_) return Unavailable("source '" + context_.id + "' is not open");
    // A handle of its own and a single attempt: a health check never queues behind busy
    // queries, and reports a server that is down at once.
    HttpHandle http;
    HttpRetryPolicy once;
    once.max_attempts = 1;
    HttpRequest request = BaseRequest("/api/v1/status/buildinfo");
    std::string body;
    request.on_body = [&body](std::string_view chunk) {
      body.append(chunk);
      return true;
    };
    const auto start = Clock::now();
    auto response = PerformWithRetry(http, request, once, CancelToken(), start + kHealthTimeout);
    const auto latency =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    if (!response.ok()) return Unavailable(response.status().message());
    if (response->status < 200 || response->status >= 300) {
      Status error = MapErrorResponse(response->status, response->body, "/api/v1/status/buildinfo");
      return error.code() == ErrorCode::kUnavailable ? error : Unavailable(error.message());
    }
    auto version = ParseBuildVersion(body);
    if (!version.ok()) return Unavailable(version.status().message());
    HealthInfo health;
    health.latency = std::max(latency, std::chrono::microseconds(1));
    health.detail = "Prometheus " + *version;
    return health;
  }

  Result<std::vector<TableInfo>> ListTables() override {
    TRIB_ASSIGN_OR_RETURN(std::string body,
                          Get("/api/v1/label/__name__/values", Clock::now() + kCatalogTimeout));
    TRIB_ASSIGN_OR_RETURN(auto names, ParseStringList(body));
    std::sort(names.begin(), names.end());
    std::vector<TableInfo> tables;
    tables.reserve(names.size());
    for (auto& name : names) tables.push_back(TableInfo{"", std::move(name), "metric"});
    return tables;
  }

  Result<TableSchema> DescribeTable(std::string_view table) override {
    const std::string metric(table);
    if (!IsMetricName(metric)) {
      return NotFound("'" + metric + "' is not a metric name of source '" + context_.id +
                      "' (metric names match [a-zA-Z_:][a-zA-Z0-9_:]*)");
    }
    TRIB_ASSIGN_OR_RETURN(std::string body, Get("/api/v1/labels?match[]=" + UrlEncode(metric),
                                                Clock::now() + kCatalogTimeout));
    TRIB_ASSIGN_OR_RETURN(auto labels, ParseStringList(body));
    if (labels.empty()) {
      return NotFound("metric '" + metric + "' has no series in source '" + context_.id +
                      "'; GET /api/v1/sources/" + context_.id + "/tables lists the metrics");
    }
    std::sort(labels.begin(), labels.end());
    TableSchema schema;
    schema.table = TableInfo{"", metric, "metric"};
    schema.columns.push_back(TableColumn{"timestamp", ColumnType::kTimestamp, "timestamp", false});
    for (const auto& label : labels) {
      const std::string column =
          label == "timestamp" || label == "value" ? "label_" + label : label;
      schema.columns.push_back(TableColumn{column, ColumnType::kString, "label", true});
    }
    schema.columns.push_back(TableColumn{"value", ColumnType::kDouble, "float", false});
    return schema;
  }

  Result<QueryResult> Execute(const QueryRequest& request) override {
    if (!client_) return Unavailable("source '" + context_.id + "' is not open");
    if (!request.params.empty()) {
      return InvalidArgument(
          "a prometheus source takes no query parameters: PromQL has no placeholders; write "
          "the values into the query, and give times as options (" +
          std::string(kQueryOptionKeys) + ")");
    }
    const auto start = Clock::now();
    const auto deadline = start + request.timeout;
    TRIB_ASSIGN_OR_RETURN(PromQueryPlan plan,
                          PlanPromQuery(request.options, NowUnixMs(), settings_.plan));
    HttpRequest http = BaseRequest(plan.range ? "/api/v1/query_range" : "/api/v1/query");
    http.post = true;
    http.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    http.body = PromFormBody(request.sql, plan, request.timeout.count());
    std::string body;
    bool too_large = false;
    const int64_t cap = settings_.max_response_bytes;
    http.on_body = [&body, &too_large, cap](std::string_view chunk) {
      if (static_cast<int64_t>(body.size() + chunk.size()) > cap) {
        too_large = true;
        return false;
      }
      body.append(chunk);
      return true;
    };
    auto response = client_->Perform(std::move(http), request.cancel, deadline);
    if (request.cancel.cancelled()) return QueryCancelledError(request.cancel);
    if (!response.ok()) return StoppedOr(response.status(), request, deadline);
    if (response->aborted) return StoppedOr(QueryCancelledError(request.cancel), request, deadline);
    if (too_large) {
      return ResourceExhausted(
          "the Prometheus answer is larger than the source's "
          "max_response_mb (" +
          std::to_string(cap >> 20) +
          " MiB); select fewer series, use a larger step or a shorter range, "
          "or raise max_response_mb");
    }
    if (response->status < 200 || response->status >= 300) {
      Status error = MapErrorResponse(response->status, response->body, EndpointOf(plan));
      if (error.code() == ErrorCode::kDeadlineExceeded) return QueryTimeoutError(request.timeout);
      if (error.code() == ErrorCode::kCancelled && request.cancel.cancelled()) {
        return QueryCancelledError(request.cancel);
      }
      return error;
    }
    ResultLimits limits{request.max_rows, request.max_bytes};
    TRIB_ASSIGN_OR_RETURN(QueryResult result, ParseQueryResponse(body, limits));
    result.stats().elapsed_us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    return result;
  }

 private:
  static std::string EndpointOf(const PromQueryPlan& plan) {
    return plan.range ? "/api/v1/query_range" : "/api/v1/query";
  }

  HttpRequest BaseRequest(const std::string& path) const {
    HttpRequest request;
    request.url = settings_.base_url + path;
    request.post = false;
    request.headers = settings_.headers;
    request.basic_user = settings_.user;
    request.basic_password = settings_.password;
    request.tls = settings_.http.tls;
    request.connect_timeout = settings_.http.connect_timeout;
    return request;
  }

  // A transport, pool or deadline failure of a query, as the query's error.
  Status StoppedOr(const Status& status, const QueryRequest& request,
                   Clock::time_point deadline) const {
    if (request.cancel.cancelled()) return QueryCancelledError(request.cancel);
    // The pool's RESOURCE_EXHAUSTED (no connection before the deadline: the source is
    // saturated) stays as it is; a transfer cut by the deadline is the query's timeout.
    if (status.code() == ErrorCode::kDeadlineExceeded ||
        (status.code() == ErrorCode::kUnavailable &&
         Clock::now() + std::chrono::milliseconds(20) >= deadline)) {
      return QueryTimeoutError(request.timeout);
    }
    return status;
  }

  // GETs a catalog path through the pool; the body of a 2xx answer.
  Result<std::string> Get(const std::string& path, Clock::time_point deadline) {
    if (!client_) return Unavailable("source '" + context_.id + "' is not open");
    HttpRequest request = BaseRequest(path);
    std::string body;
    request.on_body = [&body](std::string_view chunk) {
      body.append(chunk);
      return true;
    };
    TRIB_ASSIGN_OR_RETURN(auto response,
                          client_->Perform(std::move(request), CancelToken(), deadline));
    const std::string where = path.substr(0, path.find('?'));
    if (response.status < 200 || response.status >= 300) {
      return MapErrorResponse(response.status, response.body, where);
    }
    return body;
  }

  SourceContext context_;
  Settings settings_;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace

ConnectorFactory PrometheusConnectorFactory() {
  ConnectorFactory f;
  f.type = "prometheus";
  f.description = "Prometheus (PromQL instant and range queries over the HTTP API)";
  f.schema = {
      {.name = "url",
       .type = OptionType::kString,
       .required = true,
       .description = "Prometheus base URL, e.g. http://127.0.0.1:9090 (no /api/v1)"},
      {.name = "user",
       .type = OptionType::kString,
       .description = "user for HTTP basic authentication"},
      {.name = "password",
       .type = OptionType::kString,
       .secret = true,
       .description = "password for HTTP basic authentication, e.g. ${PROMETHEUS_PASSWORD}"},
      {.name = "bearer_token",
       .type = OptionType::kString,
       .secret = true,
       .description = "bearer token sent as Authorization: Bearer (instead of user/password)"},
      {.name = "headers",
       .type = OptionType::kStringMap,
       .secret = true,
       .description = "extra request headers, e.g. X-Scope-OrgID for a multi-tenant frontend"},
      {.name = "max_points",
       .type = OptionType::kInt,
       .description = "points per series a range query may return (default 11000)",
       .min = 1,
       .max = 10'000'000},
      {.name = "default_step",
       .type = OptionType::kString,
       .description = "step of a range query that gives none, e.g. 15s (default 60s)"},
      {.name = "max_response_mb",
       .type = OptionType::kInt,
       .description = "largest query answer read, in MiB (default 256)",
       .min = 1,
       .max = 65536},
  };
  AppendHttpConnectionOptionSpecs(f.schema, 8);
  f.create = [](const SourceContext& context) -> std::unique_ptr<Connector> {
    return std::make_unique<PrometheusConnector>(context);
  };
  return f;
}

}  // namespace tributary
