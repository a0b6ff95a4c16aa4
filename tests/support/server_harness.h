// Test harness for driving the real `tributary` binary: temporary directories, a spawned
// server whose port is read from its "listening" line, signal and exit-code helpers, and a
// small synchronous HTTP client on Beast with timeouts (a broken server fails a test, it never
// hangs it).
// Thread-safety: a TempDir or ServerProcess belongs to one test; HttpClient instances are
// independent and may be used from different threads, one thread per client.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tributary::testing {

using namespace std::chrono_literals;

//! A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  //! path() + "/" + name.
  std::string File(std::string_view name) const;

 private:
  std::string path_;
};

//! Writes (replacing) a file; aborts the test binary's assertion on failure.
void WriteFile(const std::string& path, std::string_view content);
//! The whole file, or "" when it cannot be read.
std::string ReadFile(const std::string& path);

//! The built `tributary` binary (TRIBUTARY_BINARY).
std::string BinaryPath();

struct ProcessResult {
  //! The exit code, 128 + signal when killed by a signal, -1 when it timed out (then killed).
  int exit_code = -1;
  std::string out;
  std::string err;
};

//! Runs `tributary args...` to completion (killing it after `timeout`).
ProcessResult RunTributary(const std::vector<std::string>& args,
                           std::chrono::milliseconds timeout = 60s);

//! `tributary serve ...` as a child process.
class ServerProcess {
 public:
  //! Spawns `tributary serve <args>` and waits for "tributary listening on http://HOST:PORT".
  //! On failure (exit before listening, timeout) returns nullptr and puts the reason and the
  //! child's stderr into `*error`.
  static std::unique_ptr<ServerProcess> Start(const std::vector<std::string>& args,
                                              std::string* error,
                                              std::chrono::milliseconds timeout = 120s);
  //! Kills the child (SIGKILL) when it is still running.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  //! The URL from the listening line, e.g. "http://127.0.0.1:43125".
  const std::string& url() const { return url_; }

  void Signal(int signal) const;
  //! The exit code (128 + signal when killed), or nullopt if still running after `timeout`.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);
  //! Everything the child wrote to stderr so far.
  std::string Stderr() const;
  //! Waits until stderr contains `needle`; false after `timeout`.
  bool WaitForStderr(std::string_view needle, std::chrono::milliseconds timeout) const;

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::optional<int> exit_code_;
  uint16_t port_ = 0;
  std::string url_;
  std::unique_ptr<TempDir> log_dir_;
  std::string stderr_path_;
};

struct HttpResponse {
  //! 0 when no response arrived (connection refused, reset, timeout); see `error`.
  int status = 0;
  //! Header names in lower case.
  std::map<std::string, std::string> headers;
  std::string body;
  std::string error;

  std::string Header(const std::string& lower_case_name) const;
};

//! A keep-alive HTTP/1.1 client for one server; reconnects when the server closed the
//! connection. Every operation is bounded by the client's timeout.
class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::chrono::milliseconds timeout = 60s);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse Get(const std::string& target,
                   const std::map<std::string, std::string>& headers = {});
  HttpResponse Post(const std::string& target, const std::string& body,
                    const std::map<std::string, std::string>& headers = {});
  HttpResponse Request(const std::string& method, const std::string& target,
                       const std::string& body,
                       const std::map<std::string, std::string>& headers = {});
  //! Connections opened so far (to check that keep-alive reuses one).
  int connections_opened() const;
  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

//! Sends `raw` bytes on a fresh connection and reads one response.
HttpResponse RawExchange(uint16_t port, const std::string& raw,
                         std::chrono::milliseconds timeout = 30s);

//! Sends `body` as a POST /api/v1/query and returns the answer (new connection each time).
HttpResponse PostQuery(uint16_t port, const std::string& body,
                       const std::map<std::string, std::string>& headers = {});

//! Polls `predicate` every 20 ms until it is true or `timeout` passes.
bool WaitUntil(const std::function<bool()>& predicate, std::chrono::milliseconds timeout);

}  // namespace tributary::testing
