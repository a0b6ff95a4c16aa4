#include "mcp/mcp_protocol.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <functional>
#include <vector>

#include "core/json_out.h"
#include "core/json_value.h"

namespace tributary {

namespace json = boost::json;

namespace {

constexpr std::string_view kByClient = "cancelled by the client (notifications/cancelled)";
constexpr std::string_view kSupportedVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};

//! `{"jsonrpc":"2.0","id":<id>,"result":<result JSON>}`.
std::string ResultMessage(const std::string& id_json, std::string_view result_json) {
  std::string out = R"({"jsonrpc":"2.0","id":)";
  out.append(id_json).append(R"(,"result":)").append(result_json).append("}");
  return out;
}

std::string ErrorMessage(const std::string& id_json, int code, std::string_view message) {
  JsonOut out;
  out.StartObject();
  out.Key("jsonrpc").String("2.0");
  out.Key("id").Raw(id_json);
  out.Key("error").StartObject();
  out.Key("code").Int(code);
  out.Key("message").String(message);
  out.EndObject();
  out.EndObject();
  return out.Take();
}

McpReply Malformed(int code, std::string_view message) {
  McpReply reply;
  reply.malformed = true;
  reply.response = ErrorMessage("null", code, message);
  return reply;
}

std::string InitializeResult(std::string_view version) {
  JsonOut out;
  out.StartObject();
  out.Key("protocolVersion").String(version);
  out.Key("capabilities").StartObject();
  out.Key("tools").StartObject().Key("listChanged").Bool(false).EndObject();
  out.Key("resources").StartObject();
  out.Key("subscribe").Bool(false);
  out.Key("listChanged").Bool(false);
  out.EndObject();
  out.EndObject();
  out.Key("serverInfo").StartObject();
  out.Key("name").String("tributary");
  out.Key("title").String("Tributary analytics data gateway");
  out.Key("version").String(TRIBUTARY_VERSION);
  out.EndObject();
  out.Key("instructions")
      .String(
          "Tributary answers with data from the sources your API key may use. Start with "
          "list_sources, then describe_source for tables and columns, then run_query with one "
          "read-only statement (writes are refused). list_metrics and get_metric give "
          "ready-made pack metrics; investigate gathers incident evidence. Errors are tool "
          "results with a stable code (INVALID_ARGUMENT, PERMISSION_DENIED, QUERY_ERROR, ...).");
  out.EndObject();
  return out.Take();
}

std::string ToolResultJson(const McpToolResult& r) {
  JsonOut out;
  out.StartObject();
  out.Key("content").StartArray();
  out.StartObject();
  out.Key("type").String("text");
  if (r.is_error) {
    JsonOut error;
    error.StartObject().Key("error").StartObject();
    error.Key("code").String(r.error_code);
    error.Key("message").String(r.error_message);
    error.EndObject().EndObject();
    out.Key("text").String(error.Take());
  } else {
    out.Key("text").String(r.structured);
  }
  out.EndObject();
  out.EndArray();
  // Never structuredContent on an error: clients check it against the tool's outputSchema.
  if (!r.is_error) out.Key("structuredContent").Raw(r.structured);
  out.Key("isError").Bool(r.is_error);
  out.EndObject();
  return out.Take();
}

}  // namespace

bool IsSupportedMcpVersion(std::string_view version) {
  for (std::string_view v : kSupportedVersions) {
    if (v == version) return true;
  }
  return false;
}

McpServer::McpServer(const Router& router) : tools_(router) {}

bool McpServer::IsLongRunning(std::string_view message) {
  boost::system::error_code ec;
  json::value v = ParseJson(message, ec);
  if (ec || !v.is_object()) return false;
  const json::value* method = v.get_object().if_contains("method");
  if (!method || !method->is_string() || !v.get_object().contains("id")) return false;
  return method->get_string() == "tools/call" || method->get_string() == "resources/read" ||
         method->get_string() == "resources/list";
}

