// StaticSite without a socket: loading a folder, content types, gzip negotiation, entity tags,
// the SPA fallback and the paths that must never reach a file (tests/server/
// web_dashboard_http_test.cpp covers the same through the real server).
#include "server/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/gunzip.h"
#include "support/server_harness.h"

namespace tributary::testing {
namespace {

std::string HeaderOf(const ApiResponse& r, std::string_view name) {
  for (const auto& [key, value] : r.headers) {
    if (key == name) return value;
  }
  return "";
}

//! A folder shaped like Vite's output, and a file next to it that must never be served.
class StaticFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.File("dist");
    std::filesystem::create_directories(root_ + "/assets");
    std::filesystem::create_directories(root_ + "/.vite");
    index_ =
        "<!doctype html><html><head><script type=\"module\" src=\"/assets/index-B2x9.js\">"
        "</script></head><body><div id=\"root\"></div></body></html>\n";
    js_ = Repeat("export const answer = () => 42; // tributary\n", 200);
    WriteFile(root_ + "/index.html", index_);
    WriteFile(root_ + "/assets/index-B2x9.js", js_);
    WriteFile(root_ + "/assets/index-Cc3d.css", Repeat("body { margin: 0 }\n", 50));
    WriteFile(root_ + "/assets/font-Aa1.woff2", std::string("wOF2\0\x01\x02\x03", 8));
    WriteFile(root_ + "/favicon.ico", Repeat(std::string("\0\0\1\0", 4), 64));
    WriteFile(root_ + "/.vite/manifest.json", "{\"hidden\": true}");
    WriteFile(dir_.File("secret.txt"), "TOP-SECRET");
    auto site = StaticSite::Load(root_);
    ASSERT_TRUE(site.ok()) << site.status().ToString();
    site_ = *site;
  }

  ApiResponse Get(std::string_view path, std::string_view accept_encoding = "",
                  std::string_view if_none_match = "") const {
    return site_->Serve({"GET", path, accept_encoding, if_none_match, "req-1"});
  }

  TempDir dir_;
  std::string root_;
  std::string index_;
  std::string js_;
  std::shared_ptr<const StaticSite> site_;
};

