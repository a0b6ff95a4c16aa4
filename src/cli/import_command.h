// `tributary import FILE`: uploads a file to a running server's import API (docs/import.md),
// prints what was detected, confirms, and follows the import's event stream with a progress
// bar (or plain lines when stderr is not a terminal) until the source is ready.
//
// The HTTP side is libcurl driven directly: the upload is streamed from disk (read callback,
// Content-Length, never the whole file in memory) and the Server-Sent Events are parsed as
// they arrive. The pure parts (argument checks, the upload URL, the SSE parser, the rate and
// ETA arithmetic, the progress lines) are exposed here for unit tests.
// Thread-safety: RunImportCommand runs on the calling thread and installs a SIGINT handler for
// its duration; the other functions and types are plain values / pure functions.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace CLI {
class App;
}

namespace tributary::cli {

//! The command line of `tributary import`.
struct ImportArgs {
  std::string file;
  //! The source id (default: from the file name, chosen by the server).
  std::string name;
  //! The project (default: the server's default project).
  std::string project;
  std::string server = "http://127.0.0.1:8080";
  //! --api-key, else TRIBUTARY_API_KEY, else none.
  std::string api_key;
  std::string format;
  //! One character; "\t" or "tab" for a tab.
  std::string delimiter;
  //! "true" or "false"; empty: detect.
  std::string header;
  std::string encoding;
  std::vector<std::string> sheets;
  std::string on_error = "fail";
  std::string target;
};

//! Checks the option values that the server would otherwise refuse after the upload (format,
//! delimiter, header, encoding, on-error, server URL, sheets only for workbooks) and that FILE
//! is a readable regular file. INVALID_ARGUMENT with what to write instead.
Status ValidateImportArgs(const ImportArgs& args);

//! The delimiter as sent: "\t" and "tab" become a tab character.
std::string NormalizeDelimiter(std::string_view delimiter);

//! The URL of the upload: SERVER/api/v1/imports?project=..&filename=..&name=..&<hints>, each
//! value percent-encoded, only the parameters that were given (`filename` always).
std::string BuildUploadUrl(const ImportArgs& args, std::string_view filename);

//! The JSON body of POST /api/v1/imports/{id}/confirm: onError, and target when given.
std::string BuildConfirmBody(const ImportArgs& args);

//! One Server-Sent Event.
struct SseEvent {
  //! "message" when the event had no `event:` field.
  std::string event = "message";
  std::string id;
  //! The `data:` lines joined with '\n'.
  std::string data;
};

//! An incremental text/event-stream parser (the WHATWG rules that matter here): lines end with
//! LF, CRLF or CR; a blank line dispatches the event; lines starting with ':' are comments
//! (": keep-alive"); "field: value" drops one leading space; unknown fields are ignored; an
//! event without data is not dispatched. Chunks may split lines (and CRLF) anywhere.
class SseParser {
 public:
  using Handler = std::function<void(const SseEvent&)>;
  //! Feeds bytes as they arrive; `on_event` is called for each complete event.
  void Feed(std::string_view chunk, const Handler& on_event);
  //! The id of the last dispatched event (for Last-Event-ID), or "".
  const std::string& last_event_id() const { return last_id_; }
  //! Comment lines seen so far (keep-alives).
  uint64_t comments() const { return comments_; }

 private:
  void Line(std::string_view line, const Handler& on_event);
  std::string partial_;
  bool skip_lf_ = false;
  SseEvent current_;
  bool has_data_ = false;
  std::string last_id_;
  uint64_t comments_ = 0;
};

//! The `data` of a progress / complete / error event.
struct ProgressEvent {
  std::string phase;
  std::string status;
  double percent = 0;
  uint64_t rows_processed = 0;
  uint64_t total_rows = 0;
  bool total_exact = false;
  uint64_t bytes_processed = 0;
  std::optional<double> eta_seconds;
  //! complete: the source id and its rows.
  std::string source;
  uint64_t rows = 0;
  //! error: {code, message}.
  std::string error_code;
  std::string error_message;
};

//! Parses an event's JSON data; missing fields keep their defaults. INVALID_ARGUMENT when the
//! data is not a JSON object.
Result<ProgressEvent> ParseProgressEvent(std::string_view json);

//! A throughput over a sliding window: Add(t, total) with a monotonic time in seconds and a
//! growing total (bytes, rows); PerSecond() is the slope between the oldest sample still in
//! the window and the newest, 0 until two samples span some time.
class RateMeter {
 public:
  explicit RateMeter(double window_seconds = 5.0) : window_(window_seconds) {}
  void Add(double t_seconds, double total);
  double PerSecond() const;
  void Reset() { samples_.clear(); }

 private:
  double window_;
  std::deque<std::pair<double, double>> samples_;
};

//! Seconds left at `per_second` for the `done` of `total` units; nullopt when unknown (no
//! rate, no total, or done already past an estimated total).
std::optional<double> EstimateEta(double done, double total, double per_second);

//! "7s", "2m05s", "1h02m"; "?" for nullopt.
std::string FormatDuration(std::optional<double> seconds);

//! Bytes per second as "85.3 MB/s" (decimal megabytes).
std::string FormatRate(double bytes_per_second);

//! What one progress line shows.
struct ProgressView {
  std::string phase;
  double percent = 0;
  uint64_t done = 0;
  uint64_t total = 0;
  bool total_exact = true;
  //! "rows" or "MB" (the upload counts megabytes).
  std::string unit = "rows";
  double bytes_per_second = 0;
  std::optional<double> eta_seconds;
};

//! The plain line for logs: "converting 42% 510000/1200000 rows 85.3 MB/s eta 7s" (MB/s left
//! out when 0, eta when unknown).
std::string FormatPlainLine(const ProgressView& view);

//! The terminal bar (no '\r', no newline), at most `width` columns:
//! "converting [#########-----------]  42.5%  510,000/~1,200,000 rows  85.3 MB/s  eta 7s".
std::string FormatBarLine(const ProgressView& view, size_t width);

//! Registers the `import` subcommand on `app`; its callback stores its exit code in
//! `*exit_code` (0 ready, 1 failed or refused, 2 usage, 130 interrupted).
void AddImportCommand(CLI::App& app, int* exit_code);

//! Runs the whole import against the server; returns the exit code.
int RunImportCommand(ImportArgs args);

}  // namespace tributary::cli
