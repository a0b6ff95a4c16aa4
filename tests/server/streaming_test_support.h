// Helpers for the streamed upload and SSE tests: the real HttpServer over an Api with extra
// test routes (Api::MutableRouterForTests), on a loopback port the kernel picks, run by two I/O
// threads so that strands matter; and a raw socket client that can send a body in pieces,
// read a response as it arrives, and hang up at any moment.
// Thread-safety: one test thread drives a server and its clients.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "orchestrator/runtime.h"
#include "server/api.h"
#include "server/http_server.h"

namespace tributary::testing {

class StreamTestServer {
 public:
  //! A server for `yaml` whose Api also has the routes `add_routes` adds; null and `error`
  //! set when the config is invalid or the port cannot be bound.
  static std::unique_ptr<StreamTestServer> Start(const std::string& yaml,
                                                 const std::function<void(Router&)>& add_routes,
                                                 std::string* error) {
    std::unique_ptr<StreamTestServer> s(new StreamTestServer);
    Result<Config> config = LoadConfigText(yaml, "streaming-test.yaml", ".");
    if (!config.ok()) {
      *error = config.status().ToString();
      return nullptr;
    }
    s->holder_.Swap(Runtime::Open(std::move(*config)));
    add_routes(s->api_.MutableRouterForTests());
    s->server_ = std::make_unique<HttpServer>(s->ioc_, s->workers_, s->api_, s->holder_);
    if (Status st = s->server_->Listen("127.0.0.1", 0); !st.ok()) {
      *error = st.ToString();
      return nullptr;
    }
    s->server_->Start();
    for (int i = 0; i < 2; ++i) s->threads_.emplace_back([ioc = &s->ioc_] { ioc->run(); });
    return s;
  }

  ~StreamTestServer() {
    if (server_) {
      server_->BeginShutdown();
      server_->CloseAllConnections();
    }
    // Let the closes run before the context stops.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ioc_.stop();
    for (auto& t : threads_) t.join();
    workers_.join();
    server_.reset();
    holder_.Swap(nullptr);
  }

  uint16_t port() const { return server_->port(); }
  HttpServer& server() { return *server_; }

 private:
  StreamTestServer() = default;
  boost::asio::io_context ioc_{2};
  boost::asio::thread_pool workers_{2};
  RuntimeHolder holder_;
  Api api_;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::thread> threads_;
};

//! A blocking TCP connection to 127.0.0.1:port with bounded reads.
class RawConn {
 public:
  explicit RawConn(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConn() { Close(); }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool connected() const { return fd_ >= 0; }

  //! Writes everything; false when the connection broke.
  bool Send(std::string_view data) {
    while (!data.empty() && fd_ >= 0) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return data.empty();
  }

  //! Reads until `needle` was received at or after offset `from` (true), or the peer closed
  //! or `timeout` passed (false).
  bool ReadUntil(std::string_view needle,
                 std::chrono::milliseconds timeout = std::chrono::seconds(20), size_t from = 0) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received_.find(needle, from) == std::string::npos) {
      if (!ReadSome(deadline)) return received_.find(needle, from) != std::string::npos;
    }
    return true;
  }

  //! Reads until the peer closes; false on timeout.
  bool ReadUntilClosed(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (ReadSome(deadline)) {
    }
    return closed_;
  }

  const std::string& received() const { return received_; }
  bool peer_closed() const { return closed_; }

  //! The status code of the response received so far, 0 when none.
  int StatusCode() const {
    if (received_.compare(0, 5, "HTTP/") != 0 || received_.size() < 12) return 0;
    return std::atoi(received_.c_str() + 9);
  }
  //! What follows the response headers.
  std::string Body() const {
    size_t end = received_.find("\r\n\r\n");
    return end == std::string::npos ? "" : received_.substr(end + 4);
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  //! One read; false when the peer closed, an error occurred or the deadline passed.
  bool ReadSome(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0 || closed_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    received_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool closed_ = false;
  std::string received_;
};

}  // namespace tributary::testing
