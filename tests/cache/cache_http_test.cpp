// The result cache through the real `tributary serve` binary over PostgreSQL. Covers hit/miss and
// the meta members, parameter normalisation, Cache-Control, project isolation with identical
// sources and parameters, clearing, stats, single flight under 50 concurrent requests,
// stale-while-revalidate, TTL expiry, client disconnects during a shared computation, and config
// reloads. Every source query is counted by PostgreSQL itself (see Runs).
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "support/server_harness.h"

namespace tributary::testing {
namespace {

namespace json = boost::json;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

constexpr const char* kPack = R"(pack: ct
title: Cache test pack
dataset: hits
columns:
  - {name: ts, type: timestamp}
  - {name: kind, type: string}
metrics:
  total:
    window: none
    ttl_seconds: 300
    params:
      - {name: tag, type: string, pattern: '^[a-z0-9]{1,12}$'}
      - {name: n, type: int, min: 1, max: 100, default: 1}
    result:
      shape: object
      fields:
        - {name: rows, type: int}
        - {name: tag, type: string, nullable: true}
        - {name: n, type: int}
    merge:
      fields: {rows: sum, tag: min, n: max}
)";

constexpr const char* kPostgres = R"(dialect: postgres
placeholder: dollar
quote: '"'
metrics:
  total: |
    SELECT count(*) AS "rows", CAST({{@tag}} AS text) AS tag, CAST({{@n}} AS int) AS n
    FROM {{table}} AS t
)";

//! A libpq session as the test user, for fixtures and server-side counts.
class Pg {
 public:
  Pg() {
    const std::string host = Env("TRIB_TEST_PG_HOST"), port = Env("TRIB_TEST_PG_PORT"),
                      db = Env("TRIB_TEST_PG_DB"), user = Env("TRIB_TEST_PG_USER"),
                      pw = Env("TRIB_TEST_PG_PASSWORD");
    const char* keys[] = {"host", "port", "dbname", "user", "password", nullptr};
    const char* values[] = {host.c_str(), port.c_str(), db.c_str(),
                            user.c_str(), pw.c_str(),   nullptr};
    conn_ = PQconnectdbParams(keys, values, 0);
    if (PQstatus(conn_) != CONNECTION_OK) error_ = PQerrorMessage(conn_);
  }
  ~Pg() { PQfinish(conn_); }
  const std::string& error() const { return error_; }
  //! The first cell, or "ERROR: ..." .
  std::string Exec(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    std::string out;
    auto st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK && PQntuples(r) > 0) {
      out = PQgetvalue(r, 0, 0);
    } else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      out = std::string("ERROR: ") + PQerrorMessage(conn_);
    }
    PQclear(r);
    return out;
  }

 private:
  PGconn* conn_ = nullptr;
  std::string error_;
};

// Views: name -> (advisory lock class, seconds each execution sleeps).
struct View {
  std::string name;
  int lock_class;
  double pause;
};
const std::vector<View> kViews = {{"fast", 1, 0}, {"flight", 2, 0.8}, {"swr", 3, 0.6},
                                  {"gone", 4, 6}, {"part", 5, 6},     {"reload", 6, 0}};

// ctest runs each test in a process of its own, two at a time: every process keeps its objects
// in a schema of its own and counts locks of classes of its own, so counts never mix.
const std::string& Schema() {
  static const std::string schema = "cache_t_" + std::to_string(::getpid());
  return schema;
}
int LockClass(const View& v) {
  return 7300 + 10 * static_cast<int>(::getpid() % 100000) + v.lock_class;
}

//! Executions of view `name` so far, counted by PostgreSQL. The source runs every query in a
//! read-only transaction that it rolls back, which rules out sequences, writes and NOTIFY; a
//! session-level advisory lock survives both, so each execution takes one on a random key of
//! the view's lock class and the count of those locks is the count of executions. (The
//! source's pooled sessions are kept open for the test: see SourceYaml.)
int64_t Runs(Pg& pg, const std::string& name) {
  for (const auto& v : kViews) {
    if (v.name != name) continue;
    return std::atoll(pg.Exec("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                              "objsubid = 2 AND classid = " +
                              std::to_string(LockClass(v)))
                          .c_str());
  }
  ADD_FAILURE() << "no view " << name;
  return -1;
}

