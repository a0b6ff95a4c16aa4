#include "support/local_http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <list>
#include <mutex>
#include <thread>

#include "core/encoding.h"
#include "server/http_util.h"

namespace tributary::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string LocalHttpRequest::Query(const std::string& name, const std::string& fallback) const {
  auto it = query.find(name);
  return it == query.end() ? fallback : it->second;
}

std::string LocalHttpRequest::Header(const std::string& lower_case_name) const {
  auto it = headers.find(lower_case_name);
  return it == headers.end() ? std::string() : it->second;
}

struct LocalHttpServer::Impl {
  Handler handler;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread accept_thread;
  uint16_t port = 0;
  mutable std::mutex mu;
  mutable std::condition_variable stopped_cv;
  bool stopped = false;
  std::list<std::shared_ptr<tcp::socket>> sockets;
  std::list<std::thread> connection_threads;
  std::vector<LocalHttpRequest> received;

  void Serve(const std::shared_ptr<tcp::socket>& socket) {
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(1ull << 30);
      http::read(*socket, buffer, parser, ec);
      if (ec) return;
      const auto& message = parser.get();
      LocalHttpRequest request;
      request.method = std::string(message.method_string());
      const std::string target(message.target());
      const size_t question = target.find('?');
      request.path = target.substr(0, question);
      if (auto decoded = PercentDecode(request.path)) request.path = *decoded;
      if (question != std::string::npos) {
        request.query_string = target.substr(question + 1);
        auto params = ParseQueryString(request.query_string);
        if (params.ok()) {
          for (auto& [name, value] : *params) request.query.emplace(name, value);
        }
      }
      for (const auto& field : message) {
        std::string name(field.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        request.headers[name] = std::string(field.value());
      }
      request.body = message.body();
      {
        std::lock_guard lock(mu);
        received.push_back(request);
      }
      LocalHttpResponse reply = handler(request);
      http::response<http::string_body> response{static_cast<http::status>(reply.status),
                                                 message.version()};
      response.set(http::field::content_type, reply.content_type);
      for (const auto& [name, value] : reply.headers) response.set(name, value);
      response.body() = std::move(reply.body);
      response.keep_alive(!reply.close && message.keep_alive());
      response.prepare_payload();
      http::write(*socket, response, ec);
      if (ec || reply.close || !message.keep_alive()) {
        socket->shutdown(tcp::socket::shutdown_both, ec);
        return;
      }
    }
  }

  // Accepts on the io_context's thread, so Stop can end it by closing the acceptor there.
  void AcceptNext() {
    auto socket = std::make_shared<tcp::socket>(io);
    acceptor.async_accept(*socket, [this, socket](boost::system::error_code ec) {
      {
        std::lock_guard lock(mu);
        if (stopped) return;
        if (!ec) {
          sockets.push_back(socket);
          connection_threads.emplace_back([this, socket] { Serve(socket); });
        }
      }
      AcceptNext();
    });
  }
};

LocalHttpServer::LocalHttpServer(Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  boost::system::error_code ec;
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::fprintf(stderr, "LocalHttpServer: cannot listen on 127.0.0.1: %s\n", ec.message().c_str());
    std::abort();
  }
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->AcceptNext();
  impl_->accept_thread = std::thread([this] { impl_->io.run(); });
}

LocalHttpServer::~LocalHttpServer() {
  Stop();
}

uint16_t LocalHttpServer::port() const {
  return impl_->port;
}

std::string LocalHttpServer::url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

std::vector<LocalHttpRequest> LocalHttpServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->received;
}

size_t LocalHttpServer::request_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->received.size();
}

bool LocalHttpServer::WaitFor(std::chrono::milliseconds duration) const {
  std::unique_lock lock(impl_->mu);
  return !impl_->stopped_cv.wait_for(lock, duration, [this] { return impl_->stopped; });
}

void LocalHttpServer::Stop() {
  std::list<std::thread> threads;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
    boost::system::error_code ec;
    for (auto& socket : impl_->sockets) {
      socket->shutdown(tcp::socket::shutdown_both, ec);
      socket->close(ec);
    }
  }
  impl_->stopped_cv.notify_all();
  asio::post(impl_->io, [this] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
  });
  if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
  {
    std::lock_guard lock(impl_->mu);
    threads.swap(impl_->connection_threads);
  }
  for (auto& thread : threads) thread.join();
}

}  // namespace tributary::testing
