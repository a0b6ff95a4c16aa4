// The built-in packs over HTTP on generated demo data (the embedded DuckDB, as `make run`
// serves it): every metric answers real numbers, and the compatibility routes answer in the old
// shapes with exactly the numbers of the v1 endpoint for the same parameters.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <string>

#include "connectors/common/http_client.h"
#include "support/server_harness.h"

namespace tributary::testing {
namespace {

namespace json = boost::json;

constexpr const char* kAsOf = "2026-11-21T13:00:00Z";

class MetricsCompat : public ::testing::Test {
 protected:
  struct Server {
    TempDir dir;
    std::unique_ptr<ServerProcess> process;
    std::string error;
  };

  static Server& Shared() {
    static Server* server = [] {
      auto* s = new Server;
      ProcessResult demo = RunTributary({"demo-data", "--out", s->dir.File("data/demo.duckdb"),
                                         "--rows", "40000", "--days", "30", "--end", kAsOf});
      if (demo.exit_code != 0) {
        s->error = "demo-data failed: " + demo.err;
        return s;
      }
      s->process = ServerProcess::Start(
          {"--listen", "127.0.0.1:0", "--data-dir", s->dir.File("data")}, &s->error);
      return s;
    }();
    return *server;
  }

  void SetUp() override { ASSERT_TRUE(Shared().process) << Shared().error; }

