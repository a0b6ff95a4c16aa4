#include "cli/import_command.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "connectors/common/http_client.h"
#include "core/json_value.h"

namespace tributary::cli {

namespace json = boost::json;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

constexpr const char* kFormats[] = {"csv", "tsv", "json", "ndjson", "xlsx", "parquet"};
constexpr const char* kEncodings[] = {"utf-8", "latin-1", "utf-16"};

bool OneOf(std::string_view value, std::initializer_list<const char*> set) {
  return std::any_of(set.begin(), set.end(), [&](const char* s) { return value == s; });
}
template <size_t N>
bool OneOf(std::string_view value, const char* const (&set)[N]) {
  return std::any_of(std::begin(set), std::end(set), [&](const char* s) { return value == s; });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string WithCommas(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// ------------------------------------------------------------------ JSON helpers

const json::object* ObjectAt(const json::value* v, std::string_view key) {
  if (!v || !v->is_object()) return nullptr;
  const auto* found = v->as_object().if_contains(key);
  return found && found->is_object() ? &found->as_object() : nullptr;
}

std::string StrAt(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<double> NumAt(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  if (v->is_double()) return v->as_double();
  return std::nullopt;
}

uint64_t UintAt(const json::object& o, std::string_view key) {
  auto n = NumAt(o, key);
  return n && *n > 0 ? static_cast<uint64_t>(*n) : 0;
}

bool BoolAt(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

std::optional<json::value> ParseJsonOrNothing(std::string_view text) {
  boost::system::error_code ec;
  json::value v = ParseJson(text, ec);
  if (ec) return std::nullopt;
  return v;
}

}  // namespace

// ------------------------------------------------------------------ arguments

std::string NormalizeDelimiter(std::string_view delimiter) {
  if (delimiter == "\\t" || delimiter == "tab" || delimiter == "TAB") return "\t";
  return std::string(delimiter);
}

Status ValidateImportArgs(const ImportArgs& args) {
  if (args.file.empty()) return InvalidArgument("FILE is required: tributary import FILE");
  if (!args.format.empty() && !OneOf(args.format, kFormats)) {
    return InvalidArgument(fmt::format(
        "--format '{}' is not one of csv, tsv, json, ndjson, xlsx, parquet", args.format));
  }
  if (!args.delimiter.empty()) {
    std::string d = NormalizeDelimiter(args.delimiter);
    if (d.size() != 1) {
      return InvalidArgument(fmt::format(
          "--delimiter '{}' must be one character (write tab or '\\t' for a tab)", args.delimiter));
    }
  }
  if (!args.header.empty() && !OneOf(args.header, {"true", "false"})) {
    return InvalidArgument(fmt::format("--header '{}' must be true or false", args.header));
  }
  if (!args.encoding.empty() && !OneOf(args.encoding, kEncodings)) {
    return InvalidArgument(
        fmt::format("--encoding '{}' is not one of utf-8, latin-1, utf-16", args.encoding));
  }
  if (!OneOf(args.on_error, {"fail", "skip"})) {
    return InvalidArgument(fmt::format("--on-error '{}' must be fail or skip", args.on_error));
  }
  const std::string server = Lower(args.server);
  if (server.rfind("http://", 0) != 0 && server.rfind("https://", 0) != 0) {
    return InvalidArgument(fmt::format(
        "--server '{}' is not an http:// or https:// URL; write e.g. http://127.0.0.1:8080",
        args.server));
  }
  if (!args.sheets.empty()) {
    const bool workbook =
        args.format.empty()
            ? Lower(std::filesystem::path(args.file).extension().string()) == ".xlsx"
            : args.format == "xlsx";
    if (!workbook) {
      return InvalidArgument(
          "--sheet applies to XLSX workbooks only; leave it out or pass "
          "--format xlsx");
    }
  }
  struct stat st {};
  if (::stat(args.file.c_str(), &st) != 0) {
    return InvalidArgument(fmt::format("cannot read '{}': {}", args.file, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return InvalidArgument(fmt::format("'{}' is not a regular file", args.file));
  }
  if (::access(args.file.c_str(), R_OK) != 0) {
    return InvalidArgument(fmt::format("cannot read '{}': {}", args.file, std::strerror(errno)));
  }
  return Status::Ok();
}

std::string BuildUploadUrl(const ImportArgs& args, std::string_view filename) {
  std::string url = TrimSlash(args.server);
  url += "/api/v1/imports";
  char sep = '?';
  auto add = [&](std::string_view key, std::string_view value) {
    url += sep;
    sep = '&';
    url.append(key).append("=").append(UrlEncode(value));
  };
  if (!args.project.empty()) add("project", args.project);
  add("filename", filename);
  if (!args.name.empty()) add("name", args.name);
  if (!args.format.empty()) add("format", args.format);
  if (!args.delimiter.empty()) add("delimiter", NormalizeDelimiter(args.delimiter));
  if (!args.header.empty()) add("header", args.header);
  if (!args.encoding.empty()) add("encoding", args.encoding);
  for (const auto& sheet : args.sheets) add("sheet", sheet);
  return url;
}

std::string BuildConfirmBody(const ImportArgs& args) {
  json::object body;
  body["onError"] = args.on_error;
  if (!args.target.empty()) body["target"] = args.target;
  return json::serialize(body);
}

// ------------------------------------------------------------------ SSE

void SseParser::Feed(std::string_view chunk, const Handler& on_event) {
  while (!chunk.empty()) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (chunk.front() == '\n') {
        chunk.remove_prefix(1);
        continue;
      }
    }
    const size_t end = chunk.find_first_of("\r\n");
    if (end == std::string_view::npos) {
      partial_.append(chunk);
      return;
    }
    partial_.append(chunk.substr(0, end));
    skip_lf_ = chunk[end] == '\r';
    chunk.remove_prefix(end + 1);
    std::string line = std::move(partial_);
    partial_.clear();
    Line(line, on_event);
  }
}

void SseParser::Line(std::string_view line, const Handler& on_event) {
  if (line.empty()) {
    if (has_data_) {
      current_.id = last_id_;
      if (current_.event.empty()) current_.event = "message";
      on_event(current_);
    }
    current_ = SseEvent{};
    has_data_ = false;
    return;
  }
  if (line.front() == ':') {
    ++comments_;
    return;
  }
  std::string_view field = line;
  std::string_view value;
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "event") {
    current_.event = std::string(value);
  } else if (field == "data") {
    if (has_data_) current_.data += '\n';
    current_.data.append(value);
    has_data_ = true;
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = std::string(value);
  }
  // "retry" and unknown fields are ignored.
}

Result<ProgressEvent> ParseProgressEvent(std::string_view text) {
  auto parsed = ParseJsonOrNothing(text);
  if (!parsed || !parsed->is_object()) {
    return InvalidArgument(
        fmt::format("event data is not a JSON object: {}", std::string(text.substr(0, 200))));
  }
  const json::object& o = parsed->as_object();
  ProgressEvent e;
  e.phase = StrAt(o, "phase");
  e.status = StrAt(o, "status");
  e.percent = NumAt(o, "progress").value_or(0);
  e.rows_processed = UintAt(o, "rowsProcessed");
  e.total_rows = UintAt(o, "totalRows");
  e.total_exact = BoolAt(o, "totalExact");
  e.bytes_processed = UintAt(o, "bytesProcessed");
  e.eta_seconds = NumAt(o, "etaSeconds");
  e.source = StrAt(o, "source");
  e.rows = UintAt(o, "rows");
  if (const auto* err = ObjectAt(&*parsed, "error")) {
    e.error_code = StrAt(*err, "code");
    e.error_message = StrAt(*err, "message");
  }
  return e;
}

// ------------------------------------------------------------------ rates and lines

void RateMeter::Add(double t_seconds, double total) {
  if (!samples_.empty() && t_seconds < samples_.back().first) return;         // not monotonic
  if (!samples_.empty() && total < samples_.back().second) samples_.clear();  // restarted
  samples_.emplace_back(t_seconds, total);
  // Keep the newest sample that is at least a window old, so the slope spans the window.
  while (samples_.size() > 2 && t_seconds - samples_[1].first >= window_) samples_.pop_front();
}

double RateMeter::PerSecond() const {
  if (samples_.size() < 2) return 0;
  const double dt = samples_.back().first - samples_.front().first;
  const double dv = samples_.back().second - samples_.front().second;
  if (dt <= 0 || dv <= 0) return 0;
  return dv / dt;
}

std::optional<double> EstimateEta(double done, double total, double per_second) {
  if (total <= 0 || done > total) return std::nullopt;
  if (done == total) return 0.0;
  if (per_second <= 0 || !std::isfinite(per_second)) return std::nullopt;
  return (total - done) / per_second;
}

std::string FormatDuration(std::optional<double> seconds) {
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0) return "?";
  const auto s = static_cast<uint64_t>(std::llround(*seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string FormatRate(double bytes_per_second) {
  return fmt::format("{:.1f} MB/s", std::max(0.0, bytes_per_second) / 1e6);
}

namespace {

//! "510000/1200000 rows" or "210.5/500.0 MB"; `commas` and `tilde` for the terminal bar.
std::string Counts(const ProgressView& v, bool pretty) {
  if (v.unit == "MB") {
    std::string out = fmt::format("{:.1f}", static_cast<double>(v.done) / 1e6);
    if (v.total > 0) out += fmt::format("/{:.1f}", static_cast<double>(v.total) / 1e6);
    return out + " MB";
  }
  std::string out = pretty ? WithCommas(v.done) : std::to_string(v.done);
  if (v.total > 0) {
    out += '/';
    if (pretty && !v.total_exact) out += '~';
    out += pretty ? WithCommas(v.total) : std::to_string(v.total);
  }
  out += ' ';
  out += v.unit;
  return out;
}

}  // namespace

std::string FormatPlainLine(const ProgressView& v) {
  std::string out = fmt::format("{} {:.0f}% {}", v.phase,
                                std::floor(std::clamp(v.percent, 0.0, 100.0)), Counts(v, false));
  if (v.bytes_per_second > 0) out += " " + FormatRate(v.bytes_per_second);
  if (v.eta_seconds) out += " eta " + FormatDuration(v.eta_seconds);
  return out;
}

std::string FormatBarLine(const ProgressView& v, size_t width) {
  const double pct = std::clamp(v.percent, 0.0, 100.0);
  std::string rest = fmt::format(" {:5.1f}%  {}", pct, Counts(v, true));
  if (v.bytes_per_second > 0) rest += "  " + FormatRate(v.bytes_per_second);
  if (v.eta_seconds) rest += "  eta " + FormatDuration(v.eta_seconds);
  const size_t fixed = v.phase.size() + 3 + rest.size();  // "phase [" + "]" + rest
  size_t bar = width > fixed ? width - fixed : 0;
  bar = std::min<size_t>(bar, 30);
  std::string out = v.phase;
  if (bar >= 10) {
    const auto filled = static_cast<size_t>(std::floor(pct / 100.0 * static_cast<double>(bar)));
    out += " [";
    out.append(filled, '#');
    out.append(bar - filled, '-');
    out += ']';
  }
  out += rest;
  if (out.size() > width) out.resize(width);
  return out;
}

// ------------------------------------------------------------------ HTTP over libcurl

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void OnInterrupt(int) {
  g_interrupted = 1;
}

//! Installs the SIGINT handler for the import's duration and restores the previous one.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted = 0;
    struct sigaction sa {};
    sa.sa_handler = OnInterrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_);
  }
  ~InterruptGuard() { sigaction(SIGINT, &old_, nullptr); }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction old_ {};
};

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;
  //! A small body (JSON) sent as is.
  std::string body;
  //! A body streamed from this file instead (Content-Length: upload_size).
  std::FILE* upload = nullptr;
  uint64_t upload_size = 0;
  //! Receives 2xx response bytes as they arrive; false stops the transfer.
  std::function<bool(std::string_view)> on_stream;
  std::function<void(uint64_t sent, uint64_t total)> on_upload_progress;
  //! Ctrl+C aborts this call (off for the DELETE sent after Ctrl+C).
  bool interruptible = true;
  long timeout_ms = 0;  // NOLINT(google-runtime-int): libcurl's type
};

struct HttpReply {
  CURLcode code = CURLE_OK;
  long status = 0;  // NOLINT(google-runtime-int)
  std::string body;
  std::string error;
  bool stopped = false;
  bool interrupted = false;
  bool read_failed = false;
  //! The OS error of a failed connect (ECONNREFUSED, ...), or 0.
  long os_errno = 0;  // NOLINT(google-runtime-int)
};

struct CallContext {
  const HttpCall* call;
  HttpReply* reply;
  CURL* curl;
};

size_t WriteCallback(char* data, size_t size, size_t nmemb, void* user) {
  auto* ctx = static_cast<CallContext*>(user);
  const size_t n = size * nmemb;
  long status = 0;  // NOLINT(google-runtime-int)
  curl_easy_getinfo(ctx->curl, CURLINFO_RESPONSE_CODE, &status);
  if (ctx->call->on_stream && status >= 200 && status < 300) {
    if (!ctx->call->on_stream(std::string_view(data, n))) {
      ctx->reply->stopped = true;
      return 0;
    }
    return n;
  }
  constexpr size_t kMaxBody = 4 << 20;
  if (ctx->reply->body.size() < kMaxBody) {
    ctx->reply->body.append(data, std::min(n, kMaxBody - ctx->reply->body.size()));
  }
  return n;
}

size_t ReadCallback(char* buffer, size_t size, size_t nitems, void* user) {
  auto* ctx = static_cast<CallContext*>(user);
  if (ctx->call->interruptible && g_interrupted) {
    ctx->reply->interrupted = true;
    return CURL_READFUNC_ABORT;
  }
  const size_t n = std::fread(buffer, 1, size * nitems, ctx->call->upload);
  if (n == 0 && std::ferror(ctx->call->upload)) {
    ctx->reply->read_failed = true;
    return CURL_READFUNC_ABORT;
  }
  return n;
}

int ProgressCallback(void* user, curl_off_t, curl_off_t, curl_off_t ultotal, curl_off_t ulnow) {
  auto* ctx = static_cast<CallContext*>(user);
  if (ctx->call->interruptible && g_interrupted) {
    ctx->reply->interrupted = true;
    return 1;
  }
  if (ctx->call->on_upload_progress && ctx->call->upload) {
    ctx->call->on_upload_progress(static_cast<uint64_t>(ulnow), static_cast<uint64_t>(ultotal));
  }
  return 0;
}

HttpReply Perform(const HttpCall& call) {
  EnsureCurlGlobalInit();
  HttpReply reply;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    reply.code = CURLE_FAILED_INIT;
    reply.error = "curl_easy_init failed";
    return reply;
  }
  CURL* h = curl.get();
  CallContext ctx{&call, &reply, h};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  for (const auto& line : call.headers) headers = curl_slist_append(headers, line.c_str());
  curl_easy_setopt(h, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
  if (call.timeout_ms > 0) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, call.timeout_ms);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteCallback);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &ctx);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, ProgressCallback);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &ctx);
  if (call.upload) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadCallback);
    curl_easy_setopt(h, CURLOPT_READDATA, &ctx);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.upload_size));
  } else if (call.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, call.body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  } else if (call.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  }
  reply.code = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_slist_free_all(headers);
  if (reply.code != CURLE_OK) {
    reply.error = errbuf[0] ? errbuf : curl_easy_strerror(reply.code);
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &reply.os_errno);
  }
  return reply;
}

