// API keys, roles, project isolation, the loopback rule, per-query limits and rate limits,
// against the real `tributary serve` binary.
//
// The isolation test walks every route of the router: each route that names a project or a
// source (RouteAccess::project) is called for the other project, so a route added later is
// covered by declaring its access, with nothing to add here.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <regex>

#include "config/config.h"
#include "server/api.h"
#include "support/server_harness.h"

namespace tributary::testing {
namespace {

namespace json = boost::json;
namespace asio = boost::asio;

constexpr const char* kReadKey = "authtest-alpha-read-0123456789";
constexpr const char* kQueryKey = "authtest-alpha-query-0123456789";  // given through ${ENV}
constexpr const char* kAllKey = "authtest-alpha-all-0123456789";
constexpr const char* kZuluKey = "authtest-zulu-read-0123456789";
constexpr const char* kRootKey = "authtest-root-0123456789abcdef";

std::map<std::string, std::string> Bearer(const std::string& key) {
  return {{"Authorization", "Bearer " + key}};
}

json::value Json(const HttpResponse& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  EXPECT_FALSE(ec) << "not JSON: " << r.body;
  return v;
}

std::string ErrorCode(const HttpResponse& r) {
  json::value v = Json(r);
  if (!v.is_object() || !v.as_object().contains("error")) return "(no error)";
  return std::string(v.at("error").at("code").as_string());
}

//! Writes a DuckDB-backed config with two projects (alpha, zulu_secret) and five keys.
std::string WriteAuthConfig(const TempDir& dir, const std::string& extra) {
  std::string csv = dir.File("events.csv");
  WriteFile(csv, "id,name\n1,a\n2,b\n");
  setenv("TRIB_AUTHTEST_QUERY_KEY", kQueryKey, 1);
  std::string config = fmt::format(
      "server: {{listen: 127.0.0.1:0, io_threads: 2, worker_threads: 4, default_row_limit: 500}}\n"
      "sources:\n"
      "  alpha_db: {{type: duckdb, tables: {{events: {1}}}, limits: "
      "{{max_rows: 4}}}}\n"
      "  alpha_wide: {{type: duckdb}}\n"
      "  zulu_db: {{type: duckdb, tables: {{events: {1}}}}}\n"
      "projects:\n"
      "  alpha: {{sources: [alpha_db, alpha_wide], limits: {{max_rows: 6, timeout_ms: 400}}}}\n"
      "  zulu_secret: {{sources: [zulu_db]}}\n"
      "default_project: alpha\n"
      "auth:\n"
      "  keys:\n"
      "    - {{name: alpha-read, sha256: {2}, projects: [alpha], roles: [read]}}\n"
      "    - {{name: alpha-query, key: '${{TRIB_AUTHTEST_QUERY_KEY}}', projects: [alpha], roles: "
      "[query]}}\n"
      "    - {{name: alpha-all, sha256: {3}, projects: [alpha], roles: [read, query, admin]}}\n"
      "    - {{name: zulu-read, sha256: {4}, projects: [zulu_secret], roles: [read]}}\n"
      "    - {{name: root, sha256: {5}, projects: ['*'], roles: [read, query, admin]}}\n"
      "{6}",
      "", csv, KeySha256Hex(kReadKey), KeySha256Hex(kAllKey), KeySha256Hex(kZuluKey),
      KeySha256Hex(kRootKey), extra);
  std::string path = dir.File("tributary.yaml");
  WriteFile(path, config);
  return path;
}

class AuthServer {
 public:
  static AuthServer& Get() {
    static AuthServer server;
    return server;
  }
  uint16_t port() const { return process_ ? process_->port() : 0; }
  const std::string& error() const { return error_; }

