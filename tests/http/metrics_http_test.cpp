// The metric endpoint against the real binary with a pack written by the test (packs_dir), over
// a DuckDB table whose columns have other names than the canonical ones. Checks what the runner
// does whatever the SQL: the envelope, column renames checked against the schema, conversion of
// every engine type onto the declared field types, the empty-window rules, and the 400/404 and
// config errors a user meets.
#include <duckdb.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "support/server_harness.h"

namespace tributary::testing {
namespace {

namespace json = boost::json;

constexpr const char* kPack = R"(pack: t
title: Test pack
dataset: things
columns:
  - {name: ts, type: timestamp}
  - {name: kind, type: string}
  - {name: amount, type: double}
settings:
  label: fallback
metrics:
  totals:
    window: days
    result:
      shape: object
      fields:
        - {name: rows, type: int}
        - {name: hugeSum, type: int}
        - {name: decimalAvg, type: double}
        - {name: noRowsAvg, type: double}
        - {name: label, type: string}
        - name: span
          type: object
          fields:
            - {name: first, type: timestamp, nullable: true}
            - {name: last, type: timestamp, nullable: true}
        - name: kinds
          type: list
          fields:
            - {name: kind, type: string}
            - {name: n, type: int}
    merge:
      fields: {rows: sum, hugeSum: sum, decimalAvg: {mean: rows}, noRowsAvg: avg, label: min,
               span: {fields: {first: min, last: max}}, kinds: {key: [kind], fields: {n: sum}}}
  daily:
    window: range
    result:
      shape: list
      fields:
        - {name: date, type: date}
        - {name: dateFromText, type: date}
        - {name: hourFromText, type: timestamp}
        - {name: flag, type: bool}
        - {name: maybe, type: string, nullable: true}
        - {name: amount, type: double}
    merge:
      key: [date]
      fields: {dateFromText: min, hourFromText: min, flag: min, maybe: min, amount: sum}
      order: [date]
  broken:
    window: none
    result:
      shape: list
      fields:
        - {name: missing, type: int}
    merge: {key: [missing]}
)";

constexpr const char* kDuckDb = R"(dialect: duckdb
placeholder: dollar
quote: '"'
metrics:
  totals:
    main: |
      SELECT count(*) AS "rows", sum(CAST(amount AS BIGINT)) AS "hugeSum",
        avg(CAST(amount AS DECIMAL(18,3))) AS "decimalAvg",
        avg(amount) FILTER (WHERE false) AS "noRowsAvg", {{@label}} AS label,
        min(ts) AS span_first, max(ts) AS span_last
      FROM {{table}} AS t WHERE ts >= {{@from}} AND ts < {{@to}}
    kinds: |
      SELECT kind, count(*) AS n FROM {{table}} AS t
      WHERE ts >= {{@from}} AND ts < {{@to}} GROUP BY kind ORDER BY n DESC, kind
  daily: |
    SELECT CAST(ts AS DATE) AS date, strftime(ts, '%Y-%m-%d') AS "dateFromText",
      strftime(date_trunc('hour', ts), '%Y-%m-%d %H:%M:%S') AS "hourFromText",
      CASE WHEN kind = 'a' THEN 1 ELSE 0 END AS flag,
      CASE WHEN kind = 'a' THEN NULL ELSE kind END AS maybe, amount
    FROM {{table}} AS t WHERE ts >= {{@from}} AND ts < {{@to}} ORDER BY ts
  broken: SELECT 1 AS other
)";

class MetricsHttp : public ::testing::Test {
 protected:
  struct Server {
    TempDir dir;
    std::unique_ptr<ServerProcess> process;
    std::string error;
  };

