// A small pooled HTTP client over libcurl for connectors that talk to an engine's HTTP API
// (ClickHouse, BigQuery, Prometheus, Elasticsearch, generic JSON APIs).
//
// One HttpHandle wraps one CURL easy handle; reusing it across requests keeps the HTTP
// keep-alive connection, so a ConnectionPool<HttpHandle> is both the concurrency limit and the
// connection cache. The response body is streamed to a callback chunk by chunk (so a caller
// can stop early), and a request is aborted from any thread by setting its abort flag: the
// transfer checks it in libcurl's progress callback (at least about once a second, more often
// while data flows).
// Thread-safety: an HttpHandle is used by one thread at a time (a pool lease); the abort flag
// may be set from any thread; EnsureCurlGlobalInit may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cancel.h"
#include "common/status.h"
#include "config/options.h"
#include "connectors/common/connection_pool.h"

typedef void CURL;  // NOLINT: libcurl's own opaque typedef, repeated to keep curl.h private

namespace tributary {

//! Runs curl_global_init exactly once per process (std::call_once).
void EnsureCurlGlobalInit();

//! `prefix` + 32 random hex digits: the id a request carries so the server can be asked about
//! it later (ClickHouse query_id to KILL it, Elasticsearch X-Opaque-Id to cancel its task,
//! BigQuery requestId so a retried jobs.query starts no second job).
std::string NewRemoteRequestId(std::string_view prefix);

//! Percent-encodes a URL query component (RFC 3986 unreserved characters stay as they are).
std::string UrlEncode(std::string_view text);

struct HttpTlsOptions {
  //! Verify the server certificate chain and host name (CURLOPT_SSL_VERIFYPEER/HOST).
  bool verify = true;
  //! CA bundle file; empty for the system default.
  std::string ca_file;
};

struct HttpRequest {
  //! Full URL including the query string (never credentials: use basic_user/basic_password
  //! or headers).
  std::string url;
  //! POST body; an empty body with `post` false sends a GET.
  std::string body;
  bool post = true;
  //! Another method ("PUT", "DELETE", "HEAD"); overrides `post` when not empty (the body is
  //! still sent when not empty).
  std::string method;
  //! Extra "Name: value" header lines.
  std::vector<std::string> headers;
  //! HTTP basic authentication, sent in the Authorization header (never in the URL).
  std::string basic_user;
  std::string basic_password;
  std::chrono::milliseconds connect_timeout{10'000};
  //! Whole-transfer limit as a last resort (0 = none); callers normally abort via `abort`.
  std::chrono::milliseconds total_timeout{0};
  HttpTlsOptions tls;
  //! Receives the body of a 2xx response chunk by chunk; return false to stop the transfer
  //! (the response then has stopped_by_receiver set).
  std::function<bool(std::string_view)> on_body;
};

struct HttpResponse {
  long status = 0;  // NOLINT(google-runtime-int): libcurl's type
  //! The body of a non-2xx response (first 64 KiB), or of a 2xx one without on_body.
  std::string body;
  //! on_body returned false and the transfer was cut short.
  bool stopped_by_receiver = false;
  //! The abort flag was seen set and the transfer was cut short.
  bool aborted = false;
  //! Response headers of the final response, names lower-cased ("retry-after").
  std::vector<std::pair<std::string, std::string>> headers;
  //! Attempts made by PerformWithRetry (1 when the first one was final).
  int attempts = 1;