 private:
  AuthServer() {
    // Rate limits out of the way: this server is about access, HttpRateLimit about limits.
    std::string config =
        WriteAuthConfig(dir_, "rate_limits: {per_minute: 100000, per_hour: 1000000}\n");
    process_ = ServerProcess::Start({"--config", config}, &error_);
  }
  TempDir dir_;
  std::string error_;
  std::unique_ptr<ServerProcess> process_;
};

class HttpAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(AuthServer::Get().port(), 0) << AuthServer::Get().error();
    port_ = AuthServer::Get().port();
  }
  HttpResponse Call(const std::string& method, const std::string& target, const std::string& key,
                    const std::string& body = "", std::map<std::string, std::string> headers = {}) {
    HttpClient client(port_);
    if (!key.empty()) headers["Authorization"] = "Bearer " + key;
    if (!body.empty()) headers["Content-Type"] = "application/json";
    return client.Request(method, target, body, headers);
  }
  HttpResponse Get(const std::string& target, const std::string& key) {
    return Call("GET", target, key);
  }
  HttpResponse Query(const std::string& body, const std::string& key) {
    return Call("POST", "/api/v1/query", key, body);
  }
  uint16_t port_ = 0;
};

TEST_F(HttpAuth, MissingMalformedAndUnknownKeysGet401) {
  HttpResponse none = Get("/api/v1/sources", "");
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_EQ(ErrorCode(none), "UNAUTHENTICATED");
  EXPECT_EQ(none.Header("www-authenticate"), "Bearer realm=\"tributary\"");
  HttpClient client(port_);
  HttpResponse basic = client.Get("/api/v1/sources", {{"Authorization", "Basic YTpi"}});
  EXPECT_EQ(basic.status, 401) << basic.body;
  HttpResponse unknown = Get("/api/v1/sources", "not-a-key-of-this-server-at-all");
  EXPECT_EQ(unknown.status, 401) << unknown.body;
  EXPECT_EQ(unknown.Header("www-authenticate"),
            "Bearer realm=\"tributary\", error=\"invalid_token\"");
  // A key's hash is not the key.
  EXPECT_EQ(Get("/api/v1/sources", KeySha256Hex(kReadKey)).status, 401);
  // The scheme is case-insensitive.
  EXPECT_EQ(
      client.Get("/api/v1/sources", {{"Authorization", std::string("bearer ") + kReadKey}}).status,
      200);
}

TEST_F(HttpAuth, HealthReadinessAndMetricsStayPublic) {
  EXPECT_EQ(Get("/healthz", "").status, 200);
  EXPECT_NE(Get("/readyz", "").status, 401);
  EXPECT_EQ(Get("/metrics", "").status, 200);
  EXPECT_EQ(Get("/healthz", "an-unknown-key-is-ignored-here").status, 200);
}

TEST_F(HttpAuth, RolesDecideWhatAKeyMayDo) {
  const std::string select = R"({"source":"alpha_db","sql":"SELECT 1 AS x"})";
  // read (hashed key): schema yes, raw SQL no.
  EXPECT_EQ(Get("/api/v1/sources", kReadKey).status, 200);
  EXPECT_EQ(Get("/api/v1/sources/alpha_db/tables", kReadKey).status, 200);
  EXPECT_EQ(Get("/api/v1/sources/alpha_db/tables/events", kReadKey).status, 200);
  HttpResponse no_query = Query(select, kReadKey);
  EXPECT_EQ(no_query.status, 403) << no_query.body;
  EXPECT_EQ(ErrorCode(no_query), "PERMISSION_DENIED");
  EXPECT_NE(no_query.body.find("does not have the 'query' role"), std::string::npos);
  // query (clear key from ${ENV}): raw SQL yes, schema no.
  HttpResponse query = Query(select, kQueryKey);
  EXPECT_EQ(query.status, 200) << query.body;
  EXPECT_EQ(Get("/api/v1/sources/alpha_db/tables", kQueryKey).status, 403);
  EXPECT_EQ(Get("/api/v1/sources", kQueryKey).status, 403);
  // Any valid key may see its own rate-limit windows.
  EXPECT_EQ(Get("/api/v1/rate-limit/status", kQueryKey).status, 200);
  EXPECT_EQ(Get("/api/analytics/rate-limit/status", kReadKey).status, 200);
}