// ------------------------------------------------------------------ the command

class ImportSession {
 public:
  explicit ImportSession(ImportArgs args)
      : args_(std::move(args)), base_(TrimSlash(args_.server)), tty_(::isatty(STDERR_FILENO)) {}

  int Run();

 private:
  std::vector<std::string> Headers(std::initializer_list<const char*> extra = {}) const {
    std::vector<std::string> headers;
    if (!args_.api_key.empty()) headers.push_back("Authorization: Bearer " + args_.api_key);
    for (const char* h : extra) headers.emplace_back(h);
    return headers;
  }
  //! The message for a transport failure (server down, bad host, ...).
  std::string TransportMessage(const HttpReply& reply) const;
  //! The message for an HTTP error answer of `what` ("upload", "confirm", ...).
  std::string ApiMessage(const HttpReply& reply, std::string_view what) const;
  int Error(const std::string& message) {
    EndBar();
    std::cerr << "tributary: import: " << message << "\n";
    return kExitFailed;
  }
  int Interrupted();
  void PrintDetected(const json::value& import);
  void PrintRejects(const json::value& import);
  void ShowUpload(uint64_t sent, uint64_t total);
  void ShowEvent(const ProgressEvent& e);
  void Show(const ProgressView& view, bool force);
  void EndBar() {
    if (bar_open_) std::cerr << "\n" << std::flush;
    bar_open_ = false;
  }
  std::optional<json::value> FetchImport();

