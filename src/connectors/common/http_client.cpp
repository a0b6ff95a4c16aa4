#include "connectors/common/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <random>
#include <thread>

#include "connectors/connector.h"

namespace tributary {

namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;

struct TransferState {
  const HttpRequest* request = nullptr;
  const std::atomic<bool>* abort = nullptr;
  CURL* curl = nullptr;
  HttpResponse* response = nullptr;
};

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<TransferState*>(user);
  const size_t bytes = size * count;
  if (state->abort && state->abort->load(std::memory_order_acquire)) {
    state->response->aborted = true;
    return 0;
  }
  long status = 0;  // NOLINT(google-runtime-int)
  curl_easy_getinfo(state->curl, CURLINFO_RESPONSE_CODE, &status);
  const bool success = status >= 200 && status < 300;
  if (success && state->request->on_body) {
    if (!state->request->on_body(std::string_view(data, bytes))) {
      state->response->stopped_by_receiver = true;
      return 0;
    }
    return bytes;
  }
  std::string& body = state->response->body;
  if (success || body.size() < kMaxErrorBody) {
    body.append(data, success ? bytes : std::min(bytes, kMaxErrorBody - body.size()));
  }
  return bytes;
}

// Keeps the headers of the last response only: a status line starts a new set (after a
// 100 Continue or a redirect).
size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<TransferState*>(user);
  const size_t bytes = size * count;
  std::string_view line(data, bytes);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    state->response->headers.clear();
    return bytes;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  state->response->headers.emplace_back(std::move(name), std::string(value));
  return bytes;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* state = static_cast<TransferState*>(user);
  if (state->abort && state->abort->load(std::memory_order_acquire)) {
    state->response->aborted = true;
    return 1;  // libcurl ends the transfer with CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

// "127.0.0.1:8123" from a URL, for error messages (the URL never holds credentials).
std::string HostOf(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find_first_of("/?", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

void EnsureCurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string NewRemoteRequestId(std::string_view prefix) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(prefix);
  for (int part = 0; part < 2; ++part) {
    uint64_t bits = rng();
    for (int i = 0; i < 16; ++i, bits >>= 4) id += kHex[bits & 15];
  }
  return id;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

HttpHandle::HttpHandle() {
  EnsureCurlGlobalInit();
  curl_ = curl_easy_init();
}

HttpHandle::~HttpHandle() {
  if (curl_) curl_easy_cleanup(curl_);
}

Result<HttpResponse> HttpHandle::Perform(const HttpRequest& request,
                                         const std::atomic<bool>* abort) {
  if (!curl_) return Internal("libcurl could not create a transfer handle");
  HttpResponse response;
  TransferState state{&request, abort, curl_, &response};

  // Options persist on a reused handle: reset them, keeping the connection cache.
  curl_easy_reset(curl_);
  curl_easy_setopt(curl_, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl_, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.connect_timeout.count()));  // NOLINT
  if (request.total_timeout.count() > 0) {
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(request.total_timeout.count()));  // NOLINT
  }
  if (!request.method.empty()) {
    if (request.method == "HEAD") {
      curl_easy_setopt(curl_, CURLOPT_NOBODY, 1L);
    } else {
      curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (!request.body.empty()) {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  } else if (request.post) {
    curl_easy_setopt(curl_, CURLOPT_POST, 1L);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else {
    curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
  }
  if (!request.basic_user.empty()) {
    curl_easy_setopt(curl_, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl_, CURLOPT_USERNAME, request.basic_user.c_str());
    curl_easy_setopt(curl_, CURLOPT_PASSWORD, request.basic_password.c_str());
  }
  curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, request.tls.verify ? 1L : 0L);
  curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, request.tls.verify ? 2L : 0L);
  if (!request.tls.ca_file.empty()) {
    curl_easy_setopt(curl_, CURLOPT_CAINFO, request.tls.ca_file.c_str());
  }
  curl_slist* headers = nullptr;
  // No "Expect: 100-continue" round trip for larger bodies.
  headers = curl_slist_append(headers, "Expect:");
  for (const auto& h : request.headers) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &OnWrite);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &state);
  curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, &state);

  CURLcode code = curl_easy_perform(curl_);
  curl_slist_free_all(headers);
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &response.status);
  if (code == CURLE_OK) return response;
  if (response.stopped_by_receiver || response.aborted) return response;
  const std::string host = HostOf(request.url);
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      return Unavailable("connection refused by " + host);
    case CURLE_COULDNT_RESOLVE_HOST:
      return Unavailable("cannot resolve host " + host);
    case CURLE_OPERATION_TIMEDOUT:
      return Unavailable(response.status == 0 ? "timed out connecting to " + host
                                              : "timed out reading from " + host);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return Unavailable("TLS handshake with " + host + " failed: " + curl_easy_strerror(code));
    default:
      return Unavailable("HTTP request to " + host + " failed: " + curl_easy_strerror(code));
  }
}

