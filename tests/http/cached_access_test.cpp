// A cached metric is answered on the I/O thread (Route::fast), before the worker pool: these
// tests prove that path still checks the key, the project and the rate limits exactly like the
// worker path, against the real `tributary serve` binary on a small demo database.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "config/access_config.h"
#include "support/server_harness.h"

namespace tributary::testing {
namespace {

namespace json = boost::json;

constexpr const char* kAlphaKey = "cachedaccess-alpha-0123456789";
constexpr const char* kBetaKey = "cachedaccess-beta-0123456789";
constexpr const char* kMetric = "/metrics/llm/tenant_usage?days=7&asOf=2026-11-21T13:00:00Z";

std::map<std::string, std::string> Bearer(const std::string& key) {
  return {{"Authorization", "Bearer " + key}};
}

bool IsCached(const HttpResponse& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  return !ec && v.is_object() && v.as_object().contains("meta") &&
         v.at("meta").at("cached").as_bool();
}

class CachedAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string db = dir_.File("demo.duckdb");
    ProcessResult made = RunTributary({"demo-data", "--out", db, "--rows", "2000", "--days", "14",
                                       "--end", "2026-11-21T13:00:00Z"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    // Two projects over the same table: identical parameters, identical source, two keys.
    const std::string config = fmt::format(
        "server: {{listen: 127.0.0.1:0}}\n"
        "sources:\n  demo: {{type: duckdb, path: '{0}'}}\n"
        "projects:\n"
        "  alpha: {{sources: [demo], datasets: {{llm_logs: {{source: demo}}}}}}\n"
        "  beta: {{sources: [demo], datasets: {{llm_logs: {{source: demo}}}}}}\n"
        "auth:\n  keys:\n"
        "    - {{name: alpha, sha256: {1}, projects: [alpha], roles: [read]}}\n"
        "    - {{name: beta, sha256: {2}, projects: [beta], roles: [read]}}\n"
        "rate_limits: {{per_minute: 4, per_hour: 100}}\n",
        db, KeySha256Hex(kAlphaKey), KeySha256Hex(kBetaKey));
    const std::string path = dir_.File("tributary.yaml");
    WriteFile(path, config);
    std::string error;
    server_ = ServerProcess::Start({"--config", path}, &error);
    ASSERT_NE(server_, nullptr) << error;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(CachedAccess, AHitIsRefusedToAMissingKeyAndToAnotherProjectsKey) {
  HttpClient client(server_->port());
  const std::string alpha = std::string("/api/v1/projects/alpha") + kMetric;
  HttpResponse first = client.Get(alpha, Bearer(kAlphaKey));
  ASSERT_EQ(first.status, 200) << first.body;
  HttpResponse hit = client.Get(alpha, Bearer(kAlphaKey));
  ASSERT_EQ(hit.status, 200) << hit.body;
  ASSERT_TRUE(IsCached(hit)) << hit.body;

  // The entry is in memory, so these would be answered on the I/O thread if access allowed.
  EXPECT_EQ(client.Get(alpha).status, 401);
  EXPECT_EQ(client.Get(alpha, Bearer("cachedaccess-unknown-key")).status, 401);
  HttpResponse other = client.Get(alpha, Bearer(kBetaKey));
  EXPECT_EQ(other.status, 403) << other.body;
  EXPECT_EQ(other.body.find("tenantId"), std::string::npos) << other.body;

  // Beta's own identical request is its own entry: a miss first, never alpha's answer.
  HttpResponse beta = client.Get(std::string("/api/v1/projects/beta") + kMetric, Bearer(kBetaKey));
  ASSERT_EQ(beta.status, 200) << beta.body;
  EXPECT_FALSE(IsCached(beta)) << beta.body;
}

TEST_F(CachedAccess, HitsCountAgainstTheRateLimitAndCarryItsHeaders) {
  HttpClient client(server_->port());
  const std::string alpha = std::string("/api/v1/projects/alpha") + kMetric;
  for (int i = 0; i < 4; ++i) {
    HttpResponse ok = client.Get(alpha, Bearer(kAlphaKey));
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(IsCached(ok), i > 0) << ok.body;
    EXPECT_EQ(ok.Header("ratelimit-limit"), "4");
    EXPECT_EQ(ok.Header("ratelimit-remaining"), std::to_string(3 - i));
  }
  HttpResponse limited = client.Get(alpha, Bearer(kAlphaKey));
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_FALSE(limited.Header("retry-after").empty());
}

}  // namespace
}  // namespace tributary::testing