  ImportArgs args_;
  std::string base_;
  bool tty_;
  std::string id_;
  uint64_t file_size_ = 0;
  // Progress display.
  bool bar_open_ = false;
  double last_shown_ = -1e9;
  std::string last_phase_;
  bool upload_end_shown_ = false;
  RateMeter bytes_rate_{5.0};
  RateMeter rows_rate_{5.0};
};

std::string ImportSession::TransportMessage(const HttpReply& reply) const {
  if (reply.read_failed) {
    return fmt::format("cannot read '{}' while uploading it: {}", args_.file, std::strerror(errno));
  }
  const std::string lower = Lower(reply.error);
  switch (reply.code) {
    case CURLE_COULDNT_CONNECT: {
      std::string why = reply.error;
      if (reply.os_errno == ECONNREFUSED || lower.find("refused") != std::string::npos) {
        why = "connection refused";
      } else if (reply.os_errno != 0) {
        why = Lower(std::strerror(static_cast<int>(reply.os_errno)));
      }
      return fmt::format(
          "cannot reach the server at {}: {}; start it with `tributary serve` or pass --server",
          base_, why);
    }
    case CURLE_COULDNT_RESOLVE_HOST:
      return fmt::format("cannot reach the server at {}: unknown host ({}); check --server", base_,
                         reply.error);
    case CURLE_OPERATION_TIMEDOUT:
      return fmt::format("the server at {} did not answer in time ({}); check --server", base_,
                         reply.error);
    default:
      return fmt::format("the request to {} failed: {}", base_, reply.error);
  }
}

