// The Prometheus conformance target: the live 2.42 test server of scripts/test-servers.sh
// (TRIB_TEST_PROMETHEUS_URL, _USER, _PASSWORD), which scrapes itself every second.
//
// Prometheus speaks PromQL, not SQL (capability `sql` false): the SQL cases skip and the
// engine-neutral ones run through the query hooks, with answers PromQL computes:
// - one row: count(up{job="prometheus"}), the server's own scrape target (1);
// - numbered rows: the range query time() from 1 to 11000 every second (11000 rows holding
//   1..11000, the most points Prometheus returns for one series);
// - slow: a sum of subqueries of 100000 points each, about 70 ms apiece, enough terms for
//   twice the asked time; Prometheus checks its timeout between terms, so the `timeout`
//   parameter and a closed connection both stop it at once;
// - echo: vector(<n>) for an integer, a PromQL string literal for text (a string result);
// - schema: the metrics `up` and `prometheus_build_info` (kind "metric"), `up` described.
// Thread-safety: used by the suite's test thread only.
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "conformance/conformance_target.h"
#include "connectors/common/http_client.h"

namespace tributary::conformance {
namespace {

class PrometheusTarget final : public Target {
 public:
  std::string name() const override { return "prometheus"; }
  std::string connector_type() const override { return "prometheus"; }

  Capabilities capabilities() const override {
    Capabilities c;
    c.timestamp_with_zone = false;
    c.decimal = false;
    c.json = false;
    c.arrays = false;
    c.uuid = false;
    c.interval = false;
    c.bytes = false;
    c.engine_read_only = true;  // the query API cannot write
    c.credentials = true;       // basic authentication (web.yml)
    c.restartable = true;
    c.sql = false;
    return c;
  }

  //! No fixtures to create: the data is the server's own scrapes. Waits (up to 15 s) until the
  //! first self-scrape is queryable, so `up` exists.
  Status PrepareFixtures() override {
    if (TestEnv("TRIB_TEST_PROMETHEUS_URL").empty()) {
      return Unavailable(
          "TRIB_TEST_PROMETHEUS_URL is not set: run the conformance suite via `make test` "
          "(scripts/test-servers.sh starts the servers)");
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    std::string last;
    while (std::chrono::steady_clock::now() < until) {
      HttpHandle http;
      HttpRequest request;
      request.url = TestEnv("TRIB_TEST_PROMETHEUS_URL") +
                    "/api/v1/query?query=" + UrlEncode("up{job=\"prometheus\"} == 1");
      request.post = false;
      request.basic_user = TestEnv("TRIB_TEST_PROMETHEUS_USER");
      request.basic_password = TestEnv("TRIB_TEST_PROMETHEUS_PASSWORD");
      request.total_timeout = std::chrono::milliseconds(5000);
      auto response = http.Perform(request, nullptr);
      if (response.ok() && response->status == 200 &&
          response->body.find("\"job\":\"prometheus\"") != std::string::npos) {
        return Status::Ok();
      }
      last = response.ok() ? "HTTP " + std::to_string(response->status) + " " + response->body
                           : response.status().ToString();
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return Unavailable("Prometheus has not scraped itself within 15 s: " + last);
  }

  Options BaseOptions() const override {
    return MakeOptions({{"url", TestEnv("TRIB_TEST_PROMETHEUS_URL")},
                        {"user", TestEnv("TRIB_TEST_PROMETHEUS_USER")},
                        {"password", TestEnv("TRIB_TEST_PROMETHEUS_PASSWORD")},
                        {"connect_timeout_ms", int64_t{3000}}});
  }
  Options BadCredentialOptions() const override {
    return WithOverrides(BaseOptions(), {{"password", std::string("wrong-password")}});
  }
  Options UnreachableOptions() const override {
    // Port 1 on loopback: nothing listens there, the connect is refused at once.
    return WithOverrides(BaseOptions(), {{"url", std::string("http://127.0.0.1:1")}});
  }

  // The SQL fixture hooks: not used (capability `sql` is false, those cases skip).
  std::string TypesQuery() const override { return {}; }
  std::vector<ExpectedColumn> ExpectedTypeColumns() const override { return {}; }
  std::string ExpectedTypeRowsJson() const override { return "[]"; }
  std::string Placeholder(int i) const override {
    (void)i;
    return {};
  }
  std::vector<std::string> EngineWrites() const override { return {}; }

  //! Terms of about 70 ms each (measured on the test machine), twice as many as `seconds`
  //! needs, so the query outlasts the asked time with a margin.
  std::string SlowQuery(int seconds) const override {
    const int terms = std::max(10, seconds * 30);
    std::string promql;
    for (int i = 0; i < terms; ++i) {
      if (i != 0) promql += " + ";
      promql += "count_over_time(vector(1)[100s:1ms])";
    }
    return promql;
  }

  ProbeQuery SlowRequest(int seconds) const override {
    ProbeQuery probe;
    probe.request.sql = SlowQuery(seconds);
    probe.request.options = {{"time", "1000000"}};
    probe.column = 1;
    return probe;
  }

  ProbeQuery OneRowQuery() const override {
    ProbeQuery probe;
    probe.request.sql = "count(up{job=\"prometheus\"})";
    probe.column = 1;  // timestamp, value
    probe.column_count = 2;
    return probe;
  }

  ProbeQuery NumberedRowsQuery() const override {
    ProbeQuery probe;
    probe.request.sql = "time()";
    probe.request.options = {{"start", "1"}, {"end", "11000"}, {"step", "1s"}};
    probe.column = 1;  // timestamp, value
    return probe;
  }
  int64_t NumberedRowCount() const override { return 11000; }

  ProbeQuery EchoQuery(const Value& value) const override {
    ProbeQuery probe;
    if (value.type == ColumnType::kInt64) {
      probe.request.sql = "vector(" + std::to_string(value.as_int()) + ")";
    } else {
      // The suite's tags are plain text without quotes or backslashes.
      probe.request.sql = "\"" + value.as_string() + "\"";
    }
    probe.request.options = {{"time", "now"}};
    probe.column = 1;
    probe.column_count = 2;
    return probe;
  }

  SchemaExpectation ExpectedSchema() const override {
    SchemaExpectation schema;
    schema.listed = {"up", "prometheus_build_info"};
    schema.kind = "metric";
    schema.described = "up";
    schema.described_columns = {"timestamp", "__name__", "instance", "job", "value"};
    schema.missing = "conf_no_such_metric";
    return schema;
  }

  Status RestartServer() override {
    const std::string script = TestEnv("TRIB_TEST_SERVERS_SCRIPT");
    if (script.empty()) return Unavailable("TRIB_TEST_SERVERS_SCRIPT is not set");
    const std::string command = "'" + script + "' restart prometheus >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) return Internal("restarting Prometheus failed");
    return Status::Ok();
  }
};

const bool kRegistered = RegisterTarget([] { return std::make_unique<PrometheusTarget>(); });

}  // namespace
}  // namespace tributary::conformance
