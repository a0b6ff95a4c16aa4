#include "server/static_files.h"

#include <spdlog/spdlog.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "core/encoding.h"
#include "core/sha256.h"
#include "core/text.h"

#ifndef TRIBUTARY_WEB_DIR
#define TRIBUTARY_WEB_DIR "web/dist"
#endif

namespace tributary {

namespace fs = std::filesystem;

namespace {

// The dashboard is a few hundred KiB; anything near this is the wrong folder.
constexpr size_t kMaxSiteBytes = 256u << 20;

// A built Vite app needs no inline script; ECharts sets inline styles; charts export images
// as data: and blob: URLs. Everything else comes from the server itself.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'";

constexpr std::string_view kBuildHint =
    "Build it with `make build` (or `npm --prefix web ci && npm --prefix web run build`)";

struct TypeInfo {
  std::string_view extension;
  std::string_view content_type;
  bool compressible;
};

constexpr TypeInfo kTypes[] = {
    {"html", "text/html; charset=utf-8", true},
    {"htm", "text/html; charset=utf-8", true},
    {"js", "text/javascript; charset=utf-8", true},
    {"mjs", "text/javascript; charset=utf-8", true},
    {"css", "text/css; charset=utf-8", true},
    {"json", "application/json", true},
    {"map", "application/json", true},
    {"webmanifest", "application/manifest+json", true},
    {"svg", "image/svg+xml", true},
    {"txt", "text/plain; charset=utf-8", true},
    {"xml", "application/xml", true},
    {"ico", "image/x-icon", true},
    {"png", "image/png", false},
    {"jpg", "image/jpeg", false},
    {"jpeg", "image/jpeg", false},
    {"gif", "image/gif", false},
    {"webp", "image/webp", false},
    {"avif", "image/avif", false},
    {"woff2", "font/woff2", false},
    {"woff", "font/woff", false},
    {"wasm", "application/wasm", true},
};

std::string_view LastSegment(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

const TypeInfo* TypeOf(std::string_view name) {
  std::string_view last = LastSegment(name);
  size_t dot = last.rfind('.');
  if (dot == std::string_view::npos) return nullptr;
  std::string extension = AsciiLower(last.substr(dot + 1));
  for (const TypeInfo& type : kTypes) {
    if (type.extension == extension) return &type;
  }
  return nullptr;
}

//! Splits `text` at `separator`, calling `visit` with each piece.
template <class Visit>
void ForEachPart(std::string_view text, char separator, Visit visit) {
  while (true) {
    size_t at = text.find(separator);
    visit(text.substr(0, at));
    if (at == std::string_view::npos) return;
    text.remove_prefix(at + 1);
  }
}

//! A qvalue ("0", "0.5", "1.000"); nullopt when malformed.
std::optional<double> ParseQValue(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  if (text.size() > 1 && text[1] != '.') return std::nullopt;
  for (size_t i = 2; i < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  double value = std::strtod(std::string(text).c_str(), nullptr);
  return value > 1.0 ? std::nullopt : std::optional<double>(value);
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '"':
        out.append("&quot;");
        break;
      case '\'':
        out.append("&#39;");
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

void AddSecurityHeaders(ApiResponse& r) {
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
}

//! Whether a decoded path could reach outside the folder or name something no file has.
bool IsUnsafePath(std::string_view decoded) {
  if (decoded.empty() || decoded.front() != '/') return true;
  if (decoded.find('\0') != std::string_view::npos || decoded.find('\\') != std::string_view::npos)
    return true;
  bool unsafe = false;
  ForEachPart(decoded.substr(1), '/', [&](std::string_view segment) {
    if (segment == "." || segment == "..") unsafe = true;
  });
  return unsafe;
}

ApiResponse NotFoundFile(std::string_view path, std::string_view request_id) {
  ApiResponse r = ErrorResponse(
      404, "NOT_FOUND",
      "no file " + std::string(path) + " in the web dashboard; the API lives under /api/v1",
      request_id);
  AddSecurityHeaders(r);
  return r;
}

Result<std::string> ReadWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open())
    return Unavailable("cannot open '" + path.string() + "'; check its permissions");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Unavailable("cannot read '" + path.string() + "'");
  return content;
}

}  // namespace

std::string_view ContentTypeForFile(std::string_view name) {
  const TypeInfo* type = TypeOf(name);
  return type ? type->content_type : std::string_view("application/octet-stream");
}

bool AcceptsGzip(std::string_view accept_encoding) {
  std::optional<double> gzip;
  std::optional<double> any;
  ForEachPart(accept_encoding, ',', [&](std::string_view element) {
    element = TrimBlanks(element);
    if (element.empty()) return;
    size_t semicolon = element.find(';');
    std::string coding = AsciiLower(TrimBlanks(element.substr(0, semicolon)));
    double q = 1.0;
    if (semicolon != std::string_view::npos) {
      ForEachPart(element.substr(semicolon + 1), ';', [&](std::string_view param) {
        param = TrimBlanks(param);
        if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
          // A malformed weight is read as "not acceptable": never guess a client wants gzip.
          q = ParseQValue(TrimBlanks(param.substr(2))).value_or(0.0);
        }
      });
    }
    if (coding == "gzip" || coding == "x-gzip") {
      gzip = std::max(gzip.value_or(0.0), q);
    } else if (coding == "*") {
      any = q;
    }
  });
  if (gzip) return *gzip > 0.0;
  return any && *any > 0.0;
}

bool IfNoneMatchMatches(std::string_view if_none_match, std::string_view etag) {
  if (TrimBlanks(if_none_match) == "*") return true;
  bool match = false;
  ForEachPart(if_none_match, ',', [&](std::string_view tag) {
    tag = TrimBlanks(tag);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (!tag.empty() && tag == etag) match = true;
  });
  return match;
}

std::string GzipCompress(std::string_view data) {
  z_stream stream{};
  // 15 window bits + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return {};
  }
  std::string out;
  out.resize(deflateBound(&stream, static_cast<uLong>(data.size())));
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&stream, Z_FINISH);
  size_t written = stream.total_out;
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) return {};
  out.resize(written);
  return out;
}