std::string ImportSession::ApiMessage(const HttpReply& reply, std::string_view what) const {
  std::string code;
  std::string message;
  if (auto v = ParseJsonOrNothing(reply.body)) {
    if (const auto* err = ObjectAt(&*v, "error")) {
      code = StrAt(*err, "code");
      message = StrAt(*err, "message");
    }
  }
  if (code.empty()) {
    code = fmt::format("HTTP {}", reply.status);
    message = reply.body.substr(0, 300);
  }
  const std::string project =
      args_.project.empty() ? std::string("the project") : "project '" + args_.project + "'";
  std::string out = fmt::format("{} refused: {}: {}", what, code, message);
  switch (reply.status) {
    case 401:
      out += fmt::format(
          "; pass --api-key KEY (or set TRIBUTARY_API_KEY) with a key that has the `import` (or "
          "`admin`) role on {}",
          project);
      break;
    case 403:
      out += fmt::format("; the key needs the `import` (or `admin`) role on {}", project);
      break;
    case 404:
      if (id_.empty()) {
        out += "; is the import API on (imports.enabled) and is the project right (--project)?";
      }
      break;
    case 409:
      if (code == "ALREADY_EXISTS") out += "; choose another name with --name";
      break;
    case 413:
      out += "; the server's imports.max_upload_bytes is below the file's size";
      break;
    default:
      break;
  }
  return out;
}

