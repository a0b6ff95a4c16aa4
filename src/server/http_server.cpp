#include "server/http_server.h"

#include <fcntl.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "common/disk_space.h"
#include "common/metrics.h"
#include "core/encoding.h"
#include "core/json_out.h"
#include "core/result_writer.h"
#include "core/text.h"
#include "server/auth.h"
#include "server/csv_stream.h"
#include "server/http_util.h"
#include "server/multipart.h"
#include "server/static_files.h"
#include "server/streaming.h"

namespace tributary {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// CSV chunks of about this size keep memory flat and still amortise the per-chunk overhead.
constexpr size_t kCsvChunkBytes = 64 * 1024;
// After an error answer the peer may still be sending its (refused) body; reading it for a
// little while before closing stops the kernel from answering with a reset that could destroy
// the error response before the client reads it.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerMaxBytes = 4 << 20;

// Streamed uploads (server/streaming.h): the body is collected in a buffer of this size and
// written to the file with write(2) whenever kUploadFlushBytes have arrived.
constexpr size_t kUploadBufferBytes = 1 << 20;
constexpr size_t kUploadFlushBytes = 512 << 10;
constexpr uint64_t kProgressEveryBytes = 256 << 10;
constexpr uint64_t kSpaceCheckEveryBytes = 4 << 20;
// A multipart body may exceed the file's limit by this much (framing and the text fields).
constexpr uint64_t kMultipartOverheadBytes = 8 << 20;

//! Free bytes (for unprivileged users) on the file system holding `path`'s folder; nullopt when
//! the folder cannot be examined.
std::optional<uint64_t> FreeBytesNear(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  return FreeDiskBytes(dir);
}

std::string ErrnoText(int err) {
  char buf[256];
  // The GNU strerror_r returns the message (possibly a static string, not `buf`).
  return std::string(strerror_r(err, buf, sizeof(buf)));
}

const std::string& ServerHeader() {
  static const std::string value = std::string("tributary/") + TRIBUTARY_VERSION;
  return value;
}

//! Access lines go to stderr through a buffer of their own, written out when it fills, every
//! kAccessLogFlushInterval and when the server stops: one write per request would be a third
//! of the system calls of a cached answer (the others are the read and the send).
constexpr auto kAccessLogFlushInterval = std::chrono::seconds(1);
constexpr size_t kAccessLogBufferBytes = 64 << 10;

//! Appends formatted lines to a buffer written to a file descriptor when it fills and on flush
//! (spdlog's console sinks flush every line).
class BufferedFdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit BufferedFdSink(int fd) : fd_(fd) {}
  ~BufferedFdSink() override {
    std::lock_guard lock(mutex_);
    WriteOut();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    buffer_.append(formatted.data(), formatted.size());
    if (buffer_.size() >= kAccessLogBufferBytes) WriteOut();
  }
  void flush_() override { WriteOut(); }

 private:
  void WriteOut() {
    size_t done = 0;
    while (done < buffer_.size()) {
      ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      // A closed or full stderr loses these lines; the server keeps serving.
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    buffer_.clear();
  }

  int fd_;
  std::string buffer_;
};

std::shared_ptr<spdlog::logger> AccessLogger() {
  // Access lines are JSON documents of their own, so the logger adds no prefix of its own.
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto existing = spdlog::get("access");
    if (existing) return existing;
    auto l =
        std::make_shared<spdlog::logger>("access", std::make_shared<BufferedFdSink>(STDERR_FILENO));
    l->set_pattern("%v");
    l->flush_on(spdlog::level::err);
    spdlog::register_logger(l);
    spdlog::flush_every(kAccessLogFlushInterval);
    return l;
  }();
  return logger;
}

struct Limits {
  uint64_t max_body_bytes = 1 << 20;
  uint32_t max_header_bytes = 16 << 10;
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};
};

Limits LimitsOf(const std::shared_ptr<Runtime>& runtime) {
  Limits l;
  if (!runtime) return l;
  const ServerConfig& s = runtime->config().server;
  l.max_body_bytes = static_cast<uint64_t>(std::max<int64_t>(0, s.max_body_bytes));
  l.max_header_bytes = static_cast<uint32_t>(std::clamp<int64_t>(s.max_header_bytes, 512, 1 << 30));
  l.read_timeout = std::chrono::milliseconds(std::max<int64_t>(1, s.read_timeout_ms));
  l.idle_timeout = std::chrono::milliseconds(std::max<int64_t>(1, s.idle_timeout_ms));
  return l;
}

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

//! Bounded label values: a client can send any token as a method.
std::string_view MethodLabel(std::string_view method) {
  static constexpr std::string_view kKnown[] = {"GET",     "POST",  "PUT",     "DELETE", "HEAD",
                                                "OPTIONS", "PATCH", "CONNECT", "TRACE"};
  for (std::string_view m : kKnown) {
    if (m == method) return m;
  }
  return method == "-" ? method : "other";
}

class Session;

}  // namespace

struct detail::ServerCore : std::enable_shared_from_this<detail::ServerCore> {
  ServerCore(asio::io_context& io, asio::thread_pool& workers, const Api& a, const RuntimeHolder& h,
             std::vector<asio::io_context*> contexts)
      : ioc(io),
        pool(workers),
        api(a),
        holder(h),
        acceptor(std::in_place, asio::make_strand(io)),
        connection_contexts(std::move(contexts)) {
    if (connection_contexts.empty()) connection_contexts.push_back(&ioc);
    for (const Route& route : api.router().routes()) {
      if (route.upload) has_upload_routes = true;
    }
  }

  //! Where the next accepted connection is served (round-robin).
  asio::io_context& NextConnectionContext() {
    return *connection_contexts[next_context.fetch_add(1) % connection_contexts.size()];
  }

  asio::io_context& ioc;
  asio::thread_pool& pool;
  const Api& api;
  const RuntimeHolder& holder;
  // Used only on its own strand once the io_context runs; reset by ~HttpServer so that it
  // never outlives the io_context, whatever session still holds the Core.
  std::optional<tcp::acceptor> acceptor;
  std::vector<asio::io_context*> connection_contexts;
  std::atomic<size_t> next_context{0};
  std::atomic<bool> stopping{false};
  //! Whether a route takes streamed uploads: only then is a request's route matched as soon as
  //! its headers are in (saving a second match on every other request).
  bool has_upload_routes = false;

  mutable std::mutex sessions_mu;
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions;

  std::mutex tokens_mu;
  uint64_t next_token_id = 1;
  std::map<uint64_t, CancelToken> tokens;

  std::mutex in_flight_mu;
  int64_t in_flight = 0;

  //! Outlives reloads: a new config keeps the windows already counted.
  RateLimiter rate_limiter;
  //! The web dashboard; null: none. Set before the server starts, then only read.
  std::shared_ptr<const StaticSite> site;