  static Server& Shared() {
    static Server* server = [] {
      auto* s = new Server;
      std::filesystem::create_directories(s->dir.File("packs/t"));
      WriteFile(s->dir.File("packs/t/pack.yaml"), kPack);
      WriteFile(s->dir.File("packs/t/duckdb.yaml"), kDuckDb);
      std::string db = s->dir.File("data.duckdb");
      duckdb_database handle = nullptr;
      duckdb_connection con = nullptr;
      if (duckdb_open(db.c_str(), &handle) != DuckDBSuccess ||
          duckdb_connect(handle, &con) != DuckDBSuccess) {
        s->error = "cannot create " + db;
        return s;
      }
      duckdb_query(con,
                   "CREATE TABLE raw_things(event_time TIMESTAMP, category VARCHAR, value DOUBLE);"
                   "INSERT INTO raw_things VALUES"
                   " ('2026-11-20 10:15:00', 'a', 1.5),"
                   " ('2026-11-20 23:59:59', 'b', 2.5),"
                   " ('2026-11-21 00:00:00', 'b', 3.0),"
                   " ('2026-11-21 12:59:59', 'c', 4.0),"
                   " ('2026-11-22 00:00:00', 'a', 100.0);",
                   nullptr);
      duckdb_query(con, "CREATE TABLE plain(ts TIMESTAMP, kind VARCHAR, amount DOUBLE);", nullptr);
      duckdb_disconnect(&con);
      duckdb_close(&handle);
      WriteFile(s->dir.File("tributary.yaml"),
                "server: {listen: 127.0.0.1:0, packs_dir: packs}\n"
                "sources:\n"
                "  db: {type: duckdb, path: data.duckdb}\n"
                "projects:\n"
                "  renamed:\n"
                "    sources: [db]\n"
                "    datasets:\n"
                "      things: {source: db, table: raw_things,\n"
                "               columns: {ts: event_time, kind: category, amount: value}}\n"
                "  badcolumn:\n"
                "    sources: [db]\n"
                "    datasets:\n"
                "      things: {source: db, table: raw_things, columns: {ts: event_tme}}\n"
                "  badtable:\n"
                "    sources: [db]\n"
                "    datasets:\n"
                "      things: {source: db, table: nothing_here}\n"
                "  plain:\n"
                "    sources: [db]\n"
                "    datasets:\n"
                "      things: {source: db, table: plain}\n"
                "  unbound:\n"
                "    sources: [db]\n"
                "default_project: renamed\n");
      s->process = ServerProcess::Start({"--config", s->dir.File("tributary.yaml")}, &s->error);
      return s;
    }();
    return *server;
  }

  void SetUp() override { ASSERT_TRUE(Shared().process) << Shared().error; }

  HttpResponse Get(const std::string& target) {
    HttpClient client(Shared().process->port());
    return client.Get(target);
  }
  static json::value Json(const HttpResponse& r) {
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    EXPECT_FALSE(ec) << "not JSON: " << r.body;
    return v;
  }
  //! The `data` member exactly as the server wrote it (Boost.JSON would re-format doubles).
  static std::string RawData(const HttpResponse& r) {
    size_t meta = r.body.rfind(",\"meta\":");
    if (r.body.rfind("{\"data\":", 0) != 0 || meta == std::string::npos) return r.body;
    return r.body.substr(8, meta - 8);
  }
  static std::string Message(const HttpResponse& r) {
    json::value v = Json(r);
    if (!v.is_object() || !v.as_object().contains("error")) return "(no error) " + r.body;
    return std::string(v.at("error").at("code").as_string()) + ": " +
           std::string(v.at("error").at("message").as_string());
  }
};

TEST_F(MetricsHttp, ObjectMetricWithRenamedColumnsNestedObjectAndListPart) {
  HttpResponse r =
      Get("/api/v1/projects/renamed/metrics/t/totals?days=2&asOf=2026-11-21T13:00:00Z");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json");
  json::value v = Json(r);
  // 2026-11-20 00:00 <= ts < 2026-11-22 00:00: the row at exactly 2026-11-22 is out.
  EXPECT_EQ(RawData(r),
            R"({"rows":4,"hugeSum":11,"decimalAvg":2.75,"noRowsAvg":0.0,"label":"fallback",)"
            R"("span":{"first":"2026-11-20T10:15:00Z","last":"2026-11-21T12:59:59Z"},)"
            R"("kinds":[{"kind":"b","n":2},{"kind":"a","n":1},{"kind":"c","n":1}]})");
  const json::object& meta = v.at("meta").as_object();
  EXPECT_EQ(meta.at("project"), "renamed");
  EXPECT_EQ(meta.at("pack"), "t");
  EXPECT_EQ(meta.at("metric"), "totals");
  EXPECT_EQ(meta.at("from"), "2026-11-20T00:00:00Z");
  EXPECT_EQ(meta.at("to"), "2026-11-22T00:00:00Z");
  EXPECT_EQ(meta.at("asOf"), "2026-11-21T13:00:00Z");
  EXPECT_EQ(meta.at("cached"), false);
  ASSERT_EQ(meta.at("sources").as_array().size(), 1u);
  const json::object& source = meta.at("sources").as_array()[0].as_object();
  EXPECT_EQ(source.at("id"), "db");
  EXPECT_EQ(source.at("status"), "ok");
  EXPECT_EQ(source.at("rows"), 1);
  EXPECT_TRUE(source.at("elapsedMs").is_double());
}