int ImportSession::Interrupted() {
  EndBar();
  if (id_.empty()) {
    std::cerr << "tributary: import: interrupted before the server accepted the upload; nothing "
                 "was imported\n";
    return kExitInterrupted;
  }
  HttpCall call;
  call.method = "DELETE";
  call.url = base_ + "/api/v1/imports/" + UrlEncode(id_);
  call.headers = Headers();
  call.interruptible = false;
  call.timeout_ms = 15'000;
  HttpReply reply = Perform(call);
  if (reply.code != CURLE_OK) {
    std::cerr << "tributary: import: interrupted; cancelling " << id_
              << " failed: " << TransportMessage(reply) << "\n";
  } else if (reply.status >= 200 && reply.status < 300) {
    std::cerr << "tributary: import: interrupted; import " << id_ << " cancelled\n";
  } else {
    std::cerr << "tributary: import: interrupted; " << ApiMessage(reply, "cancel") << "\n";
  }
  return kExitInterrupted;
}

void ImportSession::Show(const ProgressView& view, bool force) {
  const double now = NowSeconds();
  const bool phase_changed = view.phase != last_phase_;
  if (tty_) {
    if (!force && !phase_changed && now - last_shown_ < 0.1) return;
    size_t width = 80;
    winsize ws{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) width = ws.ws_col;
    std::cerr << "\r" << FormatBarLine(view, width - 1) << "\x1b[K" << std::flush;
    bar_open_ = true;
  } else {
    if (!force && !phase_changed && now - last_shown_ < 1.0) return;
    std::cerr << FormatPlainLine(view) << "\n" << std::flush;
  }
  last_shown_ = now;
  last_phase_ = view.phase;
}

void ImportSession::ShowUpload(uint64_t sent, uint64_t total) {
  if (sent == 0) return;  // not connected yet, or waiting for 100-continue
  if (total == 0) total = file_size_;
  const double now = NowSeconds();
  bytes_rate_.Add(now, static_cast<double>(sent));
  ProgressView view;
  view.phase = "uploading";
  view.unit = "MB";
  view.done = sent;
  view.total = total;
  view.percent = total > 0 ? 100.0 * static_cast<double>(sent) / static_cast<double>(total) : 0;
  view.bytes_per_second = bytes_rate_.PerSecond();
  view.eta_seconds =
      EstimateEta(static_cast<double>(sent), static_cast<double>(total), view.bytes_per_second);
  const bool last = sent == total && total > 0 && !upload_end_shown_;
  Show(view, last);
  upload_end_shown_ = upload_end_shown_ || last;
}

void ImportSession::ShowEvent(const ProgressEvent& e) {
  const double now = NowSeconds();
  if (e.phase != last_phase_) {
    bytes_rate_.Reset();
    rows_rate_.Reset();
  }
  bytes_rate_.Add(now, static_cast<double>(e.bytes_processed));
  rows_rate_.Add(now, static_cast<double>(e.rows_processed));
  ProgressView view;
  view.phase = e.phase.empty() ? e.status : e.phase;
  view.percent = e.percent;
  view.done = e.rows_processed;
  view.total = e.total_rows;
  view.total_exact = e.total_exact;
  view.bytes_per_second = bytes_rate_.PerSecond();
  view.eta_seconds = e.eta_seconds;
  if (!view.eta_seconds && e.bytes_processed > 0 && file_size_ > 0) {
    view.eta_seconds = EstimateEta(static_cast<double>(e.bytes_processed),
                                   static_cast<double>(file_size_), view.bytes_per_second);
  }
  if (!view.eta_seconds) {
    view.eta_seconds = EstimateEta(static_cast<double>(e.rows_processed),
                                   static_cast<double>(e.total_rows), rows_rate_.PerSecond());
  }
  Show(view, false);
}

