// `tributary mcp`: the MCP server over stdio (docs/mcp.md). Newline-delimited JSON-RPC on
// stdin, one response per line on stdout, logs only on stderr. The API key comes from
// --api-key-file or TRIBUTARY_API_KEY; when the config has keys, a missing or unknown key ends
// the process with exit code 2 before anything is answered. Tool calls run on threads of their
// own so that a notifications/cancelled read meanwhile can interrupt them; at EOF on stdin the
// calls still running finish and are answered, then the process exits 0.
// Thread-safety: RunMcpCommand runs once per process, on the calling thread.
#pragma once

#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace tributary::cli {

struct McpArgs {
  //! No config: the built-in demo config (its data under data_dir).
  std::optional<std::string> config;
  std::string data_dir = "./data";
  //! The project of tool calls that name none (default: the config's default project).
  std::string project;
  //! A file holding the API key (first line); else TRIBUTARY_API_KEY.
  std::optional<std::string> api_key_file;
};

//! Registers the `mcp` subcommand on `app`; its callback stores the exit code in `*exit_code`.
void AddMcpCommand(CLI::App& app, int* exit_code);

//! Serves MCP on stdin/stdout until EOF; returns the exit code (0 after EOF, 2 for a config,
//! usage or key problem).
int RunMcpCommand(const McpArgs& args);

}  // namespace tributary::cli