std::optional<McpServer::Reservation> McpServer::Reserve(std::string_view message,
                                                         const McpCallContext& ctx) {
  boost::system::error_code ec;
  json::value root = json::parse(message, ec);
  if (ec || !root.is_object()) return std::nullopt;
  const json::object& msg = root.get_object();
  const json::value* id = msg.if_contains("id");
  const json::value* method = msg.if_contains("method");
  if (!id || !(id->is_string() || id->is_int64() || id->is_uint64()) || !method ||
      !method->is_string() || method->get_string() != "tools/call") {
    return std::nullopt;
  }
  Reservation r;
  r.key = ctx.identity + "|" + McpJson(*id);
  std::lock_guard lock(mu_);
  r.call_id = ++next_call_;
  in_flight_.emplace(r.key, std::make_pair(r.call_id, r.cancel));
  return r;
}

void McpServer::Release(const Reservation& r) {
  std::lock_guard lock(mu_);
  auto [begin, end] = in_flight_.equal_range(r.key);
  for (auto it = begin; it != end; ++it) {
    if (it->second.first == r.call_id) {
      in_flight_.erase(it);
      return;
    }
  }
}

std::function<McpReply()> McpServer::Start(std::string_view message, const McpCallContext& ctx) {
  std::optional<Reservation> reserved = Reserve(message, ctx);
  return [this, text = std::string(message), ctx, reserved] {
    McpReply reply = Run(text, ctx, reserved ? &*reserved : nullptr);
    if (reserved) Release(*reserved);
    return reply;
  };
}

McpReply McpServer::Handle(std::string_view message, const McpCallContext& ctx) {
  return Start(message, ctx)();
}

