// Streamed uploads through the real HTTP server (server/streaming.h): raw, multipart and chunked
// bodies of tens of MB reach the handler byte for byte as a file; limits answer 413 and leave
// nothing on disk; a client that hangs up mid-upload aborts it; access is checked before a byte
// is stored; ordinary routes keep server.max_body_bytes.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <limits>
#include <mutex>

#include "core/sha256.h"
#include "server/auth.h"
#include "server/streaming_test_support.h"
#include "support/server_harness.h"

namespace tributary::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr const char* kImportKey = "streamtest-import-key-0123456789";
constexpr const char* kReadKey = "streamtest-read-key-0123456789ab";

//! What the test upload route saw; shared by the route's callbacks and the test.
struct UploadProbe {
  std::string dir;
  uint64_t max_bytes = 1 << 20;
  uint64_t min_free_bytes = 0;
  std::atomic<int> begins{0};
  std::atomic<int> aborts{0};
  std::atomic<uint64_t> progress_stored{0};
  std::atomic<int> progress_calls{0};
  std::atomic<int> handled{0};
  std::mutex mu;
  Status abort_status;
  std::atomic<int> next_file{0};
};

std::string Deterministic(size_t n, uint32_t seed) {
  std::string out(n, '\0');
  uint32_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

//! POST /test/upload: stores into probe->dir; the handler answers the file's size, SHA-256,
//! name, type and fields, then deletes it.
void AddUploadRoute(Router& router, UploadProbe* probe, bool blocking) {
  router.Add(
      "POST", "/test/upload",
      [probe](const ApiRequest& req) {
        ++probe->handled;
        const UploadedBody& up = *req.upload;
        std::string content = ReadFile(up.path);
        json::object o;
        o["bytes"] = up.bytes;
        o["fileSize"] = content.size();
        o["sha256"] = Sha256Hex(content);
        o["filename"] = up.filename;
        o["contentType"] = up.content_type;
        json::object fields;
        for (const auto& [k, v] : up.fields) fields[k] = v;
        o["fields"] = std::move(fields);
        o["caller"] = req.caller.identity;
        fs::remove(up.path);
        return JsonResponse(json::serialize(o));
      },
      blocking, RouteAccess::Import(ProjectFrom::kQueryParam));
  router.SetUpload(
      "POST", "/test/upload", UploadRoute{[probe](const ApiRequest& req) -> Result<UploadPlan> {
        ++probe->begins;
        if (req.Header("x-refuse") == "yes") return NotFound("imports are off");
        EXPECT_TRUE(req.body.empty());
        EXPECT_FALSE(req.upload.has_value());
        UploadPlan plan;
        plan.path = probe->dir + "/upload-" + std::to_string(probe->next_file++) + ".part";
        plan.max_bytes = probe->max_bytes;
        plan.max_bytes_setting = "imports.max_upload_bytes";
        plan.min_free_bytes = probe->min_free_bytes;
        plan.on_progress = [probe](uint64_t stored, uint64_t) {
          ++probe->progress_calls;
          probe->progress_stored = stored;
        };
        plan.on_abort = [probe](const Status& why) {
          std::lock_guard lock(probe->mu);
          probe->abort_status = why;
          ++probe->aborts;
        };
        return plan;
      }});
  // An ordinary route, still under server.max_body_bytes.
  router.Add(
      "POST", "/test/echo",
      [](const ApiRequest& req) { return JsonResponse(std::to_string(req.body.size())); }, false,
      RouteAccess::Public());
}

std::string Config(const std::string& extra = "") {
  return "server: {max_body_bytes: 4096, read_timeout_ms: 3000}\n"
         "sources:\n  db: {type: duckdb}\n"
         "projects:\n  p: {sources: [db]}\n"
         "default_project: p\n"
         "auth:\n  keys:\n"
         "    - {name: importer, key: '" +
         std::string(kImportKey) +
         "', projects: [p], roles: [import]}\n"
         "    - {name: reader, key: '" +
         std::string(kReadKey) + "', projects: [p], roles: [read]}\n" + extra;
}

std::map<std::string, std::string> Auth(const std::string& key = kImportKey) {
  return {{"Authorization", "Bearer " + key}};
}

size_t FilesIn(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

class StreamingUpload : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    probe_.dir = dir_.path();
    probe_.max_bytes = 64ull << 20;
    std::string error;
    server_ = StreamTestServer::Start(
        Config(), [&](Router& r) { AddUploadRoute(r, &probe_, GetParam()); }, &error);
    ASSERT_NE(server_, nullptr) << error;
  }

  json::value Json(const std::string& body) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    EXPECT_FALSE(ec) << body.substr(0, 500);
    return v;
  }

  TempDir dir_;
  UploadProbe probe_;
  std::unique_ptr<StreamTestServer> server_;
};

