// The web dashboard served by the real `tributary serve` binary: a temporary folder of fake
// hashed files stands in for web/dist (these tests never depend on a built front end).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "config/config.h"
#include "support/gunzip.h"
#include "support/server_harness.h"

namespace tributary::testing {
namespace {

namespace json = boost::json;

constexpr const char* kSecret = "WEBTEST-TOP-SECRET";
constexpr const char* kRootKey = "webtest-root-key-0123456789abcdef";

std::string ErrorCodeOf(const HttpResponse& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("error")) return "(no JSON error)";
  return std::string(v.at("error").at("code").as_string());
}

struct FakeFile {
  std::string path;
  std::string content_type;
  std::string body;
};

//! A temp folder holding `site/` (a fake Vite build), `secret.txt` next to it, and a config.
class WebDashboardHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    site_ = dir_.File("site");
    std::filesystem::create_directories(site_ + "/assets");
    index_ =
        "<!doctype html><html><head><link rel=\"stylesheet\" href=\"/assets/index-Dk3s9a.css\">"
        "<script type=\"module\" src=\"/assets/index-B7fQ2x.js\"></script></head>"
        "<body><div id=\"root\"></div></body></html>\n";
    files_ = {
        {"/index.html", "text/html; charset=utf-8", index_},
        {"/assets/index-B7fQ2x.js", "text/javascript; charset=utf-8",
         Repeat("export function chart(){return 'tributary dashboard';}\n", 300)},
        {"/assets/index-Dk3s9a.css", "text/css; charset=utf-8",
         Repeat(".card{display:flex;padding:8px}\n", 100)},
        {"/assets/logo-9xZ1.svg", "image/svg+xml",
         "<svg xmlns=\"http://www.w3.org/2000/svg\">" + Repeat("<rect/>", 40) + "</svg>"},
        {"/assets/inter-a1B2.woff2", "font/woff2", std::string("wOF2\0\1\2\3\xff\xfe", 10)},
        {"/assets/index-B7fQ2x.js.map", "application/json", Repeat("{\"version\":3}", 20)},
        {"/favicon.ico", "image/x-icon", Repeat(std::string("\0\0\1\0", 4), 50)},
        {"/logo.png", "image/png", std::string("\x89PNG\r\n\x1a\n\0\0", 10)},
        {"/robots.txt", "text/plain; charset=utf-8", "User-agent: *\nDisallow:\n"},
        {"/manifest.webmanifest", "application/manifest+json", "{\"name\":\"Tributary\"}"},
        {"/data.json", "application/json", "{\"a\":1}"},
    };
    for (const FakeFile& f : files_) WriteFile(site_ + f.path, f.body);
    WriteFile(dir_.File("secret.txt"), kSecret);
    csv_ = dir_.File("events.csv");
    WriteFile(csv_, "id,name\n1,alice\n2,bob\n");
  }

  std::string WriteConfig(const std::string& server_extra = "", const std::string& extra = "",
                          const std::string& name = "tributary.yaml") {
    std::string path = dir_.File(name);
    WriteFile(path, "server:\n  listen: 127.0.0.1:0\n" + server_extra +
                        "sources:\n  local:\n    type: duckdb\n    tables:\n      events: " + csv_ +
                        "\n" + extra);
    return path;
  }

  std::unique_ptr<ServerProcess> Start(std::vector<std::string> args) {
    std::string error;
    auto server = ServerProcess::Start(args, &error);
    EXPECT_TRUE(server) << error;
    return server;
  }

  const FakeFile& File(std::string_view path) const {
    for (const FakeFile& f : files_) {
      if (f.path == path) return f;
    }
    throw std::runtime_error("no fake file " + std::string(path));
  }

  TempDir dir_;
  std::string site_;
  std::string csv_;
  std::string index_;
  std::vector<FakeFile> files_;
};

