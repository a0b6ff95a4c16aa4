// GET /api/v1/admin/config and POST /api/v1/admin/config/reload against the real binary: what
// they show, a reload that picks up a changed file, a broken file that keeps the current
// config, who may call them, and the built-in demo that has no file to reload.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <future>
#include <regex>

#include "config/config.h"
#include "server/admin_api.h"
#include "support/server_harness.h"

namespace tributary::testing {
namespace {

namespace json = boost::json;

constexpr const char* kRootKey = "admintest-root-0123456789abcdef";
constexpr const char* kProjectAdminKey = "admintest-project-admin-0123456789";
constexpr const char* kReaderKey = "admintest-reader-0123456789abcdef";

std::map<std::string, std::string> Bearer(const std::string& key) {
  return {{"Authorization", "Bearer " + key}};
}

json::object Object(const HttpResponse& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  EXPECT_FALSE(ec) << "not JSON: " << r.body;
  return ec || !v.is_object() ? json::object() : v.as_object();
}

std::string ErrorCodeOf(const HttpResponse& r) {
  json::object o = Object(r);
  if (!o.contains("error")) return "(no error)";
  return std::string(o.at("error").at("code").as_string());
}

std::string ErrorMessageOf(const HttpResponse& r) {
  json::object o = Object(r);
  if (!o.contains("error")) return "(no error)";
  return std::string(o.at("error").at("message").as_string());
}

const std::regex kIsoUtc(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)");

class AdminConfigHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    csv_ = dir_.File("events.csv");
    WriteFile(csv_, "id,name\n1,alice\n2,bob\n");
    config_ = dir_.File("tributary.yaml");
  }

  //! A config with the given sources (all DuckDB over the same CSV) in one project.
  void WriteConfig(const std::vector<std::string>& sources) {
    std::string text = "server:\n  listen: 127.0.0.1:0\nsources:\n";
    std::string list;
    for (const std::string& id : sources) {
      text += "  " + id + ": {type: duckdb, tables: {events: " + csv_ + "}}\n";
      list += (list.empty() ? "" : ", ") + id;
    }
    text += "projects:\n  main: {sources: [" + list + "]}\n";
    text += "auth:\n  keys:\n";
    text += "    - {name: root, sha256: " + KeySha256Hex(kRootKey) +
            ", projects: ['*'], roles: [read, query, admin]}\n";
    text += "    - {name: project-admin, sha256: " + KeySha256Hex(kProjectAdminKey) +
            ", projects: [main], roles: [read, admin]}\n";
    text += "    - {name: reader, sha256: " + KeySha256Hex(kReaderKey) +
            ", projects: ['*'], roles: [read]}\n";
    WriteFile(config_, text);
  }

  std::unique_ptr<ServerProcess> Start() {
    std::string error;
    auto server = ServerProcess::Start({"--config", config_, "--no-web"}, &error);
    EXPECT_TRUE(server) << error;
    return server;
  }

  std::vector<std::string> SourceIds(HttpClient& client) {
    HttpResponse r = client.Get("/api/v1/sources", Bearer(kRootKey));
    std::vector<std::string> ids;
    if (r.status != 200) return ids;
    json::value doc = json::parse(r.body);
    for (const auto& s : doc.at("sources").as_array()) {
      ids.emplace_back(s.at("id").as_string());
    }
    return ids;
  }

  TempDir dir_;
  std::string csv_;
  std::string config_;
};

TEST(AdminConfigTime, LoadTimesHaveMillisecondsAlways) {
  using std::chrono::milliseconds;
  using std::chrono::system_clock;
  EXPECT_EQ(FormatLoadTime(system_clock::time_point(milliseconds(0))), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatLoadTime(system_clock::time_point(milliseconds(1234))),
            "1970-01-01T00:00:01.234Z");
  EXPECT_EQ(FormatLoadTime(system_clock::time_point(milliseconds(-1))), "1969-12-31T23:59:59.999Z");
  EXPECT_TRUE(std::regex_match(FormatLoadTime(system_clock::now()), kIsoUtc));
}