//! The concrete request for `route` aimed at `project` (whose only source is `source`).
struct RouteCall {
  std::string method;
  std::string target;
  std::string body;
};

RouteCall CallFor(const Route& route, const std::string& project, const std::string& source) {
  RouteCall call{route.method, "", ""};
  std::string path = route.pattern;
  path = std::regex_replace(path, std::regex(R"(\{project\})"), project);
  path = std::regex_replace(path, std::regex(R"(\{id\})"), source);
  path = std::regex_replace(path, std::regex(R"(\{[a-z_]+\})"), "events");
  call.target = path;
  switch (route.access.project) {
    case ProjectFrom::kQueryParam:
      call.target += "?project=" + project;
      break;
    case ProjectFrom::kQueryBody:
      call.body = R"({"project":")" + project + R"(","sql":"SELECT 1"})";
      break;
    case ProjectFrom::kBodyOrQueryParam:
      call.body = R"({"project":")" + project +
                  R"(","context":{"time_range":{"start":"now-1h","end":"now"}}})";
      break;
    case ProjectFrom::kProjectOrAll:
      if (route.method == "GET") {
        call.target += "?project=" + project;
      } else {
        call.body = R"({"project":")" + project + R"("})";
      }
      break;
    default:
      if (route.method == "POST") call.body = "{}";
      break;
  }
  return call;
}

TEST_F(HttpAuth, AKeyForOneProjectIsRefusedOnEveryRouteOfAnother) {
  Api api;
  int project_routes = 0;
  for (const Route& route : api.router().routes()) {
    SCOPED_TRACE(route.method + " " + route.pattern);
    if (route.access.need == RouteAccess::Need::kPublic) continue;
    if (route.access.project == ProjectFrom::kNone) {
      // No project named: with every role, the alpha key is allowed, and a list never shows
      // the other project or its source.
      RouteCall call = CallFor(route, "alpha", "alpha_db");
      HttpResponse r = Call(call.method, call.target, kAllKey, call.body);
      EXPECT_NE(r.status, 401) << r.body;
      EXPECT_NE(r.status, 403) << r.body;
      EXPECT_EQ(r.body.find("zulu"), std::string::npos) << r.body;
      continue;
    }
    if (route.access.project == ProjectFrom::kAll) {
      // Every project at once: only a "*" key.
      RouteCall all = CallFor(route, "alpha", "alpha_db");
      HttpResponse refused = Call(all.method, all.target, kAllKey, all.body);
      EXPECT_EQ(refused.status, 403) << refused.body;
      EXPECT_EQ(refused.body.find("zulu"), std::string::npos) << refused.body;
      EXPECT_NE(Call(all.method, all.target, kRootKey, all.body).status, 403);
      continue;
    }
    ++project_routes;
    if (route.access.project == ProjectFrom::kProjectOrAll) {
      // Without a project the action covers every project: only a "*" key may do that.
      RouteCall all{route.method, route.pattern, route.method == "POST" ? "{}" : ""};
      EXPECT_EQ(Call(all.method, all.target, kAllKey, all.body).status, 403);
      EXPECT_NE(Call(all.method, all.target, kRootKey, all.body).status, 403);
    }
    RouteCall other = CallFor(route, "zulu_secret", "zulu_db");
    HttpResponse refused = Call(other.method, other.target, kAllKey, other.body);
    EXPECT_EQ(refused.status, 403) << other.target << " " << refused.body;
    EXPECT_EQ(refused.body.find("zulu"), std::string::npos) << refused.body;
    // The same route for the key's own project is not refused.
    RouteCall own = CallFor(route, "alpha", "alpha_db");
    HttpResponse allowed = Call(own.method, own.target, kAllKey, own.body);
    EXPECT_NE(allowed.status, 401) << own.target << " " << allowed.body;
    EXPECT_NE(allowed.status, 403) << own.target << " " << allowed.body;
    // And the other project's key may use it.
    if (route.access.need == RouteAccess::Need::kRead) {
      HttpResponse zulu = Call(other.method, other.target, kZuluKey, other.body);
      EXPECT_NE(zulu.status, 403) << other.target << " " << zulu.body;
    }
  }
  // metrics, compat metrics, schema, raw SQL: the test must not pass by finding no route.
  EXPECT_GE(project_routes, 7);
}

