// `tributary serve`: the HTTP API on Boost.Beast.
//
// Loads the config (or the built-in demo, creating its data on first start), opens the
// sources, serves until SIGTERM or SIGINT (stop accepting, drain in-flight requests within
// server.shutdown_grace_ms, close sources); SIGHUP reloads the config atomically.
// Thread-safety: call once per process.
#pragma once

#include <optional>
#include <string>

namespace tributary {

struct ServeOptions {
  //! No config file means the built-in demo config.
  std::optional<std::string> config_path;
  //! Overrides server.listen ("HOST:PORT"; port 0 picks a free port).
  std::optional<std::string> listen;
  //! Where the built-in config keeps demo.duckdb.
  std::string data_dir = "./data";
  //! Overrides server.web_dir: the folder of the built dashboard (server/static_files.h).
  std::optional<std::string> web_dir;
  //! Serves no dashboard (the API only), whatever web_dir says.
  bool no_web = false;
};

//! Returns the process exit code: 0 after a clean shutdown, 2 for a config or usage error,
//! 1 for a runtime failure (e.g. the address is in use).
int RunServer(const ServeOptions& options);

}  // namespace tributary