  static HttpResponse Get(const std::string& target) {
    HttpClient client(Shared().process->port());
    return client.Get(target);
  }
  static json::value Json(const std::string& text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    EXPECT_FALSE(ec) << "not JSON: " << text;
    return v;
  }
  //! The v1 `data` exactly as written.
  static std::string V1Data(const std::string& pack, const std::string& metric,
                            const std::string& query) {
    HttpResponse r = Get("/api/v1/projects/demo/metrics/" + pack + "/" + metric + "?asOf=" + kAsOf +
                         (query.empty() ? "" : "&" + query));
    EXPECT_EQ(r.status, 200) << pack << "/" << metric << "?" << query << ": " << r.body;
    size_t meta = r.body.rfind(",\"meta\":");
    if (r.body.rfind("{\"data\":", 0) != 0 || meta == std::string::npos) return r.body;
    return r.body.substr(8, meta - 8);
  }
};

TEST_F(MetricsCompat, EveryMetricOfBothPacksHasRealNumbersOnTheDemoData) {
  HttpResponse packs = Get("/api/v1/packs");
  ASSERT_EQ(packs.status, 200);
  json::value catalog = Json(packs.body);
  int metrics = 0;
  for (const auto& pack : catalog.at("packs").as_array()) {
    for (const auto& metric : pack.at("metrics").as_array()) {
      ++metrics;
      std::string name = std::string(pack.at("name").as_string()) + "/" +
                         std::string(metric.at("name").as_string());
      std::string data = V1Data(std::string(pack.at("name").as_string()),
                                std::string(metric.at("name").as_string()), "");
      json::value v = Json(data);
      if (v.is_array()) {
        EXPECT_FALSE(v.as_array().empty()) << name << " is empty on the demo data";
      } else {
        ASSERT_TRUE(v.is_object()) << name << ": " << data;
        // The first field of every object metric is a count: it must not be zero.
        const auto& first = *v.as_object().begin();
        bool non_zero = first.value().is_int64() ? first.value().as_int64() > 0
                        : first.value().is_object()
                            ? first.value().as_object().begin()->value().as_int64() > 0
                            : first.value().as_double() > 0;
        EXPECT_TRUE(non_zero) << name << ": " << data;
      }
    }
  }
  EXPECT_EQ(metrics, 18);
}

TEST_F(MetricsCompat, BigQueryRoutesAnswerTheBareResultOfTheLlmMetrics) {
  struct Case {
    const char* old_name;
    const char* metric;
    const char* old_query;
    const char* v1_query;
  };
  const Case cases[] = {
      {"realtime", "realtime_kpi", "", ""},
      {"hourly", "hourly_traffic", "startDate=2026-11-20&endDate=2026-11-21",
       "start=2026-11-20&end=2026-11-21"},
      {"daily", "daily_traffic", "days=7", "days=7"},
      {"tenants", "tenant_usage", "startDate=2026-11-01&endDate=2026-11-21&days=3",
       "start=2026-11-01&end=2026-11-21"},
      {"heatmap", "usage_heatmap", "days=14", "days=14"},
      {"errors", "error_analysis", "startDate=2026-11-14&endDate=2026-11-21",
       "start=2026-11-14&end=2026-11-21"},
      {"tokens", "token_efficiency", "days=7", "days=7"},
      {"anomalies", "anomaly_stats", "hours=48", "hours=48"},
      {"cost", "cost_trend", "days=30&hours=5", "days=30"},
      {"patterns", "query_patterns", "startDate=2026-11-01&endDate=2026-11-21",
       "start=2026-11-01&end=2026-11-21"},
      {"logs", "sample_logs", "limit=7&offset=3&days=2", "limit=7&offset=3"},
  };
  for (const Case& c : cases) {
    HttpResponse old = Get(std::string("/projects/demo/bigquery/metrics/") + c.old_name +
                           "?asOf=" + kAsOf + (*c.old_query ? "&" : "") + c.old_query);
    ASSERT_EQ(old.status, 200) << c.old_name << ": " << old.body;
    EXPECT_EQ(old.body, V1Data("llm", c.metric, c.v1_query)) << c.old_name;
  }
  HttpResponse unknown = Get("/projects/demo/bigquery/metrics/latency");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("realtime, hourly, daily, tenants, heatmap, errors, tokens, "
                              "anomalies, cost, patterns, logs"),
            std::string::npos)
      << unknown.body;
  HttpResponse bad = Get("/projects/demo/bigquery/metrics/daily?days=0");
  EXPECT_EQ(bad.status, 400) << bad.body;
}

TEST_F(MetricsCompat, AnalyticsMetricsRouteAnswersTheOldEnvelope) {
  HttpResponse r = Get(std::string("/api/metrics?days=7&asOf=") + kAsOf);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = Json(r.body);
  EXPECT_EQ(v.at("success"), true);
  const json::object& data = v.at("data").as_object();
  EXPECT_EQ(data.size(), 4u);
  EXPECT_EQ(data.at("summary"), Json(V1Data("web", "summary", "days=7")));
  EXPECT_EQ(data.at("dailyMetrics"), Json(V1Data("web", "daily", "days=7")));
  EXPECT_EQ(data.at("featureMetrics"), Json(V1Data("web", "features", "days=7")));
  EXPECT_EQ(data.at("clientMetrics"), Json(V1Data("web", "clients", "days=7")));
  ASSERT_FALSE(data.at("dailyMetrics").as_array().empty());
  const json::object& day = data.at("dailyMetrics").as_array()[0].as_object();
  EXPECT_EQ(day.size(), 3u);
  EXPECT_TRUE(day.contains("date") && day.contains("users") && day.contains("events"));
  const json::object& meta = v.at("metadata").as_object();
  EXPECT_EQ(json::serialize(meta.at("sources")), R"(["demo"])");
  EXPECT_EQ(meta.at("cached"), false);
  EXPECT_TRUE(meta.at("timestamp").is_string());

  HttpResponse one = Get(std::string("/api/metrics?days=7&source=demo&asOf=") + kAsOf);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(Json(one.body).at("data"), v.at("data"));
  HttpResponse other = Get("/api/metrics?days=7&source=elsewhere");
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(Json(other.body).at("success"), false);
  HttpResponse bad = Get("/api/metrics?days=400");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Json(bad.body).at("success"), false);
  EXPECT_NE(bad.body.find("parameter 'days' must be an integer from 1 to 366"), std::string::npos);
}

