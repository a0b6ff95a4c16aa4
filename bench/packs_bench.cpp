// Metric pack latency on DuckDB: every metric of the `llm` pack over N generated rows of
// llm_logs (default 10M, TRIB_BENCH_PACKS_ROWS), timed two ways on the same file:
// - BM_Runner/<metric>: RunMetric through a Runtime opened from a config, as the API runs it
//   (binding check, template rendering, the DuckDB connector, shaping into the result JSON);
// - BM_CApi/<metric>: the very SQL and parameters the runner renders (ExplainMetric), prepared,
//   bound and fetched chunk by chunk on the DuckDB C API, no conversion: DuckDB's own time.
// Runner / C API is the runner's overhead. Each is one call per repetition; over
// TRIB_BENCH_PACKS_REPS repetitions (default 20) the report carries the p50 and p95 (nearest
// rank) of the call times, which scripts/run-bench.sh prints with the ratio.
//
// The data: `packs_bench --prepare-duckdb=PATH [--rows=N]` writes llm_logs (30 days ending at
// kAsOf, in time order as a log table grows; 50 tenants, 5000 users, 5 models, 5% errors with a
// NULL error_type among them, 2% anomalies). Then TRIB_BENCH_PACKS_PATH=PATH packs_bench runs
// the benchmarks. Every metric uses its default window (30 days, 24 hours) ending at kAsOf.
// Thread-safety: single-threaded benchmarks.
#include <benchmark/benchmark.h>
#include <duckdb.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "metrics/metric_runner.h"
#include "orchestrator/runtime.h"