std::optional<json::value> ImportSession::FetchImport() {
  HttpCall call;
  call.url = base_ + "/api/v1/imports/" + UrlEncode(id_);
  call.headers = Headers();
  call.interruptible = false;
  call.timeout_ms = 30'000;
  HttpReply reply = Perform(call);
  if (reply.code != CURLE_OK || reply.status != 200) return std::nullopt;
  auto v = ParseJsonOrNothing(reply.body);
  if (!v || !v->is_object()) return std::nullopt;
  return v;
}

void ImportSession::PrintDetected(const json::value& import) {
  const json::object& o = import.as_object();
  const std::string format = StrAt(o, "format");
  std::string line = fmt::format("format: {}", format);
  if (const auto* csv = ObjectAt(&import, "csv"); csv && (format == "csv" || format == "tsv")) {
    std::string delim = StrAt(*csv, "delimiter");
    if (delim == "\t") delim = "\\t";
    line += fmt::format(" (delimiter '{}', quote '{}', {}, {}", delim, StrAt(*csv, "quote"),
                        BoolAt(*csv, "header") ? "header" : "no header", StrAt(*csv, "encoding"));
    if (UintAt(*csv, "skipRows") > 0)
      line += fmt::format(", skip {} rows", UintAt(*csv, "skipRows"));
    line += ")";
  }
  std::cout << line << "\n";
  const auto* tables = o.if_contains("tables");
  if (tables && tables->is_array()) {
    for (const auto& t : tables->as_array()) {
      if (!t.is_object()) continue;
      const json::object& table = t.as_object();
      std::string head = fmt::format("table {}", StrAt(table, "name"));
      if (!StrAt(table, "sheet").empty())
        head += fmt::format(" (sheet '{}')", StrAt(table, "sheet"));
      if (auto rows = NumAt(table, "estimatedRows")) {
        head += fmt::format(", {}{} rows", BoolAt(table, "estimateExact") ? "" : "about ",
                            static_cast<uint64_t>(*rows));
      }
      std::cout << head << ":\n";
      const auto* columns = table.if_contains("columns");
      if (!columns || !columns->is_array()) continue;
      size_t width = 4;
      for (const auto& c : columns->as_array()) {
        if (c.is_object()) width = std::max(width, StrAt(c.as_object(), "name").size());
      }
      for (const auto& c : columns->as_array()) {
        if (!c.is_object()) continue;
        const std::string name = StrAt(c.as_object(), "name");
        const std::string source = StrAt(c.as_object(), "sourceName");
        std::string row = fmt::format("  {:<{}}  {}", name, width, StrAt(c.as_object(), "type"));
        if (!source.empty() && source != name) row += fmt::format("  (\"{}\" in the file)", source);
        std::cout << row << "\n";
      }
      if (const auto* preview = ObjectAt(&t, "preview")) {
        if (UintAt(*preview, "badRows") > 0) {
          std::cout << "  (" << UintAt(*preview, "badRows")
                    << " of the preview's rows do not parse or convert)\n";
        }
      }
    }
  }
  if (const auto* fits = o.if_contains("fitsDatasets"); fits && fits->is_array()) {
    std::string names;
    for (const auto& d : fits->as_array()) {
      if (!d.is_string()) continue;
      if (!names.empty()) names += ", ";
      names.append(d.as_string().c_str());
    }
    if (!names.empty()) std::cout << "fits datasets: " << names << "\n";
  }
  std::cout << std::flush;
}

void ImportSession::PrintRejects(const json::value& import) {
  const auto* rejects = import.as_object().if_contains("rejects");
  if (!rejects || !rejects->is_array() || rejects->as_array().empty()) return;
  std::ostream& out = std::cout;
  out << "rejected rows (first " << rejects->as_array().size() << "):\n";
  for (const auto& r : rejects->as_array()) {
    if (!r.is_object()) continue;
    const json::object& o = r.as_object();
    std::string where;
    if (!StrAt(o, "sheet").empty()) where += fmt::format("sheet '{}' ", StrAt(o, "sheet"));
    if (UintAt(o, "line") > 0) where += fmt::format("line {}", UintAt(o, "line"));
    if (UintAt(o, "column") > 0) {
      where += fmt::format(", column {}", UintAt(o, "column"));
      if (!StrAt(o, "columnName").empty()) where += fmt::format(" ({})", StrAt(o, "columnName"));
    }
    std::string raw = StrAt(o, "raw");
    if (raw.size() > 120) raw = raw.substr(0, 117) + "...";
    out << "  " << (where.empty() ? std::string("?") : where) << ": " << StrAt(o, "message");
    if (!raw.empty()) out << "  | " << raw;
    out << "\n";
  }
}

