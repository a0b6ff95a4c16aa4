// Connector read throughput: 1M rows of six columns (int, bigint, double, text, date,
// timestamp) read through each connector into the result model and written out as the API's
// JSON (ResultToJson), with no row limit and a byte limit far above the result's size.
//
// scripts/run-bench.sh prepares the `bench_rows` table in every engine, tells this binary
// where it is through environment variables, times each engine's own client reading the same
// rows, and prints ours/theirs ratios. Run alone it benchmarks whatever it finds:
// - duckdb:     TRIB_BENCH_DUCKDB_PATH (a file this binary writes with --prepare-duckdb=PATH)
// - sqlite:     TRIB_BENCH_SQLITE_PATH
// - postgres:   TRIB_TEST_PG_{HOST,PORT,USER,PASSWORD,DB}
// - mysql:      TRIB_TEST_MARIADB_{HOST,PORT,USER,PASSWORD,DB}
// - clickhouse: TRIB_TEST_CLICKHOUSE_{URL,USER,PASSWORD,DB}
// A connector type the registry does not know, or whose variables are unset, is skipped with
// a message on stderr. BM_DuckDbCApi reads the same rows through the DuckDB C API without any
// conversion: DuckDB's baseline, since there is no DuckDB CLI here.
// Thread-safety: single-threaded benchmarks.
#include <benchmark/benchmark.h>
#include <duckdb.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/registry.h"
#include "core/result_writer.h"

namespace tributary {
namespace {

constexpr int64_t kRows = 1'000'000;
constexpr const char* kQuery = "SELECT i, b, d, t, dt, ts FROM bench_rows";

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// One engine to benchmark: its registry type and its connection values by option name.
struct BenchSource {
  std::string type;
  std::map<std::string, std::string> values;
  //! Why it cannot run (empty when it can).
  std::string missing;
};

std::vector<BenchSource> Sources() {
  auto from_env = [](std::string type, std::map<std::string, const char*> names) {
    BenchSource source{std::move(type), {}, {}};
    for (const auto& [option, variable] : names) {
      std::string value = Env(variable);
      if (value.empty() && option != "password") {
        source.missing += std::string(source.missing.empty() ? "" : ", ") + variable;
      }
      source.values[option] = value;
    }
    if (!source.missing.empty()) source.missing += " unset";
    return source;
  };
  return {
      from_env("duckdb", {{"path", "TRIB_BENCH_DUCKDB_PATH"}}),
      from_env("sqlite", {{"path", "TRIB_BENCH_SQLITE_PATH"}}),
      from_env("postgres", {{"host", "TRIB_TEST_PG_HOST"},
                            {"port", "TRIB_TEST_PG_PORT"},
                            {"user", "TRIB_TEST_PG_USER"},
                            {"password", "TRIB_TEST_PG_PASSWORD"},
                            {"database", "TRIB_TEST_PG_DB"}}),
      from_env("mysql", {{"host", "TRIB_TEST_MARIADB_HOST"},
                         {"port", "TRIB_TEST_MARIADB_PORT"},
                         {"user", "TRIB_TEST_MARIADB_USER"},
                         {"password", "TRIB_TEST_MARIADB_PASSWORD"},
                         {"database", "TRIB_TEST_MARIADB_DB"}}),
      from_env("clickhouse", {{"url", "TRIB_TEST_CLICKHOUSE_URL"},
                              {"user", "TRIB_TEST_CLICKHOUSE_USER"},
                              {"password", "TRIB_TEST_CLICKHOUSE_PASSWORD"},
                              {"database", "TRIB_TEST_CLICKHOUSE_DB"}}),
  };
}

// Options typed by the factory's own schema, so the benchmark follows each connector's option
// names and types; values for options the connector does not have are left out.
Options OptionsFor(const ConnectorFactory& factory, const BenchSource& source) {
  Options options;
  for (const auto& spec : factory.schema) {
    auto it = source.values.find(spec.name);
    if (it == source.values.end() || it->second.empty()) continue;
    OptionValue value = it->second;
    if (spec.type == OptionType::kInt) value = static_cast<int64_t>(std::stoll(it->second));
    options.Set(spec.name, Options::Entry{std::move(value), {}, spec.secret});
  }
  return options;
}

void BM_Connector(benchmark::State& state, const ConnectorFactory* factory, BenchSource source) {
  SourceContext context;
  context.id = "bench_" + source.type;
  context.options = OptionsFor(*factory, source);
  auto connector = factory->create(context);
  if (Status opened = connector->Open(); !opened.ok()) {
    state.SkipWithError(("cannot open: " + opened.ToString()).c_str());
    return;
  }
  QueryRequest request;
  request.sql = kQuery;
  request.max_rows = 0;
  request.max_bytes = int64_t{1} << 40;
  request.timeout = std::chrono::minutes(10);
  double execute_seconds = 0, json_seconds = 0;
  size_t json_bytes = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto result = connector->Execute(request);
    if (!result.ok()) {
      state.SkipWithError(result.status().ToString().c_str());
      break;
    }
    if (result->row_count() != static_cast<size_t>(kRows)) {
      state.SkipWithError(("read " + std::to_string(result->row_count()) + " rows, expected " +
                           std::to_string(kRows) + ": prepare bench_rows with run-bench.sh")
                              .c_str());
      break;
    }
    const auto executed = std::chrono::steady_clock::now();
    std::string json = ResultToJson(*result);
    benchmark::DoNotOptimize(json.data());
    json_bytes = json.size();
    const auto written = std::chrono::steady_clock::now();
    execute_seconds += std::chrono::duration<double>(executed - start).count();
    json_seconds += std::chrono::duration<double>(written - executed).count();
  }
  connector->Close();
  const double iterations = static_cast<double>(std::max<int64_t>(state.iterations(), 1));
  state.counters["execute_ms"] = execute_seconds * 1000 / iterations;
  state.counters["json_ms"] = json_seconds * 1000 / iterations;
  state.counters["json_bytes"] = static_cast<double>(json_bytes);
  state.SetItemsProcessed(state.iterations() * kRows);
}

// DuckDB's own speed on the same rows: the C API's chunks, each cell touched, no conversion.
void BM_DuckDbCApi(benchmark::State& state, std::string path) {
  duckdb_database db = nullptr;
  duckdb_connection connection = nullptr;
  duckdb_config config = nullptr;
  duckdb_create_config(&config);
  duckdb_set_config(config, "access_mode", "READ_ONLY");
  char* error = nullptr;
  if (duckdb_open_ext(path.c_str(), &db, config, &error) == DuckDBError) {
    state.SkipWithError(("cannot open " + path + ": " + (error ? error : "")).c_str());
    duckdb_free(error);
    duckdb_destroy_config(&config);
    return;
  }
  duckdb_destroy_config(&config);
  duckdb_connect(db, &connection);
  for (auto _ : state) {
    duckdb_result result;
    if (duckdb_query(connection, kQuery, &result) == DuckDBError) {
      state.SkipWithError(duckdb_result_error(&result));
      duckdb_destroy_result(&result);
      break;
    }
    int64_t checksum = 0, rows = 0;
    while (duckdb_data_chunk chunk = duckdb_fetch_chunk(result)) {
      const idx_t size = duckdb_data_chunk_get_size(chunk);
      auto* i =
          static_cast<int32_t*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, 0)));
      auto* b =
          static_cast<int64_t*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, 1)));
      auto* d =
          static_cast<double*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, 2)));
      auto* t = static_cast<duckdb_string_t*>(
          duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, 3)));
      auto* dt =
          static_cast<duckdb_date*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, 4)));
      auto* ts = static_cast<duckdb_timestamp*>(
          duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, 5)));
      for (idx_t r = 0; r < size; ++r) {
        checksum += i[r] + b[r] + static_cast<int64_t>(d[r]) + duckdb_string_t_length(t[r]) +
                    dt[r].days + ts[r].micros;
      }
      rows += static_cast<int64_t>(size);
      duckdb_destroy_data_chunk(&chunk);
    }
    duckdb_destroy_result(&result);
    benchmark::DoNotOptimize(checksum);
    if (rows != kRows) {
      state.SkipWithError("bench_rows does not hold 1M rows");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kRows);
  duckdb_disconnect(&connection);
  duckdb_close(&db);
}