TEST_F(HttpAuth, EveryProjectParameterIsChecked) {
  for (const char* query :
       {"?project=alpha&project=zulu_secret", "?project=zulu_secret&project=alpha"}) {
    HttpResponse r = Get(std::string("/api/analytics/kpis") + query, kAllKey);
    EXPECT_EQ(r.status, 403) << query << " " << r.body;
  }
}

TEST_F(HttpAuth, RawSqlNamingOnlyTheOtherProjectsSourceIsRefused) {
  HttpResponse r = Query(R"({"source":"zulu_db","sql":"SELECT 1"})", kAllKey);
  EXPECT_EQ(r.status, 403) << r.body;
  // The default project does not leak to a key without it either.
  HttpResponse kpis = Get("/api/analytics/kpis", kZuluKey);
  EXPECT_EQ(kpis.status, 403) << kpis.body;
  EXPECT_EQ(kpis.body.find("alpha"), std::string::npos) << kpis.body;
}

TEST_F(HttpAuth, ForbiddenAnswerIsTheSameForExistingAndMissingProjects) {
  const std::map<std::string, std::string> id = {{"X-Request-Id", "authtest-same-id"}};
  auto get = [&](const std::string& target) { return Call("GET", target, kAllKey, "", id); };
  HttpResponse existing = get("/api/v1/projects/zulu_secret/metrics/web/summary");
  HttpResponse missing = get("/api/v1/projects/no_such_project/metrics/web/summary");
  EXPECT_EQ(existing.status, 403);
  EXPECT_EQ(existing.status, missing.status);
  EXPECT_EQ(existing.body, missing.body);
  HttpResponse existing_source = get("/api/v1/sources/zulu_db/tables");
  HttpResponse missing_source = get("/api/v1/sources/no_such_source/tables");
  EXPECT_EQ(existing_source.status, 403);
  EXPECT_EQ(existing_source.body, missing_source.body);
  HttpResponse existing_query =
      Call("POST", "/api/v1/query", kAllKey, R"({"project":"zulu_secret","sql":"SELECT 1"})", id);
  HttpResponse missing_query =
      Call("POST", "/api/v1/query", kAllKey, R"({"project":"nope","sql":"SELECT 1"})", id);
  EXPECT_EQ(existing_query.status, 403);
  EXPECT_EQ(existing_query.body, missing_query.body);
}

TEST_F(HttpAuth, ListsShowOnlyTheKeysProjectsAndSources) {
  HttpResponse sources = Get("/api/v1/sources", kReadKey);
  ASSERT_EQ(sources.status, 200);
  EXPECT_NE(sources.body.find("alpha_db"), std::string::npos);
  EXPECT_EQ(sources.body.find("zulu"), std::string::npos) << sources.body;
  HttpResponse projects = Get("/api/v1/projects", kZuluKey);
  ASSERT_EQ(projects.status, 200);
  json::value v = Json(projects);
  EXPECT_TRUE(v.at("defaultProject").is_null()) << projects.body;
  ASSERT_EQ(v.at("projects").as_array().size(), 1u);
  EXPECT_EQ(v.at("projects").at(0).at("id").as_string(), "zulu_secret");
  EXPECT_EQ(projects.body.find("alpha"), std::string::npos) << projects.body;
  HttpResponse all = Get("/api/v1/sources", kRootKey);
  EXPECT_NE(all.body.find("zulu_db"), std::string::npos);
}