int ImportSession::Run() {
  std::unique_ptr<std::FILE, decltype(&std::fclose)> file(std::fopen(args_.file.c_str(), "rb"),
                                                          std::fclose);
  if (!file) {
    std::cerr << "tributary: import: cannot open '" << args_.file << "': " << std::strerror(errno)
              << "\n";
    return kExitUsage;
  }
  struct stat st {};
  if (::fstat(::fileno(file.get()), &st) != 0) {
    std::cerr << "tributary: import: cannot read '" << args_.file << "': " << std::strerror(errno)
              << "\n";
    return kExitUsage;
  }
  file_size_ = static_cast<uint64_t>(st.st_size);
  const std::string filename = std::filesystem::path(args_.file).filename().string();
  InterruptGuard interrupt_guard;

  // 1. Upload, streamed from disk.
  HttpCall upload;
  upload.url = BuildUploadUrl(args_, filename);
  upload.headers = Headers({"Content-Type: application/octet-stream", "Accept: application/json"});
  upload.upload = file.get();
  upload.upload_size = file_size_;
  upload.on_upload_progress = [this](uint64_t sent, uint64_t total) { ShowUpload(sent, total); };
  const double upload_start = NowSeconds();
  HttpReply reply = Perform(upload);
  if (reply.interrupted) return Interrupted();
  // A server refusing the upload part way (507 disk full, 413 past the limit without a
  // Content-Length check) answers and closes: its answer says more than the broken send.
  if (reply.code != CURLE_OK && reply.status >= 400) return Error(ApiMessage(reply, "upload"));
  if (reply.code != CURLE_OK) return Error(TransportMessage(reply));
  EndBar();
  if (reply.status != 201 && reply.status != 200) return Error(ApiMessage(reply, "upload"));
  auto import = ParseJsonOrNothing(reply.body);
  if (!import || !import->is_object() || StrAt(import->as_object(), "id").empty()) {
    return Error(fmt::format("the server's answer to the upload is not an import object: {}",
                             reply.body.substr(0, 300)));
  }
  id_ = StrAt(import->as_object(), "id");
  const double uploaded = NowSeconds() - upload_start;
  std::cout << fmt::format("uploaded {} ({:.1f} MB in {:.1f}s) as import {}, source '{}'\n",
                           filename, static_cast<double>(file_size_) / 1e6, uploaded, id_,
                           StrAt(import->as_object(), "name"));
  // 2. What was detected.
  PrintDetected(*import);
  if (g_interrupted) return Interrupted();

  // 3. Confirm.
  HttpCall confirm;
  confirm.method = "POST";
  confirm.url = base_ + "/api/v1/imports/" + UrlEncode(id_) + "/confirm";
  confirm.headers = Headers({"Content-Type: application/json", "Accept: application/json"});
  confirm.body = BuildConfirmBody(args_);
  reply = Perform(confirm);
  if (reply.interrupted) return Interrupted();
  if (reply.code != CURLE_OK) return Error(TransportMessage(reply));
  if (reply.status < 200 || reply.status >= 300) return Error(ApiMessage(reply, "confirm"));

  // 4. Follow the events until complete or error (reconnecting with Last-Event-ID).
  std::optional<ProgressEvent> final_event;
  std::string final_kind;
  SseParser parser;
  std::string last_id;
  std::string bad_event;
  for (int attempt = 0; attempt < 6 && !final_event; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::seconds(1));
    if (g_interrupted) return Interrupted();
    HttpCall events;
    events.url = base_ + "/api/v1/imports/" + UrlEncode(id_) + "/events";
    events.headers = Headers({"Accept: text/event-stream"});
    if (!parser.last_event_id().empty()) last_id = parser.last_event_id();
    if (!last_id.empty()) events.headers.push_back("Last-Event-ID: " + last_id);
    parser = SseParser{};  // a fresh parse per connection; the resume point is in last_id
    std::string resume_id;
    events.on_stream = [&](std::string_view chunk) {
      parser.Feed(chunk, [&](const SseEvent& ev) {
        auto parsed = ParseProgressEvent(ev.data);
        if (!parsed.ok()) {
          bad_event = parsed.status().message();
          return;
        }
        if (ev.event == "complete" || ev.event == "error") {
          final_kind = ev.event;
          final_event = *parsed;
        } else {
          ShowEvent(*parsed);
        }
      });
      return !final_event;  // the stream ends after the last event; stop reading at once
    };
    reply = Perform(events);
    if (reply.interrupted) return Interrupted();
    if (final_event) break;
    if (reply.code != CURLE_OK && reply.code != CURLE_WRITE_ERROR && attempt == 0 &&
        reply.status == 0) {
      return Error(TransportMessage(reply));
    }
    if (reply.code == CURLE_OK && (reply.status < 200 || reply.status >= 300)) {
      return Error(ApiMessage(reply, "the event stream"));
    }
  }
  EndBar();
  if (!final_event) {
    // The stream kept breaking: ask for the import's state once.
    auto state = FetchImport();
    std::string status = state ? StrAt(state->as_object(), "status") : "unknown";
    return Error(
        fmt::format("lost the event stream of import {} (its status is {}){}; follow it with GET "
                    "/api/v1/imports/{}",
                    id_, status, bad_event.empty() ? "" : "; last bad event: " + bad_event, id_));
  }

  // 5. The outcome.
  auto final_import = FetchImport();
  if (final_kind == "error") {
    std::string message =
        fmt::format("import {} failed: {}: {}", id_,
                    final_event->error_code.empty() ? "ERROR" : final_event->error_code,
                    final_event->error_message);
    std::cerr << "tributary: import: " << message << "\n";
    if (final_import) {
      std::cout.flush();
      PrintRejects(*final_import);
    }
    return kExitFailed;
  }
  const std::string source = final_event->source.empty() && final_import
                                 ? StrAt(final_import->as_object(), "name")
                                 : final_event->source;
  uint64_t rows = final_event->rows;
  uint64_t rejected = 0;
  std::vector<std::string> table_lines;
  if (final_import) {
    const json::object& o = final_import->as_object();
    if (rows == 0) rows = UintAt(o, "rowsProcessed");
    rejected = UintAt(o, "rejectedRows");
    if (const auto* tables = o.if_contains("tables"); tables && tables->is_array()) {
      for (const auto& t : tables->as_array()) {
        if (!t.is_object()) continue;
        std::string line = "  " + StrAt(t.as_object(), "name");
        if (BoolAt(t.as_object(), "estimateExact")) {
          line += fmt::format(": {} rows", UintAt(t.as_object(), "estimatedRows"));
        }
        table_lines.push_back(line);
      }
    }
  }
  std::cout << fmt::format("ready: source '{}', {} table{}, {} rows, {} rejected rows ({:.1f}s)\n",
                           source, table_lines.size(), table_lines.size() == 1 ? "" : "s", rows,
                           rejected, NowSeconds() - upload_start);
  for (const auto& line : table_lines) std::cout << line << "\n";
  if (final_import) PrintRejects(*final_import);
  std::cout << std::flush;
  return kExitOk;
}

}  // namespace

