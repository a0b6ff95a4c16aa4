// The MCP server's protocol layer: JSON-RPC 2.0 framing, protocol-version negotiation and
// method dispatch (initialize, ping, tools/*, resources/*, notifications/*), shared by the
// stdio transport (cli/mcp_command.h) and the streamable HTTP transport (mcp/mcp_http.h):
// a transport hands over one message with its McpCallContext and writes back what comes out.
// The server is stateless between messages (no sessions): only calls in flight are kept, so
// that notifications/cancelled can reach them.
// Thread-safety: Handle may be called concurrently from any threads. It blocks while a tool
// runs: call it on a worker thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "mcp/mcp_tools.h"

namespace tributary {

//! The protocol revision the server speaks.
inline constexpr std::string_view kMcpProtocolVersion = "2025-11-25";
//! Whether the server also speaks `version` (2025-11-25, 2025-06-18, 2025-03-26).
bool IsSupportedMcpVersion(std::string_view version);

//! JSON-RPC error codes.
inline constexpr int kJsonRpcParseError = -32700;
inline constexpr int kJsonRpcInvalidRequest = -32600;
inline constexpr int kJsonRpcMethodNotFound = -32601;
inline constexpr int kJsonRpcInvalidParams = -32602;
inline constexpr int kJsonRpcInternalError = -32603;
inline constexpr int kMcpResourceNotFound = -32002;

//! What one message produced.
struct McpReply {
  //! The JSON-RPC response to write; nullopt for a notification or a response.
  std::optional<std::string> response;
  //! The message was not JSON, or not a JSON-RPC message (a batch, no method): the HTTP
  //! transport answers 400.
  bool malformed = false;
  //! A tools/call that notifications/cancelled stopped: stdio sends no response for it (the
  //! client forgot the request); HTTP still answers the POST with the tool error.
  bool cancelled_by_client = false;
};

class McpServer {
 public:
  //! `router` (the Api's) must outlive the server.
  explicit McpServer(const Router& router);

  //! Handles one JSON-RPC message.
  McpReply Handle(std::string_view message, const McpCallContext& ctx);
  //! Handle in two steps: a tools/call is registered at once (so that a notifications/cancelled
  //! handled after this returns reaches it), and the returned function does the work (stdio
  //! runs it on a thread of its own while it reads on).
  std::function<McpReply()> Start(std::string_view message, const McpCallContext& ctx);

  //! Whether `message` is a request that may run long (tools/call, resources/read): stdio runs
  //! those on a thread of their own so that it keeps reading (e.g. a cancellation).
  static bool IsLongRunning(std::string_view message);

  const McpTools& tools() const { return tools_; }

 private:
  //! A tools/call registered in in_flight_ before it runs.
  struct Reservation {
    std::string key;
    uint64_t call_id = 0;
    CancelToken cancel;
  };
  std::optional<Reservation> Reserve(std::string_view message, const McpCallContext& ctx);
  void Release(const Reservation& reservation);
  McpReply Run(std::string_view message, const McpCallContext& ctx, const Reservation* reserved);

  McpTools tools_;
  std::mutex mu_;
  //! Calls in flight by "<identity>|<request id JSON>", each with its own sequence number (two
  //! clients sharing a key may reuse an id: a cancellation then reaches both).
  std::multimap<std::string, std::pair<uint64_t, CancelToken>> in_flight_;
  uint64_t next_call_ = 0;
};

}  // namespace tributary