std::string SetUpPostgres() {
  Pg pg;
  if (!pg.error().empty()) return pg.error();
  const std::string& schema = Schema();
  std::vector<std::string> sql = {"SET client_min_messages = warning"};
  // Schemas of test processes that are gone.
  std::string stale = pg.Exec(
      "SELECT string_agg(nspname, ',') FROM pg_namespace WHERE nspname LIKE 'cache\\_t\\_%'");
  for (size_t start = 0; start < stale.size();) {
    size_t end = stale.find(',', start);
    if (end == std::string::npos) end = stale.size();
    const std::string name = stale.substr(start, end - start);
    start = end + 1;
    const pid_t pid = static_cast<pid_t>(std::atoll(name.c_str() + 8));
    if (name != schema && pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
      sql.push_back("DROP SCHEMA IF EXISTS " + name + " CASCADE");
    }
  }
  sql.insert(sql.end(),
             {"CREATE SCHEMA IF NOT EXISTS " + schema,
              "CREATE TABLE IF NOT EXISTS " + schema + ".hit_rows(ts timestamp, kind text)",
              "DELETE FROM " + schema + ".hit_rows",
              "INSERT INTO " + schema +
                  ".hit_rows VALUES ('2026-11-20 10:00', 'a'), ('2026-11-21 11:00', 'b')",
              "CREATE OR REPLACE FUNCTION " + schema +
                  ".count_run(lock_class int, pause float8) "
                  "RETURNS SETOF " +
                  schema +
                  ".hit_rows LANGUAGE plpgsql VOLATILE AS $$ BEGIN "
                  "PERFORM pg_try_advisory_lock(lock_class, (random() * 2147483646)::int); "
                  "PERFORM pg_sleep(pause); "
                  "RETURN QUERY SELECT * FROM " +
                  schema + ".hit_rows; END $$"});
  for (const auto& v : kViews) {
    sql.push_back("CREATE OR REPLACE VIEW " + schema + "." + v.name + " AS SELECT * FROM " +
                  schema + ".count_run(" + std::to_string(LockClass(v)) + ", " +
                  std::to_string(v.pause) + ")");
  }
  for (const auto& s : sql) {
    std::string r = pg.Exec(s);
    if (r.rfind("ERROR", 0) == 0) return s + ": " + r;
  }
  return "";
}

std::string SourceYaml(const std::string& id) {
  return "  " + id + ": {type: postgres, host: \"" + Env("TRIB_TEST_PG_HOST") +
         "\", port: " + Env("TRIB_TEST_PG_PORT") + ", database: \"" + Env("TRIB_TEST_PG_DB") +
         "\", user: \"" + Env("TRIB_TEST_PG_USER") + "\", password: \"" +
         Env("TRIB_TEST_PG_PASSWORD") +
         "\", sslmode: disable, idle_timeout_ms: 3600000, max_lifetime_ms: 3600000}\n";
}

std::string ProjectYaml(const std::string& id, const std::string& source, const std::string& view,
                        const std::string& extra = "") {
  return "  " + id + ":\n    sources: [" + source +
         "]\n    datasets:\n      hits: {source: " + source + ", table: " + Schema() + "." + view +
         "}\n" + extra;
}

//! Writes the packs and returns the config text; `extra_top` goes before `sources:`.
std::string WriteConfig(TempDir& dir, const std::string& extra_top, const std::string& projects) {
  std::filesystem::create_directories(dir.File("packs/ct"));
  WriteFile(dir.File("packs/ct/pack.yaml"), kPack);
  WriteFile(dir.File("packs/ct/postgres.yaml"), kPostgres);
  std::string text = "server: {listen: 127.0.0.1:0, packs_dir: packs, worker_threads: 64}\n" +
                     extra_top + "sources:\n" + SourceYaml("pg") + SourceYaml("pg2") +
                     "projects:\n" + projects;
  WriteFile(dir.File("tributary.yaml"), text);
  return text;
}