TEST_F(HttpAuth, TightestQueryLimitWinsAndTruncates) {
  auto rows = [&](const std::string& body) {
    HttpResponse r = Query(body, kRootKey);
    EXPECT_EQ(r.status, 200) << r.body;
    json::value v = Json(r);
    if (!v.is_object() || !v.as_object().contains("rows")) return std::make_pair(-1, false);
    return std::make_pair(static_cast<int>(v.at("rows").as_array().size()),
                          v.at("stats").at("truncated").as_bool());
  };
  const std::string range = R"js("sql":"SELECT range FROM range(100)")js";
  // Source cap 4 beats the project's 6 and the server's default 500.
  EXPECT_EQ(rows(R"js({"source":"alpha_db",)js" + range + "}"), std::make_pair(4, true));
  // The project's cap applies to its other source.
  EXPECT_EQ(rows(R"js({"source":"alpha_wide",)js" + range + "}"), std::make_pair(6, true));
  // A request may ask for less.
  EXPECT_EQ(rows(R"js({"source":"alpha_wide","limit":2,)js" + range + "}"),
            std::make_pair(2, true));
  // No project limits on zulu_db: the server's default row limit (500) leaves 100 rows whole.
  EXPECT_EQ(rows(R"js({"source":"zulu_db",)js" + range + "}"), std::make_pair(100, false));
  // Never more.
  HttpResponse more = Query(R"js({"source":"alpha_db","limit":5,)js" + range + "}", kRootKey);
  EXPECT_EQ(more.status, 400) << more.body;
  EXPECT_NE(more.body.find("sources.alpha_db.limits.max_rows"), std::string::npos) << more.body;
  HttpResponse longer =
      Query(R"js({"source":"alpha_db","timeoutMs":1000,)js" + range + "}", kRootKey);
  EXPECT_EQ(longer.status, 400) << longer.body;
  EXPECT_NE(longer.body.find("projects.alpha.limits.timeout_ms"), std::string::npos);
  // The project's 400 ms timeout stops a slow query.
  HttpResponse slow = Query(
      R"js({"source":"alpha_wide","sql":"SELECT count(*) FROM range(1000000000) a, range(1000000000) b WHERE a.range + b.range = -1"})js",
      kRootKey);
  EXPECT_EQ(slow.status, 504) << slow.body;
  EXPECT_EQ(ErrorCode(slow), "DEADLINE_EXCEEDED");
  // A project that does not use the source.
  HttpResponse mismatch =
      Query(R"js({"project":"zulu_secret","source":"alpha_db","sql":"SELECT 1"})js", kRootKey);
  EXPECT_EQ(mismatch.status, 400) << mismatch.body;
}

// ---- The loopback rule ---------------------------------------------------------------------

std::string MinimalConfig(const TempDir& dir, const std::string& extra) {
  std::string path = dir.File("min.yaml");
  // A port of its own (the default 8080 may be taken); a --listen on the command line wins.
  WriteFile(path, "server: {listen: '127.0.0.1:0'}\nsources:\n  db: {type: duckdb}\n" + extra);
  return path;
}