TEST_F(MetricsCompat, AnalyticsKpisAndSessionTrendsAnswerTheWebMetrics) {
  HttpResponse kpis =
      Get(std::string(
              "/api/analytics/kpis?startDate=2026-11-01&endDate=2026-11-21&currency=USD&asOf=") +
          kAsOf);
  ASSERT_EQ(kpis.status, 200) << kpis.body;
  json::value k = Json(kpis.body);
  EXPECT_EQ(k.at("success"), true);
  EXPECT_EQ(k.at("data"),
            Json(V1Data("web", "kpis", "start=2026-11-01&end=2026-11-21&currency=USD")));
  EXPECT_FALSE(k.at("data").as_array().empty());

  HttpResponse trends = Get(
      std::string("/api/analytics/sessions/trends?startDate=2026-11-15&endDate=2026-11-21&asOf=") +
      kAsOf);
  ASSERT_EQ(trends.status, 200) << trends.body;
  json::value t = Json(trends.body);
  EXPECT_EQ(t.at("data"), Json(V1Data("web", "session_trends", "start=2026-11-15&end=2026-11-21")));
  EXPECT_TRUE(t.at("data").as_object().contains("sessionsGrowth"));

  HttpResponse reversed = Get("/api/analytics/kpis?startDate=2026-11-21&endDate=2026-11-01");
  EXPECT_EQ(reversed.status, 400);
  EXPECT_EQ(Json(reversed.body).at("success"), false);
}

// The log viewer's filters on the demo data, through the real binary: a tenant with errors (from
// tenant_usage) and status=error give only that tenant's errors, newest first, paged.
TEST_F(MetricsCompat, SampleLogsFiltersKeepOnlyTheMatchingRows) {
  json::value tenants = Json(V1Data("llm", "tenant_usage", "days=30"));
  std::string tenant;
  for (const auto& t : tenants.as_array()) {
    if (t.at("errorRate").to_number<double>() > 0 && t.at("requests").to_number<int64_t>() > 100) {
      tenant = std::string(t.at("tenantId").as_string());
      break;
    }
  }
  ASSERT_FALSE(tenant.empty()) << "no tenant with errors: " << json::serialize(tenants);

  auto page = [&](const std::string& query) {
    std::string target = "/api/v1/projects/demo/metrics/llm/sample_logs?";
    HttpResponse r = Get(target.append(query));
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    json::value v = Json(r.body);
    return v.is_object() && v.as_object().contains("data") ? v.at("data").as_array()
                                                           : json::array();
  };
  std::string filter = "tenant=";
  filter.append(UrlEncode(tenant)).append("&status=error");
  json::array first = page(filter + "&limit=5");
  json::array second = page(filter + "&limit=5&offset=5");
  ASSERT_EQ(first.size(), 5u);
  ASSERT_FALSE(second.empty());
  std::set<std::string> ids;
  std::string previous;  // timestamps are ISO UTC: text order is time order
  for (const json::array* p : {&first, &second}) {
    for (const auto& row : *p) {
      EXPECT_EQ(row.at("tenantId"), tenant.c_str()) << json::serialize(row);
      EXPECT_EQ(row.at("status"), "error") << json::serialize(row);
      std::string ts(row.at("timestamp").as_string());
      if (!previous.empty()) {
        EXPECT_LE(ts, previous) << "not newest first";
      }
      previous = ts;
      EXPECT_TRUE(ids.insert(std::string(row.at("requestId").as_string())).second)
          << "a row on two pages: " << json::serialize(row);
    }
  }
  // The same page of the unfiltered list is other rows: the filter is applied, not ignored.
  json::array unfiltered = page("limit=50");
  bool other_tenant_or_status = false;
  for (const auto& row : unfiltered) {
    if (row.at("tenantId") != tenant.c_str() || row.at("status") != "error") {
      other_tenant_or_status = true;
    }
  }
  EXPECT_TRUE(other_tenant_or_status);

  for (const auto& row : page(filter + "&anomaly=false&limit=20")) {
    EXPECT_EQ(row.at("isAnomaly"), false) << json::serialize(row);
  }
  EXPECT_TRUE(page("tenant=no-such-tenant&limit=5").empty());

  HttpResponse bad = Get("/api/v1/projects/demo/metrics/llm/sample_logs?anomaly=maybe");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("INVALID_ARGUMENT"), std::string::npos) << bad.body;
  EXPECT_NE(bad.body.find("parameter 'anomaly' must match ^(true|false)$"), std::string::npos)
      << bad.body;
}

}  // namespace
}  // namespace tributary::testing