TEST_F(MetricsHttp, AnEmptyWindowGivesZerosAndEmptyLists) {
  HttpResponse r =
      Get("/api/v1/projects/renamed/metrics/t/totals?days=1&asOf=2020-01-01T00:00:00Z");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = Json(r);
  EXPECT_EQ(v.at("data").at("rows"), 0) << r.body;
  EXPECT_EQ(v.at("data").at("hugeSum"), 0);
  EXPECT_EQ(v.at("data").at("decimalAvg"), 0.0);
  EXPECT_EQ(v.at("data").at("kinds").as_array().size(), 0u);
  EXPECT_TRUE(v.at("data").at("span").at("first").is_null());
  HttpResponse list =
      Get("/api/v1/projects/renamed/metrics/t/daily?start=2020-01-01&end=2020-01-02");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(json::serialize(Json(list).at("data")), "[]");
}

TEST_F(MetricsHttp, CellsAreConvertedToTheDeclaredTypes) {
  HttpResponse r = Get("/api/v1/projects/renamed/metrics/t/daily?start=2026-11-20&end=2026-11-20");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(
      RawData(r),
      R"([{"date":"2026-11-20","dateFromText":"2026-11-20","hourFromText":"2026-11-20T10:00:00Z",)"
      R"("flag":true,"maybe":null,"amount":1.5},)"
      R"({"date":"2026-11-20","dateFromText":"2026-11-20","hourFromText":"2026-11-20T23:00:00Z",)"
      R"("flag":false,"maybe":"b","amount":2.5}])");
}

TEST_F(MetricsHttp, UnknownProjectPackAndMetricAre404ListingWhatExists) {
  HttpResponse project = Get("/api/v1/projects/nope/metrics/t/totals");
  EXPECT_EQ(project.status, 404);
  EXPECT_EQ(
      Message(project),
      "NOT_FOUND: unknown project 'nope'; known: renamed, badcolumn, badtable, plain, unbound");
  HttpResponse pack = Get("/api/v1/projects/renamed/metrics/llm/totals");
  EXPECT_EQ(pack.status, 404);
  EXPECT_EQ(Message(pack), "NOT_FOUND: unknown pack 'llm'; known: t");
  HttpResponse metric = Get("/api/v1/projects/renamed/metrics/t/total");
  EXPECT_EQ(metric.status, 404);
  EXPECT_EQ(Message(metric),
            "NOT_FOUND: unknown metric 'total' in pack 't'; did you mean 'totals'? known: totals, "
            "daily, broken");
  HttpResponse unbound = Get("/api/v1/projects/unbound/metrics/t/totals");
  EXPECT_EQ(unbound.status, 404);
  EXPECT_EQ(Message(unbound),
            "NOT_FOUND: project 'unbound' binds no dataset 'things', which pack 't' reads; add "
            "datasets.things: {source: <id>, table: <table>} to the project in the config");
}