Result<std::shared_ptr<const StaticSite>> StaticSite::Load(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return NotFound("the web dashboard folder '" + dir + "' does not exist");
  }
  if (!fs::is_regular_file(fs::path(dir) / "index.html", ec)) {
    return NotFound("the web dashboard folder '" + dir + "' has no index.html");
  }
  std::shared_ptr<StaticSite> site(new StaticSite());
  site->dir_ = dir;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
  if (ec) return Unavailable("cannot list '" + dir + "': " + ec.message());
  for (fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return Unavailable("cannot list '" + dir + "': " + ec.message());
    const fs::path& path = it->path();
    if (path.filename().string().front() == '.') {
      // Hidden files and folders (e.g. .vite/manifest.json) are build details, not the site.
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    TRIB_ASSIGN_OR_RETURN(std::string content, ReadWholeFile(path));
    site->total_bytes_ += content.size();
    if (site->total_bytes_ > kMaxSiteBytes) {
      return ResourceExhausted("the web dashboard folder '" + dir +
                               "' holds more than 256 MiB; point --web-dir or server.web_dir "
                               "at the built dashboard (web/dist)");
    }
    std::string key = "/" + path.lexically_relative(dir).generic_string();
    StaticFile file;
    const TypeInfo* type = TypeOf(key);
    file.content_type = type ? type->content_type : "application/octet-stream";
    std::string hash = Sha256Hex(content).substr(0, 32);
    file.etag = "\"" + hash + "\"";
    file.gzip_etag = "\"" + hash + "-gzip\"";
    file.immutable = key.rfind("/assets/", 0) == 0;
    if (type && type->compressible) {
      std::string gzip = GzipCompress(content);
      if (!gzip.empty() && gzip.size() < content.size()) file.gzip = std::move(gzip);
    }
    site->total_gzip_bytes_ += file.gzip.empty() ? content.size() : file.gzip.size();
    file.body = std::move(content);
    site->files_.emplace(std::move(key), std::move(file));
  }
  return std::shared_ptr<const StaticSite>(std::move(site));
}

std::shared_ptr<const StaticSite> StaticSite::Missing(std::string explanation) {
  std::shared_ptr<StaticSite> site(new StaticSite());
  site->explanation_ = std::move(explanation);
  return site;
}

bool StaticSite::Handles(std::string_view method, std::string_view path) {
  if (method != "GET" && method != "HEAD") return false;
  if (path.empty() || path.front() != '/') return false;
  auto under = [&](std::string_view prefix) {
    return path == prefix ||
           (path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix &&
            path[prefix.size()] == '/');
  };
  return !under("/api") && !under("/mcp") && path != "/healthz" && path != "/readyz" &&
         path != "/metrics";
}

