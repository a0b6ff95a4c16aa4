#include "support/server_harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tributary::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/tributary-test-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed: " + tmpl);
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::File(std::string_view name) const {
  return path_ + "/" + std::string(name);
}

void WriteFile(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string BinaryPath() {
  return TRIBUTARY_BINARY;
}

namespace {

//! fork + exec of the binary with stdout on a pipe (or a file) and stderr in a file. Only
//! async-signal-safe calls happen between fork and exec: the test binary is multi-threaded.
pid_t Spawn(const std::vector<std::string>& args, int stdout_fd, int stderr_fd) {
  std::string binary = BinaryPath();
  std::vector<std::string> argv_storage;
  argv_storage.push_back(binary);
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    // The server must not outlive a crashed test.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(stdout_fd, 1);
    dup2(stderr_fd, 2);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::optional<int> WaitPid(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return DecodeWaitStatus(status);
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
}

}  // namespace

ProcessResult RunTributary(const std::vector<std::string>& args,
                           std::chrono::milliseconds timeout) {
  TempDir dir;
  std::string out_path = dir.File("stdout");
  std::string err_path = dir.File("stderr");
  int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  pid_t pid = Spawn(args, out_fd, err_fd);
  close(out_fd);
  close(err_fd);
  ProcessResult result;
  std::optional<int> code = WaitPid(pid, timeout);
  if (!code) {
    kill(pid, SIGKILL);
    WaitPid(pid, 10s);
    result.exit_code = -1;
  } else {
    result.exit_code = *code;
  }
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

std::unique_ptr<ServerProcess> ServerProcess::Start(const std::vector<std::string>& args,
                                                    std::string* error,
                                                    std::chrono::milliseconds timeout) {
  std::unique_ptr<ServerProcess> p(new ServerProcess());
  p->log_dir_ = std::make_unique<TempDir>();
  p->stderr_path_ = p->log_dir_->File("stderr");
  int err_fd = open(p->stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> full = {"serve"};
  full.insert(full.end(), args.begin(), args.end());
  p->pid_ = Spawn(full, pipe_fds[1], err_fd);
  close(pipe_fds[1]);
  close(err_fd);
  p->stdout_fd_ = pipe_fds[0];

  static constexpr std::string_view kPrefix = "tributary listening on ";
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    size_t nl = out.find('\n');
    if (nl != std::string::npos) {
      std::string line = out.substr(0, nl);
      if (line.rfind(kPrefix, 0) == 0) {
        p->url_ = line.substr(kPrefix.size());
        size_t colon = p->url_.rfind(':');
        p->port_ = static_cast<uint16_t>(std::stoi(p->url_.substr(colon + 1)));
        return p;
      }
      out.erase(0, nl + 1);
      continue;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      if (error) *error = "no listening line within the timeout; stderr:\n" + p->Stderr();
      return nullptr;
    }
    pollfd pfd{p->stdout_fd_, POLLIN, 0};
    int r = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 200)));
    if (r > 0) {
      char buf[4096];
      ssize_t n = read(p->stdout_fd_, buf, sizeof buf);
      if (n > 0) {
        out.append(buf, static_cast<size_t>(n));
        continue;
      }
      // EOF: the child closed stdout, i.e. it exited.
      std::optional<int> code = p->WaitExit(10s);
      if (error) {
        *error = "server exited with code " + (code ? std::to_string(*code) : "?") +
                 " before listening; stderr:\n" + p->Stderr();
      }
      return nullptr;
    }
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && !exit_code_) {
    kill(pid_, SIGKILL);
    WaitPid(pid_, 10s);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

void ServerProcess::Signal(int signal) const {
  if (pid_ > 0 && !exit_code_) kill(pid_, signal);
}

std::optional<int> ServerProcess::WaitExit(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  exit_code_ = WaitPid(pid_, timeout);
  return exit_code_;
}

std::string ServerProcess::Stderr() const {
  return ReadFile(stderr_path_);
}

bool ServerProcess::WaitForStderr(std::string_view needle,
                                  std::chrono::milliseconds timeout) const {
  return WaitUntil([&] { return Stderr().find(needle) != std::string::npos; }, timeout);
}

std::string HttpResponse::Header(const std::string& lower_case_name) const {
  auto it = headers.find(lower_case_name);
  return it == headers.end() ? std::string() : it->second;
}

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

HttpResponse ToResponse(http::response<http::string_body>& res) {
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    out.headers[Lower(field.name_string())] = std::string(field.value());
  }
  out.body = std::move(res.body());
  return out;
}

//! Runs the io_context until the pending operation completes; the stream's expiry bounds it.
void RunUntilDone(asio::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

}  // namespace

struct HttpClient::Impl {
  Impl(uint16_t p, std::chrono::milliseconds t) : port(p), timeout(t), stream(ioc) {}

  beast::error_code Connect() {
    beast::error_code result;
    stream.expires_after(timeout);
    stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                         [&](beast::error_code ec) { result = ec; });
    RunUntilDone(ioc);
    if (!result) {
      connected = true;
      ++opened;
      buffer.clear();
    }
    return result;
  }

  void Disconnect() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    connected = false;
  }

  HttpResponse Exchange(http::request<http::string_body>& req, bool* retryable) {
    HttpResponse out;
    beast::error_code ec;
    stream.expires_after(timeout);
    http::async_write(stream, req, [&](beast::error_code e, size_t) { ec = e; });
    RunUntilDone(ioc);
    if (!ec) {
      http::response_parser<http::string_body> parser;
      parser.body_limit(1ull << 30);
      parser.header_limit(1 << 20);
      // A HEAD answer's Content-Length describes a body that is not sent.
      if (req.method() == http::verb::head) parser.skip(true);
      http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
      RunUntilDone(ioc);
      if (!ec) {
        auto res = parser.release();
        bool keep = res.keep_alive();
        out = ToResponse(res);
        if (!keep) Disconnect();
        return out;
      }
    }
    *retryable = ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
                 ec == asio::error::broken_pipe || ec == asio::error::eof;
    out.error = ec.message();
    Disconnect();
    return out;
  }

  uint16_t port;
  std::chrono::milliseconds timeout;
  asio::io_context ioc;
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  bool connected = false;
  int opened = 0;
};