namespace tributary {
namespace {

constexpr const char* kAsOf = "2026-11-21T13:00:00Z";
constexpr int64_t kDefaultRows = 10'000'000;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

int64_t RowsFromEnv() {
  const std::string rows = Env("TRIB_BENCH_PACKS_ROWS");
  return rows.empty() ? kDefaultRows : std::stoll(rows);
}

// Writes llm_logs into a DuckDB file (replacing it). Columns are drawn from hash(i, k) (halved
// to fit a BIGINT, as list indexes must be), so the same N gives the same rows; timestamps grow
// with i over the 30 days before kAsOf.
int PrepareDuckDb(const std::string& path, int64_t rows) {
  std::remove(path.c_str());
  std::remove((path + ".wal").c_str());
  duckdb_database db = nullptr;
  duckdb_connection connection = nullptr;
  if (duckdb_open(path.c_str(), &db) == DuckDBError ||
      duckdb_connect(db, &connection) == DuckDBError) {
    std::fprintf(stderr, "cannot create %s\n", path.c_str());
    return 1;
  }
  const std::string n = std::to_string(rows);
  const std::string sql =
      "CREATE TABLE llm_logs AS "
      "SELECT ts AS \"timestamp\", 'req-' || i AS request_id, 'tenant-' || (h1 % 50) AS tenant_id, "
      "  'user-' || (h2 % 5000) AS user_id, "
      "  ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet', 'llama-70b', 'mistral-large'][1 + h3 % 5] "
      "    AS model, "
      "  CASE WHEN h4 % 100 < 5 THEN 'error' ELSE 'success' END AS status, "
      "  CASE WHEN h4 % 100 < 5 THEN "
      "    ['timeout', 'rate_limit', 'context_length', 'server_error', NULL][1 + h5 % 5] END "
      "    AS error_type, "
      "  50 + (h6 % 500000) / 100.0 AS latency_ms, "
      "  CAST(h7 % 4000 AS BIGINT) AS prompt_tokens, CAST(h8 % 1500 AS BIGINT) AS "
      "completion_tokens, "
      "  CAST((h7 % 4000) * 0.000003 + (h8 % 1500) * 0.000015 AS DOUBLE) AS cost_usd, "
      "  ['chat', 'rag', 'embedding', 'completion', 'agent'][1 + h9 % 5] AS query_category, "
      "  h10 % 100 < 2 AS is_anomaly, "
      "  CASE WHEN h10 % 100 < 2 THEN "
      "    ['latency_spike', 'cost_spike', 'token_burst', NULL][1 + (h5 >> 8) % 4] END AS "
      "anomaly_type "
      "FROM ("
      "  SELECT i, TIMESTAMP '2026-10-22 13:00:00' + to_microseconds(CAST(i * (2592000000000 // " +
      n +
      ") AS BIGINT)) AS ts, "
      "    CAST(hash(i, 1) >> 1 AS BIGINT) AS h1, CAST(hash(i, 2) >> 1 AS BIGINT) AS h2, "
      "CAST(hash(i, 3) >> 1 AS BIGINT) AS h3, CAST(hash(i, 4) >> 1 AS BIGINT) AS h4, "
      "    CAST(hash(i, 5) >> 1 AS BIGINT) AS h5, CAST(hash(i, 6) >> 1 AS BIGINT) AS h6, "
      "CAST(hash(i, 7) >> 1 AS BIGINT) AS h7, CAST(hash(i, 8) >> 1 AS BIGINT) AS h8, "
      "    CAST(hash(i, 9) >> 1 AS BIGINT) AS h9, CAST(hash(i, 10) >> 1 AS BIGINT) AS h10 "
      "  FROM range(" +
      n + ") AS r(i))";
  duckdb_result result;
  int rc = 0;
  if (duckdb_query(connection, sql.c_str(), &result) == DuckDBError) {
    std::fprintf(stderr, "cannot create llm_logs: %s\n", duckdb_result_error(&result));
    rc = 1;
  }
  duckdb_destroy_result(&result);
  duckdb_disconnect(&connection);
  duckdb_close(&db);
  return rc;
}

// Both sides stay open for the whole run, as a server's would: one Runtime (with its DuckDB
// connector) and one read-only C API database with one connection, each with its own buffer
// pool, warmed by one untimed call of every metric before the timings.
struct Bench {
  std::string path;
  std::shared_ptr<Runtime> runtime;
  duckdb_database db = nullptr;
  duckdb_connection connection = nullptr;
  ~Bench() {
    if (connection) duckdb_disconnect(&connection);
    if (db) duckdb_close(&db);
  }
};

// Nearest-rank percentile of the repetitions' times: the smallest time that at least
// `percent` % of the calls did not exceed (with 20 calls, p95 is the 19th fastest).
double Percentile(std::vector<double> times, double percent) {
  if (times.empty()) return 0;
  std::sort(times.begin(), times.end());
  const auto rank = static_cast<size_t>(std::ceil(percent / 100.0 * times.size()));
  return times[std::clamp<size_t>(rank, 1, times.size()) - 1];
}

double P50(const std::vector<double>& times) {
  return Percentile(times, 50);
}
double P95(const std::vector<double>& times) {
  return Percentile(times, 95);
}

MetricCall CallFor(const std::string& metric) {
  MetricCall call;
  call.project = "bench";
  call.pack = "llm";
  call.metric = metric;
  call.params = {{"asOf", kAsOf}};
  return call;
}

void BM_Runner(benchmark::State& state, const Bench* bench, std::string metric) {
  const MetricCall call = CallFor(metric);
  size_t bytes = 0;
  for (auto _ : state) {
    Result<MetricAnswer> answer = RunMetric(*bench->runtime, call);
    if (!answer.ok() || !answer->failure.ok()) {
      state.SkipWithError(
          (answer.ok() ? answer->failure.ToString() : answer.status().ToString()).c_str());
      break;
    }
    bytes = answer->data_json.size();
    benchmark::DoNotOptimize(answer->data_json.data());
  }
  state.counters["json_bytes"] = static_cast<double>(bytes);
}

duckdb_state Bind(duckdb_prepared_statement prepared, idx_t index, const Value& v) {
  switch (v.type) {
    case ColumnType::kNull:
      return duckdb_bind_null(prepared, index);
    case ColumnType::kBool:
      return duckdb_bind_boolean(prepared, index, v.as_bool());
    case ColumnType::kInt64:
      return duckdb_bind_int64(prepared, index, v.as_int());
    case ColumnType::kDouble:
      return duckdb_bind_double(prepared, index, v.as_double());
    case ColumnType::kTimestamp:
      return duckdb_bind_timestamp(prepared, index, duckdb_timestamp{v.as_int()});
    case ColumnType::kString:
      return duckdb_bind_varchar_length(prepared, index, v.as_string().data(),
                                        v.as_string().size());
    default:
      return DuckDBError;
  }
}

// Runs the planned queries once on the C API; the rows fetched, or -1 with `error` set.
int64_t RunOnCApi(duckdb_connection connection, const std::vector<PlannedQuery>& planned,
                  std::string* error) {
  int64_t rows = 0;
  for (const PlannedQuery& query : planned) {
    duckdb_prepared_statement prepared = nullptr;
    if (duckdb_prepare(connection, query.sql.sql.c_str(), &prepared) == DuckDBError) {
      *error = duckdb_prepare_error(prepared);
      duckdb_destroy_prepare(&prepared);
      return -1;
    }
    for (size_t i = 0; i < query.sql.params.size(); ++i) {
      if (Bind(prepared, i + 1, query.sql.params[i]) == DuckDBError) {
        *error = "cannot bind parameter " + std::to_string(i + 1);
        duckdb_destroy_prepare(&prepared);
        return -1;
      }
    }
    // Streaming, as the connector executes: chunks are produced as they are fetched.
    duckdb_result result;
    if (duckdb_execute_prepared_streaming(prepared, &result) == DuckDBError) {
      *error = duckdb_result_error(&result);
      rows = -1;
    } else {
      while (duckdb_data_chunk chunk = duckdb_fetch_chunk(result)) {
        rows += static_cast<int64_t>(duckdb_data_chunk_get_size(chunk));
        duckdb_destroy_data_chunk(&chunk);
      }
    }
    duckdb_destroy_result(&result);
    duckdb_destroy_prepare(&prepared);
    if (rows < 0) return -1;
  }
  return rows;
}

void BM_CApi(benchmark::State& state, const Bench* bench, std::string metric) {
  // {{table}} renders as the quoted table name, which is the same table in this database.
  Result<std::vector<PlannedQuery>> planned = ExplainMetric(*bench->runtime, CallFor(metric));
  if (!planned.ok()) {
    state.SkipWithError(planned.status().ToString().c_str());
    return;
  }
  int64_t rows = 0;
  for (auto _ : state) {
    std::string error;
    rows = RunOnCApi(bench->connection, *planned, &error);
    if (rows < 0) {
      state.SkipWithError(error.c_str());
      break;
    }
    benchmark::DoNotOptimize(rows);
  }
  state.counters["rows"] = static_cast<double>(rows);
}

// Opens the runtime and registers both benchmarks of every llm metric; false when it cannot.
bool RegisterAll(Bench* bench) {
  bench->path = Env("TRIB_BENCH_PACKS_PATH");
  if (bench->path.empty()) {
    std::fprintf(stderr,
                 "TRIB_BENCH_PACKS_PATH is unset: write the data with --prepare-duckdb=PATH "
                 "(scripts/run-bench.sh does both)\n");
    return false;
  }
  const std::string yaml = "sources:\n  bench:\n    type: duckdb\n    path: '" + bench->path +
                           "'\nprojects:\n  bench:\n    sources: [bench]\n    datasets:\n"
                           "      llm_logs: {source: bench}\n";
  Result<Config> config = LoadConfigText(yaml, "packs_bench.yaml", ".");
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
    return false;
  }
  bench->runtime = Runtime::Open(std::move(config).value());
  if (!bench->runtime->packs().ok()) {
    std::fprintf(stderr, "%s\n", bench->runtime->packs().status().ToString().c_str());
    return false;
  }
  const Pack* pack = (*bench->runtime->packs())->Find("llm");
  if (pack == nullptr) {
    std::fprintf(stderr, "no llm pack\n");
    return false;
  }
  duckdb_config db_config = nullptr;
  duckdb_create_config(&db_config);
  duckdb_set_config(db_config, "access_mode", "READ_ONLY");
  char* error = nullptr;
  const bool opened =
      duckdb_open_ext(bench->path.c_str(), &bench->db, db_config, &error) != DuckDBError;
  duckdb_destroy_config(&db_config);
  if (!opened) {
    std::fprintf(stderr, "cannot open %s: %s\n", bench->path.c_str(), error ? error : "");
    duckdb_free(error);
    return false;
  }
  duckdb_connect(bench->db, &bench->connection);
  // The connector's connections run in UTC; so does this one.
  duckdb_result setup;
  duckdb_query(bench->connection, "SET TimeZone = 'UTC'", &setup);
  duckdb_destroy_result(&setup);
  for (const std::string& metric : pack->MetricNames()) {
    Result<MetricAnswer> answer = RunMetric(*bench->runtime, CallFor(metric));
    Result<std::vector<PlannedQuery>> planned = ExplainMetric(*bench->runtime, CallFor(metric));
    std::string failure;
    if (!answer.ok() || !answer->failure.ok() || !planned.ok() ||
        RunOnCApi(bench->connection, *planned, &failure) < 0) {
      std::fprintf(stderr, "warm-up of %s failed: %s\n", metric.c_str(),
                   !answer.ok()            ? answer.status().ToString().c_str()
                   : !answer->failure.ok() ? answer->failure.ToString().c_str()
                   : !planned.ok()         ? planned.status().ToString().c_str()
                                           : failure.c_str());
      return false;
    }
  }
  const std::string reps = Env("TRIB_BENCH_PACKS_REPS");
  const int repetitions = reps.empty() ? 20 : std::stoi(reps);
  for (const std::string& metric : pack->MetricNames()) {
    benchmark::RegisterBenchmark(("BM_Runner/" + metric).c_str(), BM_Runner, bench, metric)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(1)
        ->Repetitions(repetitions)
        ->ComputeStatistics("p50", P50)
        ->ComputeStatistics("p95", P95)
        ->ReportAggregatesOnly(true);
    benchmark::RegisterBenchmark(("BM_CApi/" + metric).c_str(), BM_CApi, bench, metric)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(1)
        ->Repetitions(repetitions)
        ->ComputeStatistics("p50", P50)
        ->ComputeStatistics("p95", P95)
        ->ReportAggregatesOnly(true);
  }
  return true;
}

}  // namespace
}  // namespace tributary

int main(int argc, char** argv) {
  constexpr const char* kPrepare = "--prepare-duckdb=";
  constexpr const char* kRows = "--rows=";
  std::string prepare;
  int64_t rows = tributary::RowsFromEnv();
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], kPrepare, std::strlen(kPrepare)) == 0) {
      prepare = argv[i] + std::strlen(kPrepare);
    } else if (std::strncmp(argv[i], kRows, std::strlen(kRows)) == 0) {
      rows = std::stoll(argv[i] + std::strlen(kRows));
    }
  }
  if (!prepare.empty()) return tributary::PrepareDuckDb(prepare, rows);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  tributary::Bench bench;
  if (!tributary::RegisterAll(&bench)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
