// StaticSite: the built web dashboard (the Vite output, web/dist) served by the HTTP server.
//
// Every file of the folder is read once at start into memory, with a gzip copy for the
// compressible types and a strong ETag, so answering never touches the disk and never blocks
// an I/O thread. Requests are exact lookups in that map: a path can only name a file that was
// loaded, so no request reaches anything outside the folder ('..', encoded or not, backslashes
// and NUL are refused before the lookup as well).
//
// Routing (HttpServer): API routes always win. A GET or HEAD the router does not know, on a
// path that is not reserved for the API (/api, /api/..., /healthz, /readyz, /metrics, /mcp,
// /mcp/...), goes to the site: an existing file is served; a path whose last segment has no
// dot (a client-side route such as /overview or /sources/demo) gets index.html; a missing file
// with an extension is a JSON 404. Files are public: no API key, no rate limit.
// Headers: the type by extension; `Cache-Control: public, max-age=31536000, immutable` under
// /assets/ (content-hashed names), `no-cache` for everything else; `Vary: Accept-Encoding`;
// `Content-Encoding: gzip` when the client accepts it; If-None-Match gives 304; a
// Content-Security-Policy for a self-contained single-page app, `X-Content-Type-Options:
// nosniff` and `Referrer-Policy: no-referrer`.
// When no folder with an index.html is found, a "missing" site answers pages with a 503 HTML
// page saying how to build the dashboard, while the API is served as usual.
//
// Thread-safety: a StaticSite is immutable after Load; Serve may run on any thread.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "server/api_types.h"

namespace tributary {

//! One file of the site, as served.
struct StaticFile {
  std::string content_type;
  std::string body;
  //! The gzip-compressed body; empty when the type does not compress or gzip is no smaller.
  std::string gzip;
  //! Strong entity tags (quoted) of the body and of its gzip copy.
  std::string etag;
  std::string gzip_etag;
  //! Under /assets/: the name carries a content hash, so the file never changes.
  bool immutable = false;
};

//! The parts of a request the site looks at.
struct StaticRequest {
  std::string_view method;
  //! The raw path, without the query string, not decoded.
  std::string_view path;
  std::string_view accept_encoding;
  std::string_view if_none_match;
  std::string_view request_id;
};

class StaticSite {
 public:
  //! Reads every regular file under `dir` (names starting with '.' skipped, at any depth).
  //! NOT_FOUND when `dir` is not a folder or has no index.html; UNAVAILABLE naming the file
  //! when one cannot be read; RESOURCE_EXHAUSTED when the folder holds more than 256 MiB.
  static Result<std::shared_ptr<const StaticSite>> Load(const std::string& dir);
  //! A site without files: pages get a 503 HTML page with `explanation` (plain text), files
  //! a JSON 404.
  static std::shared_ptr<const StaticSite> Missing(std::string explanation);

  //! Whether the server hands a request the router did not match to the site: GET or HEAD on
  //! a path not reserved for the API.
  static bool Handles(std::string_view method, std::string_view path);

  //! The answer to `req` (for HEAD the server drops the body and keeps its length).
  ApiResponse Serve(const StaticRequest& req) const;

  //! False for a Missing site.
  bool available() const { return !files_.empty(); }
  const std::string& dir() const { return dir_; }
  size_t file_count() const { return files_.size(); }
  //! Sum of the files' sizes, and of what is served for them with gzip.
  size_t total_bytes() const { return total_bytes_; }
  size_t total_gzip_bytes() const { return total_gzip_bytes_; }
  //! The file served for `path` ("/index.html", "/assets/app-1a2b.js"), or null.
  const StaticFile* Find(std::string_view path) const;

 private:
  StaticSite() = default;
  ApiResponse ServeFile(const StaticFile& file, const StaticRequest& req) const;

  std::string dir_;
  std::map<std::string, StaticFile, std::less<>> files_;
  size_t total_bytes_ = 0;
  size_t total_gzip_bytes_ = 0;
  //! For a Missing site: why, and how to fix it.
  std::string explanation_;
};

//! The Content-Type served for a file name, by extension (application/octet-stream when
//! unknown).
std::string_view ContentTypeForFile(std::string_view name);
//! Whether an Accept-Encoding header accepts gzip: "gzip" (or "x-gzip"), else "*", with a
//! q-value above 0. An absent or empty header gets the uncompressed body.
bool AcceptsGzip(std::string_view accept_encoding);
//! Whether an If-None-Match header matches `etag` (a quoted tag): "*", or one of its tags by
//! weak comparison (a "W/" prefix is ignored).
bool IfNoneMatchMatches(std::string_view if_none_match, std::string_view etag);
//! gzip (RFC 1952) of `data` at the best compression; "" when zlib fails.
std::string GzipCompress(std::string_view data);

//! Where the dashboard comes from at `tributary serve`: `--no-web` (or `--web-dir ""`, or
//! `server.web_dir: ""`) turns it off; else `--web-dir`, else `server.web_dir`, else the
//! first existing of DefaultWebDirs().
struct WebDirSettings {
  std::optional<std::string> flag_dir;
  bool no_web = false;
  std::optional<std::string> config_dir;
};

//! `<folder of the executable>/web` (the install layout), then the compile-time
//! TRIBUTARY_WEB_DIR (the source tree's web/dist).
std::vector<std::string> DefaultWebDirs();

//! Finds and loads the dashboard, logging which folder is served and how many files, or one
//! warning naming the folders tried and how to build them. Null when turned off; a Missing
//! site when no folder holds a built dashboard.
std::shared_ptr<const StaticSite> LoadWebDashboard(const WebDirSettings& settings);

}  // namespace tributary
