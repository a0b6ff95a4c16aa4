// The rows of the metric-pack equivalence suite (tests/packs/equivalence_test.cpp): a seeded,
// deterministic generator of llm_logs and web_events rows full of the cases dialects get wrong
// (NULLs, case-distinct and non-ASCII strings, rows exactly on and a microsecond around window
// boundaries, several currencies, URLs matching several feature rules), and loaders that store
// the same rows in each engine the way its users store them (spec: "How engines store the
// canonical types").
//
// ClickHouse 18.16 has no sub-second DateTime, so its copy is the whole-second variant of the
// dataset (every timestamp floored to its second, GenerateDataset(..., true)); the suite
// compares ClickHouse with an oracle computed over those same whole-second rows.
//
// Every object a loader creates on a shared server, and every temporary file, is named from
// the namespace (TRIB_TEST_PACKS_NAMESPACE, default `packs_eq`), so several copies of the suite
// can run at once against the same servers.
// Thread-safety: test-only; loaders are called once per process from one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tributary::packs_test {

//! The fixed "now" the dataset is built around: 2026-11-21T13:00:00Z, in UTC microseconds.
constexpr int64_t kAsOfMicros = 1795266000LL * 1000000;

struct LlmRow {
  int64_t ts = 0;  // UTC microseconds
  std::string request_id, tenant_id, user_id, model, status;
  std::optional<std::string> error_type;
  double latency_ms = 0;
  int64_t prompt_tokens = 0, completion_tokens = 0;
  double cost_usd = 0;
  std::string query_category;
  bool is_anomaly = false;
  std::optional<std::string> anomaly_type;
};

struct WebRow {
  int64_t ts = 0;  // UTC microseconds
  std::string event_name, user_pseudo_id;
  std::optional<std::string> user_id;
  int64_t ga_session_id = 0;
  std::optional<std::string> page_location;
  std::optional<double> purchase_revenue;
  std::optional<std::string> currency;
};

struct Dataset {
  std::vector<LlmRow> llm;
  std::vector<WebRow> web;
};

//! The rows for `seed`; with `whole_seconds` every timestamp is floored to its second (the
//! ClickHouse copy). The same seed always gives the same rows.
Dataset GenerateDataset(uint64_t seed, bool whole_seconds);

//! The seed the suite uses.
constexpr uint64_t kDatasetSeed = 20261121;

//! TRIB_TEST_PACKS_NAMESPACE, or `packs_eq`. Only letters, digits and `_` are accepted (it
//! becomes identifiers); anything else fails the test that asks.
std::string PacksNamespace();

//! A short fingerprint of the generated rows and the loaders' layout, so a changed generator
//! re-creates the fixtures (tests/support/fixture_once.h).
std::string DatasetVersion();

//! Where the column of a canonical name lives in the "renamed" tables (binding `columns`).
std::string RenamedColumn(const std::string& canonical);

// Loaders. Each writes tables `llm_logs`, `web_events` (and variants described per engine) and
// returns an empty string on success, or what failed.

//! A DuckDB file at `path` (replaced) with llm_logs/web_events as TIMESTAMP, llm_logs_tz/
//! web_events_tz as TIMESTAMPTZ, and llm_logs_renamed/web_events_renamed with every column
//! renamed (RenamedColumn); and llm_logs/web_events also as Parquet files (DuckDbParquetPath).
std::string LoadDuckDb(const std::string& path, const Dataset& data);
//! `<path without .duckdb>_<table>.parquet`.
std::string DuckDbParquetPath(const std::string& duckdb_path, const std::string& table);
//! PostgreSQL schema `schema` (re-created): llm_logs/web_events as timestamptz and
//! llm_logs_ts/web_events_ts as timestamp without time zone holding UTC. Every server and
//! SQLite loader also writes llm_logs_renamed/web_events_renamed (`<prefix>_..._renamed` on
//! MariaDB): the rows with every column renamed (RenamedColumn), as DuckDB does.
std::string LoadPostgres(const std::string& schema, const Dataset& data);

//! Where a PostgreSQL server listens: the shared test server (TRIB_TEST_PG_*) or a test's own.
struct PgServer {
  std::string host, port, user, password, dbname;
};
//! The shared test server, from TRIB_TEST_PG_*.
PgServer SharedPgServer();
//! LoadPostgres into `server`.
std::string LoadPostgres(const PgServer& server, const std::string& schema, const Dataset& data);
//! Runs `statements` in order on `server`; "" or what failed.
std::string ExecPostgres(const PgServer& server, const std::vector<std::string>& statements);
//! Runs `statements` in order on the shared MariaDB server (TRIB_TEST_MARIADB_*), in the test
//! database, with the session in UTC; "" or what failed.
std::string ExecMariaDb(const std::vector<std::string>& statements);
//! MariaDB: the test user may use only its own database, so the tables are
//! `<prefix>_llm_logs` / `<prefix>_web_events` there, DATETIME(6) and TINYINT(1), and
//! `<prefix>_llm_logs_ts` / `<prefix>_web_events_ts` with TIMESTAMP(6) instead.
std::string LoadMariaDb(const std::string& prefix, const Dataset& data);
//! A SQLite file at `path` (replaced): TEXT timestamps `YYYY-MM-DD HH:MM:SS[.ffffff]` (the
//! fraction only when it is not zero, as Python's str(datetime) writes them), INTEGER 0/1.
std::string LoadSqlite(const std::string& path, const Dataset& data);
//! ClickHouse database `database` (re-created): DateTime('UTC'), UInt8, Nullable(String);
//! llm_logs_dt / web_events_dt the same with a plain DateTime (the server's zone, UTC).
//! `data` must be whole-second rows.
std::string LoadClickHouse(const std::string& database, const Dataset& data);

//! Days since 1970-01-01 of a civil date, and back (proleptic Gregorian).
int64_t DaysFromCivilDate(int64_t year, int month, int day);
void CivilFromDaysNumber(int64_t days, int64_t* year, int* month, int* day);

//! Formats UTC microseconds as `YYYY-MM-DD HH:MM:SS[.ffffff]` (fraction only when non-zero).
std::string SqlTimestampText(int64_t micros);

}  // namespace tributary::packs_test
