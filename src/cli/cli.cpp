#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "server/server.h"

namespace tributary {

int RunCli(int argc, char** argv) {
  CLI::App app{"Tributary: one analytics gateway in front of every data source"};
  app.require_subcommand(1);
  auto* version = app.add_subcommand("version", "Print the version");
  version->callback([] { std::cout << "tributary " << TRIBUTARY_VERSION << "\n"; });

  // Minimal `serve` so that the HTTP tests can drive the binary; the lead reconciles the CLI.
  int exit_code = 0;
  ServeOptions serve_options;
  std::string serve_config;
  std::string serve_listen;
  auto* serve = app.add_subcommand("serve", "Serve the HTTP API");
  serve->add_option("--config", serve_config, "Config file (default: the built-in demo)");
  serve->add_option("--listen", serve_listen, "HOST:PORT to listen on (overrides server.listen)");
  serve
      ->add_option("--data-dir", serve_options.data_dir,
                   "Where the built-in config keeps demo.duckdb")
      ->capture_default_str();
  serve->callback([&] {
    if (!serve_config.empty()) serve_options.config_path = serve_config;
    if (!serve_listen.empty()) serve_options.listen = serve_listen;
    exit_code = RunServer(serve_options);
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return exit_code;
}

}  // namespace tributary