  //! Under a lock so that concurrent updates cannot leave a stale value in the gauge.
  void AddInFlight(int64_t delta) {
    std::lock_guard lock(in_flight_mu);
    in_flight += delta;
    Metrics::Global().SetInFlightRequests(in_flight);
  }

  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);

  uint64_t RegisterToken(const CancelToken& token) {
    std::lock_guard lock(tokens_mu);
    uint64_t id = next_token_id++;
    tokens.emplace(id, token);
    return id;
  }
  void UnregisterToken(uint64_t id) {
    std::lock_guard lock(tokens_mu);
    tokens.erase(id);
  }
  std::vector<std::shared_ptr<Session>> LiveSessions() const;
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<detail::ServerCore> core)
      : stream_(std::move(socket)),
        read_timer_(stream_.get_executor()),
        core_(std::move(core)),
        heartbeat_timer_(stream_.get_executor()) {
    beast::error_code ec;
    tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      client_address_ = peer.address().to_string();
      remote_ = peer.address().is_v6() ? "[" + peer.address().to_string() + "]"
                                       : peer.address().to_string();
      remote_ += ":" + std::to_string(peer.port());
    }
    // Responses are written whole; Nagle would only add latency to small answers.
    stream_.socket().set_option(tcp::no_delay(true), ec);
    // Only the peek in WatchPeer is synchronous; asynchronous operations are unaffected.
    stream_.socket().non_blocking(true, ec);
  }

  ~Session() {
    // Normally Close has ended an upload or a stream already; a session destroyed with its
    // io_context (handlers dropped) still leaves no partial file behind. No callbacks here:
    // what they refer to may be gone by now.
    if (up_) DiscardUploadFile();
    {
      std::lock_guard lock(core_->sessions_mu);
      core_->sessions.erase(this);
    }
  }

  void Start() {
    {
      std::lock_guard lock(core_->sessions_mu);
      core_->sessions.emplace(this, weak_from_this());
    }
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadNext(); });
  }

  //! Called on shutdown: a connection waiting for its next request is closed now.
  //! Called on shutdown: a connection waiting for its next request is closed now, and so is
  //! a streamed response (its stream is cancelled), which would otherwise hold the drain.
  void CloseIfIdle() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->phase_ == Phase::kIdle || self->phase_ == Phase::kStreaming) self->Close();
    });
  }

  //! Ends a streamed response now (CancelInFlight).
  void CloseIfStreaming() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->phase_ == Phase::kStreaming) self->Close();
    });
  }

  void ForceClose() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

 private:
  //! kStreaming: a ResponseStream's body is being sent (server/streaming.h).
  enum class Phase { kIdle, kReading, kHandling, kWriting, kStreaming, kClosed };

  // State of the request being served; reset when the next one starts.
  struct Current {
    std::string request_id;
    std::string method = "-";
    std::string path = "-";
    //! The raw query string after '?', not decoded.
    std::string query;
    std::string route = "unmatched";
    std::chrono::steady_clock::time_point start;
    bool keep_alive = false;
    bool counted = false;
    unsigned version = 11;
    int status = 0;
    size_t bytes = 0;
    std::string error_code;
    CancelToken cancel;
    uint64_t token_id = 0;
    bool watching_peer = false;
    bool peer_gone = false;
  };

  void ReadNext() {
    if (phase_ == Phase::kClosed) return;
    if (core_->stopping.load()) {
      Close();
      return;
    }
    phase_ = Phase::kIdle;
    cur_ = Current{};
    limits_ = LimitsOf(core_->holder.current());
    parser_.emplace();
    // The body limit depends on the route (uploads have their own): set once the header is in.
    parser_->body_limit(boost::none);
    parser_->header_limit(limits_.max_header_bytes);
    up_.reset();
    up_parser_.reset();
    if (buffer_.size() > 0) {
      // A pipelined request is already buffered.
      ReadRequest();
      return;
    }
    stream_.expires_after(limits_.idle_timeout);
    stream_.async_read_some(
        buffer_.prepare(4096),
        [self = shared_from_this()](beast::error_code ec, size_t n) { self->OnFirstBytes(ec, n); });
  }

  void OnFirstBytes(beast::error_code ec, size_t n) {
    if (phase_ == Phase::kClosed) return;
    if (ec) {
      // Idle timeout, peer close or shutdown: nothing was asked, so nothing is answered.
      if (ec == beast::error::timeout) spdlog::debug("closing idle connection {}", remote_);
      Close();
      return;
    }
    buffer_.commit(n);
    ReadRequest();
  }

  void ReadRequest() {
    phase_ = Phase::kReading;
    cur_.start = std::chrono::steady_clock::now();
    // Not tcp_stream's expiry: that closes the socket, and a slow client deserves a 408.
    stream_.expires_never();
    read_timed_out_ = false;
    ArmReadTimer(limits_.read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (phase_ == Phase::kClosed) return;
    if (ec) {
      OnReadError(ec);
      return;
    }
    auto& req = parser_->get();
    if (core_->has_upload_routes) {
      std::string_view target = req.target();
      RouteMatch m =
          core_->api.router().Match(req.method_string(), target.substr(0, target.find('?')));
      if (m.kind == RouteMatch::Kind::kFound && m.route->upload) {
        StartUpload(std::move(m));
        return;
      }
    }
    // server.max_body_bytes applies to every route but the upload ones.
    if (auto length = parser_->content_length(); length && *length > limits_.max_body_bytes) {
      OnReadError(http::error::body_limit);
      return;
    }
    parser_->body_limit(limits_.max_body_bytes);
    auto expect = req[http::field::expect];
    if (beast::iequals(expect, "100-continue") && !parser_->is_done()) {
      // curl and others wait up to a second for this before sending a larger body.
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue),
                        [self = shared_from_this()](beast::error_code wec, size_t) {
                          if (wec) {
                            self->OnReadError(wec);
                            return;
                          }
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (phase_ == Phase::kClosed) return;
    read_timer_.cancel();
    if (ec) {
      OnReadError(ec);
      return;
    }
    Dispatch(parser_->release());
  }

  //! Fills the request id, method, path and route from whatever part of the request was parsed.
  void NoteRequestLine() {
    if (!parser_ || !parser_->is_header_done()) {
      cur_.request_id = NewRequestId();
      return;
    }
    NoteRequestLineFrom(parser_->get());
    RouteMatch m = core_->api.router().Match(cur_.method, cur_.path);
    if (m.kind == RouteMatch::Kind::kFound) cur_.route = m.route->pattern;
  }

  void OnReadError(beast::error_code ec) {
    read_timer_.cancel();
    if (read_timed_out_) ec = beast::error::timeout;
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      Close();
      return;
    }
    NoteRequestLine();
    BeginCounting();
    cur_.keep_alive = false;
    if (ec == http::error::body_limit) {
      Respond(ErrorResponse(413, "PAYLOAD_TOO_LARGE",
                            "the request body is larger than server.max_body_bytes (" +
                                std::to_string(limits_.max_body_bytes) + " bytes)",
                            cur_.request_id));
    } else if (ec == http::error::header_limit) {
      Respond(ErrorResponse(431, "HEADERS_TOO_LARGE",
                            "the request headers are larger than server.max_header_bytes (" +
                                std::to_string(limits_.max_header_bytes) + " bytes)",
                            cur_.request_id));
    } else if (ec == beast::error::timeout) {
      Respond(ErrorResponse(408, "REQUEST_TIMEOUT",
                            "the request did not arrive within server.read_timeout_ms (" +
                                std::to_string(limits_.read_timeout.count()) + " ms)",
                            cur_.request_id));
    } else if (IsHttpParseError(ec) && ec != http::error::partial_message) {
      Respond(ErrorResponse(400, "INVALID_ARGUMENT", "malformed HTTP request: " + ec.message(),
                            cur_.request_id));
    } else {
      EndCounting();
      Close();
    }
  }

  void BeginCounting() {
    if (cur_.counted) return;
    cur_.counted = true;
    core_->AddInFlight(1);
  }

  void EndCounting() {
    if (!cur_.counted) return;
    cur_.counted = false;
    core_->AddInFlight(-1);
  }

  void Dispatch(http::request<http::string_body> req) {
    phase_ = Phase::kHandling;
    NoteRequestLineFrom(req);
    BeginCounting();
    cur_.keep_alive = req.keep_alive();

    RouteMatch match = core_->api.router().Match(cur_.method, cur_.path);
    switch (match.kind) {
      case RouteMatch::Kind::kNotFound:
        // API routes win; what they leave may be a file of the dashboard or one of its pages.
        if (core_->site && StaticSite::Handles(cur_.method, cur_.path)) {
          cur_.route = "static";
          Respond(core_->site->Serve({cur_.method, cur_.path, req[http::field::accept_encoding],
                                      req[http::field::if_none_match], cur_.request_id}));
          return;
        }
        Respond(ErrorResponse(404, "NOT_FOUND",
                              "no route for " + cur_.method + " " + cur_.path +
                                  "; the API lives under /api/v1 (e.g. GET /api/v1/sources)",
                              cur_.request_id));
        return;
      case RouteMatch::Kind::kBadPath:
        Respond(ErrorResponse(400, "INVALID_ARGUMENT",
                              "the path has a malformed percent-escape: " + cur_.path,
                              cur_.request_id));
        return;
      case RouteMatch::Kind::kMethodNotAllowed: {
        ApiResponse r = ErrorResponse(
            405, "METHOD_NOT_ALLOWED",
            cur_.method + " is not allowed on " + cur_.path + "; allowed: " + match.allow,
            cur_.request_id);
        r.headers.emplace_back("Allow", match.allow);
        Respond(std::move(r));
        return;
      }
      case RouteMatch::Kind::kFound:
        break;
    }
    cur_.route = match.route->pattern;

    ApiRequest areq = RequestFromHeader(req, std::move(match.params));
    areq.body = std::move(req.body());
    if (!areq.runtime) {
      Respond(ErrorResponse(503, "UNAVAILABLE", "the server is starting", cur_.request_id));
      return;
    }

    const Route* route = match.route;
    // With Redis, counting the request is a network round trip: off the I/O threads.
    const bool shared_limits = route->access.rate_limited && areq.runtime->redis();
    if (!route->blocking && !shared_limits) {
      Respond(Serve(*route, areq, core_->rate_limiter));
      ReleaseOffIoThread(std::move(areq.runtime));
      return;
    }
    // A blocking route may answer without blocking (a fresh cached metric): admitted here and
    // answered on this thread, it skips the two hand-offs to and from the worker pool.
    std::optional<Admission> admitted;
    if (route->fast && !shared_limits) {
      admitted = AdmitRequest(*route, areq, &core_->rate_limiter);
      std::optional<ApiResponse> quick = std::move(admitted->denial);
      if (!quick) {
        quick = RunFastHandler(*route, areq);
        if (quick) quick = WithAdmissionHeaders(std::move(*quick), *admitted);
      }
      if (quick) {
        Respond(std::move(*quick));
        ReleaseOffIoThread(std::move(areq.runtime));
        return;
      }
    }
    RunOnWorkers(route, std::move(areq), std::move(admitted));
  }

  //! An ApiRequest with everything of the request but its body (and `upload`).
  ApiRequest RequestFromHeader(const http::request_header<>& req,
                               std::map<std::string, std::string> params) {
    ApiRequest areq;
    areq.method = cur_.method;
    areq.path = cur_.path;
    areq.path_params = std::move(params);
    areq.query = cur_.query;
    areq.accept = std::string(req[http::field::accept]);
    for (const auto& field : req) {
      std::string name = AsciiLower(field.name_string());
      auto [it, inserted] = areq.headers.try_emplace(std::move(name), field.value());
      if (!inserted) it->second.append(", ").append(field.value());
    }
    areq.client_address = client_address_;
    areq.request_id = cur_.request_id;
    areq.runtime = core_->holder.current();
    areq.cancel = cur_.cancel;
    return areq;
  }

  //! Runs a blocking route's handler on the worker pool, admitting the request there first
  //! unless `admitted` says it already was.
  void RunOnWorkers(const Route* route, ApiRequest areq, std::optional<Admission> admitted) {
    // Blocking work leaves the I/O threads; the answer comes back on this session's strand.
    stream_.expires_never();
    cur_.token_id = core_->RegisterToken(cur_.cancel);
    WatchPeer();
    asio::post(core_->pool, [self = shared_from_this(), route, areq = std::move(areq),
                             admitted = std::move(admitted)]() mutable {
      // Admitted above (and counted against the rate limits) when the fast path was tried.
      ApiResponse resp = admitted ? WithAdmissionHeaders(RunHandler(*route, areq), *admitted)
                                  : Serve(*route, areq, self->core_->rate_limiter);
      // Release the runtime here, on the worker: a swapped-out runtime's sources may close
      // when its last request lets go, and closing must not happen on an I/O thread.
      areq.runtime.reset();
      asio::post(self->stream_.get_executor(),
                 [self, resp = std::move(resp)]() mutable { self->OnWorkDone(std::move(resp)); });
    });
  }

  void NoteRequestLineFrom(const http::request_header<>& req) {
    cur_.method = std::string(req.method_string());
    std::string_view target = req.target();
    size_t question = target.find('?');
    cur_.path = std::string(target.substr(0, question));
    cur_.query = question == std::string_view::npos ? "" : std::string(target.substr(question + 1));
    std::string_view id = req["X-Request-Id"];
    cur_.request_id = IsValidRequestId(id) ? std::string(id) : NewRequestId();
    cur_.version = req.version();
  }

  // ---- Streamed uploads (Route::upload, server/streaming.h) ----

  //! Bounds the wait for request bytes: on expiry the socket's operations are cancelled and
  //! the read fails with read_timed_out_ set. During an upload the deadline moves with each
  //! read that brings bytes (see OnUploadTimer), so only inactivity times out.
  void ArmReadTimer(std::chrono::steady_clock::duration after) {
    read_timer_.expires_after(after);
    read_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->phase_ != Phase::kReading) return;
      if (self->up_ && self->up_parser_) {
        auto idle = std::chrono::steady_clock::now() - self->up_->last_read;
        if (idle < self->limits_.read_timeout) {
          self->ArmReadTimer(self->limits_.read_timeout - idle);
          return;
        }
      }
      self->read_timed_out_ = true;
      beast::error_code ignored;
      self->stream_.socket().cancel(ignored);
    });
  }

  struct Upload {
    const Route* route = nullptr;
    ApiRequest req;
    Admission admission;
    UploadPlan plan;
    //! begin succeeded: a failure from now on calls on_abort.
    bool begun = false;
    //! The file exists and is ours to delete on failure.
    bool created = false;
    //! The handler owns the file.
    bool handed_over = false;
    int fd = -1;
    std::optional<MultipartParser> multipart;
    //! The request's Content-Type.
    std::string content_type;
    std::optional<uint64_t> content_length;
    uint64_t expected = 0;
    //! Bytes written to the file, and body bytes received.
    uint64_t stored = 0;
    uint64_t received = 0;
    uint64_t reported = 0;
    bool any_report = false;
    uint64_t space_checked_at = 0;
    std::vector<char> buf;
    size_t filled = 0;
    std::chrono::steady_clock::time_point last_read;
    //! The answer for the write failure just returned (0: none set; multipart errors are 400).
    int fail_http = 0;
    std::string fail_code;
  };

  void StartUpload(RouteMatch match) {
    const http::request_header<>& hreq = parser_->get();
    NoteRequestLineFrom(hreq);
    BeginCounting();
    cur_.route = match.route->pattern;
    cur_.keep_alive = parser_->keep_alive();
    up_ = std::make_unique<Upload>();
    up_->route = match.route;
    up_->content_type = std::string(hreq[http::field::content_type]);
    if (auto length = parser_->content_length()) up_->content_length = *length;
    ApiRequest areq = RequestFromHeader(hreq, std::move(match.params));
    if (!areq.runtime) {
      RefuseUpload(ErrorResponse(503, "UNAVAILABLE", "the server is starting", cur_.request_id));
      return;
    }
    const bool shared_limits = match.route->access.rate_limited && areq.runtime->redis();
    if (!shared_limits) {
      Admission admission = AdmitRequest(*match.route, areq, &core_->rate_limiter);
      BeginUpload(std::move(areq), std::move(admission));
      return;
    }
    // With Redis, counting the request is a network round trip: off the I/O threads.
    asio::post(core_->pool, [self = shared_from_this(), route = match.route,
                             areq = std::move(areq)]() mutable {
      Admission admission = AdmitRequest(*route, areq, &self->core_->rate_limiter);
      asio::post(self->stream_.get_executor(),
                 [self, areq = std::move(areq), admission = std::move(admission)]() mutable {
                   self->BeginUpload(std::move(areq), std::move(admission));
                 });
    });
  }

  void BeginUpload(ApiRequest areq, Admission admission) {
    if (phase_ == Phase::kClosed) return;
    if (admission.denial) {
      // Refused before the body: not a byte is stored.
      RefuseUpload(std::move(*admission.denial));
      return;
    }
    up_->admission = std::move(admission);
    up_->req = std::move(areq);
    Result<UploadPlan> plan = Internal("the upload route has no begin function");
    try {
      if (up_->route->upload->begin) plan = up_->route->upload->begin(up_->req);
    } catch (const std::exception& e) {
      spdlog::error("request {}: upload begin of {} {} failed: {}", cur_.request_id, cur_.method,
                    cur_.path, e.what());
      plan = Internal("the upload could not start; the server log has the details");
    }
    if (!plan.ok()) {
      RefuseUpload(ErrorResponse(plan.status(), cur_.request_id));
      return;
    }
    up_->plan = std::move(plan).value();
    up_->begun = true;
    Upload& up = *up_;

    const bool multipart = IsMultipartFormData(up.content_type);
    if (multipart) {
      Result<std::string> boundary = MultipartBoundary(up.content_type);
      if (!boundary.ok()) {
        FailUpload(400, "INVALID_ARGUMENT", boundary.status());
        return;
      }
      up.multipart.emplace(*boundary,
                           [this](std::string_view bytes) { return WriteToFile(bytes); });
    } else {
      up.expected = up.content_length.value_or(0);
    }
    if (up.content_length) {
      const uint64_t allowed = up.plan.max_bytes + (multipart ? kMultipartOverheadBytes : 0);
      if (*up.content_length > allowed) {
        FailUpload(413, "PAYLOAD_TOO_LARGE",
                   ResourceExhausted(TooLargeMessage("the request body (" +
                                                     std::to_string(*up.content_length) +
                                                     " bytes, its Content-Length)")));
        return;
      }
    }
    if (std::optional<uint64_t> free = FreeBytesNear(up.plan.path)) {
      const uint64_t need = up.plan.min_free_bytes + up.content_length.value_or(0);
      if (*free < need) {
        FailUpload(507, "INSUFFICIENT_STORAGE", ResourceExhausted(NoSpaceMessage(*free)));
        return;
      }
    }
    up.fd = ::open(up.plan.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (up.fd < 0) {
      int err = errno;
      bool full = err == ENOSPC || err == EDQUOT;
      FailUpload(full ? 507 : 500, full ? "INSUFFICIENT_STORAGE" : "INTERNAL",
                 (full ? ResourceExhausted : Internal)("cannot create the upload file '" +
                                                       up.plan.path + "': " + ErrnoText(err)));
      return;
    }
    up.created = true;
    up.buf.resize(kUploadBufferBytes);
    up.last_read = std::chrono::steady_clock::now();

    // The body is read into a buffer_body from here on, by the same parser state.
    const bool expects_continue =
        beast::iequals(parser_->get()[http::field::expect], "100-continue") && !parser_->is_done();
    up_parser_.emplace(std::move(*parser_));
    parser_.reset();
    up_parser_->body_limit(boost::none);
    read_timer_.cancel();
    read_timed_out_ = false;
    ArmReadTimer(limits_.read_timeout);
    if (expects_continue) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue),
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          self->OnUploadRead(ec, /*reading=*/false);
                        });
      return;
    }
    OnUploadRead({}, /*reading=*/false);
  }

  std::string TooLargeMessage(const std::string& what) const {
    std::string m = what;
    m.append(" is larger than the upload limit of ")
        .append(std::to_string(up_->plan.max_bytes))
        .append(" bytes");
    if (!up_->plan.max_bytes_setting.empty())
      m.append(" (").append(up_->plan.max_bytes_setting).append(")");
    return m;
  }

  std::string NoSpaceMessage(uint64_t free) const {
    std::string m = "not enough free disk space for the upload: ";
    m.append(std::to_string(free)).append(" bytes free where it is stored, and ");
    m.append(std::to_string(up_->plan.min_free_bytes)).append(" must stay free");
    if (!up_->plan.min_free_bytes_setting.empty()) {
      m.append(" (").append(up_->plan.min_free_bytes_setting).append(")");
    }
    if (up_->content_length) {
      m.append(" beyond its ").append(std::to_string(*up_->content_length)).append(" bytes");
    }
    m.append("; free some disk space there and retry");
    return m;
  }

  //! Writes file bytes (the raw body or the multipart file part), enforcing the size limit.
  Status WriteToFile(std::string_view bytes) {
    Upload& up = *up_;
    if (up.stored + bytes.size() > up.plan.max_bytes) {
      up.fail_http = 413;
      up.fail_code = "PAYLOAD_TOO_LARGE";
      return ResourceExhausted(TooLargeMessage("the uploaded file"));
    }
    while (!bytes.empty()) {
      ssize_t n = ::write(up.fd, bytes.data(), bytes.size());
      if (n < 0) {
        int err = errno;
        if (err == EINTR) continue;
        if (err == ENOSPC || err == EDQUOT) {
          up.fail_http = 507;
          up.fail_code = "INSUFFICIENT_STORAGE";
          return ResourceExhausted("the disk holding the upload is full (" + ErrnoText(err) +
                                   ") after " + std::to_string(up.stored) + " bytes");
        }
        up.fail_http = 500;
        up.fail_code = "INTERNAL";
        return Internal("cannot write the upload file '" + up.plan.path + "': " + ErrnoText(err));
      }
      up.stored += static_cast<uint64_t>(n);
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  //! Hands the buffered body bytes to the file (through the multipart parser when there is one).
  Status FlushUpload() {
    Upload& up = *up_;
    std::string_view data(up.buf.data(), up.filled);
    up.filled = 0;
    up.fail_http = 0;
    Status st = up.multipart ? up.multipart->Feed(data) : WriteToFile(data);
    if (!st.ok()) {
      if (up.fail_http == 0) {
        up.fail_http = 400;
        up.fail_code = "INVALID_ARGUMENT";
      }
      return st;
    }
    if (up.stored - up.space_checked_at >= kSpaceCheckEveryBytes) {
      up.space_checked_at = up.stored;
      std::optional<uint64_t> free = FreeBytesNear(up.plan.path);
      if (free && *free < up.plan.min_free_bytes) {
        up.fail_http = 507;
        up.fail_code = "INSUFFICIENT_STORAGE";
        return ResourceExhausted(NoSpaceMessage(*free));
      }
    }
    if (up.stored - up.reported >= kProgressEveryBytes) ReportProgress();
    return Status::Ok();
  }

  void ReportProgress() {
    Upload& up = *up_;
    up.reported = up.stored;
    up.any_report = true;
    if (!up.plan.on_progress) return;
    try {
      up.plan.on_progress(up.stored, up.expected);
    } catch (const std::exception& e) {
      spdlog::error("request {}: upload progress callback failed: {}", cur_.request_id, e.what());
    }
  }

  //! Handles a completed read of body bytes (or the start: `reading` false), then reads more.
  void OnUploadRead(beast::error_code ec, bool reading) {
    if (phase_ == Phase::kClosed || !up_ || !up_parser_) return;
    Upload& up = *up_;
    if (reading) {
      if (ec == http::error::need_buffer) ec = {};
      size_t got = (up.buf.size() - up.filled) - up_parser_->get().body().size;
      up.filled += got;
      up.received += got;
      if (got > 0) up.last_read = std::chrono::steady_clock::now();
    }
    if (ec) {
      if (read_timed_out_) {
        FailUpload(408, "REQUEST_TIMEOUT",
                   DeadlineExceeded("no upload bytes arrived for server.read_timeout_ms (" +
                                    std::to_string(limits_.read_timeout.count()) + " ms) after " +
                                    std::to_string(up.received) + " bytes"));
      } else if (IsHttpParseError(ec) && ec != http::error::partial_message &&
                 ec != http::error::end_of_stream) {
        FailUpload(400, "INVALID_ARGUMENT",
                   InvalidArgument("malformed HTTP request body: " + ec.message()));
      } else {
        // The client went away (or the connection broke) before the body was complete.
        AbortUpload(Cancelled("the client disconnected after " + std::to_string(up.received) +
                              " bytes of the upload (" + ec.message() + ")"));
        cur_.status = 499;
        cur_.error_code = "CANCELLED";
        Finish();
        Close();
      }
      return;
    }
    if (up.multipart && up.content_length == std::nullopt &&
        up.received > up.plan.max_bytes + kMultipartOverheadBytes) {
      FailUpload(413, "PAYLOAD_TOO_LARGE",
                 ResourceExhausted(TooLargeMessage("the multipart request body")));
      return;
    }
    const bool done = up_parser_->is_done();
    if (up.filled >= kUploadFlushBytes || (done && up.filled > 0)) {
      if (Status st = FlushUpload(); !st.ok()) {
        FailUpload(up.fail_http, up.fail_code, st);
        return;
      }
    }
    if (done) {
      CompleteUpload();
      return;
    }
    auto& body = up_parser_->get().body();
    body.data = up.buf.data() + up.filled;
    body.size = up.buf.size() - up.filled;
    body.more = true;
    http::async_read_some(stream_, buffer_, *up_parser_,
                          [self = shared_from_this()](beast::error_code rec, size_t) {
                            self->OnUploadRead(rec, /*reading=*/true);
                          });
  }

  void CompleteUpload() {
    read_timer_.cancel();
    Upload& up = *up_;
    if (up.multipart) {
      if (Status st = up.multipart->Finish(); !st.ok()) {
        FailUpload(400, "INVALID_ARGUMENT", st);
        return;
      }
    }
    int fd = std::exchange(up.fd, -1);
    if (::close(fd) != 0) {
      int err = errno;
      FailUpload(
          500, "INTERNAL",
          Internal("cannot finish the upload file '" + up.plan.path + "': " + ErrnoText(err)));
      return;
    }
    if (!up.any_report || up.reported != up.stored) ReportProgress();

    UploadedBody body;
    body.path = up.plan.path;
    body.bytes = up.stored;
    if (up.multipart) {
      body.filename = up.multipart->filename();
      body.content_type = up.multipart->file_content_type();
      body.fields = up.multipart->fields();
    } else {
      body.content_type = up.content_type;
    }
    if (body.filename.empty()) {
      auto query = ParseQueryString(up.req.query);
      if (query.ok()) {
        for (const auto& [name, value] : *query) {
          if (name == "filename") body.filename = FileNameOnly(value);
        }
      }
    }
    if (body.filename.empty()) {
      std::optional<std::string> decoded = PercentDecode(up.req.Header("x-filename"));
      if (decoded) body.filename = FileNameOnly(*decoded);
    }
    up.handed_over = true;
    up.req.upload = std::move(body);

    phase_ = Phase::kHandling;
    const Route* route = up.route;
    ApiRequest areq = std::move(up.req);
    Admission admission = std::move(up.admission);
    up_.reset();
    up_parser_.reset();
    if (!route->blocking) {
      Respond(WithAdmissionHeaders(RunHandler(*route, areq), admission));
      ReleaseOffIoThread(std::move(areq.runtime));
      return;
    }
    RunOnWorkers(route, std::move(areq), std::move(admission));
  }

  //! Closes and deletes the upload's file (if any); no callback.
  void DiscardUploadFile() {
    Upload& up = *up_;
    if (up.fd >= 0) ::close(std::exchange(up.fd, -1));
    if (up.created && !up.handed_over) {
      up.created = false;
      ::unlink(up.plan.path.c_str());
    }
  }

  //! The upload failed after begin: deletes the file and tells the route (once).
  void AbortUpload(const Status& why) {
    if (!up_) return;
    read_timer_.cancel();
    DiscardUploadFile();
    if (!up_->begun || up_->handed_over) return;
    up_->begun = false;
    spdlog::info("request {}: upload to {} {} aborted: {}", cur_.request_id, cur_.method, cur_.path,
                 why.ToString());
    if (!up_->plan.on_abort) return;
    try {
      up_->plan.on_abort(why);
    } catch (const std::exception& e) {
      spdlog::error("request {}: upload abort callback failed: {}", cur_.request_id, e.what());
    }
  }

  //! Answers an upload that fails after begin, then closes (the rest of the body is not read).
  void FailUpload(int http_status, const std::string& code, const Status& why) {
    AbortUpload(why);
    RefuseUpload(ErrorResponse(http_status, code, why.message(), cur_.request_id));
  }

  //! Answers an upload route without (or without the rest of) its body, and closes.
  void RefuseUpload(ApiResponse resp) {
    read_timer_.cancel();
    if (up_) {
      for (const auto& header : up_->admission.headers) resp.headers.push_back(header);
    }
    cur_.keep_alive = false;
    Respond(std::move(resp));
  }

  //! The one place where access is checked: API key, role, project and rate limits
  //! (server/auth.h), then the handler; rate-limit headers go on every answer they apply to.
  static ApiResponse Serve(const Route& route, ApiRequest& req, RateLimiter& limiter) {
    Admission admission = AdmitRequest(route, req, &limiter);
    if (admission.denial) return std::move(*admission.denial);
    return WithAdmissionHeaders(RunHandler(route, req), admission);
  }

  //! `resp` with the admission's rate-limit headers (they go on every answer they apply to).
  static ApiResponse WithAdmissionHeaders(ApiResponse resp, Admission& admission) {
    for (auto& header : admission.headers) resp.headers.push_back(std::move(header));
    return resp;
  }

  //! Drops a request's hold on its runtime. A runtime swapped out meanwhile may be released by
  //! this request: its sources then close on a worker, never on an I/O thread.
  void ReleaseOffIoThread(std::shared_ptr<Runtime> runtime) {
    if (runtime && runtime != core_->holder.current()) {
      asio::post(core_->pool, [runtime = std::move(runtime)] {});
    }
  }

  //! The route's FastHandler; an exception is logged and the request goes to the worker pool.
  static std::optional<ApiResponse> RunFastHandler(const Route& route, const ApiRequest& req) {
    try {
      return route.fast(req);
    } catch (const std::exception& e) {
      spdlog::error("request {}: fast path of {} {} failed: {}", req.request_id, req.method,
                    req.path, e.what());
    }
    return std::nullopt;
  }

  static ApiResponse RunHandler(const Route& route, const ApiRequest& req) {
    try {
      return route.handler(req);
    } catch (const std::exception& e) {
      spdlog::error("request {}: {} {} failed: {}", req.request_id, req.method, req.path, e.what());
    } catch (...) {
      spdlog::error("request {}: {} {} failed with an unknown exception", req.request_id,
                    req.method, req.path);
    }
    return ErrorResponse(500, "INTERNAL", "internal error; the server log has the details",
                         req.request_id);
  }

  //! Notices a client that goes away while its request runs: readable with nothing to read
  //! means the peer closed. Pipelined bytes also make the socket readable; then there is no
  //! way left to notice a close before the answer, and the watch ends.
  void WatchPeer() {
    cur_.watching_peer = true;
    stream_.socket().async_wait(
        tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
          if (!self->cur_.watching_peer || ec == asio::error::operation_aborted) return;
          bool gone = static_cast<bool>(ec);
          if (!gone) {
            // The socket is in non-blocking mode (see the constructor): a readiness report
            // that no longer holds gives would_block here instead of blocking an I/O thread.
            char byte;
            beast::error_code peek_ec;
            size_t n = self->stream_.socket().receive(asio::buffer(&byte, 1),
                                                      tcp::socket::message_peek, peek_ec);
            if (peek_ec == asio::error::would_block || peek_ec == asio::error::try_again) {
              self->WatchPeer();
              return;
            }
            gone = peek_ec || n == 0;
          }
          self->cur_.watching_peer = false;
          if (gone) {
            self->cur_.peer_gone = true;
            self->cur_.cancel.Cancel("client disconnected");
            // A streamed response ends here (Close cancels its stream).
            if (self->phase_ == Phase::kStreaming) self->Close();
          }
        });
  }

  void OnWorkDone(ApiResponse resp) {
    if (cur_.watching_peer) {
      cur_.watching_peer = false;
      beast::error_code ec;
      stream_.socket().cancel(ec);
    }
    core_->UnregisterToken(cur_.token_id);
    if (phase_ == Phase::kClosed) {
      // Closed by a forced shutdown meanwhile.
      cur_.status = resp.status;
      Finish();
      return;
    }
    if (cur_.peer_gone) {
      cur_.status = 499;
      cur_.error_code = "CANCELLED";
      Finish();
      Close();
      return;
    }
    Respond(std::move(resp));
  }

  template <class Message>
  void SetCommonHeaders(Message& res, const ApiResponse& resp) {
    res.set(http::field::server, ServerHeader());
    res.set(http::field::content_type, resp.content_type);
    res.set(http::field::cache_control, "no-store");
    res.set("X-Request-Id", cur_.request_id);
    for (const auto& [name, value] : resp.headers) res.set(name, value);
  }

  void Respond(ApiResponse resp) {
    phase_ = Phase::kWriting;
    cur_.status = resp.status;
    cur_.error_code = resp.error_code;
    bool keep_alive = cur_.keep_alive && !core_->stopping.load();
    cur_.keep_alive = keep_alive;
    stream_.expires_after(limits_.read_timeout);

    const bool head = cur_.method == "HEAD";
    std::shared_ptr<ResponseStream> body_stream = std::move(resp.stream);
    const bool stream_head = body_stream != nullptr;
    if (body_stream) {
      if (!head && resp.status != 204 && resp.status != 304) {
        StartStream(std::move(resp), std::move(body_stream));
        return;
      }
      // HEAD: the headers only; the stream is not needed.
      CancelStream(*body_stream);
      body_stream.reset();
      resp.body.clear();
    }
    if (resp.csv && cur_.version >= 11 && !head) {
      StartCsv(std::move(resp));
      return;
    }
    if (resp.csv) resp.body = ResultToCsv(*resp.csv);  // HTTP/1.0 has no chunks.

    res_.emplace(static_cast<http::status>(resp.status), cur_.version);
    SetCommonHeaders(*res_, resp);
    res_->keep_alive(keep_alive);
    if (resp.status == 304 || resp.status == 204) {
      // No body and no length: a 304's length would have to be the full answer's.
    } else if (stream_head) {
      // A stream's length is unknown.
    } else if (head) {
      // The length of the answer a GET would get, without its bytes.
      res_->content_length(resp.body.size());
    } else {
      cur_.bytes = resp.body.size();
      res_->body() = std::move(resp.body);
      res_->prepare_payload();
    }
    http::async_write(stream_, *res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->OnWritten(ec);
    });
  }

  //! The response whose body follows in pieces (chunked on HTTP/1.1): a CSV result or a
  //! ResponseStream. Its headers go out with async_write_header on chunked_sr_.
  void PrepareChunkedResponse(const ApiResponse& resp) {
    chunked_res_.emplace(static_cast<http::status>(resp.status), cur_.version);
    SetCommonHeaders(*chunked_res_, resp);
    chunked_res_->keep_alive(cur_.keep_alive);
    if (cur_.version >= 11) chunked_res_->chunked(true);
    chunked_res_->body().data = nullptr;
    chunked_res_->body().more = true;
    chunked_sr_.emplace(*chunked_res_);
  }

  void StartCsv(ApiResponse resp) {
    csv_.emplace(resp.csv);
    PrepareChunkedResponse(resp);
    http::async_write_header(stream_, *chunked_sr_,
                             [self = shared_from_this()](beast::error_code ec, size_t) {
                               if (ec) return self->OnWritten(ec);
                               self->WriteCsvChunk();
                             });
  }

  void WriteCsvChunk() {
    stream_.expires_after(limits_.read_timeout);
    if (csv_->Next(chunk_, kCsvChunkBytes)) {
      cur_.bytes += chunk_.size();
      chunked_res_->body().data = chunk_.data();
      chunked_res_->body().size = chunk_.size();
      chunked_res_->body().more = true;
    } else {
      chunked_res_->body().data = nullptr;
      chunked_res_->body().size = 0;
      chunked_res_->body().more = false;
    }
    http::async_write(stream_, *chunked_sr_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        // need_buffer only says that the chunk was written and the serializer wants
                        // the next.
                        if (ec == http::error::need_buffer) ec = {};
                        if (ec || self->chunked_sr_->is_done()) return self->OnWritten(ec);
                        self->WriteCsvChunk();
                      });
  }

  // ---- Streamed responses (ApiResponse::stream, server/streaming.h) ----

  static void CancelStream(ResponseStream& stream) {
    try {
      stream.Cancel();
    } catch (const std::exception& e) {
      spdlog::error("response stream Cancel failed: {}", e.what());
    }
  }

  //! Sends the headers, then the stream's pieces as chunks (HTTP/1.0: as they come, closing at
  //! the end). While the stream is silent there is no write deadline; a heartbeat comment goes
  //! out after heartbeat_ms, and the peer watch notices a client that leaves.
  void StartStream(ApiResponse resp, std::shared_ptr<ResponseStream> stream) {
    phase_ = Phase::kStreaming;
    sse_ = std::move(stream);
    sse_waiting_ = false;
    sse_writing_ = true;
    sse_stashed_.reset();
    if (cur_.version < 11) cur_.keep_alive = false;
    // Proxies such as nginx would otherwise hold events back in their buffers.
    resp.headers.emplace_back("X-Accel-Buffering", "no");
    PrepareChunkedResponse(resp);
    http::async_write_header(stream_, *chunked_sr_,
                             [self = shared_from_this()](beast::error_code ec, size_t) {
                               self->sse_writing_ = false;
                               if (self->phase_ != Phase::kStreaming) return;
                               if (ec) {
                                 self->Close();
                                 return;
                               }
                               self->stream_.expires_never();
                               self->WatchPeer();
                               self->RequestPiece();
                             });
  }

  void RequestPiece() {
    if (!sse_ || phase_ != Phase::kStreaming) return;
    sse_waiting_ = true;
    const uint64_t gen = ++sse_gen_;
    ArmHeartbeat();
    std::shared_ptr<ResponseStream> stream = sse_;
    try {
      stream->Next([self = shared_from_this(), gen](std::optional<std::string> piece) {
        asio::post(self->stream_.get_executor(), [self, gen, piece = std::move(piece)]() mutable {
          self->OnPiece(gen, std::move(piece));
        });
      });
    } catch (const std::exception& e) {
      spdlog::error("request {}: response stream failed: {}", cur_.request_id, e.what());
      Close();
    }
  }

  void ArmHeartbeat() {
    uint32_t ms = sse_ ? sse_->heartbeat_ms() : 0;
    if (ms == 0) return;
    heartbeat_timer_.expires_after(std::chrono::milliseconds(ms));
    heartbeat_timer_.async_wait([self = shared_from_this(), gen = sse_gen_](beast::error_code ec) {
      if (ec || gen != self->sse_gen_ || !self->sse_ || !self->sse_waiting_ || self->sse_writing_ ||
          self->phase_ != Phase::kStreaming) {
        return;
      }
      static const std::string kHeartbeat = ": keep-alive\n\n";
      self->WriteStreamPiece(kHeartbeat, /*last=*/false, /*heartbeat=*/true);
    });
  }

  void OnPiece(uint64_t gen, std::optional<std::string> piece) {
    if (!sse_ || gen != sse_gen_ || !sse_waiting_ || phase_ != Phase::kStreaming) return;
    if (sse_writing_) {
      // A heartbeat is being written: this piece follows it.
      sse_stashed_.emplace(std::move(piece));
      return;
    }
    sse_waiting_ = false;
    heartbeat_timer_.cancel();
    if (!piece) {
      WriteStreamPiece({}, /*last=*/true, /*heartbeat=*/false);
    } else if (piece->empty()) {
      // An empty chunk would end the body: not a piece.
      RequestPiece();
    } else {
      WriteStreamPiece(std::move(*piece), /*last=*/false, /*heartbeat=*/false);
    }
  }

  void WriteStreamPiece(std::string piece, bool last, bool heartbeat) {
    sse_writing_ = true;
    chunk_ = std::move(piece);
    cur_.bytes += chunk_.size();
    chunked_res_->body().data = last ? nullptr : chunk_.data();
    chunked_res_->body().size = last ? 0 : chunk_.size();
    chunked_res_->body().more = !last;
    // A client that stops reading must not hold the connection forever.
    stream_.expires_after(limits_.read_timeout);
    http::async_write(stream_, *chunked_sr_,
                      [self = shared_from_this(), last, heartbeat](beast::error_code ec, size_t) {
                        if (ec == http::error::need_buffer) ec = {};
                        self->sse_writing_ = false;
                        if (self->phase_ != Phase::kStreaming) return;  // closed meanwhile
                        self->stream_.expires_never();
                        if (ec) {
                          self->Close();
                        } else if (last) {
                          self->EndStream();
                        } else if (!heartbeat) {
                          self->RequestPiece();
                        } else if (self->sse_stashed_) {
                          std::optional<std::string> piece = std::move(*self->sse_stashed_);
                          self->sse_stashed_.reset();
                          self->OnPiece(self->sse_gen_, std::move(piece));
                        } else {
                          self->ArmHeartbeat();
                        }
                      });
  }

  //! The stream is complete and its last chunk written.
  void EndStream() {
    sse_.reset();
    sse_waiting_ = false;
    heartbeat_timer_.cancel();
    if (cur_.watching_peer) {
      cur_.watching_peer = false;
      beast::error_code ignored;
      stream_.socket().cancel(ignored);
    }
    phase_ = Phase::kWriting;
    OnWritten({});
  }

  void OnWritten(beast::error_code ec) {
    bool error_answer = cur_.status >= 400 && !cur_.keep_alive;
    res_.reset();
    chunked_sr_.reset();
    chunked_res_.reset();
    csv_.reset();
    chunk_.clear();
    chunk_.shrink_to_fit();
    Finish();
    if (ec) {
      Close();
    } else if (!cur_.keep_alive) {
      if (error_answer) {
        LingeringClose();
      } else {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        Close();
      }
    } else {
      ReadNext();
    }
  }

  //! Records metrics and writes the access log line for the current request.
  void Finish() {
    if (!cur_.counted) return;
    EndCounting();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - cur_.start).count();
    Metrics::Global().RecordRequest(MethodLabel(cur_.method), cur_.route, cur_.status, seconds);
    JsonOut line;
    line.StartObject();
    line.Key("ts").String(NowIso8601());
    line.Key("requestId").String(cur_.request_id);
    line.Key("method").String(cur_.method);
    line.Key("path").String(cur_.path);
    line.Key("route").String(cur_.route);
    line.Key("status").Int(cur_.status);
    line.Key("bytes").Int(static_cast<int64_t>(cur_.bytes));
    line.Key("durationMs").Double(std::round(seconds * 1e6) / 1e3);
    line.Key("remote").String(remote_);
    if (!cur_.error_code.empty()) line.Key("error").String(cur_.error_code);
    line.EndObject();
    AccessLogger()->info(line.Take());
  }

  void LingeringClose() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    phase_ = Phase::kWriting;
    linger_bytes_ = 0;
    stream_.expires_after(kLingerTime);
    DrainSome();
  }

  void DrainSome() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(16 * 1024),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->linger_bytes_ += n;
                              if (ec || self->linger_bytes_ > kLingerMaxBytes) {
                                self->Close();
                                return;
                              }
                              self->DrainSome();
                            });
  }

  void Close() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    read_timer_.cancel();
    if (up_ && up_->begun && !up_->handed_over) {
      AbortUpload(
          Cancelled("the connection was closed (server shutdown) before the upload was "
                    "complete"));
    }
    if (sse_) {
      // The client left, a write failed, or the server is stopping.
      std::shared_ptr<ResponseStream> stream = std::move(sse_);
      sse_waiting_ = false;
      sse_stashed_.reset();
      heartbeat_timer_.cancel();
      CancelStream(*stream);
      cur_.watching_peer = false;
      Finish();
    }
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  // Bounds the time a request takes to arrive (see ReadRequest).
  asio::steady_timer read_timer_;
  bool read_timed_out_ = false;
  beast::flat_buffer buffer_;
  std::shared_ptr<detail::ServerCore> core_;
  std::string remote_;
  //! The peer address alone (ApiRequest::client_address).
  std::string client_address_;
  Phase phase_ = Phase::kIdle;
  Limits limits_;
  Current cur_;
  size_t linger_bytes_ = 0;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> res_;
  std::optional<http::response<http::buffer_body>> chunked_res_;
  std::optional<http::response_serializer<http::buffer_body>> chunked_sr_;
  std::optional<CsvChunker> csv_;
  std::string chunk_;
  // A streamed upload in progress (server/streaming.h), and its body parser.
  std::unique_ptr<Upload> up_;
  std::optional<http::request_parser<http::buffer_body>> up_parser_;
  // A streamed response: the stream (also sent through chunked_res_ and chunked_sr_), its
  // heartbeat, the generation of the outstanding Next (stale deliveries are dropped), whether a
  // Next is outstanding, whether a write is in flight, and a piece that arrived during a heartbeat.
  std::shared_ptr<ResponseStream> sse_;
  asio::steady_timer heartbeat_timer_;
  uint64_t sse_gen_ = 0;
  bool sse_waiting_ = false;
  bool sse_writing_ = false;
  std::optional<std::optional<std::string>> sse_stashed_;
};

}  // namespace

