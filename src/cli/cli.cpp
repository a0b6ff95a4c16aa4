#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <iostream>

namespace tributary {

int RunCli(int argc, char** argv) {
  CLI::App app{"Tributary: one analytics gateway in front of every data source"};
  app.require_subcommand(1);
  auto* version = app.add_subcommand("version", "Print the version");
  version->callback([] { std::cout << "tributary " << TRIBUTARY_VERSION << "\n"; });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return 0;
}

}  // namespace tributary