TEST_F(AdminConfigHttp, ShowsTheLoadedConfig) {
  WriteConfig({"alpha", "beta"});
  auto server = Start();
  ASSERT_TRUE(server);
  HttpClient client(server->port());
  HttpResponse r = client.Get("/api/v1/admin/config", Bearer(kRootKey));
  ASSERT_EQ(r.status, 200) << r.body;
  json::object o = Object(r);
  EXPECT_EQ(o.size(), 7u) << r.body;
  std::string ready_version(
      json::parse(client.Get("/readyz").body).at("configVersion").as_string());
  EXPECT_EQ(o.at("configVersion").as_string(), ready_version);
  EXPECT_EQ(ready_version.size(), 12u);
  EXPECT_TRUE(std::regex_match(std::string(o.at("loadedAt").as_string()), kIsoUtc)) << r.body;
  EXPECT_EQ(o.at("path").as_string(), config_);
  EXPECT_TRUE(o.at("reloadable").as_bool());
  EXPECT_EQ(o.at("projects").as_int64(), 1);
  EXPECT_EQ(o.at("sources").as_int64(), 2);
  EXPECT_EQ(o.at("version").as_string(), TRIBUTARY_VERSION);
}

TEST_F(AdminConfigHttp, ReloadPicksUpAChangedFile) {
  WriteConfig({"alpha"});
  auto server = Start();
  ASSERT_TRUE(server);
  HttpClient client(server->port());
  json::object before = Object(client.Get("/api/v1/admin/config", Bearer(kRootKey)));
  std::string v1(before.at("configVersion").as_string());

  // Unchanged file: reloaded all the same, same version.
  HttpResponse same = client.Post("/api/v1/admin/config/reload", "", Bearer(kRootKey));
  ASSERT_EQ(same.status, 200) << same.body;
  json::object s = Object(same);
  EXPECT_EQ(s.size(), 4u) << same.body;
  EXPECT_TRUE(s.at("reloaded").as_bool());
  EXPECT_EQ(s.at("previousVersion").as_string(), v1);
  EXPECT_EQ(s.at("configVersion").as_string(), v1);
  EXPECT_TRUE(std::regex_match(std::string(s.at("loadedAt").as_string()), kIsoUtc));

  WriteConfig({"alpha", "gamma"});
  HttpResponse changed = client.Post("/api/v1/admin/config/reload", "{}", Bearer(kRootKey));
  ASSERT_EQ(changed.status, 200) << changed.body;
  json::object c = Object(changed);
  std::string v2(c.at("configVersion").as_string());
  EXPECT_EQ(c.at("previousVersion").as_string(), v1);
  EXPECT_NE(v2, v1);
  EXPECT_EQ(v2.size(), 12u);
  // Synchronous: the answer comes after the swap.
  EXPECT_EQ(SourceIds(client), (std::vector<std::string>{"alpha", "gamma"}));
  json::object after = Object(client.Get("/api/v1/admin/config", Bearer(kRootKey)));
  EXPECT_EQ(after.at("configVersion").as_string(), v2);
  EXPECT_EQ(after.at("loadedAt").as_string(), c.at("loadedAt").as_string());
  EXPECT_EQ(after.at("sources").as_int64(), 2);
  EXPECT_GE(std::string(after.at("loadedAt").as_string()),
            std::string(before.at("loadedAt").as_string()));
  EXPECT_EQ(json::parse(client.Get("/readyz").body).at("configVersion").as_string(), v2);
  HttpResponse q =
      client.Post("/api/v1/query", R"({"source":"gamma","sql":"SELECT count(*) AS n FROM events"})",
                  Bearer(kRootKey));
  EXPECT_EQ(q.status, 200) << q.body;
  EXPECT_TRUE(server->WaitForStderr("POST /api/v1/admin/config/reload: reloading", 5s))
      << server->Stderr();

  // Two reloads at once run one after the other; both succeed.
  WriteConfig({"alpha", "gamma", "delta"});
  uint16_t port = server->port();
  auto reload = [port] {
    HttpClient c(port);
    return c.Post("/api/v1/admin/config/reload", "", Bearer(kRootKey));
  };
  auto first = std::async(std::launch::async, reload);
  auto second = std::async(std::launch::async, reload);
  HttpResponse a = first.get();
  HttpResponse b = second.get();
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_EQ(b.status, 200) << b.body;
  json::object ao = Object(a);
  json::object bo = Object(b);
  EXPECT_EQ(ao.at("configVersion").as_string(), bo.at("configVersion").as_string());
  // One of them saw the other's result as its previous version.
  EXPECT_TRUE(ao.at("previousVersion").as_string() == v2 ||
              bo.at("previousVersion").as_string() == v2);
  EXPECT_TRUE(ao.at("previousVersion").as_string() == ao.at("configVersion").as_string() ||
              bo.at("previousVersion").as_string() == bo.at("configVersion").as_string());
  EXPECT_EQ(SourceIds(client), (std::vector<std::string>{"alpha", "gamma", "delta"}));
}