std::vector<std::shared_ptr<Session>> detail::ServerCore::LiveSessions() const {
  std::vector<std::shared_ptr<Session>> out;
  std::lock_guard lock(sessions_mu);
  for (const auto& [ptr, weak] : sessions) {
    if (auto s = weak.lock()) out.push_back(std::move(s));
  }
  return out;
}

void detail::ServerCore::DoAccept() {
  acceptor->async_accept(asio::make_strand(NextConnectionContext()),
                         [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                           self->OnAccept(ec, std::move(socket));
                         });
}

void detail::ServerCore::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (stopping.load() || !acceptor->is_open()) return;
  if (ec) {
    if (ec == asio::error::operation_aborted) return;
    // Typically EMFILE: back off briefly instead of spinning on the error.
    spdlog::warn("accept failed: {}", ec.message());
    auto timer = std::make_shared<asio::steady_timer>(acceptor->get_executor(),
                                                      std::chrono::milliseconds(100));
    timer->async_wait([self = shared_from_this(), timer](beast::error_code) {
      if (!self->stopping.load()) self->DoAccept();
    });
    return;
  }
  std::make_shared<Session>(std::move(socket), shared_from_this())->Start();
  DoAccept();
}

HttpServer::HttpServer(asio::io_context& ioc, asio::thread_pool& pool, const Api& api,
                       const RuntimeHolder& holder,
                       std::vector<asio::io_context*> connection_contexts)
    : core_(std::make_shared<detail::ServerCore>(ioc, pool, api, holder,
                                                 std::move(connection_contexts))) {}

