#include "support/in_process_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <thread>

#include "server/api.h"
#include "server/http_server.h"

namespace tributary::testing {

struct InProcessServer::Impl {
  boost::asio::io_context ioc{1};
  boost::asio::thread_pool workers{2};
  RuntimeHolder holder;
  Api api;
  std::unique_ptr<HttpServer> server;
  std::thread io_thread;
};

InProcessServer::InProcessServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<InProcessServer> InProcessServer::Start(std::shared_ptr<Runtime> runtime,
                                                        std::string* error) {
  auto impl = std::make_unique<Impl>();
  impl->holder.Swap(std::move(runtime));
  impl->server = std::make_unique<HttpServer>(impl->ioc, impl->workers, impl->api, impl->holder);
  if (Status st = impl->server->Listen("127.0.0.1", 0); !st.ok()) {
    *error = st.ToString();
    return nullptr;
  }
  impl->server->Start();
  // The pending accept keeps run() busy until the destructor stops the context.
  impl->io_thread = std::thread([ioc = &impl->ioc] { ioc->run(); });
  return std::unique_ptr<InProcessServer>(new InProcessServer(std::move(impl)));
}

InProcessServer::~InProcessServer() {
  impl_->server->BeginShutdown();
  impl_->server->CloseAllConnections();
  impl_->ioc.stop();
  impl_->io_thread.join();
  impl_->workers.join();
  impl_->server.reset();
  impl_->holder.Swap(nullptr);
}

uint16_t InProcessServer::port() const {
  return impl_->server->port();
}

}  // namespace tributary::testing
