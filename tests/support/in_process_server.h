// InProcessServer: the real HTTP stack (the API's router and the Beast server) serving one
// Runtime on a free loopback port inside the test process. Tests that issue thousands of
// requests against data loaded once use it instead of a `tributary serve` child process, whose
// start would cost more than the requests; everything from the socket to the JSON envelope is
// the production code.
// Thread-safety: Start and the destructor from one thread; requests from any number of
// HttpClient instances.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "orchestrator/runtime.h"

namespace tributary::testing {

class InProcessServer {
 public:
  //! Serves `runtime` on 127.0.0.1 (a port the kernel picks); nullptr and `error` set when the
  //! address cannot be bound.
  static std::unique_ptr<InProcessServer> Start(std::shared_ptr<Runtime> runtime,
                                                std::string* error);
  //! Stops accepting, closes the connections and joins the server's threads.
  ~InProcessServer();
  InProcessServer(const InProcessServer&) = delete;
  InProcessServer& operator=(const InProcessServer&) = delete;

  uint16_t port() const;

 private:
  struct Impl;
  explicit InProcessServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::testing