// Writes bench_rows into a DuckDB file (replacing it), for run-bench.sh.
int PrepareDuckDb(const std::string& path) {
  std::remove(path.c_str());
  std::remove((path + ".wal").c_str());
  duckdb_database db = nullptr;
  duckdb_connection connection = nullptr;
  if (duckdb_open(path.c_str(), &db) == DuckDBError ||
      duckdb_connect(db, &connection) == DuckDBError) {
    std::fprintf(stderr, "cannot create %s\n", path.c_str());
    return 1;
  }
  const std::string sql =
      "CREATE TABLE bench_rows AS SELECT range::INTEGER AS i, range * 1000003 AS b, "
      "range * 0.5 AS d, 'row-' || range AS t, DATE '2000-01-01' + (range % 10000)::INTEGER AS "
      "dt, TIMESTAMP '2020-01-01' + to_seconds(range) AS ts FROM range(1, " +
      std::to_string(kRows + 1) + ")";
  duckdb_result result;
  int rc = 0;
  if (duckdb_query(connection, sql.c_str(), &result) == DuckDBError) {
    std::fprintf(stderr, "cannot create bench_rows: %s\n", duckdb_result_error(&result));
    rc = 1;
  }
  duckdb_destroy_result(&result);
  duckdb_disconnect(&connection);
  duckdb_close(&db);
  return rc;
}

void RegisterAll() {
  for (const BenchSource& source : Sources()) {
    const ConnectorFactory* factory = FindConnector(source.type);
    if (factory == nullptr) {
      std::fprintf(stderr, "skipping %s: no connector of that type is registered yet\n",
                   source.type.c_str());
      continue;
    }
    if (!source.missing.empty()) {
      std::fprintf(stderr, "skipping %s: %s\n", source.type.c_str(), source.missing.c_str());
      continue;
    }
    benchmark::RegisterBenchmark(("BM_Connector/" + source.type).c_str(), BM_Connector, factory,
                                 source)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(1)
        ->Repetitions(3)
        ->ReportAggregatesOnly(true);
    if (source.type == "duckdb") {
      benchmark::RegisterBenchmark("BM_DuckDbCApi", BM_DuckDbCApi, source.values.at("path"))
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->Iterations(1)
          ->Repetitions(3)
          ->ReportAggregatesOnly(true);
    }
  }
}

}  // namespace
}  // namespace tributary

int main(int argc, char** argv) {
  constexpr const char* kPrepare = "--prepare-duckdb=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], kPrepare, std::strlen(kPrepare)) == 0) {
      return tributary::PrepareDuckDb(argv[i] + std::strlen(kPrepare));
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  tributary::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
