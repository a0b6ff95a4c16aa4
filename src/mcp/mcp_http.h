// The streamable HTTP transport of the MCP server: `POST /mcp` takes one JSON-RPC message and
// answers 200 application/json with its response, or 202 without a body for a notification or
// a response. GET and DELETE answer 405 (no server-initiated stream, no sessions). Any valid API
// key may post (401 otherwise); each POST counts against the caller's rate limits, and each tool
// call then runs as its REST route (mcp/mcp_tools.h). Refused: an Origin that is not the server's
// own host (403), an Accept that allows neither application/json nor text/event-stream (406),
// an MCP-Protocol-Version the server does not speak (400); `mcp.enabled: false` answers 404.
// Thread-safety: the route's handler is called concurrently on the worker pool; McpServer is
// thread-safe.
#pragma once

#include "mcp/mcp_protocol.h"
#include "server/router.h"

namespace tributary {

//! Adds POST /mcp to `router`; `server` must outlive the router's use.
void AddMcpRoutes(Router& router, McpServer* server);

}  // namespace tributary