TEST_F(MetricsHttp, BadParametersAre400NamingTheParameter) {
  HttpResponse days = Get("/api/v1/projects/renamed/metrics/t/totals?days=500");
  EXPECT_EQ(days.status, 400);
  EXPECT_EQ(Message(days),
            "INVALID_ARGUMENT: parameter 'days' must be an integer from 1 to 366, got '500'");
  HttpResponse order =
      Get("/api/v1/projects/renamed/metrics/t/daily?start=2026-02-02&end=2026-02-01");
  EXPECT_EQ(order.status, 400);
  EXPECT_NE(Message(order).find("'start' (2026-02-02) is after 'end' (2026-02-01)"),
            std::string::npos);
  HttpResponse unknown = Get("/api/v1/projects/renamed/metrics/t/totals?dys=3");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(Message(unknown),
            "INVALID_ARGUMENT: unknown parameter 'dys' for metric 'totals'; did you mean 'days'? "
            "it accepts: days, asOf");
  HttpResponse escape = Get("/api/v1/projects/renamed/metrics/t/totals?days=%zz");
  EXPECT_EQ(escape.status, 400);
  HttpResponse source = Get("/api/v1/projects/renamed/metrics/t/totals?source=other");
  EXPECT_EQ(source.status, 404);
  EXPECT_EQ(Message(source),
            "NOT_FOUND: source 'other' does not hold dataset 'things' for project 'renamed'; it is "
            "bound to: db");
  // Percent-encoded values are decoded before they are checked.
  HttpResponse encoded =
      Get("/api/v1/projects/renamed/metrics/t/totals?asOf=2026-11-21T13%3A00%3A00Z");
  EXPECT_EQ(encoded.status, 200) << encoded.body;
}

TEST_F(MetricsHttp, BindingsThatDoNotFitTheSourceAreConfigErrors) {
  HttpResponse column = Get("/api/v1/projects/badcolumn/metrics/t/totals");
  EXPECT_EQ(column.status, 500);
  EXPECT_EQ(Message(column),
            "CONFIG_ERROR: project 'badcolumn' dataset 'things' (source 'db'): table 'raw_things' "
            "has no column 'event_tme' for things.ts; did you mean 'event_time'? map it with "
            "datasets.things.columns.ts: <column> (the table has: event_time, category, value)");
  HttpResponse table = Get("/api/v1/projects/badtable/metrics/t/totals");
  EXPECT_EQ(table.status, 500);
  EXPECT_NE(Message(table).find("CONFIG_ERROR: project 'badtable' dataset 'things' (source 'db'): "
                                "table 'nothing_here' does not exist in the source"),
            std::string::npos)
      << Message(table);
}

TEST_F(MetricsHttp, SqlThatDoesNotReturnTheDeclaredColumnsIsAnInternalError) {
  HttpResponse r = Get("/api/v1/projects/renamed/metrics/t/broken");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Message(r),
            "INTERNAL: metric t/broken (duckdb): the query returned no column 'missing' (it "
            "returned: other); fix the pack's SQL");
}

TEST_F(MetricsHttp, PacksAndProjectsAreListed) {
  HttpResponse packs = Get("/api/v1/packs");
  ASSERT_EQ(packs.status, 200);
  json::value v = Json(packs);
  const json::object& pack = v.at("packs").as_array().at(0).as_object();
  EXPECT_EQ(pack.at("name"), "t");
  EXPECT_EQ(json::serialize(pack.at("dialects")), R"(["duckdb"])");
  const json::object& daily = pack.at("metrics").as_array().at(1).as_object();
  EXPECT_EQ(daily.at("name"), "daily");
  EXPECT_EQ(daily.at("window"), "range");
  EXPECT_EQ(daily.at("params").as_array().at(0).at("name"), "start");
  EXPECT_EQ(daily.at("result").at("shape"), "list");
  EXPECT_EQ(daily.at("result").at("fields").as_array().at(4).at("nullable"), true);

  HttpResponse projects = Get("/api/v1/projects");
  ASSERT_EQ(projects.status, 200);
  json::value p = Json(projects);
  EXPECT_EQ(p.at("defaultProject"), "renamed");
  EXPECT_EQ(
      json::serialize(p.at("projects").as_array().at(0)),
      R"({"id":"renamed","sources":["db"],"datasets":{"things":{"source":"db","table":"raw_things"}},"packs":["t"]})");
}

}  // namespace
}  // namespace tributary::testing
