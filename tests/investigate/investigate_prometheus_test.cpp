// POST /api/v1/investigate against the real Prometheus of scripts/test-servers.sh
// (TRIB_TEST_PROMETHEUS_*; a missing variable FAILS the test), through the real binary.
//
// The test serves its own /metrics (http_requests_total{service,code} and the histogram
// http_request_duration_seconds{service}) whose counters a thread of the test advances at
// 100 requests/s per service: normal traffic (1 % errors, 45 ms) for ~24 s, then an incident on
// `checkout` only (40 % errors, 450 ms) from a recorded time T for ~15 s. It registers the
// endpoint with Prometheus through a file_sd targets file with a job label unique to the
// process (scrape interval 1 s), then asks for the window [T - 10 s, T + 14 s) at a 2 s step.
//
// Tolerance: the PromQL windows are [4s], so the value at a step's time t covers (t - 4 s, t];
// the shift must be at a step in [T - 2 s, T + 2 s + 4 s] (one step either side of T, plus the
// rate window after it). `payments`, with normal traffic throughout, must have no shift.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "core/time_util.h"
#include "support/local_http_server.h"
#include "support/server_harness.h"

namespace tributary {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::HttpClient;
using testing::LocalHttpRequest;
using testing::LocalHttpResponse;
using testing::LocalHttpServer;
using testing::ServerProcess;
using testing::TempDir;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr double kBounds[] = {0.025, 0.05, 0.1, 0.25, 0.5, 1.0};

// The counters of one service, advanced by the traffic thread.
struct Traffic {
  double ok = 0;
  double errors = 0;
  double buckets[6] = {};
  double count = 0;
  double sum = 0;
};

class FakeService {
 public:
  FakeService() {
    thread_ = std::thread([this] { Run(); });
  }
  ~FakeService() {
    stop_ = true;
    thread_.join();
  }
  void StartIncident() { incident_ = true; }

  std::string Exposition() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out = "# TYPE http_requests_total counter\n";
    char line[256];
    for (const auto& [name, t] : {std::pair<const char*, const Traffic*>{"checkout", &checkout_},
                                  {"payments", &payments_}}) {
      std::snprintf(line, sizeof line, "http_requests_total{service=\"%s\",code=\"200\"} %.6f\n",
                    name, t->ok);
      out += line;
      std::snprintf(line, sizeof line, "http_requests_total{service=\"%s\",code=\"500\"} %.6f\n",
                    name, t->errors);
      out += line;
    }
    out += "# TYPE http_request_duration_seconds histogram\n";
    for (const auto& [name, t] : {std::pair<const char*, const Traffic*>{"checkout", &checkout_},
                                  {"payments", &payments_}}) {
      for (int i = 0; i < 6; ++i) {
        std::snprintf(line, sizeof line,
                      "http_request_duration_seconds_bucket{service=\"%s\",le=\"%g\"} %.6f\n", name,
                      kBounds[i], t->buckets[i]);
        out += line;
      }
      std::snprintf(line, sizeof line,
                    "http_request_duration_seconds_bucket{service=\"%s\",le=\"+Inf\"} %.6f\n", name,
                    t->count);
      out += line;
      std::snprintf(line, sizeof line, "http_request_duration_seconds_sum{service=\"%s\"} %.6f\n",
                    name, t->sum);
      out += line;
      std::snprintf(line, sizeof line, "http_request_duration_seconds_count{service=\"%s\"} %.6f\n",
                    name, t->count);
      out += line;
    }
    return out;
  }

 private:
  static void Advance(Traffic& t, double requests, double error_share, double latency) {
    t.errors += requests * error_share;
    t.ok += requests * (1 - error_share);
    for (int i = 0; i < 6; ++i) {
      if (latency <= kBounds[i]) t.buckets[i] += requests;
    }
    t.count += requests;
    t.sum += requests * latency;
  }

  void Run() {
    auto last = std::chrono::steady_clock::now();
    while (!stop_) {
      std::this_thread::sleep_for(50ms);
      auto now = std::chrono::steady_clock::now();
      const double seconds = std::chrono::duration<double>(now - last).count();
      last = now;
      const double requests = 100 * seconds;
      std::lock_guard<std::mutex> lock(mu_);
      if (incident_) {
        Advance(checkout_, requests, 0.40, 0.450);
      } else {
        Advance(checkout_, requests, 0.01, 0.045);
      }
      Advance(payments_, requests, 0.01, 0.045);
    }
  }