json::value Json(const HttpResponse& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  EXPECT_FALSE(ec) << "not JSON: " << r.body;
  return v;
}

bool Cached(const HttpResponse& r) {
  json::value v = Json(r);
  return v.is_object() && v.at("meta").at("cached").as_bool();
}

class CacheHttp : public ::testing::Test {
 protected:
  struct Server {
    TempDir dir;
    std::unique_ptr<ServerProcess> process;
    std::string error;
  };

  static Server& Shared() {
    static Server* server = [] {
      auto* s = new Server;
      if (Env("TRIB_TEST_PG_HOST").empty()) {
        s->error =
            "TRIB_TEST_PG_* variables are not set (make test sets them; by hand: "
            "scripts/test-servers.sh start, then source build/test-servers/env)";
        return s;
      }
      s->error = SetUpPostgres();
      if (!s->error.empty()) return s;
      WriteConfig(s->dir, "cache: {max_bytes: 4194304}\n",
                  ProjectYaml("a", "pg", "fast") + ProjectYaml("b", "pg", "fast") +
                      ProjectYaml("c", "pg2", "fast") + ProjectYaml("flight", "pg", "flight") +
                      ProjectYaml("swr", "pg", "swr", "    cache: {ttl_seconds: {default: 1}}\n") +
                      ProjectYaml("gone", "pg", "gone") + ProjectYaml("part", "pg", "part") +
                      ProjectYaml("nocache", "pg", "fast", "    cache: {enabled: false}\n"));
      s->process = ServerProcess::Start({"--config", s->dir.File("tributary.yaml")}, &s->error);
      return s;
    }();
    return *server;
  }

  void SetUp() override {
    ASSERT_TRUE(Shared().process) << Shared().error;
    ASSERT_TRUE(pg_.error().empty()) << pg_.error();
  }

  uint16_t port() { return Shared().process->port(); }

