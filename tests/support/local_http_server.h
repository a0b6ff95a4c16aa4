// LocalHttpServer: a small HTTP/1.1 server on 127.0.0.1 for protocol-level tests of the HTTP
// connectors. The services these connectors talk to (BigQuery, Elasticsearch, SaaS JSON APIs)
// cannot run here, so each test suite implements the documented endpoints it needs as a
// handler over this server, and computes its answers (never canned bytes).
//
// Each connection gets its own thread and keeps alive; the handler sees the method, the path,
// the decoded query parameters, the lower-cased headers and the body. A handler that must be
// slow (timeouts, cancels) waits with WaitFor, which returns early when the server stops.
// Thread-safety: the handler runs concurrently on connection threads; requests(), Stop and the
// destructor may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tributary::testing {

struct LocalHttpRequest {
  std::string method;
  //! The path without the query string, percent-decoded ("/bigquery/v2/projects/p/queries").
  std::string path;
  //! The raw query string (after '?'), and its decoded parameters (a repeated name keeps all).
  std::string query_string;
  std::multimap<std::string, std::string> query;
  //! Header names lower-cased.
  std::map<std::string, std::string> headers;
  std::string body;

  //! The first query parameter of that name, or `fallback`.
  std::string Query(const std::string& name, const std::string& fallback = "") const;
  std::string Header(const std::string& lower_case_name) const;
};

struct LocalHttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  //! Close the connection after this response (tests of dropped connections).
  bool close = false;
};

class LocalHttpServer {
 public:
  using Handler = std::function<LocalHttpResponse(const LocalHttpRequest&)>;

  //! Listens on 127.0.0.1 on a port the kernel picks; aborts the test binary when it cannot
  //! bind (loopback always can).
  explicit LocalHttpServer(Handler handler);
  ~LocalHttpServer();
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  uint16_t port() const;
  //! "http://127.0.0.1:<port>".
  std::string url() const;
  //! Every request received so far, in arrival order.
  std::vector<LocalHttpRequest> requests() const;
  size_t request_count() const;
  //! Stops accepting, ends WaitFor early, closes connections and joins their threads.
  void Stop();
  //! Sleeps up to `duration`; false when the server stopped meanwhile.
  bool WaitFor(std::chrono::milliseconds duration) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::testing
