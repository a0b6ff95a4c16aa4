// llm/sample_logs' `search` folds ASCII letters only, identically on every engine (docs/packs.md,
// "llm/sample_logs filters"). The generated dataset of the equivalence suite has no text where
// engines' case folding differs for an ASCII needle, so this suite loads a handful of rows that
// do: ids holding the only two non-ASCII letters whose Unicode lower case is ASCII (U+212A
// KELVIN SIGN -> k, U+0130 LATIN CAPITAL LETTER I WITH DOT ABOVE -> i), accented letters and
// case twins, into DuckDB, SQLite, PostgreSQL, MariaDB and ClickHouse (the equivalence suite's
// loaders, under names of this suite's own), and compares every search with the oracle
// (tests/support/packs_oracle.h), which folds A-Z only. A dialect that lowers with Unicode
// rules (DuckDB's or PostgreSQL's lower()) would find "k" in the Kelvin sign's row.
//
// Servers: TRIB_TEST_PG_*, TRIB_TEST_MARIADB_*, TRIB_TEST_CLICKHOUSE_*; a missing one fails its
// tests, like every other server test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "metrics/metric_runner.h"
#include "orchestrator/runtime.h"
#include "support/contract_json.h"
#include "support/packs_dataset.h"
#include "support/packs_oracle.h"