  HttpResponse Get(const std::string& target, const std::map<std::string, std::string>& h = {}) {
    HttpClient client(port());
    return client.Get(target, h);
  }
  HttpResponse Post(const std::string& target, const std::string& body = "") {
    HttpClient client(port());
    return client.Post(target, body, {{"Content-Type", "application/json"}});
  }
  void Clear(const std::string& project) {
    HttpResponse r = Post("/api/v1/cache/clear?project=" + project);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  static std::string Metric(const std::string& project, const std::string& query) {
    return "/api/v1/projects/" + project + "/metrics/ct/total?" + query;
  }

  Pg pg_;
};

TEST_F(CacheHttp, SecondRequestIsAHitWithTheCacheMembersAndNoSourceQuery) {
  Clear("a");
  const int64_t before = Runs(pg_, "fast");
  HttpResponse miss = Get(Metric("a", "tag=hit"));
  ASSERT_EQ(miss.status, 200) << miss.body;
  EXPECT_FALSE(Cached(miss));
  EXPECT_EQ(Runs(pg_, "fast"), before + 1);
  EXPECT_EQ(miss.Header("cache-control"), "private, max-age=300");
  EXPECT_EQ(miss.Header("age"), "");

  HttpResponse hit = Get(Metric("a", "tag=hit"));
  ASSERT_EQ(hit.status, 200) << hit.body;
  EXPECT_EQ(Runs(pg_, "fast"), before + 1) << "a hit must not query the source";
  json::value v = Json(hit);
  EXPECT_TRUE(v.at("meta").at("cached").as_bool());
  std::string cached_at(v.at("meta").at("cachedAt").as_string());
  EXPECT_EQ(cached_at.size(), 20u) << cached_at;
  EXPECT_EQ(cached_at.back(), 'Z');
  EXPECT_LE(v.at("meta").at("ageSeconds").as_int64(), 5);
  EXPECT_FALSE(v.at("meta").as_object().contains("stale"));
  EXPECT_EQ(json::serialize(v.at("data")), json::serialize(Json(miss).at("data")));
  EXPECT_EQ(v.at("data").at("tag").as_string(), "hit");
  EXPECT_EQ(v.at("data").at("rows").as_int64(), 2);
  EXPECT_FALSE(hit.Header("age").empty());
  EXPECT_EQ(hit.Header("cache-control").rfind("private, max-age=", 0), 0u);
}

TEST_F(CacheHttp, ParameterOrderDoesNotMatterButValuesDo) {
  Clear("a");
  const int64_t before = Runs(pg_, "fast");
  ASSERT_FALSE(Cached(Get(Metric("a", "tag=order&n=3"))));
  EXPECT_TRUE(Cached(Get(Metric("a", "n=3&tag=order"))));
  EXPECT_EQ(Runs(pg_, "fast"), before + 1);
  EXPECT_FALSE(Cached(Get(Metric("a", "n=4&tag=order"))));
  EXPECT_EQ(Runs(pg_, "fast"), before + 2);
}

TEST_F(CacheHttp, NoCacheForcesAFreshQueryAndRefreshesTheEntry) {
  Clear("a");
  const int64_t before = Runs(pg_, "fast");
  ASSERT_FALSE(Cached(Get(Metric("a", "tag=nocache"))));
  ASSERT_TRUE(Cached(Get(Metric("a", "tag=nocache"))));
  HttpResponse fresh = Get(Metric("a", "tag=nocache"), {{"Cache-Control", "no-cache"}});
  ASSERT_EQ(fresh.status, 200) << fresh.body;
  EXPECT_FALSE(Cached(fresh));
  EXPECT_EQ(Runs(pg_, "fast"), before + 2);
  HttpResponse max_age = Get(Metric("a", "tag=nocache"), {{"Cache-Control", "max-age=0"}});
  EXPECT_FALSE(Cached(max_age));
  EXPECT_EQ(Runs(pg_, "fast"), before + 3);
  // The refreshed entry answers the next plain request.
  HttpResponse hit = Get(Metric("a", "tag=nocache"));
  EXPECT_TRUE(Cached(hit));
  EXPECT_EQ(Runs(pg_, "fast"), before + 3);
}

TEST_F(CacheHttp, ProjectsWithIdenticalSourcesAndParametersNeverShareEntries) {
  Clear("a");
  Clear("b");
  const int64_t before = Runs(pg_, "fast");
  HttpResponse a = Get(Metric("a", "tag=iso"));
  ASSERT_EQ(a.status, 200) << a.body;
  HttpResponse b = Get(Metric("b", "tag=iso"));
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_FALSE(Cached(b)) << "project b answered from project a's entry";
  EXPECT_EQ(Json(b).at("meta").at("project").as_string(), "b");
  EXPECT_EQ(Runs(pg_, "fast"), before + 2);
  HttpResponse b2 = Get(Metric("b", "tag=iso"));
  EXPECT_TRUE(Cached(b2));
  EXPECT_EQ(Json(b2).at("meta").at("project").as_string(), "b");
  EXPECT_EQ(Runs(pg_, "fast"), before + 2);
}

TEST_F(CacheHttp, ClearsEverythingOneProjectOrOneSource) {
  auto fill = [&] {
    ASSERT_EQ(Post("/api/v1/cache/clear").status, 200);
    for (const char* p : {"a", "b", "c"}) ASSERT_EQ(Get(Metric(p, "tag=clear")).status, 200);
  };
  fill();
  HttpResponse r = Post("/api/v1/cache/clear?project=a");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r).at("cleared").as_int64(), 1);
  EXPECT_EQ(Json(r).at("project").as_string(), "a");
  EXPECT_FALSE(Cached(Get(Metric("a", "tag=clear"))));
  EXPECT_TRUE(Cached(Get(Metric("b", "tag=clear"))));

  fill();
  r = Post("/api/v1/cache/clear", R"({"source": "pg2"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r).at("cleared").as_int64(), 1);
  EXPECT_FALSE(Cached(Get(Metric("c", "tag=clear"))));
  EXPECT_TRUE(Cached(Get(Metric("a", "tag=clear"))));

  fill();
  r = Post("/api/v1/cache/clear?source=pg");
  EXPECT_EQ(Json(r).at("cleared").as_int64(), 2);
  EXPECT_TRUE(Cached(Get(Metric("c", "tag=clear"))));

  fill();
  r = Post("/api/v1/cache/clear");
  EXPECT_EQ(Json(r).at("cleared").as_int64(), 3);
  EXPECT_FALSE(Cached(Get(Metric("b", "tag=clear"))));

  // Compatibility routes.
  r = Post("/api/cache/clear?project=b");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Json(r).at("success").as_bool());
  EXPECT_EQ(Json(r).at("cleared").as_int64(), 1);
  r = Post("/api/analytics/cache/clear", R"({"project": "a"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Json(r).at("success").as_bool());

  // Mistakes.
  EXPECT_EQ(Post("/api/v1/cache/clear?project=nope").status, 404);
  EXPECT_EQ(Post("/api/v1/cache/clear?source=nope").status, 404);
  EXPECT_EQ(Post("/api/v1/cache/clear?what=x").status, 400);
  EXPECT_EQ(Post("/api/v1/cache/clear", "[1]").status, 400);
}