  std::mutex mu_;
  Traffic checkout_;
  Traffic payments_;
  std::atomic<bool> incident_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

const json::object* FindEntry(const json::array& timeline, const std::string& kind,
                              const std::string& service, const std::string& signal) {
  for (const auto& e : timeline) {
    const json::object& o = e.as_object();
    if (o.at("kind").as_string() == kind && o.at("service").as_string() == service &&
        o.at("signal").as_string() == signal) {
      return &o;
    }
  }
  return nullptr;
}

TEST(InvestigatePrometheus, IncidentShiftsWithinOneStepOfInjectionAgainstRealPrometheus) {
  for (const char* name : {"TRIB_TEST_PROMETHEUS_URL", "TRIB_TEST_PROMETHEUS_USER",
                           "TRIB_TEST_PROMETHEUS_PASSWORD", "TRIB_TEST_PROMETHEUS_TARGETS_DIR"}) {
    ASSERT_FALSE(Env(name).empty()) << name
                                    << " is not set: start the test servers "
                                       "(scripts/test-servers.sh start) and source their env file";
  }
  FakeService service;
  LocalHttpServer metrics([&](const LocalHttpRequest& req) {
    LocalHttpResponse r;
    if (req.path != "/metrics") {
      r.status = 404;
      return r;
    }
    r.content_type = "text/plain; version=0.0.4";
    r.body = service.Exposition();
    return r;
  });
  std::random_device random;
  const std::string job =
      "trib_inv_test_" + std::to_string(getpid()) + "_" + std::to_string(random() % 100000);
  TempDir dir;
  const std::string matcher = "job=\"" + job + "\",service=\"{{service}}\"";
  testing::WriteFile(dir.File("tributary.yaml"),
                     "server: {listen: 127.0.0.1:0}\n"
                     "sources:\n"
                     "  prom:\n"
                     "    type: prometheus\n"
                     "    url: ${TRIB_TEST_PROMETHEUS_URL}\n"
                     "    user: ${TRIB_TEST_PROMETHEUS_USER}\n"
                     "    password: ${TRIB_TEST_PROMETHEUS_PASSWORD}\n"
                     "    tags: {environments: [prod], services: [checkout, payments]}\n"
                     "    investigate:\n"
                     "      metrics:\n"
                     "        error_rate: 'sum(rate(http_requests_total{" +
                         matcher + ",code=~\"5..\"}[4s])) / sum(rate(http_requests_total{" +
                         matcher +
                         "}[4s]))'\n"
                         "        latency_p95_ms: '1000 * histogram_quantile(0.95, sum by (le) "
                         "(rate(http_request_duration_seconds_bucket{" +
                         matcher +
                         "}[4s])))'\n"
                         "projects:\n"
                         "  shop: {sources: [prom]}\n");
  std::string error;
  auto server = ServerProcess::Start({"--config", dir.File("tributary.yaml")}, &error);
  ASSERT_TRUE(server) << error;

  const std::string targets = Env("TRIB_TEST_PROMETHEUS_TARGETS_DIR") + "/" + job + ".json";
  struct Remove {
    std::string path;
    ~Remove() { std::filesystem::remove(path); }
  } remove{targets};
  testing::WriteFile(targets + ".tmp",
                     "[{\"targets\":[\"127.0.0.1:" + std::to_string(metrics.port()) +
                         "\"],\"labels\":{\"job\":\"" + job + "\"}}]\n");
  std::filesystem::rename(targets + ".tmp", targets);
  HttpClient client(server->port());
  const bool scraped = testing::WaitUntil(
      [&] {
        auto r = client.Post("/api/v1/query",
                             "{\"source\":\"prom\",\"sql\":\"count(http_requests_total{job=\\\"" +
                                 job + "\\\"})\"}");
        return r.status == 200 && r.body.find("\"rows\":[[") != std::string::npos;
      },
      20s);
  ASSERT_TRUE(scraped) << "Prometheus did not scrape the test's /metrics within 20 s";

  std::this_thread::sleep_for(24s);  // normal traffic: the baseline
  service.StartIncident();
  const int64_t t_us = NowUs();
  std::this_thread::sleep_for(15s);

  const std::string body =
      "{\"question\":\"why is checkout failing?\",\"context\":{"
      "\"environment\":\"prod\",\"time_range\":{\"start\":\"" +
      FormatTimestamp(t_us / 1000000 * 1000000 - 10000000) + "\",\"end\":\"" +
      FormatTimestamp(t_us / 1000000 * 1000000 + 14000000) +
      "\"},\"services\":[\"checkout\",\"payments\"]},\"step_seconds\":2}";
  auto r = client.Post("/api/v1/investigate", body);
  ASSERT_EQ(r.status, 200) << r.body;
  json::object answer = json::parse(r.body).as_object();
  const json::array& timeline = answer.at("timeline").as_array();
  SCOPED_TRACE(r.body.substr(0, 6000));

  EXPECT_TRUE(answer.at("failed_sources").as_array().empty());
  for (const char* signal : {"error_rate", "latency_p95_ms"}) {
    const json::object* shift = FindEntry(timeline, "shift", "checkout", signal);
    ASSERT_NE(shift, nullptr) << signal;
    EXPECT_EQ(shift->at("source").as_string(), "prom");
    std::optional<int64_t> at = ParseTimestamp(std::string(shift->at("time").as_string()));
    ASSERT_TRUE(at.has_value());
    EXPECT_GE(*at, t_us - 2000000) << signal << " shifted before the incident";
    EXPECT_LE(*at, t_us + 2000000 + 4000000) << signal << " shifted too late";
    EXPECT_GT(shift->at("value").as_double(), shift->at("threshold").as_double());
    EXPECT_EQ(FindEntry(timeline, "shift", "payments", signal), nullptr) << signal;
  }
  // The exact queries are in the evidence, with the options they were sent with.
  const json::object& evidence = answer.at("evidence").as_array().at(0).as_object();
  EXPECT_EQ(evidence.at("status").as_string(), "ok");
  bool found = false;
  for (const auto& q : evidence.at("queries").as_array()) {
    const json::object& o = q.as_object();
    if (o.at("purpose").as_string() != "error_rate of checkout") continue;
    found = true;
    EXPECT_NE(std::string(o.at("query").as_string()).find("service=\"checkout\""),
              std::string::npos);
    EXPECT_EQ(o.at("options").at("step").as_string(), "2s");
  }
  EXPECT_TRUE(found);
  // One component, checkout, with both signals.
  const json::array& components = answer.at("components").as_array();
  ASSERT_EQ(components.size(), 1u);
  EXPECT_EQ(components[0].at("service").as_string(), "checkout");
  EXPECT_FALSE(answer.contains("root_cause"));
  EXPECT_FALSE(answer.contains("synthesis"));
}

}  // namespace
}  // namespace tributary