HttpServer::~HttpServer() {
  AccessLogger()->flush();
  beast::error_code ignored;
  core_->acceptor->close(ignored);
  core_->acceptor.reset();
}

Status HttpServer::Listen(const std::string& host, uint16_t port) {
  std::string where =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) {
    tcp::resolver resolver(core_->ioc);
    auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      return Unavailable("cannot listen on " + where + ": cannot resolve '" + host +
                         "': " + (ec ? ec.message() : std::string("no address")));
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, port);
  auto fail = [&](std::string_view step) {
    beast::error_code ignored;
    core_->acceptor->close(ignored);
    return Unavailable("cannot listen on " + where + ": " + std::string(step) + ": " +
                       ec.message());
  };
  core_->acceptor->open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  core_->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("set SO_REUSEADDR");
  core_->acceptor->bind(endpoint, ec);
  if (ec) return fail("bind");
  core_->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  return Status::Ok();
}

uint16_t HttpServer::port() const {
  beast::error_code ec;
  tcp::endpoint ep = core_->acceptor->local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void HttpServer::SetStaticSite(std::shared_ptr<const StaticSite> site) {
  core_->site = std::move(site);
}

void HttpServer::Start() {
  asio::dispatch(core_->acceptor->get_executor(), [core = core_] { core->DoAccept(); });
}

void HttpServer::BeginShutdown() {
  core_->stopping.store(true);
  asio::dispatch(core_->acceptor->get_executor(), [core = core_] {
    beast::error_code ignored;
    core->acceptor->close(ignored);
  });
  for (auto& s : core_->LiveSessions()) s->CloseIfIdle();
}

size_t HttpServer::open_connections() const {
  std::lock_guard lock(core_->sessions_mu);
  return core_->sessions.size();
}

void HttpServer::CancelInFlight(const std::string& reason) {
  for (auto& s : core_->LiveSessions()) s->CloseIfStreaming();
  std::vector<CancelToken> tokens;
  {
    std::lock_guard lock(core_->tokens_mu);
    for (auto& [id, token] : core_->tokens) tokens.push_back(token);
  }
  for (auto& t : tokens) t.Cancel(reason);
}

void HttpServer::CloseAllConnections() {
  for (auto& s : core_->LiveSessions()) s->ForceClose();
}

}  // namespace tributary