TEST_F(StaticFiles, LoadsEveryVisibleFileIntoMemory) {
  EXPECT_EQ(site_->file_count(), 5u);
  EXPECT_NE(site_->Find("/index.html"), nullptr);
  EXPECT_NE(site_->Find("/assets/index-B2x9.js"), nullptr);
  EXPECT_EQ(site_->Find("/.vite/manifest.json"), nullptr);
  // Served from memory: removing the folder changes nothing.
  std::filesystem::remove_all(root_);
  ApiResponse r = Get("/assets/index-B2x9.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, js_);
}

TEST_F(StaticFiles, LoadFailsWithoutAFolderOrAnIndex) {
  auto missing = StaticSite::Load(dir_.File("nope"));
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
  std::filesystem::create_directories(dir_.File("empty"));
  auto no_index = StaticSite::Load(dir_.File("empty"));
  EXPECT_EQ(no_index.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(no_index.status().message().find("index.html"), std::string::npos);
}

TEST_F(StaticFiles, ContentTypesByExtension) {
  EXPECT_EQ(ContentTypeForFile("/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeForFile("/a/b.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeForFile("/a/b.MJS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeForFile("/a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeForFile("/a.json"), "application/json");
  EXPECT_EQ(ContentTypeForFile("/a.js.map"), "application/json");
  EXPECT_EQ(ContentTypeForFile("/a.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeForFile("/a.png"), "image/png");
  EXPECT_EQ(ContentTypeForFile("/favicon.ico"), "image/x-icon");
  EXPECT_EQ(ContentTypeForFile("/f.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeForFile("/robots.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(ContentTypeForFile("/manifest.webmanifest"), "application/manifest+json");
  EXPECT_EQ(ContentTypeForFile("/LICENSE"), "application/octet-stream");
  EXPECT_EQ(ContentTypeForFile("/dir.d/file"), "application/octet-stream");
}

TEST_F(StaticFiles, AcceptEncodingHonoursQValues) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("gzip, deflate, br, zstd"));
  EXPECT_TRUE(AcceptsGzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("x-gzip"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_TRUE(AcceptsGzip("identity, *;q=0.1"));
  EXPECT_TRUE(AcceptsGzip("gzip ; q=0.001"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("br, deflate"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0.000"));
  EXPECT_FALSE(AcceptsGzip("gzip; Q=0.0, br"));
  EXPECT_FALSE(AcceptsGzip("*;q=0"));
  // gzip named explicitly wins over "*".
  EXPECT_FALSE(AcceptsGzip("gzip;q=0, *"));
  EXPECT_TRUE(AcceptsGzip("gzip, *;q=0"));
  // A malformed weight is not a yes.
  EXPECT_FALSE(AcceptsGzip("gzip;q=abc"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=2"));
}

TEST_F(StaticFiles, IfNoneMatchUsesWeakComparison) {
  EXPECT_TRUE(IfNoneMatchMatches("\"abc\"", "\"abc\""));
  EXPECT_TRUE(IfNoneMatchMatches("W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(IfNoneMatchMatches("\"x\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(IfNoneMatchMatches(" * ", "\"abc\""));
  EXPECT_FALSE(IfNoneMatchMatches("\"abcd\"", "\"abc\""));
  EXPECT_FALSE(IfNoneMatchMatches("abc", "\"abc\""));
  EXPECT_FALSE(IfNoneMatchMatches("", "\"abc\""));
}

TEST_F(StaticFiles, ServesGzipOnlyToClientsThatAcceptIt) {
  ApiResponse plain = Get("/assets/index-B2x9.js");
  EXPECT_EQ(plain.body, js_);
  EXPECT_EQ(HeaderOf(plain, "Content-Encoding"), "");
  EXPECT_EQ(HeaderOf(plain, "Vary"), "Accept-Encoding");
  ApiResponse gz = Get("/assets/index-B2x9.js", "gzip, deflate");
  EXPECT_EQ(HeaderOf(gz, "Content-Encoding"), "gzip");
  EXPECT_LT(gz.body.size(), js_.size() / 4);
  EXPECT_EQ(Gunzip(gz.body), js_);
  EXPECT_NE(HeaderOf(gz, "ETag"), HeaderOf(plain, "ETag"));
  EXPECT_EQ(HeaderOf(Get("/assets/index-B2x9.js", "gzip;q=0"), "Content-Encoding"), "");
  // Already compressed types are sent as they are.
  ApiResponse font = Get("/assets/font-Aa1.woff2", "gzip");
  EXPECT_EQ(HeaderOf(font, "Content-Encoding"), "");
  EXPECT_EQ(font.body, std::string("wOF2\0\x01\x02\x03", 8));
  EXPECT_EQ(font.content_type, "font/woff2");
}

TEST_F(StaticFiles, CacheHeadersAndConditionalRequests) {
  ApiResponse asset = Get("/assets/index-B2x9.js");
  EXPECT_EQ(HeaderOf(asset, "Cache-Control"), "public, max-age=31536000, immutable");
  ApiResponse index = Get("/");
  EXPECT_EQ(HeaderOf(index, "Cache-Control"), "no-cache");
  EXPECT_EQ(HeaderOf(Get("/favicon.ico"), "Cache-Control"), "no-cache");
  std::string etag = HeaderOf(asset, "ETag");
  ASSERT_EQ(etag.size(), 34u) << etag;
  EXPECT_EQ(Get("/assets/index-B2x9.js", "", etag).status, 304);
  EXPECT_EQ(Get("/assets/index-B2x9.js", "", "W/" + etag).status, 304);
  EXPECT_EQ(Get("/assets/index-B2x9.js", "", "\"other\"").status, 200);
  // The gzip copy's tag names the same content.
  ApiResponse gz = Get("/assets/index-B2x9.js", "gzip");
  ApiResponse not_modified = Get("/assets/index-B2x9.js", "", HeaderOf(gz, "ETag"));
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_TRUE(not_modified.body.empty());
  // A page route revalidates against index.html's tag.
  EXPECT_EQ(Get("/overview", "", HeaderOf(index, "ETag")).status, 304);
}

TEST_F(StaticFiles, SecurityHeadersOnEveryAnswer) {
  for (const char* path : {"/", "/overview", "/assets/index-B2x9.js", "/assets/nope.js"}) {
    SCOPED_TRACE(path);
    ApiResponse r = Get(path);
    EXPECT_EQ(HeaderOf(r, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(HeaderOf(r, "Referrer-Policy"), "no-referrer");
    std::string csp = HeaderOf(r, "Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("img-src 'self' data: blob:"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("script-src 'self' 'unsafe-inline'"), std::string::npos) << csp;
  }
}

TEST_F(StaticFiles, ClientRoutesGetTheIndexAndMissingFilesA404) {
  for (const char* path : {"/", "/index.html", "/overview", "/llm", "/sources/demo", "/admin",
                           "/overview/", "/query"}) {
    SCOPED_TRACE(path);
    ApiResponse r = Get(path);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, index_);
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  }
  for (const char* path :
       {"/assets/nope.js", "/nope.css", "/.vite/manifest.json", "/assets/index-B2x9.js.map"}) {
    SCOPED_TRACE(path);
    ApiResponse r = Get(path);
    EXPECT_EQ(r.status, 404);
    EXPECT_NE(r.body.find("\"NOT_FOUND\""), std::string::npos) << r.body;
  }
}

TEST_F(StaticFiles, NoPathReachesOutsideTheFolder) {
  for (const char* path :
       {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt",
        "/assets\\..\\..\\secret.txt", "/assets/..%5c..%5csecret.txt", "/secret.txt%00.js", "/%00",
        "//secret.txt", "/./secret.txt", "/..", "/assets/..", "/assets/%2e%2e", "/%zz.js",
        "/.%2e/secret.txt"}) {
    SCOPED_TRACE(path);
    ApiResponse r = Get(path);
    EXPECT_EQ(r.status, 404) << r.body;
    EXPECT_EQ(r.body.find("TOP-SECRET"), std::string::npos);
    EXPECT_EQ(r.body.find("<div id=\"root\">"), std::string::npos);
  }
  std::string absolute = dir_.File("secret.txt");
  EXPECT_EQ(Get(absolute).status, 404);
  EXPECT_EQ(Get("/" + absolute).status, 404);
}

TEST_F(StaticFiles, OnlyGetAndHeadOutsideTheApi) {
  EXPECT_TRUE(StaticSite::Handles("GET", "/"));
  EXPECT_TRUE(StaticSite::Handles("HEAD", "/overview"));
  EXPECT_TRUE(StaticSite::Handles("GET", "/apis"));
  EXPECT_TRUE(StaticSite::Handles("GET", "/metrics-dashboard"));
  EXPECT_FALSE(StaticSite::Handles("POST", "/overview"));
  EXPECT_FALSE(StaticSite::Handles("GET", "/api"));
  EXPECT_FALSE(StaticSite::Handles("GET", "/api/"));
  EXPECT_FALSE(StaticSite::Handles("GET", "/api/x"));
  EXPECT_FALSE(StaticSite::Handles("GET", "/healthz"));
  EXPECT_FALSE(StaticSite::Handles("GET", "/readyz"));
  EXPECT_FALSE(StaticSite::Handles("GET", "/metrics"));
  EXPECT_FALSE(StaticSite::Handles("GET", "/mcp"));
  EXPECT_FALSE(StaticSite::Handles("GET", "/mcp/sse"));
  EXPECT_FALSE(StaticSite::Handles("GET", "*"));
}

TEST_F(StaticFiles, AMissingSiteExplainsHowToBuildIt) {
  auto missing = StaticSite::Missing("No web dashboard <here>; run `make build`");
  ApiResponse page = missing->Serve({"GET", "/", "", "", "r"});
  EXPECT_EQ(page.status, 503);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("No web dashboard &lt;here&gt;; run `make build`"), std::string::npos)
      << page.body;
  EXPECT_EQ(missing->Serve({"GET", "/overview", "", "", "r"}).status, 503);
  EXPECT_EQ(missing->Serve({"GET", "/assets/a.js", "", "", "r"}).status, 404);
}

TEST_F(StaticFiles, LoadWebDashboardFollowsFlagsThenConfig) {
  EXPECT_EQ(LoadWebDashboard({std::nullopt, /*no_web=*/true, root_}), nullptr);
  EXPECT_EQ(LoadWebDashboard({std::string(), false, root_}), nullptr);
  EXPECT_EQ(LoadWebDashboard({std::nullopt, false, std::string()}), nullptr);
  auto from_config = LoadWebDashboard({std::nullopt, false, root_});
  ASSERT_NE(from_config, nullptr);
  EXPECT_TRUE(from_config->available());
  // The flag wins over the config.
  auto from_flag = LoadWebDashboard({dir_.File("nope"), false, root_});
  ASSERT_NE(from_flag, nullptr);
  EXPECT_FALSE(from_flag->available());
  ApiResponse page = from_flag->Serve({"GET", "/", "", "", "r"});
  EXPECT_NE(page.body.find(dir_.File("nope")), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("npm --prefix web ci &amp;&amp; npm --prefix web run build"),
            std::string::npos)
      << page.body;
}

TEST_F(StaticFiles, GzipCompressRoundTrips) {
  std::string text = Repeat("abc", 1000);
  EXPECT_EQ(Gunzip(GzipCompress(text)), text);
  EXPECT_EQ(Gunzip(GzipCompress("")), "");
}

}  // namespace
}  // namespace tributary::testing
