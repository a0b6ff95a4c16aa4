// Fan-out of one metric over several real sources (docs/orchestration.md): sources run in
// parallel, each with its own deadline; a failing or slow source never fails the others
// (200 with meta.partial), all failing is 502 (504 when all timed out); the caller's cancel
// stops every source; `?source=` and `?merge=none` select and lay out the sources.
//
// Slow sources are views that sleep once per query: a PostgreSQL view over a MATERIALIZED CTE
// calling pg_sleep(0.6), and a MariaDB view joining a derived table that calls SLEEP(0.3)
// (MariaDB evaluates it twice per query: about 0.6 s). The stopped source is a PostgreSQL
// server of the test's own, started in a temporary folder on a free port; the shared servers
// are never stopped.
#include "orchestrator/fanout.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "metrics/metric_runner.h"
#include "orchestrator/runtime.h"
#include "support/in_process_server.h"
#include "support/packs_dataset.h"
#include "support/server_harness.h"

namespace tributary {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using testing::InProcessServer;

// ctest runs tests two at a time, each in a process of its own: names carry the process id so
// that concurrent processes never load or drop each other's tables.
const std::string& Ns() {
  static const std::string ns = "trib_fanout_orch_p" + std::to_string(::getpid());
  return ns;
}
constexpr const char* kMetric = "/metrics/llm/daily_traffic?asOf=2026-11-21T13:00:00Z&days=7";

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

const packs_test::Dataset& Rows() {
  static const packs_test::Dataset data =
      packs_test::GenerateDataset(packs_test::kDatasetSeed, false);
  return data;
}

// Computed on every call, never kept in a static: the exit handler that removes the file runs
// after function-local statics are destroyed.
std::string DuckPath() {
  return (std::filesystem::temp_directory_path() /
          ("trib_fanout_orch_p" + std::to_string(::getpid()) + ".duckdb"))
      .string();
}

void RemoveDuckFileAtExit() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::atexit([] {
      std::filesystem::remove(DuckPath());
      std::filesystem::remove(DuckPath() + ".wal");
    });
  });
}

void RequireServers() {
  for (const char* var : {"TRIB_TEST_PG_HOST", "TRIB_TEST_MARIADB_HOST"}) {
    ASSERT_NE(std::getenv(var), nullptr)
        << var << " is not set: run via `make test`, or source the test servers' env file";
  }
}

// The rows in DuckDB, PostgreSQL and MariaDB, plus the sleeping views; once per process.
std::string LoadOnce() {
  static std::once_flag once;
  static std::string error;
  std::call_once(once, [] {
    const std::string ns = Ns();
    RemoveDuckFileAtExit();
    error = packs_test::LoadDuckDb(DuckPath(), Rows());
    if (error.empty()) error = packs_test::LoadPostgres(ns, Rows());
    if (error.empty()) error = packs_test::LoadMariaDb(ns, Rows());
    if (error.empty()) {
      error = packs_test::ExecPostgres(packs_test::SharedPgServer(),
                                       {"CREATE VIEW " + ns +
                                        ".llm_logs_slow AS WITH s AS MATERIALIZED (SELECT "
                                        "pg_sleep(0.6)) SELECT l.* FROM " +
                                        ns + ".llm_logs l, s"});
    }
    if (error.empty()) {
      error = packs_test::ExecMariaDb({"CREATE OR REPLACE VIEW `" + ns +
                                       "_llm_logs_slow` AS SELECT l.* FROM (SELECT "
                                       "SLEEP(0.3) AS z) s JOIN `" +
                                       ns + "_llm_logs` l ON s.z = 0"});
    }
  });
  return error;
}