const StaticFile* StaticSite::Find(std::string_view path) const {
  auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

ApiResponse StaticSite::Serve(const StaticRequest& req) const {
  std::optional<std::string> decoded = PercentDecode(req.path);
  if (!decoded || IsUnsafePath(*decoded)) return NotFoundFile(req.path, req.request_id);
  std::string key = *decoded == "/" ? std::string("/index.html") : std::move(*decoded);
  bool page = key == "/index.html" || LastSegment(key).find('.') == std::string_view::npos;
  if (!available()) {
    if (!page) return NotFoundFile(req.path, req.request_id);
    ApiResponse r;
    r.status = 503;
    r.error_code = "DASHBOARD_NOT_BUILT";
    r.content_type = "text/html; charset=utf-8";
    r.body =
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>Tributary: dashboard not built</title></head>\n<body>\n"
        "<h1>The web dashboard is not built</h1>\n<p>";
    r.body.append(HtmlEscape(explanation_));
    r.body.append(
        "</p>\n<p>The API is served as usual under <a href=\"/api/v1/sources\">/api/v1</a>.</p>\n"
        "</body></html>\n");
    r.headers.emplace_back("Retry-After", "60");
    AddSecurityHeaders(r);
    return r;
  }
  if (const StaticFile* file = Find(key)) return ServeFile(*file, req);
  if (!page) return NotFoundFile(req.path, req.request_id);
  // A client-side route (/overview, /sources/demo): the app's shell routes it in the browser.
  return ServeFile(*Find("/index.html"), req);
}

ApiResponse StaticSite::ServeFile(const StaticFile& file, const StaticRequest& req) const {
  const bool gzip = !file.gzip.empty() && AcceptsGzip(req.accept_encoding);
  const std::string& etag = gzip ? file.gzip_etag : file.etag;
  ApiResponse r;
  r.content_type = file.content_type;
  r.headers.emplace_back("Cache-Control",
                         file.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("Vary", "Accept-Encoding");
  AddSecurityHeaders(r);
  // Either tag names this content: a client holding the other encoding may keep it.
  if (!req.if_none_match.empty() && (IfNoneMatchMatches(req.if_none_match, file.etag) ||
                                     IfNoneMatchMatches(req.if_none_match, file.gzip_etag))) {
    r.status = 304;
    return r;
  }
  if (gzip) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.body = file.gzip;
  } else {
    r.body = file.body;
  }
  return r;
}

std::vector<std::string> DefaultWebDirs() {
  std::vector<std::string> dirs;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back((exe.parent_path() / "web").string());
  dirs.emplace_back(TRIBUTARY_WEB_DIR);
  return dirs;
}

std::shared_ptr<const StaticSite> LoadWebDashboard(const WebDirSettings& settings) {
  if (settings.no_web || (settings.flag_dir && settings.flag_dir->empty()) ||
      (!settings.flag_dir && settings.config_dir && settings.config_dir->empty())) {
    spdlog::info("web dashboard off ({}): only the API is served", settings.no_web ? "--no-web"
                                                                   : settings.flag_dir
                                                                       ? "--web-dir \"\""
                                                                       : "server.web_dir: \"\"");
    return nullptr;
  }
  std::vector<std::string> candidates;
  if (settings.flag_dir) {
    candidates.push_back(*settings.flag_dir);
  } else if (settings.config_dir) {
    candidates.push_back(*settings.config_dir);
  } else {
    candidates = DefaultWebDirs();
  }
  std::vector<std::string> problems;
  for (const std::string& dir : candidates) {
    Result<std::shared_ptr<const StaticSite>> site = StaticSite::Load(dir);
    if (site.ok()) {
      spdlog::info("serving the web dashboard from {}: {} files, {} KiB ({} KiB with gzip)", dir,
                   (*site)->file_count(), ((*site)->total_bytes() + 1023) / 1024,
                   ((*site)->total_gzip_bytes() + 1023) / 1024);
      return *site;
    }
    problems.push_back(site.status().message());
    // A folder that exists but cannot be loaded is not silently skipped for the next one.
    std::error_code ec;
    if (site.status().code() != ErrorCode::kNotFound && fs::exists(dir, ec)) break;
  }
  std::string explanation = "No web dashboard to serve: ";
  for (size_t i = 0; i < problems.size(); ++i) {
    if (i > 0) explanation.append("; ");
    explanation.append(problems[i]);
  }
  explanation.append(". ");
  explanation.append(kBuildHint);
  explanation.append(
      ", or point --web-dir or server.web_dir at a built dashboard; --no-web turns it off.");
  spdlog::warn("{} The API is served as usual.", explanation);
  return StaticSite::Missing(std::move(explanation));
}

}  // namespace tributary