TEST_P(StreamingUpload, RawBodyOfFiftyMegabytes) {
  const std::string data = Deterministic(50 << 20, 7);
  HttpClient client(server_->port());
  auto headers = Auth();
  headers["Content-Type"] = "text/csv";
  headers["X-Filename"] = "some%2Fdir%2Fsales%20q1.csv";
  HttpResponse r = client.Post("/test/upload?project=p", data, headers);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = Json(r.body);
  EXPECT_EQ(v.at("bytes").to_number<uint64_t>(), data.size());
  EXPECT_EQ(v.at("fileSize").to_number<uint64_t>(), data.size());
  EXPECT_EQ(v.at("sha256").as_string(), Sha256Hex(data));
  EXPECT_EQ(v.at("filename").as_string(), "sales q1.csv");
  EXPECT_EQ(v.at("contentType").as_string(), "text/csv");
  EXPECT_EQ(v.at("caller").as_string(), "key:importer");
  EXPECT_EQ(probe_.aborts.load(), 0);
  EXPECT_EQ(probe_.progress_stored.load(), data.size());
  // At most one call per 256 KiB, plus the last.
  EXPECT_LE(probe_.progress_calls.load(), static_cast<int>(data.size() / (256 << 10)) + 1);
  EXPECT_GE(probe_.progress_calls.load(), 2);
  EXPECT_EQ(FilesIn(dir_.path()), 0u);

  // The connection stays usable, and ?filename= wins over X-Filename.
  r = client.Post("/test/upload?project=p&filename=..%2Fa.tsv", "x\ty\n", headers);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r.body).at("filename").as_string(), "a.tsv");
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_P(StreamingUpload, MultipartBodyOfFiftyMegabytes) {
  const std::string data = Deterministic(50 << 20, 11);
  const std::string boundary = "----streamtestBoundary42";
  std::string body = "--" + boundary +
                     "\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nsales\r\n--" +
                     boundary +
                     "\r\nContent-Disposition: form-data; name=\"file\"; "
                     "filename=\"C:\\\\Users\\\\me\\\\big.csv\"\r\nContent-Type: text/csv\r\n\r\n";
  body += data;
  body += "\r\n--" + boundary +
          "\r\nContent-Disposition: form-data; name=\"delimiter\"\r\n\r\n;\r\n--" + boundary +
          "--\r\n";
  HttpClient client(server_->port());
  auto headers = Auth();
  headers["Content-Type"] = "multipart/form-data; boundary=" + boundary;
  HttpResponse r = client.Post("/test/upload?project=p", body, headers);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = Json(r.body);
  EXPECT_EQ(v.at("bytes").to_number<uint64_t>(), data.size());
  EXPECT_EQ(v.at("sha256").as_string(), Sha256Hex(data));
  EXPECT_EQ(v.at("filename").as_string(), "big.csv");
  EXPECT_EQ(v.at("contentType").as_string(), "text/csv");
  EXPECT_EQ(v.at("fields").at("name").as_string(), "sales");
  EXPECT_EQ(v.at("fields").at("delimiter").as_string(), ";");
  EXPECT_EQ(FilesIn(dir_.path()), 0u);
}

TEST_P(StreamingUpload, MalformedMultipartIs400AndLeavesNothing) {
  HttpClient client(server_->port());
  auto headers = Auth();
  headers["Content-Type"] = "multipart/form-data; boundary=xyz";
  HttpResponse r = client.Post("/test/upload?project=p",
                               "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
                               "--xyz--\r\n",
                               headers);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("no file part; send the file in a part named 'file'"), std::string::npos)
      << r.body;
  r = client.Post("/test/upload?project=p",
                  "--xyz\r\nContent-Disposition: form-data; name=file\r\n\r\nabc", headers);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("final boundary"), std::string::npos) << r.body;
  EXPECT_EQ(probe_.aborts.load(), 2);
  EXPECT_EQ(probe_.handled.load(), 0);
  EXPECT_EQ(FilesIn(dir_.path()), 0u);
}

