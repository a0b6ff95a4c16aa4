// Small pieces of HTTP plumbing shared by the session, the router and the handlers: request
// ids, percent-decoding, Accept negotiation, listen-address parsing and JSON error bodies.
// Kept free of Beast types so that they are cheap to include and to unit-test.
// Thread-safety: pure functions, except NewRequestId which uses a thread-local generator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace tributary {

//! True when a client-sent X-Request-Id may be reused: 1..128 chars of [A-Za-z0-9._-].
//! Anything else is replaced, so that ids are always safe to log and to echo.
bool IsValidRequestId(std::string_view id);
//! A fresh random id: 16 lowercase hex digits.
std::string NewRequestId();

//! The name=value pairs of a URL query string, in order, percent-decoded ('+' is a space).
//! INVALID_ARGUMENT for a malformed escape or a pair without a name.
Result<std::vector<std::pair<std::string, std::string>>> ParseQueryString(std::string_view query);

//! True when the Accept header asks for CSV ahead of JSON (e.g. "text/csv",
//! "text/csv, application/json"). Anything else gets JSON.
bool WantsCsv(std::string_view accept);

//! A parsed "HOST:PORT" ("[::1]:8080" for IPv6). The host is kept as text; resolving it is
//! the server's business.
struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};
//! INVALID_ARGUMENT naming the expected form when `text` is not HOST:PORT with a port 0..65535.
Result<ListenAddress> ParseListenAddress(std::string_view text);

//! {"error":{"code":...,"message":...,"requestId":...}}. `code` is normally an ErrorCodeName;
//! transport-level failures (405, 413, 431, ...) use their own upper-case names.
std::string ErrorBody(std::string_view code, std::string_view message, std::string_view request_id);

//! Current UTC time as "YYYY-MM-DDTHH:MM:SS.ffffffZ", for logs.
std::string NowIso8601();

}  // namespace tributary