TEST(HttpListenRule, NonLoopbackWithoutKeysRefusesToStart) {
  TempDir dir;
  ProcessResult r =
      RunTributary({"serve", "--config", MinimalConfig(dir, ""), "--listen", "0.0.0.0:0"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("refusing to listen on '0.0.0.0' without API keys"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("auth: none"), std::string::npos) << r.err;
}

TEST(HttpListenRule, AuthNoneOrKeysAllowAnyAddress) {
  TempDir dir;
  std::string error;
  auto open = ServerProcess::Start(
      {"--config", MinimalConfig(dir, "auth: none\n"), "--listen", "0.0.0.0:0"}, &error);
  ASSERT_NE(open, nullptr) << error;
  HttpClient client(open->port());
  EXPECT_EQ(client.Get("/api/v1/sources").status, 200);
  open.reset();
  TempDir keyed_dir;
  auto keyed = ServerProcess::Start(
      {"--config", WriteAuthConfig(keyed_dir, ""), "--listen", "0.0.0.0:0"}, &error);
  ASSERT_NE(keyed, nullptr) << error;
  HttpClient keyed_client(keyed->port());
  EXPECT_EQ(keyed_client.Get("/api/v1/sources").status, 401);
}

// ---- Rate limits -----------------------------------------------------------------------------

//! GET `target` from a chosen loopback address (127.0.0.2, ...), so that one test can be
//! several clients; the answer's status and headers.
HttpResponse GetFrom(const std::string& from, uint16_t port, const std::string& target) {
  HttpResponse out;
  try {
    asio::io_context ioc;
    asio::ip::tcp::socket socket(ioc);
    socket.open(asio::ip::tcp::v4());
    socket.bind({asio::ip::make_address(from), 0});
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    std::string request =
        "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    asio::write(socket, asio::buffer(request));
    std::string response;
    boost::system::error_code ec;
    char buffer[4096];
    while (true) {
      size_t n = socket.read_some(asio::buffer(buffer), ec);
      response.append(buffer, n);
      if (ec) break;
    }
    std::smatch m;
    if (std::regex_search(response, m, std::regex(R"(^HTTP/1\.1 (\d{3}))"))) {
      out.status = std::stoi(m[1]);
    }
    std::regex header(R"(\r\n([A-Za-z-]+): ([^\r]*))");
    for (auto it = std::sregex_iterator(response.begin(), response.end(), header);
         it != std::sregex_iterator(); ++it) {
      std::string name = (*it)[1];
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = (*it)[2];
    }
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

TEST(HttpRateLimit, PerKeyWindowsAnswer429WithHeaders) {
  TempDir dir;
  std::string error;
  auto server = ServerProcess::Start(
      {"--config", WriteAuthConfig(dir, "rate_limits: {per_minute: 3, per_hour: 100}\n")}, &error);
  ASSERT_NE(server, nullptr) << error;
  HttpClient client(server->port());
  for (int i = 0; i < 3; ++i) {
    HttpResponse ok = client.Get("/api/v1/sources", Bearer(kReadKey));
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(ok.Header("ratelimit-limit"), "3");
    EXPECT_EQ(ok.Header("ratelimit-remaining"), std::to_string(2 - i));
    EXPECT_EQ(ok.Header("ratelimit-policy"), "3;w=60, 100;w=3600");
  }
  HttpResponse limited = client.Get("/api/v1/sources", Bearer(kReadKey));
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(ErrorCode(limited), "RATE_LIMITED");
  EXPECT_EQ(limited.Header("ratelimit-remaining"), "0");
  int retry = std::atoi(limited.Header("retry-after").c_str());
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 60);
  int reset = std::atoi(limited.Header("ratelimit-reset").c_str());
  EXPECT_GE(reset, 1);
  EXPECT_LE(reset, 60);
  // Another key has its own windows; health and the status route are not counted.
  EXPECT_EQ(client.Get("/api/v1/sources", Bearer(kAllKey)).status, 200);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(client.Get("/healthz").status, 200);
  HttpResponse status = client.Get("/api/v1/rate-limit/status", Bearer(kReadKey));
  ASSERT_EQ(status.status, 200) << status.body;
  json::value v = Json(status);
  EXPECT_EQ(v.at("caller").as_string(), "key:alpha-read");
  const json::array& buckets = v.at("buckets").as_array();
  ASSERT_EQ(buckets.size(), 2u) << status.body;  // the global one and alpha (not zulu_secret)
  EXPECT_TRUE(buckets[0].at("project").is_null());
  const json::value& minute = buckets[0].at("windows").at(0);
  EXPECT_EQ(minute.at("window").as_string(), "minute");
  EXPECT_EQ(minute.at("limit").as_int64(), 3);
  EXPECT_EQ(minute.at("used").as_int64(), 3);
  EXPECT_EQ(minute.at("remaining").as_int64(), 0);
  EXPECT_EQ(buckets[1].at("project").as_string(), "alpha");
  EXPECT_EQ(status.body.find("zulu"), std::string::npos);
}

TEST(HttpRateLimit, PerAddressWithoutAuthAndPerProjectSettings) {
  TempDir dir;
  std::string path =
      MinimalConfig(dir,
                    "projects:\n  tight: {sources: [db], rate_limits: {per_minute: 1}}\n"
                    "  loose: {sources: [db]}\n"
                    "default_project: loose\n"
                    "auth: none\nrate_limits: {per_minute: 2, per_hour: 50}\n");
  std::string error;
  auto server = ServerProcess::Start({"--config", path}, &error);
  ASSERT_NE(server, nullptr) << error;
  const uint16_t port = server->port();
  EXPECT_EQ(GetFrom("127.0.0.1", port, "/api/v1/sources").status, 200);
  EXPECT_EQ(GetFrom("127.0.0.1", port, "/api/v1/sources").status, 200);
  HttpResponse limited = GetFrom("127.0.0.1", port, "/api/v1/sources");
  EXPECT_EQ(limited.status, 429) << limited.error;
  EXPECT_FALSE(limited.Header("retry-after").empty());
  // Another address has its own windows.
  EXPECT_EQ(GetFrom("127.0.0.2", port, "/api/v1/sources").status, 200) << "127.0.0.2";
  // A project's own setting: one request per minute on `tight`.
  auto kpis = [&](const std::string& project) {
    return GetFrom("127.0.0.3", port, "/api/analytics/kpis?project=" + project);
  };
  HttpResponse first = kpis("tight");
  EXPECT_NE(first.status, 429);
  EXPECT_EQ(first.Header("ratelimit-limit"), "1");
  EXPECT_EQ(kpis("tight").status, 429);
  EXPECT_NE(kpis("loose").status, 429);
}

}  // namespace
}  // namespace tributary::testing

namespace tributary::testing {
namespace {

std::string RedisSection(const std::string& port_override = "") {
  const char* host = std::getenv("TRIB_TEST_REDIS_HOST");
  const char* port = std::getenv("TRIB_TEST_REDIS_PORT");
  if (!host || !port || !std::getenv("TRIB_TEST_REDIS_PASSWORD")) {
    ADD_FAILURE() << "TRIB_TEST_REDIS_* is not set: source the env file of "
                     "scripts/test-servers.sh";
    return "";
  }
  return fmt::format(
      "redis: {{host: {}, port: {}, password: '${{TRIB_TEST_REDIS_PASSWORD}}', key_prefix: "
      "'test:auth_http:{}:'}}\n",
      host, port_override.empty() ? port : port_override, std::random_device()());
}

TEST(HttpRateLimitRedis, TwoServersShareOneLimit) {
  TempDir dir;
  std::string config =
      WriteAuthConfig(dir, "rate_limits: {per_minute: 3, per_hour: 100}\n" + RedisSection());
  std::string error;
  auto a = ServerProcess::Start({"--config", config}, &error);
  ASSERT_NE(a, nullptr) << error;
  auto b = ServerProcess::Start({"--config", config}, &error);
  ASSERT_NE(b, nullptr) << error;
  HttpClient to_a(a->port());
  HttpClient to_b(b->port());
  EXPECT_EQ(to_a.Get("/api/v1/sources", Bearer(kReadKey)).status, 200);
  EXPECT_EQ(to_b.Get("/api/v1/sources", Bearer(kReadKey)).status, 200);
  HttpResponse third = to_a.Get("/api/v1/sources", Bearer(kReadKey));
  EXPECT_EQ(third.status, 200);
  EXPECT_EQ(third.Header("ratelimit-remaining"), "0");
  HttpResponse limited = to_b.Get("/api/v1/sources", Bearer(kReadKey));
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_FALSE(limited.Header("retry-after").empty());
  EXPECT_EQ(to_a.Get("/api/v1/sources", Bearer(kReadKey)).status, 429);
  HttpResponse status = to_b.Get("/api/v1/rate-limit/status", Bearer(kReadKey));
  ASSERT_EQ(status.status, 200);
  EXPECT_TRUE(Json(status).at("shared").as_bool()) << status.body;
}

TEST(HttpRateLimitRedis, RedisDownFallsBackToInProcessLimits) {
  TempDir dir;
  // Nothing listens on loopback port 1: every Redis call fails, no request may fail with it.
  std::string config =
      WriteAuthConfig(dir, "rate_limits: {per_minute: 2, per_hour: 100}\n" + RedisSection("1"));
  std::string error;
  auto server = ServerProcess::Start({"--config", config}, &error);
  ASSERT_NE(server, nullptr) << error;
  HttpClient client(server->port());
  EXPECT_EQ(client.Get("/api/v1/sources", Bearer(kReadKey)).status, 200);
  EXPECT_EQ(client.Get("/api/v1/sources", Bearer(kReadKey)).status, 200);
  EXPECT_EQ(client.Get("/api/v1/sources", Bearer(kReadKey)).status, 429);
  HttpResponse status = client.Get("/api/v1/rate-limit/status", Bearer(kReadKey));
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_FALSE(Json(status).at("shared").as_bool());
}

}  // namespace
}  // namespace tributary::testing

namespace tributary::testing {
namespace {

TEST(HttpListenRule, ReloadThatDropsTheKeysOnAPublicAddressIsRefused) {
  TempDir dir;
  std::string config = MinimalConfig(dir, "auth: none\n");
  std::string error;
  auto server = ServerProcess::Start({"--config", config, "--listen", "0.0.0.0:0"}, &error);
  ASSERT_NE(server, nullptr) << error;
  WriteFile(config, "sources:\n  db: {type: duckdb}\n");
  server->Signal(SIGHUP);
  EXPECT_TRUE(server->WaitForStderr("refusing to listen on '0.0.0.0'", 20s)) << server->Stderr();
  HttpClient client(server->port());
  EXPECT_EQ(client.Get("/api/v1/sources").status, 200);
}

TEST(HashKeyCommand, PrintsAKeyAndItsSha256Line) {
  ProcessResult r = RunTributary({"hash-key"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m,
                                std::regex("key: (trib_[A-Za-z0-9_-]{43})\nsha256: "
                                           "([0-9a-f]{64})\n")))
      << r.out;
  EXPECT_EQ(m[2].str(), KeySha256Hex(m[1].str()));
  ProcessResult given = RunTributary({"hash-key", "--key", "abc"});
  EXPECT_EQ(given.out, "sha256: " + KeySha256Hex("abc") + "\n");
}

}  // namespace
}  // namespace tributary::testing

namespace tributary::testing {
namespace {

TEST(HttpAuthNoDefaultProject, AMissingProjectParameterDoesNotListTheProjects) {
  TempDir dir;
  std::string config =
      MinimalConfig(dir,
                    "projects:\n  mine: {sources: [db]}\n  hidden_other: {sources: [db]}\n"
                    "auth: {keys: [{name: k, sha256: " +
                        KeySha256Hex(kReadKey) + ", projects: [mine], roles: [read]}]}\n");
  std::string error;
  auto server = ServerProcess::Start({"--config", config}, &error);
  ASSERT_NE(server, nullptr) << error;
  HttpClient client(server->port());
  HttpResponse r = client.Get("/api/analytics/kpis", Bearer(kReadKey));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.body.find("hidden_other"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("?project="), std::string::npos) << r.body;
}

}  // namespace
}  // namespace tributary::testing