TEST_F(CacheHttp, StatsCountHitsMissesAndEntriesPerProject) {
  Clear("b");
  HttpResponse before = Get("/api/v1/cache/stats");
  ASSERT_EQ(before.status, 200) << before.body;
  json::value s0 = Json(before);
  const int64_t hits0 = s0.at("projects").at("b").at("hits").as_int64();
  const int64_t misses0 = s0.at("projects").at("b").at("misses").as_int64();
  ASSERT_EQ(Get(Metric("b", "tag=stats")).status, 200);
  ASSERT_EQ(Get(Metric("b", "tag=stats")).status, 200);
  ASSERT_EQ(Get(Metric("b", "tag=stats")).status, 200);
  json::value s = Json(Get("/api/v1/cache/stats"));
  EXPECT_EQ(s.at("backend").as_string(), "memory");
  EXPECT_EQ(s.at("status").as_string(), "ok");
  EXPECT_TRUE(s.at("enabled").as_bool());
  EXPECT_EQ(s.at("maxBytes").as_int64(), 4194304);
  const json::value& b = s.at("projects").at("b");
  EXPECT_EQ(b.at("hits").as_int64(), hits0 + 2);
  EXPECT_EQ(b.at("misses").as_int64(), misses0 + 1);
  EXPECT_EQ(b.at("entries").as_int64(), 1);
  EXPECT_GT(b.at("bytes").as_int64(), 0);
  EXPECT_GE(s.at("entries").as_int64(), 1);
  EXPECT_GT(s.at("hitRatio").as_double(), 0.0);
  EXPECT_LE(s.at("hitRatio").as_double(), 1.0);
  for (const char* key : {"hits", "misses", "evictions", "bytes"}) {
    EXPECT_TRUE(s.as_object().contains(key)) << key;
  }
  HttpResponse compat = Get("/api/analytics/cache/stats");
  ASSERT_EQ(compat.status, 200);
  EXPECT_TRUE(Json(compat).at("success").as_bool());
  // Prometheus counters.
  std::string metrics = Get("/metrics").body;
  EXPECT_NE(metrics.find("tributary_cache_events_total{backend=\"memory\",event=\"hit\"}"),
            std::string::npos)
      << metrics.substr(0, 2000);
  // Readiness names the cache backend.
  json::value ready = Json(Get("/readyz"));
  EXPECT_EQ(ready.at("cache").at("backend").as_string(), "memory");
  EXPECT_EQ(ready.at("cache").at("status").as_string(), "ok");
}