std::string SharedSources() {
  return "  duck:\n    type: duckdb\n    path: '" + DuckPath() +
         "'\n"
         "  pg:\n    type: postgres\n    host: ${TRIB_TEST_PG_HOST}\n"
         "    port: ${TRIB_TEST_PG_PORT}\n    database: ${TRIB_TEST_PG_DB}\n"
         "    user: ${TRIB_TEST_PG_USER}\n    password: ${TRIB_TEST_PG_PASSWORD}\n"
         "  mdb:\n    type: mysql\n    host: ${TRIB_TEST_MARIADB_HOST}\n"
         "    port: ${TRIB_TEST_MARIADB_PORT}\n    database: ${TRIB_TEST_MARIADB_DB}\n"
         "    user: ${TRIB_TEST_MARIADB_USER}\n    password: ${TRIB_TEST_MARIADB_PASSWORD}\n";
}

// A project binding llm_logs to `bindings` ("duck", "pg", "mdb", "pg_slow", "mdb_slow").
std::string Project(const std::string& id, const std::vector<std::string>& bindings) {
  const std::string ns = Ns();
  std::string sources;
  std::string list;
  for (const auto& b : bindings) {
    const std::string source = b.substr(0, b.find('_'));
    const bool slow = b.find("_slow") != std::string::npos;
    std::string table = source == "duck" ? "llm_logs"
                        : source == "pg" ? ns + ".llm_logs"
                                         : ns + "_llm_logs";
    if (slow) table += "_slow";
    sources += (sources.empty() ? "" : ", ") + source;
    list += "        - {source: " + source + ", table: " + table + "}\n";
  }
  return "  " + id + ":\n    sources: [" + sources + "]\n    datasets:\n      llm_logs:\n" + list;
}

struct Served {
  std::shared_ptr<Runtime> runtime;
  std::unique_ptr<InProcessServer> server;
};

// A runtime and HTTP server over `yaml`; fails the test when it cannot start.
// The result cache is off: every request here must reach the sources (the cache has its own
// tests in tests/cache/).
void Serve(const std::string& yaml, Served* out) {
  Result<Config> config = LoadConfigText("cache: {enabled: false}\n" + yaml, "fanout.yaml", ".");
  ASSERT_TRUE(config.ok()) << config.status().ToString() << "\n" << yaml;
  out->runtime = Runtime::Open(std::move(*config));
  ASSERT_TRUE(out->runtime->packs().ok()) << out->runtime->packs().status().ToString();
  std::string error;
  out->server = InProcessServer::Start(out->runtime, &error);
  ASSERT_NE(out->server, nullptr) << error;
}

struct Answer {
  int status = 0;
  json::value body;
  std::string text;
  double seconds = 0;
};

Answer Get(const Served& served, const std::string& target) {
  testing::HttpClient client(served.server->port());
  Answer a;
  const auto start = Clock::now();
  testing::HttpResponse r = client.Get(target);
  a.seconds = SecondsSince(start);
  a.status = r.status;
  a.text = r.body;
  boost::system::error_code ec;
  a.body = json::parse(r.body, ec);
  return a;
}

std::string StatusOf(const Answer& a, const std::string& source) {
  const json::value* sources = nullptr;
  if (const json::value* meta = a.body.as_object().if_contains("meta")) {
    sources = meta->as_object().if_contains("sources");
  } else {
    sources = a.body.as_object().if_contains("sources");
  }
  if (!sources) return "(no sources)";
  for (const auto& s : sources->as_array()) {
    if (s.at("id") == json::value(source)) return std::string(s.at("status").as_string());
  }
  return "(absent)";
}

// ---- parallel fan-out --------------------------------------------------------------------

class FanoutLatency : public ::testing::Test {
 protected:
  void SetUp() override {
    RequireServers();
    ASSERT_EQ(LoadOnce(), "");
    Serve("sources:\n" + SharedSources() + "projects:\n" +
              Project("lat", {"duck", "pg_slow", "mdb_slow"}),
          &served_);
  }
  Served served_;
};