McpReply McpServer::Run(std::string_view message, const McpCallContext& ctx,
                        const Reservation* reserved) {
  boost::system::error_code ec;
  json::value root = ParseJson(message, ec);
  if (ec) return Malformed(kJsonRpcParseError, "Parse error: the message is not JSON");
  if (root.is_array()) {
    return Malformed(kJsonRpcInvalidRequest,
                     "Invalid Request: JSON-RPC batches are not supported (removed in MCP "
                     "2025-06-18); send one message per request");
  }
  if (!root.is_object()) {
    return Malformed(kJsonRpcInvalidRequest, "Invalid Request: expected a JSON-RPC object");
  }
  const json::object& msg = root.get_object();
  const json::value* version = msg.if_contains("jsonrpc");
  const json::value* id = msg.if_contains("id");
  const json::value* method = msg.if_contains("method");
  std::string id_json = "null";
  if (id && (id->is_string() || id->is_int64() || id->is_uint64())) id_json = McpJson(*id);
  if (!version || !version->is_string() || version->get_string() != "2.0") {
    return Malformed(kJsonRpcInvalidRequest, "Invalid Request: \"jsonrpc\" must be \"2.0\"");
  }
  if (!method) {
    // A response to a server request (the server sends none) or junk.
    if (id && (msg.contains("result") || msg.contains("error"))) return {};
    return Malformed(kJsonRpcInvalidRequest, "Invalid Request: no \"method\"");
  }
  if (!method->is_string()) {
    return Malformed(kJsonRpcInvalidRequest, "Invalid Request: \"method\" must be a string");
  }
  if (id && id_json == "null") {
    return Malformed(kJsonRpcInvalidRequest,
                     "Invalid Request: \"id\" must be a string or an integer");
  }
  const std::string name(method->get_string());
  const json::value* params = msg.if_contains("params");
  if (params && !params->is_object()) {
    if (!id) return {};
    McpReply reply;
    reply.response = ErrorMessage(id_json, kJsonRpcInvalidParams,
                                  "Invalid params: \"params\" must be an object");
    return reply;
  }
  static const json::object kNoParams;
  const json::object& p = params ? params->get_object() : kNoParams;

  if (!id) {
    // Notifications: never answered.
    if (name == "notifications/cancelled") {
      const json::value* request_id = p.if_contains("requestId");
      if (request_id &&
          (request_id->is_string() || request_id->is_int64() || request_id->is_uint64())) {
        std::string reason(kByClient);
        if (const json::value* r = p.if_contains("reason"); r && r->is_string()) {
          reason.append(": ").append(r->get_string());
        }
        std::vector<CancelToken> targets;
        {
          std::lock_guard lock(mu_);
          auto [begin, end] = in_flight_.equal_range(ctx.identity + "|" + McpJson(*request_id));
          for (auto it = begin; it != end; ++it) targets.push_back(it->second.second);
        }
        for (const auto& token : targets) token.Cancel(reason);
      }
    }
    return {};
  }

  McpReply reply;
  if (name == "initialize") {
    std::string_view asked;
    if (const json::value* v = p.if_contains("protocolVersion"); v && v->is_string()) {
      asked = v->get_string();
    }
    reply.response = ResultMessage(
        id_json, InitializeResult(IsSupportedMcpVersion(asked) ? asked : kMcpProtocolVersion));
  } else if (name == "ping") {
    reply.response = ResultMessage(id_json, "{}");
  } else if (name == "tools/list") {
    reply.response = ResultMessage(id_json, tools_.ListJson());
  } else if (name == "tools/call") {
    const json::value* tool = p.if_contains("name");
    if (!tool || !tool->is_string()) {
      reply.response = ErrorMessage(id_json, kJsonRpcInvalidParams,
                                    "Invalid params: tools/call needs \"name\" (a string)");
      return reply;
    }
    if (!tools_.Has(tool->get_string())) {
      reply.response = ErrorMessage(
          id_json, kJsonRpcInvalidParams,
          "Unknown tool: " + std::string(tool->get_string()) + " (tools/list lists them)");
      return reply;
    }
    const json::value* args = p.if_contains("arguments");
    static const json::object kNoArguments;
    if (args && !args->is_object() && !args->is_null()) {
      reply.response = ErrorMessage(id_json, kJsonRpcInvalidParams,
                                    "Invalid params: \"arguments\" must be an object");
      return reply;
    }
    const json::object& arguments = args && args->is_object() ? args->get_object() : kNoArguments;
    // The call's own token, registered under the caller and request id (by Start, before the
    // call was handed to a thread) so that a cancellation names it; the transport's token
    // cancels it too.
    const CancelToken cancel = reserved ? reserved->cancel : CancelToken();
    CancelRegistration link(ctx.cancel, [cancel, outer = ctx.cancel] {
      cancel.Cancel(outer.reason().empty() ? "the client went away" : outer.reason());
    });
    McpToolResult result;
    try {
      result = tools_.Call(tool->get_string(), arguments, ctx, cancel);
    } catch (const std::exception& e) {
      spdlog::error("request {}: MCP tool {} failed: {}", ctx.request_id,
                    std::string(tool->get_string()), e.what());
      result.is_error = true;
      result.error_code = "INTERNAL";
      result.error_message = "internal error; the server log has the details";
    }
    if (cancel.cancelled() && result.is_error) {
      result.error_code = "CANCELLED";
      result.error_message = cancel.reason();
      reply.cancelled_by_client = result.error_message.rfind(kByClient, 0) == 0;
    }
    reply.response = ResultMessage(id_json, ToolResultJson(result));
  } else if (name == "resources/list") {
    Result<std::string> list = tools_.ListResources(ctx);
    reply.response = list.ok() ? ResultMessage(id_json, *list)
                               : ErrorMessage(id_json, kJsonRpcInternalError,
                                              std::string(list.status().message()));
  } else if (name == "resources/templates/list") {
    reply.response = ResultMessage(id_json, McpTools::ListResourceTemplates());
  } else if (name == "resources/read") {
    const json::value* uri = p.if_contains("uri");
    if (!uri || !uri->is_string()) {
      reply.response = ErrorMessage(id_json, kJsonRpcInvalidParams,
                                    "Invalid params: resources/read needs \"uri\" (a string)");
      return reply;
    }
    McpTools::ResourceRead read = tools_.ReadResource(uri->get_string(), ctx, ctx.cancel);
    if (read.error) {
      reply.response = ErrorMessage(
          id_json, read.error->not_found ? kMcpResourceNotFound : kJsonRpcInternalError,
          read.error->message);
    } else {
      reply.response = ResultMessage(id_json, read.json);
    }
  } else {
    reply.response = ErrorMessage(id_json, kJsonRpcMethodNotFound, "Method not found: " + name);
  }
  return reply;
}

}  // namespace tributary