TEST_F(WebDashboardHttp, ServesEveryFileWithItsTypeAndCacheHeaders) {
  auto server = Start({"--config", WriteConfig(), "--web-dir", site_});
  ASSERT_TRUE(server);
  EXPECT_TRUE(server->WaitForStderr("serving the web dashboard from " + site_ + ": 11 files", 5s))
      << server->Stderr();
  HttpClient client(server->port());
  for (const FakeFile& f : files_) {
    SCOPED_TRACE(f.path);
    HttpResponse r = client.Get(f.path);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Header("content-type"), f.content_type);
    EXPECT_EQ(r.body, f.body);
    EXPECT_EQ(r.Header("content-encoding"), "");
    EXPECT_EQ(r.Header("cache-control"), f.path.rfind("/assets/", 0) == 0
                                             ? "public, max-age=31536000, immutable"
                                             : "no-cache");
    EXPECT_EQ(r.Header("vary"), "Accept-Encoding");
    EXPECT_EQ(r.Header("x-content-type-options"), "nosniff");
    EXPECT_EQ(r.Header("referrer-policy"), "no-referrer");
    EXPECT_NE(r.Header("content-security-policy").find("default-src 'self'"), std::string::npos);
    EXPECT_EQ(r.Header("etag").size(), 34u) << r.Header("etag");
  }
}

TEST_F(WebDashboardHttp, GzipWhenAcceptedWithEtagsAndHead) {
  auto server = Start({"--config", WriteConfig(), "--web-dir", site_});
  ASSERT_TRUE(server);
  HttpClient client(server->port());
  const FakeFile& js = File("/assets/index-B7fQ2x.js");
  const std::map<std::string, std::string> gzip = {{"Accept-Encoding", "gzip, deflate, br"}};

  HttpResponse compressed = client.Get(js.path, gzip);
  ASSERT_EQ(compressed.status, 200);
  EXPECT_EQ(compressed.Header("content-encoding"), "gzip");
  EXPECT_EQ(compressed.Header("content-type"), js.content_type);
  EXPECT_LT(compressed.body.size(), js.body.size() / 4);
  EXPECT_EQ(Gunzip(compressed.body), js.body);
  EXPECT_EQ(compressed.Header("content-length"), std::to_string(compressed.body.size()));

  for (const char* refused : {"gzip;q=0", "identity", "gzip;q=0, *", "br"}) {
    HttpResponse plain = client.Get(js.path, {{"Accept-Encoding", refused}});
    EXPECT_EQ(plain.Header("content-encoding"), "") << refused;
    EXPECT_EQ(plain.body, js.body) << refused;
  }
  EXPECT_EQ(client.Get(js.path, {{"Accept-Encoding", "*;q=0.5"}}).Header("content-encoding"),
            "gzip");
  // Already compressed: never gzipped again.
  HttpResponse font = client.Get("/assets/inter-a1B2.woff2", gzip);
  EXPECT_EQ(font.Header("content-encoding"), "");
  EXPECT_EQ(font.body, File("/assets/inter-a1B2.woff2").body);
  // The index (and so every client route) is gzipped too.
  HttpResponse index = client.Get("/overview", gzip);
  EXPECT_EQ(index.Header("content-encoding"), "gzip");
  EXPECT_EQ(Gunzip(index.body), index_);

  // Conditional requests: either tag of the content gives 304, on keep-alive.
  std::string etag = client.Get(js.path).Header("etag");
  std::string gzip_etag = compressed.Header("etag");
  EXPECT_NE(etag, gzip_etag);
  for (const std::string& tag : {etag, gzip_etag, "W/" + etag, "\"nope\", " + etag}) {
    HttpResponse not_modified = client.Get(js.path, {{"If-None-Match", tag}});
    EXPECT_EQ(not_modified.status, 304) << tag;
    EXPECT_TRUE(not_modified.body.empty());
    EXPECT_EQ(not_modified.Header("etag"), etag);
    EXPECT_EQ(not_modified.Header("cache-control"), "public, max-age=31536000, immutable");
  }
  EXPECT_EQ(client.Get(js.path, {{"If-None-Match", "\"stale\""}}).status, 200);
  std::string index_etag = client.Get("/").Header("etag");
  EXPECT_EQ(client.Get("/llm?range=7d", {{"If-None-Match", index_etag}}).status, 304);

  // HEAD: the GET's headers and length, no body; the keep-alive connection stays in step.
  HttpResponse head = client.Request("HEAD", js.path, "");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("content-length"), std::to_string(js.body.size()));
  EXPECT_EQ(head.Header("content-type"), js.content_type);
  EXPECT_EQ(head.Header("etag"), etag);
  EXPECT_TRUE(head.body.empty());
  HttpResponse head_gzip = client.Request("HEAD", "/sources/demo", "", gzip);
  EXPECT_EQ(head_gzip.status, 200);
  EXPECT_EQ(head_gzip.Header("content-encoding"), "gzip");
  EXPECT_EQ(head_gzip.Header("content-length"), std::to_string(index.body.size()));
  HttpResponse after = client.Get("/robots.txt");
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.body, File("/robots.txt").body);
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_F(WebDashboardHttp, ClientRoutesFallBackToTheIndex) {
  auto server = Start({"--config", WriteConfig(), "--web-dir", site_});
  ASSERT_TRUE(server);
  HttpClient client(server->port());
  for (const char* target :
       {"/", "/overview", "/llm", "/sources", "/sources/demo", "/sources/demo/tables/events",
        "/query?x=1", "/query?source=local&sql=SELECT%201", "/admin", "/overview/",
        "/overview?range=30d&project=web&source=all", "/index.html"}) {
    SCOPED_TRACE(target);
    HttpResponse r = client.Get(target);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, index_);
    EXPECT_EQ(r.Header("content-type"), "text/html; charset=utf-8");
    EXPECT_EQ(r.Header("cache-control"), "no-cache");
  }
  for (const char* target : {"/assets/nope.js", "/assets/index-B7fQ2x.css", "/nope.png",
                             "/assets/nope.js?v=1", "/sources/demo.json"}) {
    SCOPED_TRACE(target);
    HttpResponse r = client.Get(target);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(ErrorCodeOf(r), "NOT_FOUND");
    EXPECT_EQ(r.body.find("<div id=\"root\">"), std::string::npos);
  }
}