TEST_F(FanoutLatency, SlowSourcesRunInParallelNotOneAfterTheOther) {
  const std::string base = std::string("/api/v1/projects/lat") + kMetric;
  // Warm up: schema checks and pooled connections, so only the queries are timed.
  ASSERT_EQ(Get(served_, base).status, 200);
  Answer pg = Get(served_, base + "&source=pg");
  Answer mdb = Get(served_, base + "&source=mdb");
  ASSERT_EQ(pg.status, 200) << pg.text;
  ASSERT_EQ(mdb.status, 200) << mdb.text;
  EXPECT_GE(pg.seconds, 0.6);
  EXPECT_GE(mdb.seconds, 0.5);
  Answer all = Get(served_, base);
  ASSERT_EQ(all.status, 200) << all.text;
  for (const char* s : {"duck", "pg", "mdb"}) EXPECT_EQ(StatusOf(all, s), "ok") << s;
  // Close to the slowest, far from the sum (about 1.2 s).
  EXPECT_GT(all.seconds, 0.6);
  EXPECT_LT(all.seconds, 1.0) << "pg alone " << pg.seconds << " s, mdb alone " << mdb.seconds;
}

TEST_F(FanoutLatency, TheCallersCancelStopsEverySource) {
  MetricCall call;
  call.project = "lat";
  call.pack = "llm";
  call.metric = "daily_traffic";
  call.params = {{"asOf", "2026-11-21T13:00:00Z"}, {"days", "7"}};
  // Warm the schema checks first, so that the cancel lands in the queries.
  ASSERT_TRUE(RunMetric(*served_.runtime, call).ok());
  CancelToken cancel;
  call.cancel = cancel;
  std::thread canceller([cancel] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    cancel.Cancel("client disconnected");
  });
  const auto start = Clock::now();
  Result<MetricAnswer> answer = RunMetric(*served_.runtime, call);
  const double seconds = SecondsSince(start);
  canceller.join();
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_LT(seconds, 0.5) << "the slow sources were not interrupted";
  for (const auto& s : answer->sources) {
    if (s.id != "duck") {
      EXPECT_EQ(s.status, "error") << s.id << ": " << s.error.ToString();
    }
  }
}

// ---- timeouts ----------------------------------------------------------------------------

class FanoutTimeouts : public ::testing::Test {
 protected:
  void SetUp() override {
    RequireServers();
    ASSERT_EQ(LoadOnce(), "");
    Serve("server:\n  default_timeout_ms: 300\nsources:\n" + SharedSources() + "projects:\n" +
              Project("partial", {"duck", "pg_slow", "mdb_slow"}) +
              Project("all_slow", {"pg_slow", "mdb_slow"}),
          &served_);
  }
  Served served_;
};

TEST_F(FanoutTimeouts, ASlowSourceTimesOutAndTheOthersStillAnswer) {
  Answer a = Get(served_, std::string("/api/v1/projects/partial") + kMetric);
  ASSERT_EQ(a.status, 200) << a.text;
  const json::object& meta = a.body.at("meta").as_object();
  EXPECT_EQ(meta.at("partial"), json::value(true));
  EXPECT_EQ(StatusOf(a, "duck"), "ok");
  EXPECT_EQ(StatusOf(a, "pg"), "timeout") << a.text;
  EXPECT_EQ(StatusOf(a, "mdb"), "timeout") << a.text;
  for (const auto& s : meta.at("sources").as_array()) {
    if (s.at("id") == json::value("duck")) continue;
    EXPECT_EQ(s.at("error").at("code"), json::value("DEADLINE_EXCEEDED")) << json::serialize(s);
  }
  EXPECT_FALSE(a.body.at("data").as_array().empty());
  // The slow queries were interrupted at their deadline, not waited for.
  EXPECT_LT(a.seconds, 2.0);
}

