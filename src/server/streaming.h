// Streaming in both directions for routes that cannot hold a whole body in memory:
// - uploads: a route with an UploadRoute has its request body written to a file as it arrives
//   (raw, or the file part of a multipart/form-data body), with its own size limit, instead of
//   being read into ApiRequest::body under server.max_body_bytes;
// - responses: an ApiResponse with a ResponseStream is sent as chunks the stream produces
//   when it has them (Server-Sent Events), for as long as the stream and the client last.
// Thread-safety: see each type.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"

namespace tributary {

struct ApiRequest;

//! Where an upload goes and how much of it is allowed; made by UploadRoute::begin.
struct UploadPlan {
  //! The file the body (or the multipart file part) is written to; created by the server,
  //! which deletes it when the upload fails.
  std::string path;
  //! Bodies (or file parts) larger than this are refused with 413: at once when the
  //! Content-Length says so, else as soon as the limit is passed. The file is then deleted.
  uint64_t max_bytes = 0;
  //! Optional: the setting max_bytes comes from (e.g. "imports.max_upload_bytes"), named in
  //! the 413 message so that the client knows what to ask an operator to raise.
  std::string max_bytes_setting;
  //! The write stops with 507 when the file system holding `path` has less free space than
  //! this (checked before the first byte against Content-Length, then every few MiB).
  uint64_t min_free_bytes = 0;
  //! Optional: the setting min_free_bytes comes from (e.g. "imports.min_free_bytes"), named in
  //! the 507 message.
  std::string min_free_bytes_setting;
  //! Called on the I/O thread as bytes are stored (at most every 256 KiB and at the end):
  //! the bytes stored so far and the total when known (Content-Length of a raw body), else 0.
  //! A successful upload always gets a last call with the final size before the handler runs.
  std::function<void(uint64_t stored, uint64_t expected)> on_progress;
  //! Called once, on the I/O thread, when the upload fails after begin succeeded (client gone:
  //! CANCELLED; no bytes for server.read_timeout_ms: DEADLINE_EXCEEDED; too large or disk
  //! full, also when known from the headers before the body: RESOURCE_EXHAUSTED; malformed
  //! multipart: INVALID_ARGUMENT; file errors: INTERNAL; connection closed by a shutdown:
  //! CANCELLED): the file is already deleted. The route's handler is then not called.
  std::function<void(const Status& why)> on_abort;
};

//! Makes a route take its body as a streamed upload. The server checks access (key, role,
//! project, rate limit) from the headers before calling `begin`, so a refused caller never
//! stores a byte.
struct UploadRoute {
  //! Called on the I/O thread once the headers are read; `req` has everything but the body
  //! (headers, query, path parameters, caller, runtime). An error answers at once (the body is
  //! not read; e.g. 404 when imports are off, 413 on a Content-Length above the limit).
  //! Must not block.
  std::function<Result<UploadPlan>(const ApiRequest& req)> begin;
};

//! The body of a streamed response, e.g. an SSE stream. The session asks for one piece at a
//! time with Next; the stream answers by calling `deliver` exactly once, from any thread,
//! when it has data: the bytes to send (never empty), or nullopt when the response is
//! complete. While the stream has nothing to send, the session writes an SSE comment line
//! (": keep-alive\n\n") every `heartbeat_ms` so that proxies keep the connection.
//! Thread-safety: Next and Cancel are called from the session's strand, one at a time;
//! `deliver` may be called from any thread, also from inside Next.
class ResponseStream {
 public:
  using Deliver = std::function<void(std::optional<std::string> piece)>;
  virtual ~ResponseStream() = default;
  //! Asks for the next piece. Not called again before the previous `deliver` ran.
  virtual void Next(Deliver deliver) = 0;
  //! The client went away or the server is stopping: the stream should release what it holds
  //! and deliver nullopt (or nothing, if it already did) promptly.
  virtual void Cancel() = 0;
  //! Milliseconds of silence after which a heartbeat comment is written; 0: never.
  virtual uint32_t heartbeat_ms() const { return 15000; }
};

}  // namespace tributary
