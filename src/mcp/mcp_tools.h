// The MCP tools (list_sources, describe_source, run_query, list_metrics, get_metric,
// investigate) and the source-schema resources (docs/mcp.md).
//
// Every tool call runs AS THE REST ROUTE it corresponds to: an ApiRequest is built (method,
// path, query, body, the caller's Authorization header), matched on the Api's Router, admitted
// by AdmitRequest (server/auth.h, without a rate limiter: the transport counted the MCP request
// itself) and handed to the route's handler; the ApiResponse becomes the tool result. Roles,
// projects, statement guards, row and cost caps are therefore the REST API's by construction.
// Thread-safety: McpTools is immutable after construction; Call and the resource functions
// may run concurrently. They block (source I/O): call them on a worker thread.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cancel.h"
#include "common/status.h"
#include "orchestrator/runtime.h"

namespace tributary {

class Router;

//! Who calls and on what, for one MCP message (either transport).
struct McpCallContext {
  //! The runtime current when the message arrived.
  std::shared_ptr<Runtime> runtime;
  //! The value of an Authorization header ("Bearer <key>"); empty without a key.
  std::string authorization;
  //! The peer's IP address (HTTP) or "stdio".
  std::string client_address;
  //! Whose request ids these are (notifications/cancelled matches on it): the caller identity
  //! of the HTTP request ("key:<name>", "address:<ip>"), or "stdio".
  std::string identity;
  //! Cancelled when the transport gives up on the message (the HTTP client went away).
  CancelToken cancel;
  //! `tributary mcp --project P`: the project of tool calls that name none ("": the routes'
  //! own defaults, i.e. the config's default project).
  std::string default_project;
  //! The request id written into error bodies and logs.
  std::string request_id;
};

//! A tool's answer: a result object (success) or an error {code, message} (isError).
struct McpToolResult {
  bool is_error = false;
  //! The result object's JSON (structuredContent), on success.
  std::string structured;
  //! On error: the stable code (INVALID_ARGUMENT, PERMISSION_DENIED, ...) and the message.
  std::string error_code;
  std::string error_message;
};

//! A resource read's failure kinds, for the JSON-RPC error code the protocol answers with.
struct McpResourceError {
  //! True: unknown, or not visible to the caller (-32002); false: another failure (-32603).
  bool not_found = false;
  std::string message;
};

class McpTools {
 public:
  //! `router` (the Api's) must outlive this object.
  explicit McpTools(const Router& router);

  //! The tools/list result: {"tools": [{name, title, description, inputSchema, outputSchema,
  //! annotations}]}.
  const std::string& ListJson() const { return list_json_; }
  bool Has(std::string_view name) const;
  //! Validates `arguments` against the tool's inputSchema, then runs the tool. `cancel` stops
  //! the route's work (its query is interrupted).
  McpToolResult Call(std::string_view name, const boost::json::object& arguments,
                     const McpCallContext& ctx, const CancelToken& cancel) const;

  //! resources/list: {"resources": [...]}, one schema resource per source the caller sees.
  Result<std::string> ListResources(const McpCallContext& ctx) const;
  //! resources/templates/list: {"resourceTemplates": [...]}.
  static std::string ListResourceTemplates();
  //! resources/read of tributary://sources/{id}/schema: {"contents": [{uri, mimeType, text}]},
  //! or the error (`error` set).
  struct ResourceRead {
    std::string json;
    std::optional<McpResourceError> error;
  };
  ResourceRead ReadResource(std::string_view uri, const McpCallContext& ctx,
                            const CancelToken& cancel) const;

 private:
  struct Tool;
  const Router& router_;
  std::vector<std::shared_ptr<const Tool>> tools_;
  std::string list_json_;
};

//! Writes a Boost.JSON value compactly with RapidJSON (doubles as plain decimals, like every
//! other JSON document of the API).
std::string McpJson(const boost::json::value& value);
//! The same for an object, without copying it into a value first.
std::string McpJson(const boost::json::object& object);

//! The first error of `value` against `schema` (a JSON Schema subset: type, properties,
//! required, additionalProperties, items, minimum, maximum, enum), naming the argument
//! ("argument 'limit' must be an integer, got a string"); nullopt when it fits.
std::optional<std::string> ValidateAgainstSchema(const boost::json::value& schema,
                                                 const boost::json::value& value,
                                                 const std::string& path);

}  // namespace tributary