TEST_F(FanoutTimeouts, AllSourcesTimingOutIs504WithEachSource) {
  Answer a = Get(served_, std::string("/api/v1/projects/all_slow") + kMetric);
  ASSERT_EQ(a.status, 504) << a.text;
  EXPECT_EQ(StatusOf(a, "pg"), "timeout") << a.text;
  EXPECT_EQ(StatusOf(a, "mdb"), "timeout") << a.text;
  EXPECT_EQ(a.body.at("error").at("code"), json::value("DEADLINE_EXCEEDED"));
  EXPECT_LT(a.seconds, 2.0);
}

// ---- ?source= and ?merge= ------------------------------------------------------------------

class FanoutParams : public ::testing::Test {
 protected:
  void SetUp() override {
    RequireServers();
    ASSERT_EQ(LoadOnce(), "");
    Serve("server:\n  default_timeout_ms: 300\nsources:\n" + SharedSources() + "projects:\n" +
              Project("fast", {"duck", "pg", "mdb"}) +
              Project("partial", {"duck", "pg_slow", "mdb_slow"}),
          &served_);
  }
  Served served_;
};

TEST_F(FanoutParams, SourceRestrictsTheCallToOneBoundSource) {
  Answer a = Get(served_, std::string("/api/v1/projects/fast") + kMetric + "&source=pg");
  ASSERT_EQ(a.status, 200) << a.text;
  const auto& sources = a.body.at("meta").at("sources").as_array();
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(sources[0].at("id"), json::value("pg"));
  // Every source holds all the rows here: one source's answer is the merged one with exact
  // fields, and uniqueUsers is the same in each.
  Answer merged = Get(served_, std::string("/api/v1/projects/fast") + kMetric);
  ASSERT_EQ(merged.status, 200);
  ASSERT_EQ(merged.body.at("data").as_array().size(), a.body.at("data").as_array().size());
  EXPECT_EQ(merged.body.at("data").as_array()[0].at("requests").as_int64(),
            3 * a.body.at("data").as_array()[0].at("requests").as_int64());
}

TEST_F(FanoutParams, AnUnboundSourceIs404ListingTheBoundOnes) {
  Answer a = Get(served_, std::string("/api/v1/projects/fast") + kMetric + "&source=nope");
  ASSERT_EQ(a.status, 404) << a.text;
  EXPECT_EQ(a.body.at("error").at("message"),
            json::value("source 'nope' does not hold dataset 'llm_logs' for project 'fast'; it "
                        "is bound to: duck, pg, mdb"));
}

TEST_F(FanoutParams, MergeNoneAnswersEachSourceSideBySide) {
  const std::string base = std::string("/api/v1/projects/fast") + kMetric;
  Answer a = Get(served_, base + "&merge=none");
  ASSERT_EQ(a.status, 200) << a.text;
  const json::object& data = a.body.at("data").as_object();
  ASSERT_EQ(data.size(), 3u);
  for (const char* s : {"duck", "pg", "mdb"}) {
    Answer one = Get(served_, base + "&source=" + s);
    ASSERT_EQ(one.status, 200);
    EXPECT_EQ(json::serialize(data.at(s)), json::serialize(one.body.at("data"))) << s;
  }
  EXPECT_EQ(a.body.at("meta").at("merge"), json::value("none"));
  EXPECT_FALSE(a.body.at("meta").as_object().contains("approximate"));
  // With one source named, only it.
  Answer pg = Get(served_, base + "&merge=none&source=pg");
  ASSERT_EQ(pg.status, 200);
  EXPECT_EQ(pg.body.at("data").as_object().size(), 1u);
  EXPECT_TRUE(pg.body.at("data").as_object().contains("pg"));
}

TEST_F(FanoutParams, MergeNoneLeavesFailedSourcesOutOfDataButInMeta) {
  Answer a = Get(served_, std::string("/api/v1/projects/partial") + kMetric + "&merge=none");
  ASSERT_EQ(a.status, 200) << a.text;
  const json::object& data = a.body.at("data").as_object();
  EXPECT_EQ(data.size(), 1u);
  EXPECT_TRUE(data.contains("duck"));
  EXPECT_EQ(a.body.at("meta").at("partial"), json::value(true));
  EXPECT_EQ(StatusOf(a, "pg"), "timeout");
}