TEST_F(AdminConfigHttp, ABrokenFileKeepsTheCurrentConfig) {
  WriteConfig({"alpha"});
  auto server = Start();
  ASSERT_TRUE(server);
  HttpClient client(server->port());
  std::string v1(
      Object(client.Get("/api/v1/admin/config", Bearer(kRootKey))).at("configVersion").as_string());
  std::string good = ReadFile(config_);

  WriteFile(config_, good + "bogus_section: 1\n");
  HttpResponse r = client.Post("/api/v1/admin/config/reload", "", Bearer(kRootKey));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorCodeOf(r), "CONFIG_ERROR");
  EXPECT_TRUE(std::regex_search(ErrorMessageOf(r), std::regex(R"(tributary\.yaml:\d+:\d+)")))
      << r.body;
  EXPECT_NE(ErrorMessageOf(r).find("bogus_section"), std::string::npos) << r.body;

  WriteFile(config_, "sources:\n  alpha:\n    type: duckdb\n    bogus_option: 1\n");
  HttpResponse option = client.Post("/api/v1/admin/config/reload", "", Bearer(kRootKey));
  EXPECT_EQ(option.status, 400) << option.body;
  EXPECT_TRUE(std::regex_search(ErrorMessageOf(option), std::regex(R"(tributary\.yaml:4:\d+)")))
      << option.body;

  // Still the old config, still serving.
  EXPECT_EQ(SourceIds(client), std::vector<std::string>{"alpha"});
  EXPECT_EQ(
      Object(client.Get("/api/v1/admin/config", Bearer(kRootKey))).at("configVersion").as_string(),
      v1);
  EXPECT_EQ(client.Get("/readyz").status, 200);
  EXPECT_TRUE(server->WaitForStderr("config reload failed, keeping the current config", 5s));
}

TEST_F(AdminConfigHttp, OnlyAnAdminKeyForEveryProject) {
  WriteConfig({"alpha"});
  auto server = Start();
  ASSERT_TRUE(server);
  HttpClient client(server->port());
  for (const char* method : {"GET", "POST"}) {
    std::string target =
        std::string("/api/v1/admin/config") + (method == std::string("POST") ? "/reload" : "");
    SCOPED_TRACE(target);
    HttpResponse none = client.Request(method, target, "");
    EXPECT_EQ(none.status, 401) << none.body;
    for (const char* key : {kProjectAdminKey, kReaderKey}) {
      HttpResponse refused = client.Request(method, target, "", Bearer(key));
      EXPECT_EQ(refused.status, 403) << key << " " << refused.body;
      EXPECT_EQ(ErrorCodeOf(refused), "PERMISSION_DENIED");
    }
    EXPECT_EQ(client.Request(method, target, "", Bearer(kRootKey)).status, 200);
  }
  EXPECT_EQ(client.Get("/api/v1/admin/config/reload", Bearer(kRootKey)).status, 405);
}

TEST_F(AdminConfigHttp, TheBuiltInDemoHasNoFileToReload) {
  std::string error;
  auto server = ServerProcess::Start(
      {"--data-dir", dir_.File("data"), "--listen", "127.0.0.1:0", "--no-web"}, &error, 300s);
  ASSERT_TRUE(server) << error;
  HttpClient client(server->port());
  HttpResponse info = client.Get("/api/v1/admin/config");
  ASSERT_EQ(info.status, 200) << info.body;
  json::object o = Object(info);
  EXPECT_TRUE(o.at("path").is_null()) << info.body;
  EXPECT_FALSE(o.at("reloadable").as_bool());
  EXPECT_GE(o.at("sources").as_int64(), 1);
  HttpResponse r = client.Post("/api/v1/admin/config/reload", "");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorCodeOf(r), "CONFIG_ERROR");
  EXPECT_NE(ErrorMessageOf(r).find("no config file to reload"), std::string::npos) << r.body;
  EXPECT_NE(ErrorMessageOf(r).find("--config"), std::string::npos) << r.body;
  EXPECT_EQ(client.Get("/readyz").status, 200);
}

}  // namespace
}  // namespace tributary::testing