TEST_F(WebDashboardHttp, NoRequestReadsAFileOutsideTheFolder) {
  WriteFile(site_ + "/.env", kSecret);  // hidden files are not part of the site either
  auto server = Start({"--config", WriteConfig(), "--web-dir", site_});
  ASSERT_TRUE(server);
  std::string secret_abs = dir_.File("secret.txt");
  std::vector<std::string> targets = {"/../secret.txt",
                                      "/assets/../../secret.txt",
                                      "/%2e%2e/secret.txt",
                                      "/%2E%2E/secret.txt",
                                      "/assets/%2e%2e/%2e%2e/secret.txt",
                                      "/..%2fsecret.txt",
                                      "/%2e%2e%2fsecret.txt",
                                      "/assets/..%2f..%2fsecret.txt",
                                      "/assets\\..\\..\\secret.txt",
                                      "/..\\secret.txt",
                                      "/assets/..%5c..%5csecret.txt",
                                      "/secret.txt%00.js",
                                      "/%00",
                                      "/index.html%00",
                                      "//secret.txt",
                                      "/./secret.txt",
                                      "/.%2e/secret.txt",
                                      "/%252e%252e/secret.txt",
                                      "/.env",
                                      "/%2eenv",
                                      "/" + secret_abs,
                                      secret_abs.substr(1),
                                      "/..",
                                      "/assets/..",
                                      "/%2e%2e",
                                      "/site/../secret.txt",
                                      "/../site/../secret.txt"};
  for (const std::string& target : targets) {
    SCOPED_TRACE(target);
    std::string raw = "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    HttpResponse r = RawExchange(server->port(), raw);
    EXPECT_TRUE(r.status == 404 || r.status == 400) << r.status << " " << r.error << r.body;
    EXPECT_EQ(r.body.find(kSecret), std::string::npos) << r.body;
  }
  // The same through the client's own encoding of the target.
  HttpClient client(server->port());
  for (const std::string& target : targets) {
    HttpResponse r = client.Get(target);
    EXPECT_EQ(r.body.find(kSecret), std::string::npos) << target;
  }
}