TEST_F(CacheHttp, AProjectWithTheCacheDisabledAlwaysQueries) {
  const int64_t before = Runs(pg_, "fast");
  HttpResponse first = Get(Metric("nocache", "tag=off"));
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_FALSE(Cached(first));
  EXPECT_FALSE(Cached(Get(Metric("nocache", "tag=off"))));
  EXPECT_EQ(Runs(pg_, "fast"), before + 2);
}

TEST_F(CacheHttp, FiftyConcurrentIdenticalRequestsRunOneSourceQuery) {
  Clear("flight");
  const int64_t before = Runs(pg_, "flight");
  const int64_t coalesced0 =
      Json(Get("/api/v1/cache/stats")).at("projects").at("flight").at("coalesced").as_int64();
  constexpr int kClients = 50;
  std::vector<HttpResponse> responses(kClients);
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      HttpClient client(port());
      ready.fetch_add(1);
      while (ready.load() < kClients) std::this_thread::yield();
      responses[i] = client.Get(Metric("flight", "tag=single"));
    });
  }
  for (auto& t : threads) t.join();
  std::string data;
  for (const auto& r : responses) {
    ASSERT_EQ(r.status, 200) << r.body << r.error;
    std::string d = json::serialize(Json(r).at("data"));
    if (data.empty()) data = d;
    EXPECT_EQ(d, data);
  }
  EXPECT_EQ(Runs(pg_, "flight"), before + 1) << "identical concurrent requests must share one "
                                                "source query";
  const int64_t coalesced =
      Json(Get("/api/v1/cache/stats")).at("projects").at("flight").at("coalesced").as_int64();
  EXPECT_GT(coalesced, coalesced0) << "no request waited for another's computation";
}

TEST_F(CacheHttp, AnExpiredEntryIsServedStaleOnceWhileOneRefreshRuns) {
  Clear("swr");
  const int64_t before = Runs(pg_, "swr");
  ASSERT_FALSE(Cached(Get(Metric("swr", "tag=swr"))));
  EXPECT_EQ(Runs(pg_, "swr"), before + 1);
  // TTL 1 s: after it, within the grace of one more TTL.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  HttpResponse stale = Get(Metric("swr", "tag=swr"));
  ASSERT_EQ(stale.status, 200) << stale.body;
  json::value v = Json(stale);
  EXPECT_TRUE(v.at("meta").at("cached").as_bool());
  ASSERT_TRUE(v.at("meta").as_object().contains("stale")) << stale.body;
  EXPECT_TRUE(v.at("meta").at("stale").as_bool());
  EXPECT_GE(v.at("meta").at("ageSeconds").as_int64(), 1);
  EXPECT_EQ(stale.Header("cache-control"), "private, max-age=0");
  // The refresh (0.6 s) is running: the next request is not served stale again, it waits.
  HttpResponse waited = Get(Metric("swr", "tag=swr"));
  ASSERT_EQ(waited.status, 200) << waited.body;
  EXPECT_FALSE(Json(waited).at("meta").as_object().contains("stale")) << waited.body;
  EXPECT_EQ(Runs(pg_, "swr"), before + 2) << "exactly one refresh";
  HttpResponse fresh = Get(Metric("swr", "tag=swr"));
  EXPECT_TRUE(Cached(fresh));
  EXPECT_FALSE(Json(fresh).at("meta").as_object().contains("stale"));
  EXPECT_EQ(Runs(pg_, "swr"), before + 2);
  // Past the grace (two TTLs): an ordinary miss.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_FALSE(Cached(Get(Metric("swr", "tag=swr"))));
  EXPECT_EQ(Runs(pg_, "swr"), before + 3);
}

int64_t ActiveQueries(Pg& pg, const std::string& view) {
  return std::atoll(pg.Exec("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND "
                            "pid <> pg_backend_pid() AND query LIKE '%" +
                            Schema() + "%" + view + "%'")
                        .c_str());
}