TEST_F(FanoutParams, SourceOrMergeGivenTwiceIs400) {
  const std::string base = std::string("/api/v1/projects/fast") + kMetric;
  Answer a = Get(served_, base + "&source=pg&source=mdb");
  ASSERT_EQ(a.status, 400) << a.text;
  EXPECT_EQ(a.body.at("error").at("message"),
            json::value("parameter 'source' is given more than once; give it once"));
  EXPECT_EQ(Get(served_, base + "&merge=none&merge=pack").status, 400);
}

TEST_F(FanoutParams, ABadMergeValueIs400) {
  Answer a = Get(served_, std::string("/api/v1/projects/fast") + kMetric + "&merge=sum");
  ASSERT_EQ(a.status, 400) << a.text;
  EXPECT_EQ(a.body.at("error").at("message"),
            json::value("merge='sum' is not a merge mode; use merge=none (each source's answer "
                        "side by side) or merge=pack (the pack's merge rules, the default)"));
}

TEST_F(FanoutParams, ApproximateFieldsAreListedWhenDistinctCountsCombine) {
  Answer a = Get(served_, std::string("/api/v1/projects/fast") + kMetric);
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(json::serialize(a.body.at("meta").at("approximate")), R"(["uniqueUsers"])");
  // meta.cached stays the last member of meta (a cache appends after the prefix).
  const json::object& meta = a.body.at("meta").as_object();
  EXPECT_EQ((meta.end() - 1)->key(), "cached");
}

TEST_F(FanoutParams, ThePackListingShowsEachMetricsMergeRule) {
  Answer a = Get(served_, "/api/v1/packs");
  ASSERT_EQ(a.status, 200);
  std::map<std::string, std::string> rules;
  for (const auto& pack : a.body.at("packs").as_array()) {
    for (const auto& metric : pack.at("metrics").as_array()) {
      rules[std::string(metric.at("name").as_string())] = json::serialize(metric.at("merge"));
    }
  }
  EXPECT_EQ(rules.size(), 18u);
  EXPECT_EQ(
      rules["error_analysis"],
      R"({"key":["errorType"],"fields":{"count":"sum","percentage":{"share":"count"},)"
      R"("affectedTenants":"distinct","lastOccurrence":"max"},"order":["-count","errorType"]})");
  EXPECT_EQ(rules["sample_logs"],
            R"({"order":["-timestamp","requestId"],"limit":"limit","offset":"offset"})");
  EXPECT_EQ(rules["session_trends"],
            R"({"fields":{"current":{"fields":{"sessions":"distinct","users":"distinct"}},)"
            R"("previous":{"fields":{"sessions":"distinct","users":"distinct"}},)"
            R"("sessionsGrowth":{"growth":["current.sessions","previous.sessions"]},)"
            R"("usersGrowth":{"growth":["current.users","previous.users"]}}})");
}

// ---- a source stopped mid-test -----------------------------------------------------------