TEST_F(WebDashboardHttp, ApiRoutesWinAndKeepTheirJsonErrors) {
  auto server = Start({"--config", WriteConfig(), "--web-dir", site_});
  ASSERT_TRUE(server);
  HttpClient client(server->port());
  HttpResponse sources = client.Get("/api/v1/sources");
  ASSERT_EQ(sources.status, 200) << sources.body;
  EXPECT_EQ(sources.Header("content-type"), "application/json");
  EXPECT_EQ(json::parse(sources.body).at("sources").at(0).at("id").as_string(), "local");
  for (const char* target :
       {"/api/x", "/api", "/api/", "/api/v1/nope", "/api/v1/overview", "/mcp/sse"}) {
    SCOPED_TRACE(target);
    HttpResponse r = client.Get(target);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.Header("content-type"), "application/json");
    EXPECT_EQ(ErrorCodeOf(r), "NOT_FOUND") << r.body;
  }
  // /mcp takes POST only (streamable HTTP without a server-sent stream): GET is the MCP
  // transport's 405, not the dashboard page.
  HttpResponse mcp = client.Get("/mcp");
  EXPECT_EQ(mcp.status, 405) << mcp.body;
  EXPECT_EQ(mcp.Header("content-type"), "application/json");
  EXPECT_EQ(mcp.Header("allow"), "POST");
  EXPECT_EQ(client.Get("/healthz").body, R"({"status":"ok"})");
  EXPECT_EQ(json::parse(client.Get("/readyz").body).at("status").as_string(), "ready");
  EXPECT_NE(client.Get("/metrics").body.find("tributary_http_requests_total"), std::string::npos);
  // Only GET and HEAD reach the dashboard.
  HttpResponse post = client.Post("/overview", "{}");
  EXPECT_EQ(post.status, 404);
  EXPECT_EQ(ErrorCodeOf(post), "NOT_FOUND");
  HttpResponse wrong_method = client.Get("/api/v1/query");
  EXPECT_EQ(wrong_method.status, 405);
  // Static answers are labelled as one route in the metrics.
  EXPECT_EQ(client.Get("/overview").status, 200);
  EXPECT_NE(client.Get("/metrics").body.find("route=\"static\""), std::string::npos);
}

TEST_F(WebDashboardHttp, AMissingFolderGives503PagesWhileTheApiWorks) {
  std::string missing = dir_.File("not-built");
  auto server = Start({"--config", WriteConfig(), "--web-dir", missing});
  ASSERT_TRUE(server);
  EXPECT_TRUE(server->WaitForStderr("No web dashboard to serve", 5s)) << server->Stderr();
  std::string log = server->Stderr();
  EXPECT_NE(log.find(missing), std::string::npos) << log;
  EXPECT_NE(log.find("make build"), std::string::npos) << log;
  EXPECT_NE(log.find("npm --prefix web ci && npm --prefix web run build"), std::string::npos);
  HttpClient client(server->port());
  for (const char* target : {"/", "/overview", "/admin?x=1"}) {
    SCOPED_TRACE(target);
    HttpResponse page = client.Get(target);
    EXPECT_EQ(page.status, 503);
    EXPECT_EQ(page.Header("content-type"), "text/html; charset=utf-8");
    EXPECT_NE(page.body.find("make build"), std::string::npos) << page.body;
    EXPECT_NE(page.body.find("npm --prefix web ci &amp;&amp; npm --prefix web run build"),
              std::string::npos)
        << page.body;
    EXPECT_NE(page.body.find(missing), std::string::npos);
  }
  EXPECT_EQ(client.Get("/assets/index-B7fQ2x.js").status, 404);
  EXPECT_EQ(client.Get("/api/v1/sources").status, 200);
  EXPECT_EQ(client.Get("/readyz").status, 200);

  // A folder without index.html is not a dashboard either.
  std::string no_index = dir_.File("no-index");
  std::filesystem::create_directories(no_index);
  WriteFile(no_index + "/app.js", "x");
  auto second = Start({"--config", WriteConfig(), "--web-dir", no_index});
  ASSERT_TRUE(second);
  HttpClient client2(second->port());
  HttpResponse page = client2.Get("/");
  EXPECT_EQ(page.status, 503);
  EXPECT_NE(page.body.find("has no index.html"), std::string::npos) << page.body;
}

