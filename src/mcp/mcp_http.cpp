#include "mcp/mcp_http.h"

#include <string>
#include <string_view>

#include "core/text.h"
#include "server/api_types.h"

namespace tributary {

namespace {

//! The host[:port] of an Origin header ("http://127.0.0.1:8080" -> "127.0.0.1:8080").
std::string OriginHost(std::string_view origin) {
  size_t scheme = origin.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view rest = origin.substr(scheme + 3);
  rest = rest.substr(0, rest.find('/'));
  return AsciiLower(rest);
}

bool AcceptsJson(std::string_view accept) {
  if (accept.empty()) return true;
  const std::string lower = AsciiLower(accept);
  return lower.find("application/json") != std::string::npos ||
         lower.find("text/event-stream") != std::string::npos ||
         lower.find("*/*") != std::string::npos || lower.find("application/*") != std::string::npos;
}

ApiResponse PostMcp(McpServer& server, const ApiRequest& req) {
  const Config& config = req.runtime->config();
  if (!config.mcp.enabled) {
    return ErrorResponse(404, "NOT_FOUND",
                         "the MCP server is off here (mcp.enabled: false in the config)",
                         req.request_id);
  }
  if (std::string_view origin = req.Header("origin"); !origin.empty()) {
    // A browser page of another site must not reach the server through a victim's browser
    // (DNS rebinding): only the server's own origin may post.
    const std::string host = AsciiLower(req.Header("host"));
    if (host.empty() || OriginHost(origin) != host) {
      return ErrorResponse(403, "PERMISSION_DENIED",
                           "the Origin '" + std::string(origin) +
                               "' is not this server's; MCP clients outside a browser send no "
                               "Origin header",
                           req.request_id);
    }
  }
  if (!AcceptsJson(req.Header("accept"))) {
    return ErrorResponse(406, "NOT_ACCEPTABLE",
                         "POST /mcp answers application/json: send Accept: application/json, "
                         "text/event-stream",
                         req.request_id);
  }
  if (std::string_view version = req.Header("mcp-protocol-version");
      !version.empty() && !IsSupportedMcpVersion(version)) {
    return ErrorResponse(400, "INVALID_ARGUMENT",
                         "unsupported MCP-Protocol-Version '" + std::string(version) +
                             "'; this server speaks " + std::string(kMcpProtocolVersion) +
                             ", 2025-06-18 and 2025-03-26",
                         req.request_id);
  }
  McpCallContext ctx;
  ctx.runtime = req.runtime;
  ctx.authorization = std::string(req.Header("authorization"));
  ctx.client_address = req.client_address;
  ctx.identity = req.caller.identity;
  ctx.cancel = req.cancel;
  ctx.request_id = req.request_id;
  McpReply reply = server.Handle(req.body, ctx);
  ApiResponse r;
  if (!reply.response) {
    r.status = 202;
    return r;
  }
  r.status = reply.malformed ? 400 : 200;
  r.body = std::move(*reply.response);
  if (reply.malformed) r.error_code = "INVALID_ARGUMENT";
  return r;
}

}  // namespace

void AddMcpRoutes(Router& router, McpServer* server) {
  // Any valid key may talk MCP; what it may do is checked per tool call, as its REST route.
  RouteAccess access{RouteAccess::Need::kAnyKey, ProjectFrom::kNone, /*rate_limited=*/true};
  router.Add(
      "POST", "/mcp", [server](const ApiRequest& req) { return PostMcp(*server, req); },
      /*blocking=*/true, access);
}

}  // namespace tributary