TEST_F(CacheHttp, ASharedQueryIsCancelledOnlyWhenEveryWaiterHasGone) {
  // Two clients give up after 0.5 s on a 6 s query: it is cancelled at the server.
  Clear("gone");
  const int64_t before = Runs(pg_, "gone");
  std::vector<std::thread> quitters;
  for (int i = 0; i < 2; ++i) {
    quitters.emplace_back([&] {
      HttpClient client(port(), std::chrono::milliseconds(500));
      HttpResponse r = client.Get(Metric("gone", "tag=both"));
      EXPECT_EQ(r.status, 0) << "expected the client to time out: " << r.body;
    });
  }
  EXPECT_TRUE(WaitUntil([&] { return ActiveQueries(pg_, "gone") > 0; }, 3s));
  for (auto& t : quitters) t.join();
  EXPECT_TRUE(WaitUntil([&] { return ActiveQueries(pg_, "gone") == 0; }, 3s))
      << "the query kept running after every client left";
  // (Runs cannot count it: a cancelled session is closed by the source, releasing its lock.)
  (void)before;

  // One of two leaves: the other still gets the answer from the one shared query.
  Clear("part");
  const int64_t part_before = Runs(pg_, "part");
  std::thread quitter([&] {
    HttpClient client(port(), std::chrono::milliseconds(500));
    EXPECT_EQ(client.Get(Metric("part", "tag=one")).status, 0);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  HttpClient stayer(port(), std::chrono::seconds(30));
  HttpResponse r = stayer.Get(Metric("part", "tag=one"));
  quitter.join();
  ASSERT_EQ(r.status, 200) << r.body << r.error;
  EXPECT_EQ(Json(r).at("data").at("rows").as_int64(), 2);
  EXPECT_EQ(Runs(pg_, "part"), part_before + 1);
  EXPECT_TRUE(Cached(Get(Metric("part", "tag=one"))));
}

TEST(CacheReload, AReloadedConfigChangesTheKeyAndKeepsTheCache) {
  ASSERT_FALSE(Env("TRIB_TEST_PG_HOST").empty()) << "TRIB_TEST_PG_* variables are not set";
  ASSERT_EQ(SetUpPostgres(), "");
  Pg pg;
  ASSERT_EQ(pg.error(), "");
  TempDir dir;
  const std::string projects = ProjectYaml("r", "pg", "reload");
  WriteConfig(dir, "", projects);
  std::string error;
  auto server = ServerProcess::Start({"--config", dir.File("tributary.yaml")}, &error);
  ASSERT_TRUE(server) << error;
  HttpClient client(server->port());
  const std::string target = "/api/v1/projects/r/metrics/ct/total?tag=reload";
  const int64_t before = Runs(pg, "reload");
  ASSERT_FALSE(Cached(client.Get(target)));
  ASSERT_TRUE(Cached(client.Get(target)));
  EXPECT_EQ(Runs(pg, "reload"), before + 1);
  // Any change of the config is a new fingerprint: the old entry is never served.
  WriteConfig(dir, "cache: {max_bytes: 268435456}\n",
              projects + "    cache: {ttl_seconds: {default: 200}}\n");
  server->Signal(SIGHUP);
  ASSERT_TRUE(server->WaitForStderr("config reloaded", 20s)) << server->Stderr();
  // The old runtime's sessions close, and their locks (the count) with them.
  ASSERT_TRUE(WaitUntil([&] { return Runs(pg, "reload") == 0; }, 10s));
  HttpResponse after = client.Get(target);
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_FALSE(Cached(after));
  EXPECT_EQ(after.Header("cache-control"), "private, max-age=200");
  EXPECT_EQ(Runs(pg, "reload"), 1);
  EXPECT_TRUE(Cached(client.Get(target)));
  EXPECT_EQ(Runs(pg, "reload"), 1);
  // The cache itself survived the reload (same settings): both entries are counted.
  json::value stats = Json(client.Get("/api/v1/cache/stats"));
  EXPECT_EQ(stats.at("entries").as_int64(), 2);
  EXPECT_EQ(stats.at("projects").at("r").at("hits").as_int64(), 2);
}

}  // namespace
}  // namespace tributary::testing
