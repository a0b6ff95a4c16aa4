// Cross-engine equivalence of the metric packs (shared/spec/metrics.md: "The same rows loaded
// into any engine must give the same answer from the API, to 1e-9 relative on doubles and
// exactly on integers and strings").
//
// The same generated rows (tests/support/packs_dataset.h) are stored in every engine the way its
// users store them, and every metric of `llm` and `web`, with several parameter sets, runs
// through the HTTP API (GET /api/v1/projects/{project}/metrics/{pack}/{metric} on the real
// server stack, in process, over a Runtime built from a YAML config) and must equal the
// oracle (tests/support/packs_oracle.h), plain C++ over the rows. Each (project, metric,
// parameter set) is its own test; a failure names the first differing JSON path.
//
// Projects, one per way an engine's users store the rows (spec: "How engines store the
// canonical types"): eq_duckdb (TIMESTAMP), eq_duckdb_tz (TIMESTAMPTZ), eq_duckdb_parquet
// (Parquet files declared as tables), eq_postgres (timestamptz), eq_postgres_ts (timestamp),
// eq_mariadb (DATETIME(6), TINYINT(1)), eq_mariadb_ts (TIMESTAMP(6)), eq_sqlite (TEXT, INTEGER
// 0/1), eq_clickhouse (DateTime('UTC'), UInt8, Nullable(String)) and eq_clickhouse_dt (plain
// DateTime on the UTC server). ClickHouse 18.16 keeps whole seconds only, so its tables hold the
// whole-second copy of the rows and are compared with an oracle over that same copy. Besides:
// eq_<engine>_renamed (every column renamed, mapped back through the binding's `columns`) and
// eq_<engine>_custom (web only: a custom client_pattern and feature rules).
//
// Environment:
//   TRIB_TEST_PACKS_DIR        read the packs from this folder (server.packs_dir) instead of the
//                              ones built into the binary
//   TRIB_TEST_PACKS_NAMESPACE  default `packs_eq`: names the PostgreSQL schema, the MariaDB
//                              table prefix, the ClickHouse database and the temporary files,
//                              so several copies can run against the shared servers at once
// A dialect whose SQL file is missing from the packs in use is skipped, naming the file; a
// server whose TRIB_TEST_* variables are unset fails its tests, like every other server test
// (run via `make test` to get them).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "connectors/common/http_client.h"
#include "core/time_util.h"
#include "metrics/metric_runner.h"
#include "metrics/pack.h"
#include "orchestrator/runtime.h"
#include "support/contract_json.h"
#include "support/fixture_once.h"
#include "support/in_process_server.h"
#include "support/packs_dataset.h"
#include "support/packs_oracle.h"
#include "support/server_harness.h"