TEST_P(StreamingUpload, ChunkedTransferEncoding) {
  const std::string data = Deterministic(3 << 20, 3);
  RawConn conn(server_->port());
  ASSERT_TRUE(conn.connected());
  std::string head = std::string("POST /test/upload?project=p&filename=c.bin HTTP/1.1\r\n") +
                     "Host: x\r\nAuthorization: Bearer " + kImportKey +
                     "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  ASSERT_TRUE(conn.Send(head));
  size_t pos = 0;
  size_t size = 1;
  while (pos < data.size()) {
    size_t n = std::min(size, data.size() - pos);
    char hex[32];
    snprintf(hex, sizeof(hex), "%zx\r\n", n);
    ASSERT_TRUE(conn.Send(hex));
    ASSERT_TRUE(conn.Send(std::string_view(data).substr(pos, n)));
    ASSERT_TRUE(conn.Send("\r\n"));
    pos += n;
    size = size * 3 + 1;  // 1, 4, 13, ... bytes: chunks of every scale
    if (size > (300 << 10)) size = 7777;
  }
  ASSERT_TRUE(conn.Send("0\r\n\r\n"));
  ASSERT_TRUE(conn.ReadUntilClosed());
  ASSERT_EQ(conn.StatusCode(), 200) << conn.received();
  json::value v = Json(conn.Body());
  EXPECT_EQ(v.at("bytes").to_number<uint64_t>(), data.size());
  EXPECT_EQ(v.at("sha256").as_string(), Sha256Hex(data));
  EXPECT_EQ(v.at("filename").as_string(), "c.bin");
  // Without a Content-Length, on_progress has no total.
  EXPECT_EQ(probe_.progress_stored.load(), data.size());
}

TEST_P(StreamingUpload, ContentLengthAboveTheLimitIs413BeforeAnyByte) {
  RawConn conn(server_->port());
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(conn.Send(std::string("POST /test/upload?project=p HTTP/1.1\r\nHost: x\r\n") +
                        "Authorization: Bearer " + kImportKey +
                        "\r\nContent-Length: 10000000000\r\nExpect: 100-continue\r\n\r\n"));
  ASSERT_TRUE(conn.ReadUntil("\r\n\r\n"));
  EXPECT_EQ(conn.StatusCode(), 413) << conn.received();
  conn.ReadUntil("}");
  EXPECT_NE(conn.received().find("imports.max_upload_bytes"), std::string::npos) << conn.received();
  EXPECT_EQ(conn.received().find("100 Continue"), std::string::npos);
  EXPECT_EQ(probe_.begins.load(), 1);
  EXPECT_TRUE(WaitUntil([&] { return probe_.aborts.load() == 1; }, 5s));
  EXPECT_EQ(FilesIn(dir_.path()), 0u);
}

