// HttpServer: the Beast listener and its sessions.
//
// One acceptor; one session per connection, each on its own strand of the shared io_context,
// handling keep-alive requests strictly one after another (so pipelined requests are answered
// in order). Headers and bodies are size-bounded, a request in progress must arrive within
// server.read_timeout_ms and an idle keep-alive connection is closed after
// server.idle_timeout_ms; limits are read from the runtime current when each request starts.
// Handlers marked blocking run on the worker pool; while one runs the session watches its
// socket and cancels the request's CancelToken if the client goes away. A GET or HEAD that no
// route matches goes to the web dashboard's StaticSite when one is set (answered on the I/O
// thread from memory, without an API key or rate limit). HEAD answers carry the length of the
// body they leave out. Routes with an UploadRoute get their body streamed to a file, checked
// for access before a byte is stored and outside server.max_body_bytes; answers with a
// ResponseStream are sent chunked as the stream produces them (server/streaming.h,
// docs/architecture.md). Routes are read from the Api when the server is constructed.
// Thread-safety: Listen and Start are called once, before the io_context runs; BeginShutdown,
// open_connections, CancelInFlight and CloseAllConnections may be called from any thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "orchestrator/runtime.h"
#include "server/api.h"

namespace tributary {

class StaticSite;

namespace detail {
struct ServerCore;
}  // namespace detail

class HttpServer {
 public:
  //! `api`, `holder`, `ioc` and `pool` must outlive the server. Connections are accepted on
  //! `ioc` and served round-robin on `connection_contexts` (each best run by one thread of its
  //! own: a connection's handlers then never hand off between threads); empty: on `ioc`.
  HttpServer(boost::asio::io_context& ioc, boost::asio::thread_pool& pool, const Api& api,
             const RuntimeHolder& holder,
             std::vector<boost::asio::io_context*> connection_contexts = {});
  //! Closes the acceptor; call after the io_context's threads have been joined.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  //! Opens, binds and listens; UNAVAILABLE naming the address and the system's reason (e.g.
  //! "Address already in use") on failure. `host` is an IP address or a name to resolve.
  Status Listen(const std::string& host, uint16_t port);
  //! The bound port (the kernel's choice when listening on port 0).
  uint16_t port() const;
  //! Serves the web dashboard for GET and HEAD requests no route matches (server/static_files.h);
  //! null (the default): such requests get the JSON 404. Call before Start.
  void SetStaticSite(std::shared_ptr<const StaticSite> site);
  //! Starts accepting connections.
  void Start();

  //! Stops accepting and closes idle keep-alive connections; busy ones close once their
  //! current response is written.
  void BeginShutdown();
  //! Connections still open.
  size_t open_connections() const;
  //! Cancels every request running on the worker pool (used when the drain time is over).
  void CancelInFlight(const std::string& reason);
  //! Closes every connection at once.
  void CloseAllConnections();

 private:
  std::shared_ptr<detail::ServerCore> core_;
};

}  // namespace tributary
