// Placeholder until the HTTP server lands.
#include "server/server.h"

#include <iostream>

namespace tributary {

int RunServer(const ServeOptions&) {
  std::cerr << "serve is not implemented yet\n";
  return 1;
}

}  // namespace tributary