namespace tributary {
namespace {

using testing::InProcessServer;
namespace json = boost::json;

using packs_test::Dataset;
using packs_test::OracleParams;
using packs_test::WebSettings;

constexpr const char* kAsOf = "2026-11-21T13:00:00Z";
constexpr const char* kFractionalAsOf = "2026-11-21T13:00:00.25Z";
// Far from every row: each window is empty.
constexpr const char* kEmptyAsOf = "2025-01-01T00:00:00Z";

// --- engines and projects -------------------------------------------------------------------

// The engines the suite loads, each once per process (and once per server across processes).
enum class Engine { kDuckDb, kPostgres, kMariaDb, kSqlite, kClickHouse };

struct Project {
  std::string id;
  Engine engine;
  std::string dialect;
  // A project reading the whole-second copy of the rows (ClickHouse).
  bool whole_seconds = false;
  bool custom_web_settings = false;
  // Only the web pack is bound (the custom-settings projects).
  bool web_only = false;
};

const std::vector<Project>& Projects() {
  static const std::vector<Project> projects = {
      {"eq_duckdb", Engine::kDuckDb, "duckdb"},
      {"eq_duckdb_tz", Engine::kDuckDb, "duckdb"},
      {"eq_duckdb_renamed", Engine::kDuckDb, "duckdb"},
      {"eq_duckdb_parquet", Engine::kDuckDb, "duckdb"},
      {"eq_duckdb_custom", Engine::kDuckDb, "duckdb", false, true, true},
      {"eq_postgres", Engine::kPostgres, "postgres"},
      {"eq_postgres_ts", Engine::kPostgres, "postgres"},
      {"eq_postgres_renamed", Engine::kPostgres, "postgres"},
      {"eq_postgres_custom", Engine::kPostgres, "postgres", false, true, true},
      {"eq_mariadb", Engine::kMariaDb, "mysql"},
      {"eq_mariadb_ts", Engine::kMariaDb, "mysql"},
      {"eq_mariadb_renamed", Engine::kMariaDb, "mysql"},
      {"eq_mariadb_custom", Engine::kMariaDb, "mysql", false, true, true},
      {"eq_sqlite", Engine::kSqlite, "sqlite"},
      {"eq_sqlite_renamed", Engine::kSqlite, "sqlite"},
      {"eq_sqlite_custom", Engine::kSqlite, "sqlite", false, true, true},
      {"eq_clickhouse", Engine::kClickHouse, "clickhouse", true},
      {"eq_clickhouse_dt", Engine::kClickHouse, "clickhouse", true},
      {"eq_clickhouse_renamed", Engine::kClickHouse, "clickhouse", true},
      {"eq_clickhouse_custom", Engine::kClickHouse, "clickhouse", true, true, true},
  };
  return projects;
}

// The custom web settings: a stricter client pattern (lower-case letters only, http too) and
// rules using anchors, alternation and a non-ASCII name; written once for the config and once
// for the oracle.
WebSettings CustomWebSettings() {
  WebSettings s;
  s.client_pattern = "^https?://([a-z]+)\\.8020rei\\.com";
  s.features = {{"^https://[^/]+/buybox", "Buybox root"},
                {"deals|properties", "Deals or properties"},
                {"/$", "Root page"},
                {"/v1.0", "Docs v1"},          // '.' is any character: matches /docs/v1x0
                {"api_tokens", "API tokens"},  // '_' is itself, not a LIKE wildcard
                {"caf", "Caf\xC3\xA9"}};
  return s;
}

std::string Namespace() {
  return packs_test::PacksNamespace();
}

std::string TempPath(const std::string& suffix) {
  return (std::filesystem::temp_directory_path() / (Namespace() + suffix)).string();
}

std::string PacksDir() {
  const char* v = std::getenv("TRIB_TEST_PACKS_DIR");
  return v && *v ? std::filesystem::absolute(v).string() : "";
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The variable that says a server engine is running; empty for the embedded engines.
const char* RequiredEnv(Engine engine) {
  switch (engine) {
    case Engine::kPostgres:
      return "TRIB_TEST_PG_HOST";
    case Engine::kMariaDb:
      return "TRIB_TEST_MARIADB_HOST";
    case Engine::kClickHouse:
      return "TRIB_TEST_CLICKHOUSE_URL";
    default:
      return "";
  }
}

const Dataset& Rows(bool whole_seconds) {
  static const Dataset fractional = packs_test::GenerateDataset(packs_test::kDatasetSeed, false);
  static const Dataset whole = packs_test::GenerateDataset(packs_test::kDatasetSeed, true);
  return whole_seconds ? whole : fractional;
}

std::string YamlQuoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string CustomWebBinding(const std::string& source, const std::string& table) {
  WebSettings s = CustomWebSettings();
  std::string y =
      "      web_events:\n        source: " + source + "\n        table: " + YamlQuoted(table) +
      "\n        client_pattern: " + YamlQuoted(s.client_pattern) + "\n        features:\n";
  for (const auto& [match, name] : s.features) {
    y += "          - {match: " + YamlQuoted(match) + ", name: " + YamlQuoted(name) + "}\n";
  }
  return y;
}

std::string PlainBindings(const std::string& source, const std::string& llm,
                          const std::string& web) {
  return "      llm_logs: {source: " + source + ", table: " + YamlQuoted(llm) +
         "}\n      web_events: {source: " + source + ", table: " + YamlQuoted(web) + "}\n";
}

// Bindings of the renamed tables: `columns` maps every canonical name onto the stored one.
std::string RenamedBindings(const std::string& source, const std::string& llm,
                            const std::string& web) {
  std::string llm_cols, web_cols;
  for (const char* c : {"timestamp", "request_id", "tenant_id", "user_id", "model", "status",
                        "error_type", "latency_ms", "prompt_tokens", "completion_tokens",
                        "cost_usd", "query_category", "is_anomaly", "anomaly_type"}) {
    llm_cols += (llm_cols.empty() ? "" : ", ") + std::string(c) + ": " +
                YamlQuoted(packs_test::RenamedColumn(c));
  }
  for (const char* c : {"event_timestamp", "event_name", "user_pseudo_id", "user_id",
                        "ga_session_id", "page_location", "purchase_revenue", "currency"}) {
    web_cols += (web_cols.empty() ? "" : ", ") + std::string(c) + ": " +
                YamlQuoted(packs_test::RenamedColumn(c));
  }
  return "      llm_logs:\n        source: " + source + "\n        table: " + YamlQuoted(llm) +
         "\n        columns: {" + llm_cols + "}\n      web_events:\n        source: " + source +
         "\n        table: " + YamlQuoted(web) + "\n        columns: {" + web_cols + "}\n";
}

// The config of one engine: its source and its projects.
std::string ConfigYaml(Engine engine) {
  std::string y;
  if (!PacksDir().empty()) y += "server:\n  packs_dir: " + YamlQuoted(PacksDir()) + "\n";
  const std::string ns = Namespace();
  auto project = [&](const std::string& id, const std::string& source,
                     const std::string& bindings) {
    return "  " + id + ":\n    sources: [" + source + "]\n    datasets:\n" + bindings;
  };
  switch (engine) {
    case Engine::kDuckDb: {
      const std::string db = TempPath("_duckdb.duckdb");
      y += "sources:\n  duck:\n    type: duckdb\n    path: " + YamlQuoted(db) +
           "\n    tables:\n      llm_logs_parquet: " +
           YamlQuoted(packs_test::DuckDbParquetPath(db, "llm_logs")) +
           "\n      web_events_parquet: " +
           YamlQuoted(packs_test::DuckDbParquetPath(db, "web_events")) + "\n";
      y += "projects:\n";
      y += project("eq_duckdb", "duck", PlainBindings("duck", "llm_logs", "web_events"));
      y += project("eq_duckdb_tz", "duck", PlainBindings("duck", "llm_logs_tz", "web_events_tz"));
      y += project("eq_duckdb_renamed", "duck",
                   RenamedBindings("duck", "llm_logs_renamed", "web_events_renamed"));
      y += project("eq_duckdb_parquet", "duck",
                   PlainBindings("duck", "llm_logs_parquet", "web_events_parquet"));
      y += project("eq_duckdb_custom", "duck", CustomWebBinding("duck", "web_events"));
      break;
    }
    case Engine::kPostgres:
      y += "sources:\n  pg:\n    type: postgres\n    host: ${TRIB_TEST_PG_HOST}\n"
           "    port: ${TRIB_TEST_PG_PORT}\n    database: ${TRIB_TEST_PG_DB}\n"
           "    user: ${TRIB_TEST_PG_USER}\n    password: ${TRIB_TEST_PG_PASSWORD}\n";
      y += "projects:\n";
      y += project("eq_postgres", "pg", PlainBindings("pg", ns + ".llm_logs", ns + ".web_events"));
      y += project("eq_postgres_ts", "pg",
                   PlainBindings("pg", ns + ".llm_logs_ts", ns + ".web_events_ts"));
      y += project("eq_postgres_renamed", "pg",
                   RenamedBindings("pg", ns + ".llm_logs_renamed", ns + ".web_events_renamed"));
      y += project("eq_postgres_custom", "pg", CustomWebBinding("pg", ns + ".web_events"));
      break;
    case Engine::kMariaDb:
      y += "sources:\n  mdb:\n    type: mysql\n    host: ${TRIB_TEST_MARIADB_HOST}\n"
           "    port: ${TRIB_TEST_MARIADB_PORT}\n    database: ${TRIB_TEST_MARIADB_DB}\n"
           "    user: ${TRIB_TEST_MARIADB_USER}\n    password: ${TRIB_TEST_MARIADB_PASSWORD}\n";
      y += "projects:\n";
      y += project("eq_mariadb", "mdb", PlainBindings("mdb", ns + "_llm_logs", ns + "_web_events"));
      y += project("eq_mariadb_ts", "mdb",
                   PlainBindings("mdb", ns + "_llm_logs_ts", ns + "_web_events_ts"));
      y += project("eq_mariadb_renamed", "mdb",
                   RenamedBindings("mdb", ns + "_llm_logs_renamed", ns + "_web_events_renamed"));
      y += project("eq_mariadb_custom", "mdb", CustomWebBinding("mdb", ns + "_web_events"));
      break;
    case Engine::kSqlite:
      y += "sources:\n  lite:\n    type: sqlite\n    path: " + YamlQuoted(TempPath("_sqlite.db")) +
           "\n";
      y += "projects:\n";
      y += project("eq_sqlite", "lite", PlainBindings("lite", "llm_logs", "web_events"));
      y += project("eq_sqlite_renamed", "lite",
                   RenamedBindings("lite", "llm_logs_renamed", "web_events_renamed"));
      y += project("eq_sqlite_custom", "lite", CustomWebBinding("lite", "web_events"));
      break;
    case Engine::kClickHouse:
      y += "sources:\n  ch:\n    type: clickhouse\n    url: ${TRIB_TEST_CLICKHOUSE_URL}\n"
           "    database: " +
           ns +
           "\n    user: ${TRIB_TEST_CLICKHOUSE_USER}\n"
           "    password: ${TRIB_TEST_CLICKHOUSE_PASSWORD}\n";
      y += "projects:\n";
      y += project("eq_clickhouse", "ch", PlainBindings("ch", "llm_logs", "web_events"));
      y += project("eq_clickhouse_dt", "ch", PlainBindings("ch", "llm_logs_dt", "web_events_dt"));
      y += project("eq_clickhouse_renamed", "ch",
                   RenamedBindings("ch", "llm_logs_renamed", "web_events_renamed"));
      y += project("eq_clickhouse_custom", "ch", CustomWebBinding("ch", "web_events"));
      break;
  }
  return y;
}

// --- fixtures, once -------------------------------------------------------------------------

// A file fixture (DuckDB, SQLite): written under a lock unless it exists with this version.
std::string LoadFileOnce(const std::string& path,
                         const std::function<std::string(const std::string&)>& load) {
  const std::string version = packs_test::DatasetVersion();
  int lock_fd = ::open((path + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (lock_fd < 0) return "cannot open " + path + ".lock";
  ::flock(lock_fd, LOCK_EX);
  std::ifstream in(path + ".version");
  std::string existing((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string error;
  const bool present =
      std::filesystem::exists(path) &&
      (path.find(".duckdb") == std::string::npos ||
       (std::filesystem::exists(packs_test::DuckDbParquetPath(path, "llm_logs")) &&
        std::filesystem::exists(packs_test::DuckDbParquetPath(path, "web_events"))));
  if (existing != version || !present) {
    error = load(path);
    if (error.empty()) std::ofstream(path + ".version", std::ios::trunc) << version;
  }
  ::flock(lock_fd, LOCK_UN);
  ::close(lock_fd);
  return error;
}

// Loads `engine` unless done already: once per process, and once per server data directory
// across processes (fixture_once.h). Returns what failed, or "".
std::string EnsureLoaded(Engine engine) {
  static std::mutex mu;
  static std::map<Engine, std::string> outcome;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = outcome.find(engine); it != outcome.end()) return it->second;
  const std::string ns = Namespace();
  std::string error;
  switch (engine) {
    case Engine::kDuckDb:
      error = LoadFileOnce(TempPath("_duckdb.duckdb"), [](const std::string& path) {
        return packs_test::LoadDuckDb(path, Rows(false));
      });
      break;
    case Engine::kSqlite:
      error = LoadFileOnce(TempPath("_sqlite.db"), [](const std::string& path) {
        return packs_test::LoadSqlite(path, Rows(false));
      });
      break;
    case Engine::kPostgres:
    case Engine::kMariaDb:
    case Engine::kClickHouse: {
      const char* names[] = {"", "postgres", "mariadb", "", "clickhouse"};
      test_support::RunFixtureSetupOnce(ns + "_" + names[static_cast<int>(engine)],
                                        packs_test::DatasetVersion(), [&] {
                                          if (engine == Engine::kPostgres)
                                            error = packs_test::LoadPostgres(ns, Rows(false));
                                          if (engine == Engine::kMariaDb)
                                            error = packs_test::LoadMariaDb(ns, Rows(false));
                                          if (engine == Engine::kClickHouse)
                                            error = packs_test::LoadClickHouse(ns, Rows(true));
                                          // A failed load must not leave the stamp behind: fail the
                                          // test now.
                                          if (!error.empty()) ADD_FAILURE() << error;
                                        });
      break;
    }
  }
  outcome[engine] = error;
  return error;
}

std::shared_ptr<Runtime> RuntimeFor(Engine engine, std::string* error) {
  static std::mutex mu;
  static std::map<Engine, std::shared_ptr<Runtime>> runtimes;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = runtimes.find(engine); it != runtimes.end()) return it->second;
  const std::string yaml = ConfigYaml(engine);
  Result<Config> config = LoadConfigText(yaml, "equivalence.yaml", ".");
  if (!config.ok()) {
    *error = config.status().ToString() + "\n" + yaml;
    return nullptr;
  }
  auto runtime = Runtime::Open(std::move(*config));
  if (!runtime->packs().ok()) {
    *error = runtime->packs().status().ToString();
    return nullptr;
  }
  for (const auto& source : runtime->sources()) {
    if (!source->open_status().ok()) {
      *error = "source " + source->id() + ": " + source->open_status().ToString();
      return nullptr;
    }
  }
  runtimes[engine] = runtime;
  return runtime;
}

// One in-process HTTP server per engine's runtime, started on first use and stopped after the
// last test (a global environment), so the requests go through the real API: routing,
// parameter parsing, the envelope.
std::map<Engine, std::unique_ptr<InProcessServer>>& Servers() {
  static auto* servers = new std::map<Engine, std::unique_ptr<InProcessServer>>;
  return *servers;
}
std::mutex& ServersMutex() {
  static std::mutex mu;
  return mu;
}

class StopServersAtExit : public ::testing::Environment {
 public:
  void TearDown() override {
    std::lock_guard<std::mutex> lock(ServersMutex());
    Servers().clear();
  }
};
[[maybe_unused]] ::testing::Environment* const kStopServers =
    ::testing::AddGlobalTestEnvironment(new StopServersAtExit);

InProcessServer* ServerFor(Engine engine, std::shared_ptr<Runtime> runtime, std::string* error) {
  std::lock_guard<std::mutex> lock(ServersMutex());
  auto& server = Servers()[engine];
  if (!server) server = InProcessServer::Start(std::move(runtime), error);
  return server.get();
}

// The packs in use (TRIB_TEST_PACKS_DIR or the built-in ones), to know which dialects exist.
const PackCatalog* Catalog(std::string* error) {
  static const Result<std::shared_ptr<const PackCatalog>> catalog =
      PacksDir().empty() ? PackCatalog::LoadEmbedded() : PackCatalog::LoadDirectory(PacksDir());
  if (!catalog.ok()) {
    *error = catalog.status().ToString();
    return nullptr;
  }
  return catalog->get();
}

// --- JSON comparison ------------------------------------------------------------------------

// The first difference between the oracle's `expected` and the API's `actual` JSON texts ("" when
// equal), by the contract's rule (support/contract_json.h).
std::string FirstDifference(const std::string& expected, const std::string& actual) {
  boost::system::error_code ec;
  json::value e = json::parse(expected, ec);
  if (ec) return "the expected text is not JSON: " + expected;
  json::value a = json::parse(actual, ec);
  if (ec) return "the answer is not JSON: " + actual;
  std::vector<std::string> diffs = testing::JsonDifferences(e, a, "data");
  return diffs.empty() ? "" : diffs.front();
}

// --- cases ----------------------------------------------------------------------------------

struct Case {
  Project project;
  std::string pack;
  std::string metric;
  std::string set;  // the parameter set's name
  OracleParams params;
};

// The window kind of each metric (packs/*/pack.yaml), for choosing parameter sets.
std::string WindowOf(const std::string& metric) {
  static const std::map<std::string, std::string> kinds = {{"realtime_kpi", "last_24_hours"},
                                                           {"hourly_traffic", "range"},
                                                           {"daily_traffic", "days"},
                                                           {"tenant_usage", "range"},
                                                           {"usage_heatmap", "days"},
                                                           {"error_analysis", "range"},
                                                           {"token_efficiency", "range"},
                                                           {"anomaly_stats", "hours"},
                                                           {"cost_trend", "days"},
                                                           {"query_patterns", "range"},
                                                           {"sample_logs", "none"},
                                                           {"summary", "days"},
                                                           {"daily", "days"},
                                                           {"features", "days"},
                                                           {"clients", "days"},
                                                           {"kpis", "range"},
                                                           {"session_trends", "range"},
                                                           {"funnel", "range"}};
  return kinds.at(metric);
}

// The position (newest first) of the first request that shares its timestamp with the next one.
size_t FirstTieIndex() {
  std::vector<const packs_test::LlmRow*> rows;
  for (const auto& r : Rows(false).llm) rows.push_back(&r);
  std::sort(rows.begin(), rows.end(), [](const auto* a, const auto* b) {
    return a->ts != b->ts ? a->ts > b->ts : a->request_id < b->request_id;
  });
  for (size_t i = 0; i + 1 < rows.size(); ++i) {
    if (rows[i]->ts == rows[i + 1]->ts) return i;
  }
  return 0;
}

// sample_logs' filter parameter sets (without asOf): each filter alone, combined, paged and
// matching nothing.
std::vector<std::pair<std::string, OracleParams>> LogFilterSets() {
  return {
      {"tenant_lower_twin", {{"tenant", "acme"}}},
      {"tenant_upper_twin", {{"tenant", "ACME"}, {"limit", "1000"}}},
      {"tenant_trailing_space", {{"tenant", "globex "}, {"limit", "1000"}}},
      {"tenant_without_trailing_space", {{"tenant", "globex"}, {"limit", "1000"}}},
      {"tenant_quote", {{"tenant", "O'Reilly"}}},
      {"tenant_non_ascii", {{"tenant", "\xC3\x9Cmlaut-Corp"}}},
      {"tenant_prefix_is_no_match", {{"tenant", "glob"}}},
      {"model", {{"model", "claude-3"}, {"limit", "20"}}},
      {"status_error", {{"status", "error"}, {"limit", "1000"}}},
      {"status_success", {{"status", "success"}}},
      {"error_type_case_twin", {{"errorType", "Quota"}, {"limit", "1000"}}},
      // Only the rows whose error_type is the text 'unknown': NULL is not it.
      {"error_type_unknown", {{"errorType", "unknown"}, {"limit", "1000"}}},
      {"anomaly_true", {{"anomaly", "true"}, {"limit", "1000"}}},
      {"anomaly_false", {{"anomaly", "false"}, {"limit", "50"}, {"offset", "20"}}},
      // ASCII case folded: josé and José both contain "JOS"; the é is kept.
      {"search_ascii_case", {{"search", "JOS"}, {"limit", "1000"}}},
      {"search_request_id", {{"search", "REQ-0001"}, {"limit", "1000"}}},
      // The twins' ids end in -b and -B: both match, and tie on the timestamp.
      {"search_twin_ids", {{"search", "-b"}, {"limit", "9"}, {"offset", "4"}}},
      {"search_trailing_space", {{"search", "u-003 "}, {"limit", "1000"}}},
      {"combined_tenant_status_anomaly",
       {{"tenant", "globex"}, {"status", "error"}, {"anomaly", "false"}, {"limit", "1000"}}},
      {"combined_all_six",
       {{"tenant", "acme"},
        {"model", "gpt-4o"},
        {"status", "error"},
        {"errorType", "quota"},
        {"anomaly", "false"},
        {"search", "REQ"},
        {"limit", "1000"}}},
      {"filtered_page_further_in",
       {{"tenant", "globex"}, {"status", "success"}, {"limit", "7"}, {"offset", "14"}}},
      {"filtered_offset_past_end", {{"tenant", "hooli"}, {"limit", "10"}, {"offset", "100000"}}},
      {"matches_nothing", {{"tenant", "acme"}, {"model", "no-such-model"}}},
  };
}

std::vector<std::pair<std::string, OracleParams>> ParamSets(const std::string& metric) {
  std::vector<std::pair<std::string, OracleParams>> sets;
  const std::string window = WindowOf(metric);
  auto add = [&](const std::string& name, OracleParams p) { sets.emplace_back(name, p); };
  if (window == "range") {
    add("default", {{"asOf", kAsOf}});
    add("start_end", {{"asOf", kAsOf}, {"start", "2026-11-10"}, {"end", "2026-11-20"}});
    // The longest range allowed (366 days), ending after the last row.
    add("range_366_days", {{"asOf", kAsOf}, {"start", "2025-11-27"}, {"end", "2026-11-27"}});
    add("one_day_range", {{"asOf", kAsOf}, {"start", "2026-11-21"}, {"end", "2026-11-21"}});
    add("days1", {{"asOf", kAsOf}, {"days", "1"}});
    add("days7_fractional_asof", {{"asOf", kFractionalAsOf}, {"days", "7"}});
    add("empty", {{"asOf", kAsOf}, {"start", "2025-01-01"}, {"end", "2025-01-03"}});
  } else if (window == "days") {
    add("default", {{"asOf", kAsOf}});
    add("days1", {{"asOf", kAsOf}});
    sets.back().second.emplace_back("days", "1");
    add("days7_fractional_asof", {{"asOf", kFractionalAsOf}, {"days", "7"}});
    add("days366", {{"asOf", kAsOf}, {"days", "366"}});
    // Already the next day in the asOf's own zone, still 2026-11-21 in UTC: "today" is UTC.
    add("asof_with_offset", {{"asOf", "2026-11-22T00:30:00+02:00"}, {"days", "2"}});
    add("empty", {{"asOf", kEmptyAsOf}, {"days", "3"}});
  } else if (window == "hours") {
    add("default", {{"asOf", kAsOf}});
    add("hours1", {{"asOf", kAsOf}, {"hours", "1"}});
    add("hours6_fractional_asof", {{"asOf", kFractionalAsOf}, {"hours", "6"}});
    add("hours1_fractional_asof", {{"asOf", kFractionalAsOf}, {"hours", "1"}});
    add("hours720", {{"asOf", kAsOf}, {"hours", "720"}});
    add("empty", {{"asOf", kEmptyAsOf}});
  } else if (window == "last_24_hours") {
    add("default", {{"asOf", kAsOf}});
    add("fractional_asof", {{"asOf", kFractionalAsOf}});
    add("empty", {{"asOf", kEmptyAsOf}});
  } else {  // sample_logs
    add("default", {{"asOf", kAsOf}});
    add("limit7_offset3", {{"asOf", kAsOf}, {"limit", "7"}, {"offset", "3"}});
    add("limit1000_offset500", {{"asOf", kAsOf}, {"limit", "1000"}, {"offset", "500"}});
    add("offset_past_end", {{"asOf", kAsOf}, {"limit", "10"}, {"offset", "1000000"}});
    // Pages whose edge falls between two requests of the same instant (the twin rows): the
    // tie-break on requestId decides which one is on the page.
    const size_t tie = FirstTieIndex();
    add("page_ends_inside_tie",
        {{"asOf", kAsOf}, {"limit", std::to_string(tie + 1)}, {"offset", "0"}});
    add("page_starts_inside_tie",
        {{"asOf", kAsOf}, {"limit", "3"}, {"offset", std::to_string(tie + 1)}});
    // The filters (docs/packs.md), each alone, on the values that tell byte equality apart:
    // case twins, a trailing space, a quote, non-ASCII bytes, a NULL error_type.
    for (const auto& [set, filter] : LogFilterSets()) {
      OracleParams p = {{"asOf", kAsOf}};
      p.insert(p.end(), filter.begin(), filter.end());
      add(set, p);
    }
  }
  if (metric == "kpis") {
    add("currency_usd", {{"asOf", kAsOf}, {"currency", "USD"}});
    add("currency_lower_usd", {{"asOf", kAsOf}, {"currency", "usd"}});
    add("currency_absent_from_rows", {{"asOf", kAsOf}, {"currency", "JPY"}});
  }
  if (metric == "funnel") {
    add("steps_custom", {{"asOf", kAsOf}, {"steps", "session_start,page_view,purchase"}});
    add("steps_one", {{"asOf", kAsOf}, {"steps", "purchase"}});
    add("steps_unreached", {{"asOf", kAsOf}, {"steps", "page_view,refund,purchase"}});
    add("steps_case", {{"asOf", kAsOf}, {"steps", "Page_View,page_view"}, {"days", "7"}});
  }
  return sets;
}

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  for (const auto& project : Projects()) {
    for (const std::string pack : {"llm", "web"}) {
      if (project.web_only && pack != "web") continue;
      for (const auto& metric : packs_test::OracleMetricNames(pack)) {
        // The custom settings change only the metrics that use them.
        if (project.custom_web_settings && metric != "summary" && metric != "features" &&
            metric != "clients") {
          continue;
        }
        for (auto& [set, params] : ParamSets(metric)) {
          cases.push_back({project, pack, metric, set, params});
        }
      }
    }
  }
  return cases;
}

// gtest prints a failing case with this instead of its bytes.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.project.id << " " << c.pack << "/" << c.metric << " [" << c.set << "]";
  for (const auto& [k, v] : c.params) *os << " " << k << "=" << v;
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  const Case& c = info.param;
  return c.project.id + "_" + c.pack + "_" + c.metric + "_" + c.set;
}

class PacksEquivalence : public ::testing::TestWithParam<Case> {};

TEST_P(PacksEquivalence, MatchesOracle) {
  const Case& c = GetParam();
  if (Namespace().empty()) {
    FAIL() << "TRIB_TEST_PACKS_NAMESPACE may hold only letters, digits and _";
  }
  std::string error;
  const PackCatalog* catalog = Catalog(&error);
  ASSERT_NE(catalog, nullptr) << error;
  const Pack* pack = catalog->Find(c.pack);
  ASSERT_NE(pack, nullptr) << "no pack " << c.pack;
  const std::string file = (PacksDir().empty() ? std::string("packs") : PacksDir()) + "/" + c.pack +
                           "/" + c.project.dialect + ".yaml";
  auto dialect = pack->dialects.find(c.project.dialect);
  if (dialect == pack->dialects.end()) GTEST_SKIP() << file << " does not exist";
  if (!dialect->second.metrics.count(c.metric)) {
    GTEST_SKIP() << file << " has no SQL for " << c.metric;
  }
  if (const char* var = RequiredEnv(c.project.engine); *var && Env(var).empty()) {
    FAIL() << var
           << " is not set: run via `make test`, or start the servers with "
              "scripts/test-servers.sh start and source build/test-servers/env";
  }

  error = EnsureLoaded(c.project.engine);
  ASSERT_EQ(error, "") << "loading the rows failed";
  std::shared_ptr<Runtime> runtime = RuntimeFor(c.project.engine, &error);
  ASSERT_NE(runtime, nullptr) << error;

  InProcessServer* server = ServerFor(c.project.engine, runtime, &error);
  ASSERT_NE(server, nullptr) << error;
  std::string target = "/api/v1/projects/" + c.project.id + "/metrics/" + c.pack + "/" + c.metric;
  char separator = '?';
  for (const auto& [name, value] : c.params) {
    target += separator;
    target += UrlEncode(name);
    target += '=';
    target += UrlEncode(value);
    separator = '&';
  }
  testing::HttpClient client(server->port());
  testing::HttpResponse response = client.Get(target);
  ASSERT_EQ(response.status, 200) << "GET " << target << "\n" << response.body;
  boost::system::error_code ec;
  json::value envelope = json::parse(response.body, ec);
  ASSERT_FALSE(ec) << response.body.substr(0, 1500);
  ASSERT_TRUE(envelope.is_object() && envelope.as_object().contains("data") &&
              envelope.as_object().contains("meta"))
      << response.body.substr(0, 1500);
  const json::object& meta = envelope.at("meta").as_object();

  packs_test::OracleAnswer oracle =
      packs_test::OracleData(Rows(c.project.whole_seconds), c.pack, c.metric, c.params,
                             c.project.custom_web_settings ? CustomWebSettings() : WebSettings());
  ASSERT_EQ(oracle.error, "");

  // The window the runner used (meta), derived independently from the same parameters.
  packs_test::OracleWindow window = packs_test::OracleWindowOf(c.metric, c.params);
  ASSERT_EQ(window.error, "");
  auto iso_or_null = [](const std::optional<int64_t>& micros) {
    return micros ? "\"" + FormatTimestamp(*micros) + "\"" : std::string("null");
  };
  EXPECT_EQ(json::serialize(meta.at("asOf")), iso_or_null(window.now)) << "meta.asOf";
  EXPECT_EQ(json::serialize(meta.at("from")), iso_or_null(window.from)) << "meta.from";
  EXPECT_EQ(json::serialize(meta.at("to")), iso_or_null(window.to)) << "meta.to";
  EXPECT_EQ(json::serialize(meta.at("partial")), "false") << "meta.partial";

  const std::string difference = FirstDifference(oracle.json, json::serialize(envelope.at("data")));
  EXPECT_EQ(difference, "") << "project " << c.project.id << ", " << c.pack << "/" << c.metric
                            << ", parameter set " << c.set
                            << "\nAPI:    " << response.body.substr(0, 1500)
                            << "\noracle: " << oracle.json.substr(0, 1500);
}

INSTANTIATE_TEST_SUITE_P(Packs, PacksEquivalence, ::testing::ValuesIn(AllCases()), CaseName);

// sample_logs' filters page like the unfiltered list: the pages of a filtered list, asked one
// after the other until a short page, concatenate to the oracle's whole filtered list (on every
// engine, so the DuckDB pre-filter, ClickHouse's row numbering and every engine's LIMIT/OFFSET
// see the filters), and a value the parameter's pattern refuses is a 400 INVALID_ARGUMENT
// naming the parameter, not an empty page.
class PacksLogFilters : public ::testing::TestWithParam<Project> {
 protected:
  // The engine's server, its rows loaded; nullptr (and a failure) when it cannot run.
  InProcessServer* Server() {
    const Project& project = GetParam();
    std::string error;
    const PackCatalog* catalog = Catalog(&error);
    EXPECT_NE(catalog, nullptr) << error;
    if (!catalog) return nullptr;
    const Pack* pack = catalog->Find("llm");
    if (!pack || !pack->dialects.count(project.dialect)) {
      ADD_FAILURE() << "no llm SQL for " << project.dialect;
      return nullptr;
    }
    if (const char* var = RequiredEnv(project.engine); *var && Env(var).empty()) {
      ADD_FAILURE() << var << " is not set: run via `make test`";
      return nullptr;
    }
    error = EnsureLoaded(project.engine);
    EXPECT_EQ(error, "") << "loading the rows failed";
    if (!error.empty()) return nullptr;
    std::shared_ptr<Runtime> runtime = RuntimeFor(project.engine, &error);
    EXPECT_NE(runtime, nullptr) << error;
    if (!runtime) return nullptr;
    InProcessServer* server = ServerFor(project.engine, runtime, &error);
    EXPECT_NE(server, nullptr) << error;
    return server;
  }

  static testing::HttpResponse Get(InProcessServer* server, const OracleParams& params) {
    std::string target = "/api/v1/projects/" + GetParam().id + "/metrics/llm/sample_logs";
    char separator = '?';
    for (const auto& [name, value] : params) {
      target += separator;
      target += UrlEncode(name);
      target += '=';
      target += UrlEncode(value);
      separator = '&';
    }
    testing::HttpClient client(server->port());
    return client.Get(target);
  }
};

TEST_P(PacksLogFilters, FilteredPagesConcatenateToTheOracleList) {
  InProcessServer* server = Server();
  ASSERT_NE(server, nullptr);
  const std::vector<OracleParams> filters = {
      {{"tenant", "globex"}, {"anomaly", "false"}},
      // Twins: pairs of rows at one instant, so page edges fall inside ties.
      {{"search", "-b"}},
      {{"status", "error"}, {"model", "gpt-4o"}},
  };
  for (const OracleParams& filter : filters) {
    std::string label;
    for (const auto& [k, v] : filter) label += " " + k + "=" + v;
    OracleParams all = {{"asOf", kAsOf}, {"limit", "1000"}};
    all.insert(all.end(), filter.begin(), filter.end());
    packs_test::OracleAnswer oracle =
        packs_test::OracleData(Rows(GetParam().whole_seconds), "llm", "sample_logs", all);
    ASSERT_EQ(oracle.error, "");
    const json::array expected = json::parse(oracle.json).as_array();
    ASSERT_GT(expected.size(), 60u) << label << ": too few rows to page over";
    ASSERT_LT(expected.size(), 1000u) << label;

    const int64_t page_size = 23;
    json::array pages;
    int64_t pages_read = 0;
    for (int64_t offset = 0;; offset += page_size) {
      OracleParams p = {{"asOf", kAsOf},
                        {"limit", std::to_string(page_size)},
                        {"offset", std::to_string(offset)}};
      p.insert(p.end(), filter.begin(), filter.end());
      testing::HttpResponse r = Get(server, p);
      ASSERT_EQ(r.status, 200) << label << " offset " << offset << ": " << r.body;
      json::array page = json::parse(r.body).at("data").as_array();
      ASSERT_LE(page.size(), static_cast<size_t>(page_size));
      for (auto& row : page) pages.push_back(row);
      ++pages_read;
      if (page.size() < static_cast<size_t>(page_size)) break;
      ASSERT_LT(pages_read, 100) << label << ": the pages never end";
    }
    EXPECT_GE(pages_read, 3) << label;
    EXPECT_EQ(FirstDifference(oracle.json, json::serialize(pages)), "")
        << GetParam().id << label << ": the concatenated pages differ from the oracle's list";
  }
}

TEST_P(PacksLogFilters, ValuesThePatternRefusesAreInvalidArguments) {
  InProcessServer* server = Server();
  ASSERT_NE(server, nullptr);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"tenant", "acme\n"},               // a control character
      {"tenant", std::string(129, 'a')},  // too long
      {"tenant", ""},                     // empty
      {"status", "error'; --"},
      {"errorType",
       "a\x01"
       "b"},
      {"anomaly", "yes"},
      {"anomaly", "TRUE"},
      {"search", "50%"},
      {"search", "jos\xC3\xA9"},  // ASCII only
  };
  for (const auto& [name, value] : bad) {
    testing::HttpResponse r = Get(server, {{"asOf", kAsOf}, {name, value}});
    EXPECT_EQ(r.status, 400) << name << "=" << value << ": " << r.body;
    EXPECT_NE(r.body.find("\"INVALID_ARGUMENT\""), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("parameter '" + name + "' must match"), std::string::npos) << r.body;
  }
}

void PrintTo(const Project& p, std::ostream* os) {
  *os << p.id;
}

std::vector<Project> LogFilterProjects() {
  std::vector<Project> out;
  for (const auto& p : Projects()) {
    if (!p.web_only) out.push_back(p);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Packs, PacksLogFilters, ::testing::ValuesIn(LogFilterProjects()),
                         [](const ::testing::TestParamInfo<Project>& info) {
                           return info.param.id;
                         });

// The oracle itself against answers worked out by hand from the spec on a handful of rows, so a
// misreading shared by the oracle and every dialect still shows up somewhere.
TEST(PacksOracle, MatchesHandComputedAnswers) {
  auto at = [](const char* iso) {
    packs_test::OracleWindow w = packs_test::OracleWindowOf("sample_logs", {{"asOf", iso}});
    EXPECT_EQ(w.error, "");
    return w.now;
  };
  auto llm = [&](const char* ts, const char* id, const char* tenant, const char* user,
                 const char* status, std::optional<std::string> error, double latency,
                 int64_t prompt, int64_t completion, double cost, const char* category,
                 bool anomaly, std::optional<std::string> anomaly_type) {
    packs_test::LlmRow r;
    r.ts = at(ts);
    r.request_id = id;
    r.tenant_id = tenant;
    r.user_id = user;
    r.model = "m";
    r.status = status;
    r.error_type = std::move(error);
    r.latency_ms = latency;
    r.prompt_tokens = prompt;
    r.completion_tokens = completion;
    r.cost_usd = cost;
    r.query_category = category;
    r.is_anomaly = anomaly;
    r.anomaly_type = std::move(anomaly_type);
    return r;
  };
  auto web = [&](const char* ts, const char* name, const char* pseudo,
                 std::optional<std::string> user, int64_t session, std::optional<std::string> url,
                 std::optional<double> revenue, std::optional<std::string> currency) {
    packs_test::WebRow r;
    r.ts = at(ts);
    r.event_name = name;
    r.user_pseudo_id = pseudo;
    r.user_id = std::move(user);
    r.ga_session_id = session;
    r.page_location = std::move(url);
    r.purchase_revenue = revenue;
    r.currency = std::move(currency);
    return r;
  };
  const auto none = std::nullopt;
  Dataset d;
  // asOf 2026-11-21T13:00:00Z is a Saturday; a4 is exactly now, a0 exactly now - 24 h.
  d.llm = {llm("2026-11-21T12:00:00Z", "a1", "t1", "u1", "success", none, 100, 10, 5, 0.5, "chat",
               false, none),
           llm("2026-11-21T12:30:00.5Z", "a2", "t1", "u2", "error", none, 300, 20, 0, 0.25, "chat",
               true, none),
           llm("2026-11-20T23:59:59.999999Z", "a3", "t2", "u1", "error", "unknown", 50, 0, 0, 0,
               "rag", true, "spike"),
           llm("2026-11-21T13:00:00Z", "a4", "t2", "u3", "success", none, 10, 1, 1, 1, "rag", false,
               none),
           llm("2026-11-20T13:00:00Z", "a0", "t1", "u1", "success", none, 20, 2, 2, 0.25, "chat",
               false, none)};
  d.web = {web("2026-11-21T10:00:00Z", "page_view", "p1", none, 1, "https://acme.8020rei.com/home",
               none, none),
           web("2026-11-21T10:05:00Z", "add_to_cart", "p1", "U", 1,
               "https://ACME.8020rei.com/buybox/deals/1", none, none),
           web("2026-11-21T10:10:00Z", "purchase", "p1", "U", 2, none, 10.5, "USD"),
           web("2026-11-21T11:00:00Z", "purchase", "p2", none, 1,
               "https://globex.8020rei.com/properties", 4.0, "usd"),
           web("2026-11-20T09:00:00Z", "page_view", "p2", none, 7, "https://x.example.com/home",
               none, none),
           web("2026-11-20T09:00:00Z", "page_view", "p3", none, 7, "http://acme.8020rei.com/buybox",
               none, none)};
  struct Expectation {
    const char* pack;
    const char* metric;
    OracleParams params;
    const char* json;
  };
  const std::vector<Expectation> expectations = {
      {"llm",
       "realtime_kpi",
       {{"asOf", kAsOf}},
       R"({"totalRequests":4,"successRate":50.0,"avgResponseTime":117.5,"totalTokens":39,)"
       R"("activeUsers":2,"errorCount":2})"},
      {"llm",
       "error_analysis",
       {{"asOf", kAsOf}, {"start", "2026-11-20"}, {"end", "2026-11-21"}},
       R"([{"errorType":"unknown","count":2,"percentage":100.0,"affectedTenants":2,)"
       R"("lastOccurrence":"2026-11-21T12:30:00.500000Z"}])"},
      {"llm",
       "usage_heatmap",
       {{"asOf", kAsOf}, {"days", "2"}},
       R"([{"dayOfWeek":5,"hour":13,"requests":1},{"dayOfWeek":5,"hour":23,"requests":1},)"
       R"({"dayOfWeek":6,"hour":12,"requests":2},{"dayOfWeek":6,"hour":13,"requests":1}])"},
      {"llm",
       "token_efficiency",
       {{"asOf", kAsOf}, {"start", "2026-11-20"}, {"end", "2026-11-20"}},
       R"([{"tenantId":"t1","avgPromptTokens":2.0,"avgCompletionTokens":2.0,)"
       R"("completionRatio":1.0,"costPer1kTokens":62.5},{"tenantId":"t2","avgPromptTokens":0.0,)"
       R"("avgCompletionTokens":0.0,"completionRatio":0.0,"costPer1kTokens":0.0}])"},
      {"llm",
       "anomaly_stats",
       {{"asOf", kAsOf}, {"hours", "1"}},
       R"({"totalAnomalies":1,"anomalyRate":50.0,"topAnomalyTypes":[{"type":"unknown","count":1}]})"},
      {"llm",
       "hourly_traffic",
       {{"asOf", kAsOf}, {"start", "2026-11-21"}, {"end", "2026-11-21"}},
       R"([{"hour":"2026-11-21T12:00:00Z","requests":2,"errors":1,"avgLatencyMs":200.0,)"
       R"("totalTokens":35},{"hour":"2026-11-21T13:00:00Z","requests":1,"errors":0,)"
       R"("avgLatencyMs":10.0,"totalTokens":2}])"},
      {"web",
       "kpis",
       {{"asOf", kAsOf}, {"start", "2026-11-21"}, {"end", "2026-11-21"}, {"currency", "USD"}},
       R"([{"date":"2026-11-21","users":3,"sessions":4,"events":4,"conversions":2,"revenue":10.5}])"},
      {"web",
       "kpis",
       {{"asOf", kAsOf}, {"start", "2026-11-21"}, {"end", "2026-11-21"}},
       R"([{"date":"2026-11-21","users":3,"sessions":4,"events":4,"conversions":2,"revenue":14.5}])"},
      {"web",
       "session_trends",
       {{"asOf", kAsOf}, {"start", "2026-11-21"}, {"end", "2026-11-21"}},
       R"({"current":{"sessions":4,"users":3},"previous":{"sessions":2,"users":2},)"
       R"("sessionsGrowth":100.0,"usersGrowth":50.0})"},
      {"web",
       "funnel",
       {{"asOf", kAsOf}, {"start", "2026-11-21"}, {"end", "2026-11-21"}},
       R"([{"step":"page_view","users":1,"conversionRate":100.0,"dropOff":0},)"
       R"({"step":"add_to_cart","users":0,"conversionRate":0.0,"dropOff":1},)"
       R"({"step":"begin_checkout","users":0,"conversionRate":0.0,"dropOff":0},)"
       R"({"step":"purchase","users":0,"conversionRate":0.0,"dropOff":0}])"},
      {"web", "funnel", {{"asOf", kAsOf}, {"start", "2026-01-01"}, {"end", "2026-01-01"}}, "[]"},
      {"web",
       "features",
       {{"asOf", kAsOf}, {"days", "2"}},
       R"([{"feature":"Home Dashboard","views":2},{"feature":"Buybox","views":1}])"},
      {"web",
       "clients",
       {{"asOf", kAsOf}, {"days", "2"}},
       R"([{"client":"ACME","events":1,"users":1,"page_views":0},)"
       R"({"client":"acme","events":1,"users":1,"page_views":1},)"
       R"({"client":"globex","events":1,"users":1,"page_views":0}])"},
      {"web",
       "summary",
       {{"asOf", kAsOf}, {"days", "1"}},
       R"({"total_users":2,"total_events":4,"page_views":1,"active_clients":3})"},
  };
  for (const auto& e : expectations) {
    packs_test::OracleAnswer answer = packs_test::OracleData(d, e.pack, e.metric, e.params);
    ASSERT_EQ(answer.error, "") << e.metric;
    EXPECT_EQ(FirstDifference(e.json, answer.json), "")
        << e.pack << "/" << e.metric << ": " << answer.json;
  }
  // sample_logs: newest first; offset 1, limit 2 gives a2 then a1.
  packs_test::OracleAnswer logs = packs_test::OracleData(
      d, "llm", "sample_logs", {{"asOf", kAsOf}, {"limit", "2"}, {"offset", "1"}});
  json::value page = json::parse(logs.json);
  ASSERT_TRUE(page.is_array() && page.as_array().size() == 2) << logs.json;
  EXPECT_EQ(page.at(0).at("requestId"), "a2");
  EXPECT_TRUE(page.at(0).at("errorType").is_null());
  EXPECT_EQ(page.at(0).at("timestamp"), "2026-11-21T12:30:00.500000Z");
  EXPECT_EQ(page.at(1).at("requestId"), "a1");
}

// The oracle is only worth comparing with when the rows reach the cases it is meant to check:
// these pin that the generated data holds them, so a generator change cannot quietly drop them.
TEST(PacksEquivalenceDataset, HoldsTheNastyCases) {
  const Dataset& d = Rows(false);
  auto llm_has = [&](const std::function<bool(const packs_test::LlmRow&)>& f) {
    return std::any_of(d.llm.begin(), d.llm.end(), f);
  };
  auto web_has = [&](const std::function<bool(const packs_test::WebRow&)>& f) {
    return std::any_of(d.web.begin(), d.web.end(), f);
  };
  const int64_t now = packs_test::kAsOfMicros;
  EXPECT_TRUE(llm_has([](const auto& r) { return r.status == "error" && !r.error_type; }));
  EXPECT_TRUE(llm_has([](const auto& r) { return r.is_anomaly && !r.anomaly_type; }));
  EXPECT_TRUE(llm_has([](const auto& r) { return r.tenant_id == "ACME"; }));
  EXPECT_TRUE(llm_has([](const auto& r) { return r.tenant_id == "acme"; }));
  EXPECT_TRUE(llm_has([](const auto& r) { return r.tenant_id.find('\xC3') != std::string::npos; }));
  EXPECT_TRUE(llm_has([&](const auto& r) { return r.ts == now - 24 * 3600000000LL; }));
  EXPECT_TRUE(llm_has([&](const auto& r) { return r.ts == now - 1; }));
  EXPECT_TRUE(llm_has([&](const auto& r) { return r.ts % 1000000 != 0; }));
  EXPECT_TRUE(web_has([](const auto& r) { return !r.user_id; }));
  EXPECT_TRUE(web_has([](const auto& r) { return !r.page_location; }));
  EXPECT_TRUE(
      web_has([](const auto& r) { return r.event_name == "purchase" && !r.purchase_revenue; }));
  EXPECT_TRUE(
      web_has([](const auto& r) { return r.currency == std::optional<std::string>("usd"); }));
  EXPECT_TRUE(
      web_has([](const auto& r) { return r.currency == std::optional<std::string>("MXN"); }));
  EXPECT_TRUE(web_has([](const auto& r) {
    return r.page_location && r.page_location->find("://ACME.8020rei.com") != std::string::npos;
  }));
  EXPECT_TRUE(web_has([](const auto& r) { return r.ga_session_id == 9007199254740993LL; }));
  EXPECT_TRUE(web_has([](const auto& r) { return r.user_id == std::optional<std::string>(""); }));
  EXPECT_TRUE(web_has([](const auto& r) { return r.purchase_revenue && *r.purchase_revenue < 0; }));
  // Whole-second copy: same rows, floored timestamps.
  const Dataset& whole = Rows(true);
  ASSERT_EQ(whole.llm.size(), d.llm.size());
  for (size_t i = 0; i < d.llm.size(); ++i) {
    ASSERT_EQ(whole.llm[i].ts % 1000000, 0);
    ASSERT_LE(d.llm[i].ts - whole.llm[i].ts, 999999);
  }
}

}  // namespace
}  // namespace tributary