std::string HttpResponse::Header(std::string_view lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return value;
  }
  return {};
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::chrono::milliseconds(999'999'999LL * 1000);
    return std::chrono::milliseconds(std::stoll(std::string(value)) * 1000);
  }
  // An HTTP date: libcurl's own parser (RFC 1123, 850 and asctime forms).
  const time_t when = curl_getdate(std::string(value).c_str(), nullptr);
  if (when < 0) return std::nullopt;
  const auto now = std::chrono::system_clock::now();
  const auto at = std::chrono::system_clock::from_time_t(when);
  if (at <= now) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
}

bool IsRetryableHttpStatus(long status) {  // NOLINT(google-runtime-int)
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
         status == 504;
}

Result<HttpResponse> PerformWithRetry(HttpHandle& handle, const HttpRequest& request,
                                      const HttpRetryPolicy& policy, const CancelToken& cancel,
                                      std::chrono::steady_clock::time_point deadline) {
  using Clock = std::chrono::steady_clock;
  using std::chrono::milliseconds;
  std::atomic<bool> abort{false};
  CancelRegistration registration(cancel, [&abort] { abort.store(true); });
  thread_local std::mt19937_64 random(std::random_device{}());
  HttpRequest attempt_request = request;
  bool body_delivered = false;
  if (request.on_body) {
    attempt_request.on_body = [&](std::string_view chunk) {
      body_delivered = true;
      return request.on_body(chunk);
    };
  }
  milliseconds cap = policy.initial_backoff;
  const int attempts = std::max(1, policy.max_attempts);
  for (int attempt = 1;; ++attempt) {
    if (cancel.cancelled()) return QueryCancelledError(cancel);
    // Rounded up, so that curl's own timer never fires before the deadline itself.
    const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0)
      return DeadlineExceeded("HTTP request deadline passed before attempt " +
                              std::to_string(attempt));
    // No single attempt outlives the deadline.
    if (attempt_request.total_timeout.count() == 0 || attempt_request.total_timeout > left) {
      attempt_request.total_timeout = left;
    }
    body_delivered = false;
    Result<HttpResponse> result = handle.Perform(attempt_request, &abort);
    if (cancel.cancelled()) return QueryCancelledError(cancel);
    // curl stopped the transfer because the deadline came: a timeout, not an unreachable host.
    if (!result.ok() && Clock::now() >= deadline) {
      return DeadlineExceeded("HTTP request did not finish before its deadline (" +
                              result.status().message() + ")");
    }
    if (result.ok()) result->attempts = attempt;
    const bool retryable = result.ok() ? (IsRetryableHttpStatus(result->status) &&
                                          !body_delivered && !result->stopped_by_receiver)
                                       : (policy.retry_transport_errors &&
                                          result.status().code() == ErrorCode::kUnavailable);
    if (!retryable || attempt >= attempts) return result;

    milliseconds wait{0};
    std::optional<milliseconds> asked;
    if (result.ok()) asked = ParseRetryAfter(result->Header("retry-after"));
    if (asked) {
      wait = *asked;
    } else {
      std::uniform_int_distribution<int64_t> pick(cap.count() / 2,
                                                  std::max<int64_t>(cap.count(), 1));
      wait = milliseconds(pick(random));
      cap = std::min(cap * 2, policy.max_backoff);
    }
    const auto wake = Clock::now() + wait;
    // The server asks for more time than is left: its answer is the final one.
    if (wake >= deadline) return result;
    while (Clock::now() < wake) {
      if (cancel.cancelled()) return QueryCancelledError(cancel);
      std::this_thread::sleep_for(std::min<Clock::duration>(milliseconds(20), wake - Clock::now()));
    }
  }
}

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) {
  PoolOptions pool;
  pool.max_connections = std::max<int64_t>(1, options_.max_connections);
  // A curl handle reconnects by itself when its kept-alive connection has gone: no check.
  pool.validate_on_borrow = false;
  pool_ = std::make_unique<ConnectionPool<HttpHandle>>(
      options_.source_id, pool,
      []() -> Result<std::unique_ptr<HttpHandle>> { return std::make_unique<HttpHandle>(); },
      [](HttpHandle&) { return true; });
}