namespace tributary {
namespace {

namespace json = boost::json;
using packs_test::Dataset;
using packs_test::LlmRow;

constexpr const char* kAsOf = "2026-11-21T13:00:00Z";
// PostgreSQL schema, MariaDB table prefix and ClickHouse database of this suite.
constexpr const char* kName = "trib_log_filters";

const char kKelvin[] = "\xE2\x84\xAA";     // U+212A, lower case k
const char kIWithDot[] = "\xC4\xB0";       // U+0130, lower case i (simple mapping)
const char kEAcute[] = "\xC3\xA9";         // U+00E9
const char kCapitalEAcute[] = "\xC3\x89";  // U+00C9

Dataset Rows() {
  Dataset d;
  auto row = [&](int minute, const std::string& id, const std::string& user) {
    LlmRow r;
    r.ts = packs_test::kAsOfMicros - (60 - minute) * 60 * 1000000LL;  // whole seconds
    r.request_id = id;
    r.tenant_id = "t";
    r.user_id = user;
    r.model = "m";
    r.status = "success";
    r.latency_ms = 10;
    r.prompt_tokens = 1;
    r.completion_tokens = 1;
    r.cost_usd = 0.001;
    r.query_category = "chat";
    d.llm.push_back(r);
  };
  row(1, "req-01", std::string("u-") + kKelvin + "elvin");  // "k" only through Unicode
  row(2, "req-02", "u-kelvin");
  row(3, "req-03", "u-KELVIN");
  row(4, std::string("req-") + kIWithDot + "d", "u-04");  // "id" only through Unicode
  row(5, "req-ID", "u-05");
  row(6, "req-06", std::string("jos") + kEAcute);
  row(7, "req-07", std::string("JOS") + kCapitalEAcute);
  row(8, "req-08", std::string("caf") + kEAcute + "-K");
  row(9, "req-09", "u-09");
  packs_test::WebRow w;
  w.ts = packs_test::kAsOfMicros - 3600LL * 1000000;
  w.event_name = "page_view";
  w.user_pseudo_id = "p";
  w.ga_session_id = 1;
  d.web.push_back(w);
  return d;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string TempPath(const std::string& suffix) {
  return (std::filesystem::temp_directory_path() /
          (std::string(kName) + "_" + std::to_string(::getpid()) + suffix))
      .string();
}

struct Engine {
  std::string project;
  const char* env;  // the variable that says its server runs; "" for the embedded ones
};

const std::vector<Engine>& Engines() {
  static const std::vector<Engine> engines = {{"lf_duckdb", ""},
                                              {"lf_sqlite", ""},
                                              {"lf_postgres", "TRIB_TEST_PG_HOST"},
                                              {"lf_mariadb", "TRIB_TEST_MARIADB_HOST"},
                                              {"lf_clickhouse", "TRIB_TEST_CLICKHOUSE_URL"}};
  return engines;
}

struct Fixture {
  std::shared_ptr<Runtime> runtime;
  std::string error;
};

// Loads the rows into `engine` only and opens a Runtime over it, once per engine and process:
// ctest runs each engine's test in its own process, in parallel, and two processes loading the
// same server tables at once would drop each other's.
Fixture& Shared(const Engine& engine) {
  static std::map<std::string, Fixture> fixtures;
  auto [it, fresh] = fixtures.try_emplace(engine.project);
  Fixture& f = it->second;
  if (!fresh) return f;
  if (*engine.env && Env(engine.env).empty()) {
    f.error = std::string(engine.env) + " is not set: run via `make test`";
    return f;
  }
  const Dataset data = Rows();
  const std::string& id = engine.project;
  std::string error, source, table;
  if (id == "lf_duckdb") {
    const std::string path = TempPath(".duckdb");
    error = packs_test::LoadDuckDb(path, data);
    source = "    type: duckdb\n    path: '" + path + "'\n";
    table = "llm_logs";
  } else if (id == "lf_sqlite") {
    const std::string path = TempPath(".sqlite");
    error = packs_test::LoadSqlite(path, data);
    source = "    type: sqlite\n    path: '" + path + "'\n";
    table = "llm_logs";
  } else if (id == "lf_postgres") {
    error = packs_test::LoadPostgres(kName, data);
    source =
        "    type: postgres\n    host: ${TRIB_TEST_PG_HOST}\n    port: ${TRIB_TEST_PG_PORT}\n"
        "    database: ${TRIB_TEST_PG_DB}\n    user: ${TRIB_TEST_PG_USER}\n"
        "    password: ${TRIB_TEST_PG_PASSWORD}\n";
    table = std::string(kName) + ".llm_logs";
  } else if (id == "lf_mariadb") {
    error = packs_test::LoadMariaDb(kName, data);
    source =
        "    type: mysql\n    host: ${TRIB_TEST_MARIADB_HOST}\n"
        "    port: ${TRIB_TEST_MARIADB_PORT}\n    database: ${TRIB_TEST_MARIADB_DB}\n"
        "    user: ${TRIB_TEST_MARIADB_USER}\n    password: ${TRIB_TEST_MARIADB_PASSWORD}\n";
    table = std::string(kName) + "_llm_logs";
  } else {
    error = packs_test::LoadClickHouse(kName, data);
    source = "    type: clickhouse\n    url: ${TRIB_TEST_CLICKHOUSE_URL}\n    database: ";
    source.append(kName).append(
        "\n    user: ${TRIB_TEST_CLICKHOUSE_USER}\n"
        "    password: ${TRIB_TEST_CLICKHOUSE_PASSWORD}\n");
    table = "llm_logs";
  }
  if (!error.empty()) {
    f.error = "loading the rows: " + error;
    return f;
  }
  std::string yaml = "sources:\n  src:\n" + source + "projects:\n  ";
  yaml.append(id).append(
      ":\n    sources: [src]\n    datasets:\n      llm_logs: {source: src, table: '");
  yaml.append(table).append("'}\n");
  Result<Config> config = LoadConfigText(yaml, "log_filters.yaml", ".");
  if (!config.ok()) {
    f.error = config.status().ToString() + "\n" + yaml;
    return f;
  }
  f.runtime = Runtime::Open(std::move(config).value());
  return f;
}

// The embedded engines' files of this process, removed after the last test.
class RemoveFilesAtExit : public ::testing::Environment {
 public:
  void TearDown() override {
    const std::string duck = TempPath(".duckdb");
    std::error_code ec;
    for (const std::string& path :
         {duck, duck + ".wal", packs_test::DuckDbParquetPath(duck, "llm_logs"),
          packs_test::DuckDbParquetPath(duck, "web_events"), TempPath(".sqlite")}) {
      std::filesystem::remove(path, ec);
    }
  }
};
[[maybe_unused]] ::testing::Environment* const kRemoveFiles =
    ::testing::AddGlobalTestEnvironment(new RemoveFilesAtExit);

class LogFilterSearch : public ::testing::TestWithParam<Engine> {};

TEST_P(LogFilterSearch, FoldsAsciiLettersOnlyLikeTheOracle) {
  Fixture& f = Shared(GetParam());
  ASSERT_TRUE(f.runtime) << f.error;
  const Dataset data = Rows();
  // Each search with the request ids it must find (newest first), worked out by hand: the
  // oracle is checked too, so a misreading shared by it and the SQL still fails here.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"k", "req-08 req-03 req-02 "},      // not the Kelvin sign of req-01
      {"ELVIN", "req-03 req-02 req-01 "},  // the ASCII part around it still matches
      {"id", "req-ID "},                   // not req-<I with dot>d
      {"JOS", "req-07 req-06 "},           // the accented letter itself is kept
      {"-K", "req-08 req-03 req-02 "},
      {"req-0", "req-09 req-08 req-07 req-06 req-03 req-02 req-01 "},
      {"nothing", ""},
  };
  for (const auto& [search, ids] : cases) {
    const packs_test::OracleParams params = {{"asOf", kAsOf}, {"search", search}};
    packs_test::OracleAnswer oracle = packs_test::OracleData(data, "llm", "sample_logs", params);
    ASSERT_EQ(oracle.error, "");
    std::string oracle_ids;
    const json::value expected = json::parse(oracle.json);
    for (const auto& row : expected.as_array()) {
      oracle_ids.append(row.at("requestId").as_string().c_str()).append(" ");
    }
    EXPECT_EQ(oracle_ids, ids) << "the oracle, search=" << search;

    MetricCall call;
    call.project = GetParam().project;
    call.pack = "llm";
    call.metric = "sample_logs";
    call.params = {{"asOf", kAsOf}, {"search", search}};
    Result<MetricAnswer> answer = RunMetric(*f.runtime, call);
    ASSERT_TRUE(answer.ok()) << answer.status().ToString();
    ASSERT_TRUE(answer->failure.ok()) << answer->failure.ToString();
    std::vector<std::string> diffs =
        testing::JsonDifferences(expected, json::parse(answer->data_json), "data");
    EXPECT_TRUE(diffs.empty()) << GetParam().project << " search=" << search << ": "
                               << (diffs.empty() ? "" : diffs.front())
                               << "\nAPI:    " << answer->data_json << "\noracle: " << oracle.json;
  }
}

void PrintTo(const Engine& e, std::ostream* os) {
  *os << e.project;
}

INSTANTIATE_TEST_SUITE_P(Engines, LogFilterSearch, ::testing::ValuesIn(Engines()),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return info.param.project;
                         });

}  // namespace
}  // namespace tributary