HttpClient::HttpClient(uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(port, timeout)) {}

HttpClient::~HttpClient() {
  if (impl_->connected) impl_->Disconnect();
}

HttpResponse HttpClient::Get(const std::string& target,
                             const std::map<std::string, std::string>& headers) {
  return Request("GET", target, "", headers);
}

HttpResponse HttpClient::Post(const std::string& target, const std::string& body,
                              const std::map<std::string, std::string>& headers) {
  return Request("POST", target, body, headers);
}

HttpResponse HttpClient::Request(const std::string& method, const std::string& target,
                                 const std::string& body,
                                 const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> req;
  http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) {
    req.method_string(method);
  } else {
    req.method(verb);
  }
  req.target(target);
  req.version(11);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(impl_->port));
  if (method == "POST" && headers.find("Content-Type") == headers.end()) {
    req.set(http::field::content_type, "application/json");
  }
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = impl_->connected;
    if (!impl_->connected) {
      beast::error_code ec = impl_->Connect();
      if (ec) {
        HttpResponse r;
        r.error = "connect: " + ec.message();
        return r;
      }
    }
    bool retryable = false;
    HttpResponse r = impl_->Exchange(req, &retryable);
    // A keep-alive connection the server closed meanwhile is retried once on a new one.
    if (r.status != 0 || !reused || !retryable) return r;
  }
  HttpResponse r;
  r.error = "the connection failed twice";
  return r;
}

int HttpClient::connections_opened() const {
  return impl_->opened;
}

void HttpClient::Close() {
  if (impl_->connected) impl_->Disconnect();
}

HttpResponse RawExchange(uint16_t port, const std::string& raw, std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  HttpResponse out;
  beast::error_code ec;
  stream.expires_after(timeout);
  stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                       [&](beast::error_code e) { ec = e; });
  RunUntilDone(ioc);
  if (ec) {
    out.error = "connect: " + ec.message();
    return out;
  }
  asio::async_write(stream, asio::buffer(raw), [&](beast::error_code e, size_t) { ec = e; });
  RunUntilDone(ioc);
  // A write error is not final: the server may have answered before it stopped reading.
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ull << 30);
  http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
  RunUntilDone(ioc);
  if (ec) {
    out.error = "read: " + ec.message();
    return out;
  }
  auto res = parser.release();
  return ToResponse(res);
}

HttpResponse PostQuery(uint16_t port, const std::string& body,
                       const std::map<std::string, std::string>& headers) {
  HttpClient client(port);
  return client.Post("/api/v1/query", body, headers);
}

bool WaitUntil(const std::function<bool()>& predicate, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (predicate()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace tributary::testing