HttpClient::~HttpClient() {
  Close();
}

Result<HttpResponse> HttpClient::Perform(HttpRequest request, const CancelToken& cancel,
                                         std::chrono::steady_clock::time_point deadline,
                                         const HttpRetryPolicy* retry) {
  const HttpRequest defaults;
  if (request.connect_timeout == defaults.connect_timeout) {
    request.connect_timeout = options_.connect_timeout;
  }
  if (request.tls.verify && request.tls.ca_file.empty()) request.tls = options_.tls;
  TRIB_ASSIGN_OR_RETURN(auto lease, pool_->Acquire(deadline, cancel));
  auto result =
      PerformWithRetry(*lease, request, retry ? *retry : options_.retry, cancel, deadline);
  // A transfer cut short leaves the connection in an unknown state.
  if (!result.ok() || result->aborted || result->stopped_by_receiver) lease.Discard();
  return result;
}

PoolStats HttpClient::stats() const {
  return pool_->stats();
}

void HttpClient::Close() {
  if (pool_) pool_->Close();
}

void AppendHttpConnectionOptionSpecs(OptionSchema& schema, int64_t default_max_connections) {
  schema.push_back({.name = "tls_verify",
                    .type = OptionType::kBool,
                    .description = "verify the server certificate and host name (default true)"});
  schema.push_back({.name = "tls_ca_file",
                    .type = OptionType::kString,
                    .description = "CA bundle for verifying the server (default: system CAs)"});
  schema.push_back({.name = "connect_timeout_ms",
                    .type = OptionType::kInt,
                    .description = "TCP/TLS connect timeout (default 10000)",
                    .min = 1,
                    .max = 600'000});
  std::string max_description = "concurrent requests and kept-alive connections (default ";
  max_description.append(std::to_string(default_max_connections)).append(")");
  schema.push_back({.name = "max_connections",
                    .type = OptionType::kInt,
                    .description = std::move(max_description),
                    .min = 1,
                    .max = 256});
}

HttpClientOptions HttpClientOptionsFrom(const Options& options, std::string source_id,
                                        int64_t default_max_connections) {
  HttpClientOptions client;
  client.source_id = std::move(source_id);
  client.max_connections = options.GetInt("max_connections", default_max_connections);
  client.connect_timeout = std::chrono::milliseconds(options.GetInt("connect_timeout_ms", 10'000));
  client.tls.verify = options.GetBool("tls_verify", true);
  client.tls.ca_file = options.GetString("tls_ca_file");
  return client;
}

}  // namespace tributary