TEST_F(WebDashboardHttp, ConfigWebDirAndTurningItOff) {
  // Relative to the config file's folder.
  auto from_config = Start({"--config", WriteConfig("  web_dir: site\n")});
  ASSERT_TRUE(from_config);
  HttpClient client(from_config->port());
  EXPECT_EQ(client.Get("/overview").body, index_);
  EXPECT_TRUE(from_config->WaitForStderr("serving the web dashboard from " + site_, 5s))
      << from_config->Stderr();

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--config", WriteConfig("  web_dir: \"\"\n", "", "off.yaml")},
        std::vector<std::string>{"--config", WriteConfig("  web_dir: site\n", "", "on.yaml"),
                                 "--no-web"},
        std::vector<std::string>{"--config", WriteConfig(), "--web-dir", ""}}) {
    SCOPED_TRACE(args[1] + " " + args.back());
    auto off = Start(args);
    ASSERT_TRUE(off);
    EXPECT_TRUE(off->WaitForStderr("web dashboard off", 5s)) << off->Stderr();
    HttpClient c(off->port());
    HttpResponse r = c.Get("/");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(ErrorCodeOf(r), "NOT_FOUND");
    EXPECT_EQ(c.Get("/api/v1/sources").status, 200);
  }
  ProcessResult both =
      RunTributary({"serve", "--config", WriteConfig(), "--no-web", "--web-dir", site_},
                   std::chrono::seconds(30));
  EXPECT_NE(both.exit_code, 0);
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << both.err;
}

TEST_F(WebDashboardHttp, FilesArePublicAndNotRateLimitedWhenAuthIsOn) {
  std::string config =
      WriteConfig("", "auth:\n  keys:\n    - {name: root, sha256: " + KeySha256Hex(kRootKey) +
                          ", projects: ['*'], roles: [read, query, admin]}\n"
                          "rate_limits: {per_minute: 3}\n");
  auto server = Start({"--config", config, "--web-dir", site_});
  ASSERT_TRUE(server);
  HttpClient client(server->port());
  for (int i = 0; i < 10; ++i) {
    for (const char* target : {"/", "/overview", "/assets/index-B7fQ2x.js", "/favicon.ico"}) {
      HttpResponse r = client.Get(target);
      ASSERT_EQ(r.status, 200) << target << " " << r.body;
      EXPECT_EQ(r.Header("ratelimit-limit"), "") << target;
    }
  }
  HttpResponse no_key = client.Get("/api/v1/sources");
  EXPECT_EQ(no_key.status, 401);
  EXPECT_EQ(ErrorCodeOf(no_key), "UNAUTHENTICATED");
  HttpResponse with_key =
      client.Get("/api/v1/sources", {{"Authorization", std::string("Bearer ") + kRootKey}});
  EXPECT_EQ(with_key.status, 200) << with_key.body;
}

}  // namespace
}  // namespace tributary::testing
