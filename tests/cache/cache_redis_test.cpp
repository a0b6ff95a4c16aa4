// The Redis backend of the result cache against real redis-server instances: the backend's
// store/expiry/clear/stats on the shared test server (TRIB_TEST_REDIS_*), one cache shared by
// two `tributary serve` processes, and a private redis-server started by the test and killed
// mid-test: requests are then served uncached, /readyz says so, and the cache comes back with
// Redis.
#include <duckdb.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cache/redis_backend.h"
#include "support/server_harness.h"
#include "support/test_redis.h"

extern char** environ;

namespace tributary::testing {
namespace {

namespace json = boost::json;

//! A key prefix no other run or suite uses.
std::string UniquePrefix() {
  return "trib-cache-test-" + std::to_string(getpid()) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + ":";
}

std::shared_ptr<const CachedAnswer> Entry(const std::string& project,
                                          std::vector<std::string> sources) {
  auto e = std::make_shared<CachedAnswer>();
  e->project = project;
  e->sources = std::move(sources);
  e->prefix = R"({"data":{"n":1},"meta":{"project":")" + project + R"(",)";
  e->data_offset = 8;
  e->data_size = 7;
  e->stored_at_us = 1795266000000000;
  e->ttl_ms = 60000;
  return e;
}

class CacheRedisBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    const RedisConfig config = TestRedisConfig("cache");
    ASSERT_FALSE(::testing::Test::HasFailure()) << "TRIB_TEST_REDIS_* variables are not set";
    client_ = std::make_shared<RedisClient>(config);
    ASSERT_TRUE(client_->Ping().ok()) << client_->last_error().ToString();
    backend_ = std::make_unique<RedisCacheBackend>(client_);
  }
  void TearDown() override {
    if (backend_) (void)backend_->Clear("", "");
  }
  std::shared_ptr<RedisClient> client_;
  std::unique_ptr<RedisCacheBackend> backend_;
};

TEST_F(CacheRedisBackend, StoresFindsAndExpiresEntries) {
  EXPECT_EQ(*backend_->Get("missing"), nullptr);
  ASSERT_TRUE(backend_->Put("k", Entry("a", {"pg"}), 60000).ok());
  Result<std::shared_ptr<const CachedAnswer>> got = backend_->Get("k");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_NE(*got, nullptr);
  EXPECT_EQ((*got)->prefix, Entry("a", {"pg"})->prefix);
  EXPECT_EQ((*got)->sources, std::vector<std::string>{"pg"});
  EXPECT_EQ((*got)->ttl_ms, 60000);
  // PX expiry: gone once the retain time has passed, and no longer counted.
  ASSERT_TRUE(backend_->Put("short", Entry("a", {"pg"}), 300).ok());
  EXPECT_NE(*backend_->Get("short"), nullptr);
  EXPECT_EQ(backend_->Stats()->total.entries, 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  EXPECT_EQ(*backend_->Get("short"), nullptr);
  Result<BackendStats> stats = backend_->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->total.entries, 1);
  EXPECT_EQ(stats->projects.at("a").entries, 1);
  EXPECT_GT(stats->total.bytes, 0);
  EXPECT_TRUE(backend_->Health().ok());
}

TEST_F(CacheRedisBackend, ClearsAllOneProjectOneSourceOrBoth) {
  auto fill = [&] {
    ASSERT_TRUE(backend_->Clear("", "").ok());
    ASSERT_TRUE(backend_->Put("a1", Entry("a", {"pg"}), 60000).ok());
    ASSERT_TRUE(backend_->Put("a2", Entry("a", {"pg", "duck"}), 60000).ok());
    ASSERT_TRUE(backend_->Put("b1", Entry("b", {"pg"}), 60000).ok());
    ASSERT_TRUE(backend_->Put("b2", Entry("b", {"duck"}), 60000).ok());
  };
  fill();
  EXPECT_EQ(*backend_->Clear("a", ""), 2);
  EXPECT_EQ(*backend_->Get("a1"), nullptr);
  EXPECT_NE(*backend_->Get("b1"), nullptr);
  EXPECT_EQ(backend_->Stats()->total.entries, 2);
  fill();
  EXPECT_EQ(*backend_->Clear("", "duck"), 2);
  EXPECT_EQ(*backend_->Get("a2"), nullptr);
  EXPECT_NE(*backend_->Get("a1"), nullptr);
  EXPECT_EQ(backend_->Stats()->projects.at("b").entries, 1);
  fill();
  EXPECT_EQ(*backend_->Clear("b", "pg"), 1);
  EXPECT_EQ(*backend_->Get("b1"), nullptr);
  EXPECT_NE(*backend_->Get("b2"), nullptr);
  fill();
  EXPECT_EQ(*backend_->Clear("", ""), 4);
  EXPECT_EQ(backend_->Stats()->total.entries, 0);
}

