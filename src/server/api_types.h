// The request and response types handlers see: no Beast types, so handlers can be called and
// tested without a socket.
// Thread-safety: plain value types; a request is read by one handler at a time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/cancel.h"
#include "core/query_result.h"
#include "orchestrator/runtime.h"

namespace tributary {

class RateLimiter;
class ResponseStream;

//! A streamed upload's outcome (routes with an UploadRoute, server/streaming.h).
struct UploadedBody {
  //! The file holding the body, or the multipart request's file part (UploadPlan::path). The
  //! handler owns it from now on (moves it away or deletes it).
  std::string path;
  uint64_t bytes = 0;
  //! The client's file name: the multipart part's `filename`, else `?filename=`, else the
  //! `X-Filename` header (percent-decoded); empty when none was given. A name only: any
  //! folder part is removed.
  std::string filename;
  //! The Content-Type of the file part or of the raw body (may be empty).
  std::string content_type;
  //! The other (non-file) fields of a multipart body, each at most 64 KiB.
  std::map<std::string, std::string> fields;
};

//! Who is calling; set by the access check (server/auth.h) before the handler runs.
struct Caller {
  //! The matched API key (owned by the request's runtime config); null when auth is off, and
  //! then the caller sees every project.
  const ApiKeyConfig* key = nullptr;
  //! The rate-limit identity: "key:<name>", or "address:<ip>" when auth is off.
  std::string identity;

  bool SeesProject(std::string_view project) const { return !key || key->HasProject(project); }
  //! Whether one of the projects the caller sees uses `source`; a caller that sees every
  //! project sees every source.
  bool SeesSource(const Config& config, std::string_view source) const;
};

struct ApiRequest {
  std::string method;
  //! The path without its query string, not decoded.
  std::string path;
  std::map<std::string, std::string> path_params;
  //! The query string after '?', not decoded (ParseQueryString decodes it).
  std::string query;
  std::string body;
  std::string accept;
  //! Every request header, names lower-cased; repeated headers joined with ", ".
  std::map<std::string, std::string, std::less<>> headers;
  //! The peer's IP address without the port ("127.0.0.1", "::1"); empty when unknown.
  std::string client_address;
  std::string request_id;
  //! The runtime current when the request started: the request finishes on it even if a
  //! reload swaps in another one meanwhile.
  std::shared_ptr<Runtime> runtime;
  //! Cancelled when the client disconnects or the server gives up on draining.
  CancelToken cancel;
  Caller caller;
  //! The server's rate limiter (for the rate-limit status route); null outside a server.
  RateLimiter* rate_limiter = nullptr;
  //! Set on routes with an UploadRoute once the whole body is stored.
  std::optional<UploadedBody> upload;

  //! The header's value, or empty when absent. `name` is lower-case.
  std::string_view Header(std::string_view name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string_view() : std::string_view(it->second);
  }
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  //! Extra headers, e.g. {"Allow", "GET"}.
  std::vector<std::pair<std::string, std::string>> headers;
  //! When set, the body is this result streamed as chunked CSV and `body` is ignored.
  std::shared_ptr<const QueryResult> csv;
  //! When set, the body is what this stream produces, sent chunked as it comes (SSE), and
  //! `body` is ignored (server/streaming.h).
  std::shared_ptr<ResponseStream> stream;
  //! The error code of an error answer, for logs (empty on success).
  std::string error_code;
};

//! A JSON error answer with the code's HTTP status.
ApiResponse ErrorResponse(const Status& status, std::string_view request_id);
//! A JSON error answer with an explicit HTTP status and code name (transport-level errors).
ApiResponse ErrorResponse(int http_status, std::string_view code, std::string_view message,
                          std::string_view request_id);
//! A 200 JSON answer.
ApiResponse JsonResponse(std::string body, int status = 200);

}  // namespace tributary