// A PostgreSQL server of this test alone: initdb in a temporary folder, a free port.
class PrivatePostgres {
 public:
  static std::unique_ptr<PrivatePostgres> Start(std::string* error) {
    std::unique_ptr<PrivatePostgres> pg(new PrivatePostgres);
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql")) {
      if (std::filesystem::exists(entry.path() / "bin" / "pg_ctl")) {
        pg->bin_ = (entry.path() / "bin").string();
      }
    }
    if (pg->bin_.empty()) {
      *error = "no PostgreSQL server binaries under /usr/lib/postgresql";
      return nullptr;
    }
    char tmpl[] = "/tmp/trib_fanout_pgXXXXXX";
    if (!mkdtemp(tmpl)) {
      *error = "mkdtemp failed";
      return nullptr;
    }
    pg->dir_ = tmpl;
    // initdb refuses to run as root: the server runs as the postgres user then.
    if (getuid() == 0) {
      pg->as_ = "runuser -u postgres -- ";
      if (std::system(("chown postgres " + pg->dir_).c_str()) != 0) {
        *error = "cannot chown " + pg->dir_ + " to postgres";
        return nullptr;
      }
    }
    pg->port_ = FreePort();
    const std::string data = pg->dir_ + "/data";
    if (pg->Run("initdb -D " + data + " -U trib --auth=trust -E UTF8 --locale=C.UTF-8 > " +
                pg->dir_ + "/initdb.log 2>&1") != 0) {
      *error = "initdb failed: " + Read(pg->dir_ + "/initdb.log");
      return nullptr;
    }
    if (pg->Run("pg_ctl -D " + data + " -l " + pg->dir_ + "/server.log -w -t 60 -o \"-p " +
                std::to_string(pg->port_) + " -k " + pg->dir_ +
                " -c listen_addresses=127.0.0.1 -c fsync=off\" start > /dev/null 2>&1") != 0) {
      *error = "pg_ctl start failed: " + Read(pg->dir_ + "/server.log");
      return nullptr;
    }
    pg->running_ = true;
    return pg;
  }

  ~PrivatePostgres() {
    Stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  void Stop() {
    if (!running_) return;
    Run("pg_ctl -D " + dir_ + "/data -m immediate -w -t 30 stop > /dev/null 2>&1");
    running_ = false;
  }

  int port() const { return port_; }
  packs_test::PgServer server() const {
    return {"127.0.0.1", std::to_string(port_), "trib", "", "postgres"};
  }

 private:
  PrivatePostgres() = default;

  int Run(const std::string& command) const {
    return std::system((as_ + bin_ + "/" + command).c_str());
  }

  static int FreePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.substr(text.size() > 2000 ? text.size() - 2000 : 0);
  }

  std::string bin_;
  std::string dir_;
  std::string as_;
  int port_ = 0;
  bool running_ = false;
};

TEST(FanoutFailures, AStoppedSourceGivesAPartialAnswerAndAllStoppedIs502) {
  RequireServers();
  ASSERT_EQ(LoadOnce(), "");
  std::string error;
  std::unique_ptr<PrivatePostgres> pg = PrivatePostgres::Start(&error);
  ASSERT_NE(pg, nullptr) << error;
  ASSERT_EQ(packs_test::LoadPostgres(pg->server(), "priv", Rows()), "");
  std::string priv;
  for (const char* id : {"priv_a", "priv_b"}) {
    priv += std::string("  ") + id +
            ":\n    type: postgres\n    host: 127.0.0.1\n    port: " + std::to_string(pg->port()) +
            "\n    database: postgres\n    user: trib\n";
  }
  const std::string yaml =
      "sources:\n  duck:\n    type: duckdb\n    path: '" + DuckPath() + "'\n" + priv +
      "projects:\n"
      "  two:\n    sources: [duck, priv_a]\n    datasets:\n      llm_logs:\n"
      "        - {source: duck, table: llm_logs}\n        - {source: priv_a, table: "
      "priv.llm_logs}\n"
      "  only_private:\n    sources: [priv_a, priv_b]\n    datasets:\n      llm_logs:\n"
      "        - {source: priv_a, table: priv.llm_logs}\n"
      "        - {source: priv_b, table: priv.llm_logs}\n";
  Served served;
  Serve(yaml, &served);
  ASSERT_NE(served.server, nullptr);

  Answer both = Get(served, std::string("/api/v1/projects/two") + kMetric);
  ASSERT_EQ(both.status, 200) << both.text;
  EXPECT_EQ(both.body.at("meta").at("partial"), json::value(false));
  EXPECT_EQ(StatusOf(both, "priv_a"), "ok");
  ASSERT_EQ(Get(served, std::string("/api/v1/projects/only_private") + kMetric).status, 200);
  Answer duck_only = Get(served, std::string("/api/v1/projects/two") + kMetric + "&source=duck");
  ASSERT_EQ(duck_only.status, 200);

  pg->Stop();

  Answer partial = Get(served, std::string("/api/v1/projects/two") + kMetric);
  ASSERT_EQ(partial.status, 200) << partial.text;
  EXPECT_EQ(partial.body.at("meta").at("partial"), json::value(true));
  EXPECT_EQ(StatusOf(partial, "duck"), "ok");
  EXPECT_EQ(StatusOf(partial, "priv_a"), "error") << partial.text;
  for (const auto& s : partial.body.at("meta").at("sources").as_array()) {
    if (s.at("id") != json::value("priv_a")) continue;
    EXPECT_FALSE(s.at("error").at("code").as_string().empty());
    EXPECT_NE(std::string(s.at("error").at("message").as_string()).find("priv_a"),
              std::string::npos)
        << json::serialize(s);
  }
  // The answer is what the source still up holds.
  EXPECT_EQ(json::serialize(partial.body.at("data")), json::serialize(duck_only.body.at("data")));

  Answer none = Get(served, std::string("/api/v1/projects/only_private") + kMetric);
  ASSERT_EQ(none.status, 502) << none.text;
  EXPECT_EQ(StatusOf(none, "priv_a"), "error");
  EXPECT_EQ(StatusOf(none, "priv_b"), "error");
  EXPECT_NE(std::string(none.body.at("error").at("message").as_string()).find("daily_traffic"),
            std::string::npos);
}