// ---- Through tributary serve ----------------------------------------------------------------

constexpr const char* kPack = R"(pack: rt
title: Redis cache test pack
dataset: things
columns:
  - {name: kind, type: string}
metrics:
  total:
    window: none
    params:
      - {name: tag, type: string, pattern: '^[a-z0-9]{1,12}$'}
    result:
      shape: object
      fields:
        - {name: rows, type: int}
        - {name: tag, type: string, nullable: true}
    merge:
      fields: {rows: sum, tag: min}
)";

constexpr const char* kDuckDb = R"(dialect: duckdb
placeholder: dollar
quote: '"'
metrics:
  total: SELECT count(*) AS "rows", CAST({{@tag}} AS VARCHAR) AS tag FROM {{table}} AS t
)";

//! Packs and a DuckDB file with a table `things` in `dir`; "" or what failed.
std::string WriteData(TempDir& dir) {
  std::filesystem::create_directories(dir.File("packs/rt"));
  WriteFile(dir.File("packs/rt/pack.yaml"), kPack);
  WriteFile(dir.File("packs/rt/duckdb.yaml"), kDuckDb);
  std::string db = dir.File("data.duckdb");
  duckdb_database handle = nullptr;
  duckdb_connection con = nullptr;
  if (duckdb_open(db.c_str(), &handle) != DuckDBSuccess ||
      duckdb_connect(handle, &con) != DuckDBSuccess) {
    return "cannot create " + db;
  }
  duckdb_query(con, "CREATE TABLE things(kind VARCHAR); INSERT INTO things VALUES ('a'), ('b');",
               nullptr);
  duckdb_disconnect(&con);
  duckdb_close(&handle);
  return "";
}

std::string Config(const std::string& redis_host, int redis_port, const std::string& password,
                   const std::string& prefix) {
  std::string redis = "redis: {host: \"" + redis_host + "\", port: " + std::to_string(redis_port) +
                      ", key_prefix: \"" + prefix + "\"";
  if (!password.empty()) redis += ", password: \"" + password + "\"";
  redis += "}\n";
  return "server: {listen: 127.0.0.1:0, packs_dir: packs}\n" + redis +
         "cache: {backend: redis}\n"
         "sources:\n  db: {type: duckdb, path: data.duckdb}\n"
         "projects:\n  p:\n    sources: [db]\n    datasets:\n      things: {source: db}\n";
}

json::value Json(const HttpResponse& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  EXPECT_FALSE(ec) << "not JSON: " << r.body;
  return v;
}

bool Cached(const HttpResponse& r) {
  json::value v = Json(r);
  return v.is_object() && v.as_object().contains("meta") && v.at("meta").at("cached").as_bool();
}

const std::string kTarget = "/api/v1/projects/p/metrics/rt/total?tag=shared";

TEST(CacheRedisShared, TwoProcessesShareOneCache) {
  const RedisConfig redis = TestRedisConfig("cache");
  ASSERT_FALSE(HasFailure()) << "TRIB_TEST_REDIS_* variables are not set";
  TempDir dir;
  ASSERT_EQ(WriteData(dir), "");
  const std::string& prefix = redis.key_prefix;
  WriteFile(dir.File("tributary.yaml"),
            Config(redis.host, static_cast<int>(redis.port), redis.password, prefix));
  std::string error;
  auto a = ServerProcess::Start({"--config", dir.File("tributary.yaml")}, &error);
  ASSERT_TRUE(a) << error;
  auto b = ServerProcess::Start({"--config", dir.File("tributary.yaml")}, &error);
  ASSERT_TRUE(b) << error;
  HttpClient ca(a->port());
  HttpClient cb(b->port());
  HttpResponse first = ca.Get(kTarget);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_FALSE(Cached(first));
  HttpResponse on_b = cb.Get(kTarget);
  ASSERT_EQ(on_b.status, 200) << on_b.body;
  EXPECT_TRUE(Cached(on_b)) << "process B did not see process A's entry: " << on_b.body;
  EXPECT_EQ(json::serialize(Json(on_b).at("data")), json::serialize(Json(first).at("data")));
  // B's stats count its hit; Redis counts the one entry for both.
  json::value stats = Json(cb.Get("/api/v1/cache/stats"));
  EXPECT_EQ(stats.at("backend").as_string(), "redis");
  EXPECT_EQ(stats.at("status").as_string(), "ok");
  EXPECT_EQ(stats.at("hits").as_int64(), 1);
  EXPECT_EQ(stats.at("entries").as_int64(), 1);
  EXPECT_EQ(stats.at("projects").at("p").at("entries").as_int64(), 1);
  // A clear on B is seen by A.
  HttpResponse cleared = cb.Post("/api/v1/cache/clear?project=p", "");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(Json(cleared).at("cleared").as_int64(), 1);
  EXPECT_FALSE(Cached(ca.Get(kTarget)));
  EXPECT_TRUE(Cached(cb.Get(kTarget)));
  json::value ready = Json(ca.Get("/readyz"));
  EXPECT_EQ(ready.at("cache").at("backend").as_string(), "redis");
  EXPECT_EQ(ready.at("cache").at("status").as_string(), "ok");
  (void)cb.Post("/api/v1/cache/clear", "");
}

uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

//! A private redis-server (no persistence) on `port`, for this test alone.
class PrivateRedis {
 public:
  explicit PrivateRedis(uint16_t port) : port_(port) {}
  ~PrivateRedis() { Kill(); }
  bool Start() {
    std::vector<std::string> args = {
        "redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
        "--save",       "",       "--appendonly",        "no"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp(&pid_, "redis-server", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return false;
    RedisConfig c;
    c.port = port_;
    c.key_prefix = "t:";
    RedisClient probe(c, std::chrono::milliseconds(0));
    return WaitUntil([&] { return probe.Ping().ok(); }, 10s);
  }
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  uint16_t port_;
  pid_t pid_ = -1;
};

TEST(CacheRedisDown, RequestsAreServedUncachedAndReadinessSaysSoUntilRedisReturns) {
  TempDir dir;
  ASSERT_EQ(WriteData(dir), "");
  const uint16_t port = FreePort();
  PrivateRedis redis(port);
  ASSERT_TRUE(redis.Start()) << "cannot start redis-server on port " << port;
  WriteFile(dir.File("tributary.yaml"), Config("127.0.0.1", port, "", UniquePrefix()));
  std::string error;
  auto server = ServerProcess::Start({"--config", dir.File("tributary.yaml")}, &error);
  ASSERT_TRUE(server) << error;
  HttpClient client(server->port());
  ASSERT_FALSE(Cached(client.Get(kTarget)));
  ASSERT_TRUE(Cached(client.Get(kTarget)));

  redis.Kill();
  for (int i = 0; i < 3; ++i) {
    HttpResponse r = client.Get(kTarget);
    ASSERT_EQ(r.status, 200) << "the cache being down must not fail a request: " << r.body;
    EXPECT_FALSE(Cached(r));
    EXPECT_EQ(Json(r).at("data").at("rows").as_int64(), 2);
  }
  HttpResponse ready = client.Get("/readyz");
  EXPECT_EQ(ready.status, 200) << "a cache backend that is down leaves the server ready";
  json::value v = Json(ready);
  EXPECT_EQ(v.at("status").as_string(), "ready");
  EXPECT_EQ(v.at("cache").at("backend").as_string(), "redis");
  EXPECT_EQ(v.at("cache").at("status").as_string(), "unavailable");
  EXPECT_NE(std::string(v.at("cache").at("error").as_string()).find("UNAVAILABLE"),
            std::string::npos)
      << ready.body;
  json::value stats = Json(client.Get("/api/v1/cache/stats"));
  EXPECT_EQ(stats.at("status").as_string(), "unavailable");
  EXPECT_GE(stats.at("backendErrors").as_int64(), 1);

  // Redis returns (empty): readiness recovers after the client's back-off, and so does caching.
  ASSERT_TRUE(redis.Start());
  EXPECT_TRUE(WaitUntil(
      [&] {
        HttpResponse r = client.Get("/readyz");
        return r.status == 200 && Json(r).at("cache").at("status").as_string() == "ok";
      },
      10s))
      << client.Get("/readyz").body;
  EXPECT_TRUE(WaitUntil(
      [&] {
        (void)client.Get(kTarget);
        return Cached(client.Get(kTarget));
      },
      10s));
}

}  // namespace
}  // namespace tributary::testing