TEST_P(StreamingUpload, ChunkedBodyPastTheLimitIs413AndTheFileIsDeleted) {
  probe_.max_bytes = 1 << 20;
  RawConn conn(server_->port());
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(conn.Send(std::string("POST /test/upload?project=p HTTP/1.1\r\nHost: x\r\n") +
                        "Authorization: Bearer " + kImportKey +
                        "\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string piece = Deterministic(64 << 10, 5);
  for (int i = 0; i < 24 && !conn.peer_closed(); ++i) {  // 1.5 MiB
    char hex[32];
    snprintf(hex, sizeof(hex), "%zx\r\n", piece.size());
    if (!conn.Send(std::string(hex) + piece + "\r\n")) break;
  }
  conn.Send("0\r\n\r\n");
  conn.ReadUntil("}");
  EXPECT_EQ(conn.StatusCode(), 413) << conn.received();
  EXPECT_TRUE(WaitUntil([&] { return probe_.aborts.load() == 1; }, 5s));
  {
    std::lock_guard lock(probe_.mu);
    EXPECT_EQ(probe_.abort_status.code(), ErrorCode::kResourceExhausted);
  }
  EXPECT_EQ(probe_.handled.load(), 0);
  EXPECT_EQ(FilesIn(dir_.path()), 0u);
}

TEST_P(StreamingUpload, ClientDisconnectMidUploadAbortsAndDeletes) {
  RawConn conn(server_->port());
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(conn.Send(std::string("POST /test/upload?project=p HTTP/1.1\r\nHost: x\r\n") +
                        "Authorization: Bearer " + kImportKey +
                        "\r\nContent-Length: 20000000\r\n\r\n"));
  ASSERT_TRUE(conn.Send(Deterministic(2 << 20, 9)));
  ASSERT_TRUE(WaitUntil([&] { return probe_.progress_stored.load() >= (1u << 20); }, 10s));
  EXPECT_EQ(FilesIn(dir_.path()), 1u);
  conn.Close();
  ASSERT_TRUE(WaitUntil([&] { return probe_.aborts.load() == 1; }, 10s));
  {
    std::lock_guard lock(probe_.mu);
    EXPECT_EQ(probe_.abort_status.code(), ErrorCode::kCancelled) << probe_.abort_status.ToString();
  }
  EXPECT_EQ(FilesIn(dir_.path()), 0u);
  EXPECT_EQ(probe_.handled.load(), 0);
}

TEST_P(StreamingUpload, AccessIsCheckedBeforeBegin) {
  HttpClient client(server_->port());
  HttpResponse r = client.Post("/test/upload?project=p", "abc", Auth(kReadKey));
  EXPECT_EQ(r.status, 403) << r.body;
  r = client.Post("/test/upload?project=p", "abc");
  EXPECT_EQ(r.status, 401) << r.body;
  r = client.Post("/test/upload?project=other", "abc", Auth());
  EXPECT_EQ(r.status, 403) << r.body;
  // Refused at once even when a huge body is announced.
  RawConn conn(server_->port());
  ASSERT_TRUE(conn.Send(std::string("POST /test/upload?project=p HTTP/1.1\r\nHost: x\r\n") +
                        "Authorization: Bearer " + kReadKey +
                        "\r\nContent-Length: 10000000000\r\n\r\n"));
  ASSERT_TRUE(conn.ReadUntil("\r\n\r\n"));
  EXPECT_EQ(conn.StatusCode(), 403) << conn.received();
  EXPECT_EQ(probe_.begins.load(), 0);
  EXPECT_EQ(probe_.aborts.load(), 0);
  EXPECT_EQ(FilesIn(dir_.path()), 0u);

  // A begin that refuses answers its error; no abort (nothing began).
  auto headers = Auth();
  headers["X-Refuse"] = "yes";
  r = client.Post("/test/upload?project=p", "abc", headers);
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_NE(r.body.find("imports are off"), std::string::npos) << r.body;
  EXPECT_EQ(probe_.aborts.load(), 0);
}

TEST_P(StreamingUpload, FreeSpaceBelowTheMinimumIs507) {
  probe_.min_free_bytes = std::numeric_limits<uint64_t>::max() / 2;
  HttpClient client(server_->port());
  HttpResponse r = client.Post("/test/upload?project=p", "abc", Auth());
  EXPECT_EQ(r.status, 507) << r.body;
  EXPECT_NE(r.body.find("INSUFFICIENT_STORAGE"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("free"), std::string::npos) << r.body;
  EXPECT_TRUE(WaitUntil([&] { return probe_.aborts.load() == 1; }, 5s));
  EXPECT_EQ(FilesIn(dir_.path()), 0u);
}

TEST_P(StreamingUpload, OrdinaryRoutesKeepServerMaxBodyBytes) {
  HttpClient client(server_->port());
  HttpResponse small = client.Post("/test/echo", std::string(4000, 'a'));
  EXPECT_EQ(small.status, 200) << small.body;
  EXPECT_EQ(small.body, "4000");
  HttpResponse big = client.Post("/test/echo", std::string(5000, 'a'));
  EXPECT_EQ(big.status, 413) << big.body;
  EXPECT_NE(big.body.find("server.max_body_bytes"), std::string::npos) << big.body;
  // Chunked, without a length: the limit holds as the body arrives.
  RawConn conn(server_->port());
  std::string chunk(3000, 'b');
  ASSERT_TRUE(
      conn.Send("POST /test/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                "bb8\r\n" +
                chunk + "\r\nbb8\r\n" + chunk + "\r\n0\r\n\r\n"));
  conn.ReadUntil("}");
  EXPECT_EQ(conn.StatusCode(), 413) << conn.received();
  // And the upload route takes bodies far above it.
  HttpResponse upload = client.Post("/test/upload?project=p", std::string(100000, 'c'), Auth());
  EXPECT_EQ(upload.status, 200) << upload.body;
}

TEST_P(StreamingUpload, ServerCloseMidUploadAbortsAndDeletes) {
  RawConn conn(server_->port());
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(conn.Send(std::string("POST /test/upload?project=p HTTP/1.1\r\nHost: x\r\n") +
                        "Authorization: Bearer " + kImportKey +
                        "\r\nContent-Length: 20000000\r\n\r\n"));
  ASSERT_TRUE(conn.Send(Deterministic(2 << 20, 13)));
  ASSERT_TRUE(WaitUntil([&] { return probe_.progress_stored.load() >= (1u << 20); }, 10s));
  // A drain lets uploads finish; the end of the drain closes them.
  server_->server().BeginShutdown();
  server_->server().CloseAllConnections();
  ASSERT_TRUE(WaitUntil([&] { return probe_.aborts.load() == 1; }, 10s));
  {
    std::lock_guard lock(probe_.mu);
    EXPECT_EQ(probe_.abort_status.code(), ErrorCode::kCancelled) << probe_.abort_status.ToString();
  }
  EXPECT_EQ(FilesIn(dir_.path()), 0u);
  EXPECT_EQ(probe_.handled.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(HandlerKinds, StreamingUpload, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("Blocking") : std::string("IoThread");
                         });

}  // namespace
}  // namespace tributary::testing

namespace tributary::testing {
namespace {

//! server.read_timeout_ms bounds inactivity during an upload, not the whole upload.
class StreamingUploadTimeout : public ::testing::Test {
 protected:
  void SetUp() override {
    probe_.dir = dir_.path();
    probe_.max_bytes = 64ull << 20;
    std::string error;
    server_ = StreamTestServer::Start(
        std::string(Config()).replace(Config().find("read_timeout_ms: 3000"), 21,
                                      "read_timeout_ms: 1000"),
        [&](Router& r) { AddUploadRoute(r, &probe_, true); }, &error);
    ASSERT_NE(server_, nullptr) << error;
  }
  TempDir dir_;
  UploadProbe probe_;
  std::unique_ptr<StreamTestServer> server_;
};

TEST_F(StreamingUploadTimeout, ASlowButSteadyUploadOutlivesTheReadTimeout) {
  RawConn conn(server_->port());
  const std::string piece = Deterministic(1000, 17);
  ASSERT_TRUE(conn.Send(std::string("POST /test/upload?project=p HTTP/1.1\r\nHost: x\r\n") +
                        "Authorization: Bearer " + kImportKey +
                        "\r\nConnection: close\r\nContent-Length: 8000\r\n\r\n"));
  // 2.8 s in all, never silent for more than 350 ms.
  for (int i = 0; i < 8; ++i) {
    std::this_thread::sleep_for(350ms);
    ASSERT_TRUE(conn.Send(piece));
  }
  ASSERT_TRUE(conn.ReadUntilClosed());
  EXPECT_EQ(conn.StatusCode(), 200) << conn.received();
  EXPECT_NE(conn.Body().find("\"bytes\":8000"), std::string::npos) << conn.received();
}

TEST_F(StreamingUploadTimeout, ASilentUploadTimesOutWith408) {
  RawConn conn(server_->port());
  ASSERT_TRUE(conn.Send(std::string("POST /test/upload?project=p HTTP/1.1\r\nHost: x\r\n") +
                        "Authorization: Bearer " + kImportKey + "\r\nContent-Length: 8000\r\n\r\n" +
                        std::string(1000, 'x')));
  ASSERT_TRUE(conn.ReadUntil("}", 10s)) << conn.received();
  EXPECT_EQ(conn.StatusCode(), 408) << conn.received();
  ASSERT_TRUE(WaitUntil([&] { return probe_.aborts.load() == 1; }, 5s));
  {
    std::lock_guard lock(probe_.mu);
    EXPECT_EQ(probe_.abort_status.code(), ErrorCode::kDeadlineExceeded);
  }
  EXPECT_EQ(FilesIn(dir_.path()), 0u);
}

}  // namespace
}  // namespace tributary::testing

namespace tributary::testing {
namespace {

// With a redis: section, admission (a Redis round trip) runs on the worker pool before begin.
// The Redis here is unreachable, so the limits fall back to this process: the path is the same.
TEST(StreamingUploadSharedLimits, AdmissionOffTheIoThreadStillGuardsBegin) {
  TempDir dir;
  UploadProbe probe;
  probe.dir = dir.path();
  std::string error;
  auto server = StreamTestServer::Start(
      Config("redis: {host: 127.0.0.1, port: 1, connect_timeout_ms: 100, command_timeout_ms: "
             "100}\nrate_limits: {per_minute: 2, per_hour: 100}\n"),
      [&](Router& r) { AddUploadRoute(r, &probe, false); }, &error);
  ASSERT_NE(server, nullptr) << error;
  HttpClient client(server->port());
  for (int i = 0; i < 2; ++i) {
    HttpResponse r = client.Post("/test/upload?project=p", "a,b\n1,2\n", Auth());
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Header("ratelimit-remaining"), std::to_string(1 - i)) << r.body;
  }
  HttpResponse limited = client.Post("/test/upload?project=p", "a,b\n1,2\n", Auth());
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_FALSE(limited.Header("retry-after").empty());
  EXPECT_EQ(probe.begins.load(), 2);
  EXPECT_EQ(probe.handled.load(), 2);
  EXPECT_EQ(FilesIn(dir.path()), 0u);
}

}  // namespace
}  // namespace tributary::testing