// ---- the pool ----------------------------------------------------------------------------

TEST(FanoutPool, JobsRunInParallelAndAStuckJobIsAbandonedAfterItsDeadline) {
  const auto start = Clock::now();
  std::vector<FanoutJob> jobs;
  auto ran = std::make_shared<std::atomic<int>>(0);
  for (int i = 0; i < 2; ++i) {
    jobs.push_back({start + std::chrono::seconds(5), [ran](const CancelToken&) {
                      std::this_thread::sleep_for(std::chrono::milliseconds(200));
                      ++*ran;
                    }});
  }
  // Ignores its cancel: abandoned at deadline + grace.
  jobs.push_back({start + std::chrono::milliseconds(100), [](const CancelToken&) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
                  }});
  std::vector<FanoutEnd> ends =
      RunFanout(std::move(jobs), CancelToken(), 4, std::chrono::milliseconds(200));
  const double seconds = SecondsSince(start);
  ASSERT_EQ(ends.size(), 3u);
  EXPECT_EQ(ends[0], FanoutEnd::kFinished);
  EXPECT_EQ(ends[1], FanoutEnd::kFinished);
  EXPECT_EQ(ends[2], FanoutEnd::kAbandoned);
  EXPECT_EQ(ran->load(), 2);
  EXPECT_LT(seconds, 1.0);
  EXPECT_GE(FanoutPoolThreads(4), 1);
}

TEST(FanoutPool, AJobSeesItsCancelAtItsDeadline) {
  const auto start = Clock::now();
  auto seen = std::make_shared<std::atomic<bool>>(false);
  std::vector<FanoutJob> jobs;
  jobs.push_back({start + std::chrono::milliseconds(100), [seen](const CancelToken& cancel) {
                    while (!cancel.cancelled()) {
                      std::this_thread::sleep_for(std::chrono::milliseconds(5));
                    }
                    *seen = true;
                  }});
  std::vector<FanoutEnd> ends =
      RunFanout(std::move(jobs), CancelToken(), 4, std::chrono::milliseconds(2000));
  EXPECT_EQ(ends[0], FanoutEnd::kFinished);
  EXPECT_TRUE(seen->load());
  EXPECT_LT(SecondsSince(start), 1.0);
}

}  // namespace
}  // namespace tributary
