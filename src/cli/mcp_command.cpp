#include "cli/mcp_command.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <list>
#include <mutex>
#include <thread>

#include "config/config.h"
#include "core/text.h"
#include "demo/demo_data.h"
#include "mcp/mcp_protocol.h"
#include "orchestrator/runtime.h"
#include "server/api.h"
#include "server/auth.h"

namespace tributary::cli {

namespace {

constexpr int kExitUsage = 2;

int Refuse(const std::string& message) {
  std::cerr << "tributary mcp: " << message << "\n";
  return kExitUsage;
}

Result<Config> LoadConfigOrDemo(const McpArgs& args) {
  if (args.config) return LoadConfigFile(*args.config);
  std::error_code ec;
  std::filesystem::create_directories(args.data_dir, ec);
  if (ec) {
    return Unavailable("cannot create data directory '" + args.data_dir + "': " + ec.message());
  }
  TRIB_RETURN_IF_ERROR(EnsureDemoData(args.data_dir + "/demo.duckdb"));
  return BuiltinConfig(args.data_dir);
}

//! The key from --api-key-file (its first line, trimmed) or TRIBUTARY_API_KEY; "" for none.
Result<std::string> ReadKey(const McpArgs& args) {
  if (args.api_key_file) {
    std::ifstream in(*args.api_key_file);
    if (!in) {
      return InvalidArgument("cannot read --api-key-file '" + *args.api_key_file + "'");
    }
    std::string line;
    std::getline(in, line);
    return std::string(TrimBlanks(line));
  }
  const char* env = std::getenv("TRIBUTARY_API_KEY");
  return std::string(env ? TrimBlanks(env) : std::string_view());
}

//! Writes whole lines to stdout, one writer at a time.
class LineWriter {
 public:
  void Write(const std::string& line) {
    std::lock_guard lock(mu_);
    std::cout << line << '\n';
    std::cout.flush();
  }

 private:
  std::mutex mu_;
};

}  // namespace

int RunMcpCommand(const McpArgs& args) {
  // A client that goes away mid-answer must not kill the process with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  Result<Config> config = LoadConfigOrDemo(args);
  if (!config.ok()) {
    std::cerr << "tributary mcp: " << config.status().ToString() << "\n";
    return ToExitCode(config.status().code());
  }
  if (!config->mcp.enabled) {
    return Refuse("the MCP server is off in " + config->path +
                  " (mcp.enabled: false); remove that line or set it to true");
  }
  if (!args.project.empty() && !config->FindProject(args.project)) {
    return Refuse("--project '" + args.project + "' is not a project of " + config->path);
  }
  if (auto packs = LoadPacks(*config); !packs.ok()) {
    std::cerr << "tributary mcp: " << packs.status().ToString() << "\n";
    return ToExitCode(packs.status().code());
  }
  Result<std::string> key = ReadKey(args);
  if (!key.ok()) return Refuse(std::string(key.status().message()));
  const bool needs_key = config->auth.enabled();
  if (needs_key && key->empty()) {
    return Refuse("the config " + config->path +
                  " has API keys (auth:); give yours in the environment variable "
                  "TRIBUTARY_API_KEY or with --api-key-file FILE");
  }

  std::shared_ptr<Runtime> runtime = Runtime::Open(std::move(config).value());
  Api api;
  McpCallContext base;
  base.runtime = runtime;
  base.client_address = "stdio";
  base.identity = "stdio";
  base.default_project = args.project;
  if (!key->empty()) base.authorization = "Bearer " + *key;

  if (needs_key) {
    // The access check the routes use, on a route any valid key may call.
    Route probe;
    probe.access = RouteAccess::AnyKey();
    ApiRequest req;
    req.runtime = runtime;
    req.client_address = base.client_address;
    req.headers["authorization"] = base.authorization;
    Admission admission = AdmitRequest(probe, req, nullptr);
    if (admission.denial) {
      return Refuse("the API key (from " +
                    std::string(args.api_key_file ? "--api-key-file" : "TRIBUTARY_API_KEY") +
                    ") is not one of the keys of " + runtime->config().path +
                    "; check it, or ask the operator for one");
    }
    if (!args.project.empty() && !req.caller.SeesProject(args.project)) {
      return Refuse("API key '" + req.caller.key->name + "' may not access project '" +
                    args.project + "'");
    }
    spdlog::info("MCP on stdio as API key '{}'", req.caller.key->name);
  }
  runtime->CheckAllHealth();
  spdlog::info("tributary {} MCP server on stdio ({} sources); EOF ends it", TRIBUTARY_VERSION,
               runtime->sources().size());

  McpServer& server = api.mcp();
  LineWriter out;
  std::atomic<uint64_t> counter{0};
  //! One thread per long call; finished ones are joined as new ones start.
  struct Call {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<Call> calls;
  auto handle = [&](const std::string& line) {
    McpCallContext ctx = base;
    ctx.request_id = "mcp-stdio-" + std::to_string(++counter);
    McpReply reply = server.Handle(line, ctx);
    if (reply.response && !reply.cancelled_by_client) out.Write(*reply.response);
  };
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (TrimBlanks(line).empty()) continue;
    if (McpServer::IsLongRunning(line)) {
      calls.remove_if([](Call& c) {
        if (!c.done->load()) return false;
        c.thread.join();
        return true;
      });
      McpCallContext ctx = base;
      ctx.request_id = "mcp-stdio-" + std::to_string(++counter);
      // Registered now, run on a thread: a cancellation on the next line finds it.
      std::function<McpReply()> call = server.Start(line, ctx);
      auto done = std::make_shared<std::atomic<bool>>(false);
      calls.push_back({std::thread([&out, call = std::move(call), done] {
                         McpReply reply = call();
                         if (reply.response && !reply.cancelled_by_client) {
                           out.Write(*reply.response);
                         }
                         done->store(true);
                       }),
                       done});
    } else {
      handle(line);
    }
  }
  // The client closed stdin: what still runs finishes (bounded by the query timeouts) and is
  // answered; a client in a hurry cancels first or ends the process with a signal.
  for (auto& c : calls) c.thread.join();
  spdlog::info("stdin closed; MCP server done");
  return 0;
}

void AddMcpCommand(CLI::App& app, int* exit_code) {
  static McpArgs args;
  auto* cmd = app.add_subcommand(
      "mcp", "Serve the Model Context Protocol on stdin/stdout (for agents; docs/mcp.md)");
  cmd->add_option("--config,-c", args.config, "Config file (default: the demo)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--project", args.project,
                  "Project of tool calls that name none (default: the config's default_project)");
  cmd->add_option("--api-key-file", args.api_key_file,
                  "File holding the API key (default: the TRIBUTARY_API_KEY variable)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--data-dir", args.data_dir, "Where the demo database lives")
      ->capture_default_str();
  cmd->callback([exit_code] { *exit_code = RunMcpCommand(args); });
}

}  // namespace tributary::cli