  //! The first header of that (lower-case) name, or empty.
  std::string Header(std::string_view lower_case_name) const;
};

//! The delay a Retry-After value asks for: delta-seconds or an HTTP date (RFC 9110 10.2.3);
//! nullopt when absent or unparseable. A date in the past gives zero.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value);

//! When and how often PerformWithRetry tries again.
struct HttpRetryPolicy {
  //! Attempts in all, the first included (1 = no retry).
  int max_attempts = 4;
  //! The first backoff; each retry doubles the cap, and the wait is drawn uniformly from
  //! [cap/2, cap] (jitter, so that many clients do not retry in step).
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10'000};
  //! Also retry transport failures (connection refused, reset, timed out). Safe for reads;
  //! callers that POST a non-idempotent request turn it off.
  bool retry_transport_errors = true;
};

//! True for the statuses worth retrying: 408, 429, 500, 502, 503, 504.
bool IsRetryableHttpStatus(long status);  // NOLINT(google-runtime-int)

//! One reusable CURL easy handle (and so one keep-alive connection).
class HttpHandle {
 public:
  HttpHandle();
  ~HttpHandle();
  HttpHandle(const HttpHandle&) = delete;
  HttpHandle& operator=(const HttpHandle&) = delete;

  //! Performs one request. Transport failures give UNAVAILABLE with a short reason
  //! ("connection refused to 127.0.0.1:8123", "timed out connecting to ..."); an HTTP error
  //! status is not a failure here (see HttpResponse::status). `abort` may be null.
  Result<HttpResponse> Perform(const HttpRequest& request, const std::atomic<bool>* abort);

 private:
  CURL* curl_;
};

//! Performs `request`, retrying per `policy` on a retryable status or (when allowed) a
//! transport failure, with jittered exponential backoff; a Retry-After header sets the wait
//! instead (never beyond `deadline`: when the server asks for longer than is left, the last
//! answer is returned as it is). Stops at once when `cancel` fires (the response is marked
//! aborted and CANCELLED is returned) or when `deadline` passes between attempts. A response
//! whose 2xx body was already handed to `on_body` is never retried.
Result<HttpResponse> PerformWithRetry(HttpHandle& handle, const HttpRequest& request,
                                      const HttpRetryPolicy& policy, const CancelToken& cancel,
                                      std::chrono::steady_clock::time_point deadline);

//! What an HttpClient is built with.
struct HttpClientOptions {
  //! For error messages ("source 'bq': ...") and the pool's own errors.
  std::string source_id;
  //! Concurrent requests (and kept-alive connections) at most.
  int64_t max_connections = 8;
  HttpRetryPolicy retry;
  //! Applied to every request whose own `tls` and `connect_timeout` were left at defaults.
  HttpTlsOptions tls;
  std::chrono::milliseconds connect_timeout{10'000};
};

//! The shared, pooled client of the HTTP connectors: a bounded pool of keep-alive handles
//! (waiting past the deadline for one gives RESOURCE_EXHAUSTED), and every request performed
//! with PerformWithRetry. Thread-safety: every member may be called from any thread.
class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  //! Borrows a handle and performs `request` with the client's retry policy (or `retry`
  //! when given). CANCELLED when `cancel` fires, DEADLINE_EXCEEDED / RESOURCE_EXHAUSTED when
  //! `deadline` passes, UNAVAILABLE for transport failures; HTTP error statuses come back in
  //! the response for the caller to map.
  Result<HttpResponse> Perform(HttpRequest request, const CancelToken& cancel,
                               std::chrono::steady_clock::time_point deadline,
                               const HttpRetryPolicy* retry = nullptr);
  const HttpClientOptions& options() const { return options_; }
  PoolStats stats() const;
  //! Closes idle handles and refuses new requests.
  void Close();

 private:
  HttpClientOptions options_;
  std::unique_ptr<ConnectionPool<HttpHandle>> pool_;
};

//! Appends the connection options every HTTP connector accepts to its schema: tls_verify,
//! tls_ca_file, connect_timeout_ms and max_connections (`default_max_connections` when unset).
void AppendHttpConnectionOptionSpecs(OptionSchema& schema, int64_t default_max_connections);
//! Reads those options (validated by the schema) into client options for `source_id`.
HttpClientOptions HttpClientOptionsFrom(const Options& options, std::string source_id,
                                        int64_t default_max_connections);

}  // namespace tributary
