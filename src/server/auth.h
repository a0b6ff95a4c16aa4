// Access control at the API boundary: API keys (`Authorization: Bearer <key>`), the roles and
// projects each route needs (RouteAccess in server/router.h), rate limits, and the rule that a
// server without keys listens on loopback addresses only.
//
// AdmitRequest runs once per request in the HTTP server, before the handler, so a route only
// declares what it needs. Answers:
//   401 UNAUTHENTICATED (+ WWW-Authenticate: Bearer) when the key is missing or unknown;
//   403 PERMISSION_DENIED when the key lacks the role, or the project or source: the message
//       is the same whether that project or source exists or not, so a key learns nothing
//       about other projects;
//   429 RATE_LIMITED with Retry-After and RateLimit-* headers when a window is full.
// Keys are compared as SHA-256 digests in constant time, against every configured key.
// Thread-safety: functions of their arguments; the RateLimiter is thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "server/api_types.h"
#include "server/rate_limit.h"
#include "server/router.h"

namespace tributary {

struct Admission {
  //! Set when the request is refused (401, 403, 429): answer it instead of running the handler.
  std::optional<ApiResponse> denial;
  //! Rate-limit headers for the answer (also on success).
  std::vector<std::pair<std::string, std::string>> headers;
};

//! Checks `route.access` for `req`, sets `req.caller` and counts the request against the
//! caller's rate-limit windows. `limiter` may be null (no rate limits).
Admission AdmitRequest(const Route& route, ApiRequest& req, RateLimiter* limiter);

//! The project a request's rate-limit bucket and limits belong to ("" when it names none).
std::string RequestProject(const Route& route, const ApiRequest& req);

//! The project a query on `source` runs for when the request names none: the default project
//! when it uses the source, else the first project (in config order) that does and that the
//! caller sees; "" for none.
std::string ProjectOfSource(const Config& config, const Caller& caller, std::string_view source);

//! The rate-limit settings of `project`: its own, else the top-level rate_limits, else the
//! defaults when the config has an `auth:` section, else none (both windows 0).
RateLimitSettings RateLimitsFor(const Config& config, std::string_view project);

//! Whether `host` (an IP address or a name) is a loopback address: 127.0.0.0/8, ::1, or
//! "localhost".
bool IsLoopbackHost(const std::string& host);

//! CONFIG_ERROR when `config` has no API keys, is not `auth: none`, and `host` is not a
//! loopback address: such a server would hand every project to anyone on the network.
Status CheckListenAllowed(const Config& config, const std::string& host);

//! GET /api/v1/rate-limit/status (and its compatibility path).
void AddAccessRoutes(Router& router);

//! A new random API key (32 random bytes, base64url, prefixed "trib_").
std::string NewApiKey();

}  // namespace tributary