int RunImportCommand(ImportArgs args) {
  if (args.api_key.empty()) {
    if (const char* env = std::getenv("TRIBUTARY_API_KEY")) args.api_key = env;
  }
  Status valid = ValidateImportArgs(args);
  if (!valid.ok()) {
    std::cerr << "tributary: import: " << valid.message() << "\n";
    return kExitUsage;
  }
  ImportSession session(std::move(args));
  return session.Run();
}

void AddImportCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ImportArgs>();
  auto* cmd = app.add_subcommand(
      "import",
      "Upload a file (CSV, TSV, JSON, NDJSON, XLSX, Parquet) to a running server and import it "
      "as a queryable source");
  cmd->add_option("file", args->file, "The file to import")->required();
  cmd->add_option("--name", args->name, "Source id (default: from the file name)");
  cmd->add_option("--project", args->project, "Project (default: the server's default project)");
  cmd->add_option("--server", args->server, "The running server's URL")->capture_default_str();
  cmd->add_option("--api-key", args->api_key,
                  "API key with the import (or admin) role (default: $TRIBUTARY_API_KEY)");
  cmd->add_option("--format", args->format, "Trust this format instead of detecting it")
      ->check(CLI::IsMember({"csv", "tsv", "json", "ndjson", "xlsx", "parquet"}));
  cmd->add_option("--delimiter", args->delimiter, "CSV delimiter, one character (tab: \\t)");
  cmd->add_option("--header", args->header, "Whether the first CSV row is a header")
      ->check(CLI::IsMember({"true", "false"}));
  cmd->add_option("--encoding", args->encoding, "Text encoding")
      ->check(CLI::IsMember({"utf-8", "latin-1", "utf-16"}));
  cmd->add_option("--sheet", args->sheets, "XLSX sheet to import (repeatable; default: all)");
  cmd->add_option("--on-error", args->on_error,
                  "fail: the first bad row fails the import; skip: bad rows are counted and left "
                  "out")
      ->check(CLI::IsMember({"fail", "skip"}))
      ->capture_default_str();
  cmd->add_option("--target", args->target,
                  "Load into this import-target source (PostgreSQL/ClickHouse) instead of Parquet");
  cmd->callback([args, exit_code] { *exit_code = RunImportCommand(*args); });
}

}  // namespace tributary::cli
