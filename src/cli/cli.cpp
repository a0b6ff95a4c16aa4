#include "cli/cli.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>

#include "cli/import_command.h"
#include "cli/mcp_command.h"
#include "config/config.h"
#include "core/result_writer.h"
#include "core/time_util.h"
#include "demo/demo_data.h"
#include "metrics/metric_runner.h"
#include "orchestrator/query_service.h"
#include "orchestrator/runtime.h"
#include "server/auth.h"
#include "server/server.h"

namespace tributary {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

int Fail(const Status& status) {
  std::cerr << "tributary: " << status.ToString() << "\n";
  return ToExitCode(status.code());
}

//! The config named on the command line, or the built-in demo config (creating its data).
Result<Config> LoadConfigOrDemo(const std::optional<std::string>& path,
                                const std::string& data_dir) {
  if (path) return LoadConfigFile(*path);
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return Unavailable("cannot create data directory '" + data_dir + "': " + ec.message());
  }
  TRIB_RETURN_IF_ERROR(EnsureDemoData(data_dir + "/demo.duckdb"));
  return BuiltinConfig(data_dir);
}

//! Parses a --param value: null, true/false, an integer, a number, else a string.
//! A `type:value` prefix (date:, timestamp:, decimal:, json:, string:) forces the type.
Result<Value> ParseParam(const std::string& text) {
  auto colon = text.find(':');
  if (colon != std::string::npos) {
    std::string type = text.substr(0, colon);
    std::string rest = text.substr(colon + 1);
    if (type == "string") return Value::String(rest);
    if (type == "decimal") return Value::Decimal(rest);
    if (type == "json") return Value::Json(rest);
    if (type == "date") {
      auto days = ParseDate(rest);
      if (!days) return InvalidArgument("--param '" + text + "': expected date:YYYY-MM-DD");
      return Value::Date(*days);
    }
    if (type == "timestamp") {
      auto micros = ParseTimestamp(rest);
      if (!micros) {
        return InvalidArgument("--param '" + text +
                               "': expected timestamp:YYYY-MM-DDTHH:MM:SS[.ffffff][Z|+HH:MM]");
      }
      return Value::Timestamp(*micros);
    }
  }
  if (text == "null") return Value::Null();
  if (text == "true") return Value::Bool(true);
  if (text == "false") return Value::Bool(false);
  char* end = nullptr;
  errno = 0;
  long long i = std::strtoll(text.c_str(), &end, 10);
  if (!text.empty() && end && *end == '\0' && errno == 0) return Value::Int64(i);
  errno = 0;
  double d = std::strtod(text.c_str(), &end);
  if (!text.empty() && end && *end == '\0' && errno == 0) return Value::Double(d);
  return Value::String(text);
}

void PrintTable(const QueryResult& result, std::ostream& out) {
  constexpr size_t kMaxCell = 60;
  const size_t cols = result.column_count();
  std::vector<std::vector<std::string>> cells(result.row_count() + 1);
  std::vector<size_t> widths(cols, 0);
  auto display_width = [](const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // count UTF-8 code points
    return n;
  };
  auto clip = [&](std::string s) {
    if (display_width(s) <= kMaxCell) return s;
    size_t n = 0, i = 0;
    for (; i < s.size(); ++i) {
      if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++n > kMaxCell - 1) break;
    }
    return s.substr(0, i) + "…";
  };
  for (size_t c = 0; c < cols; ++c) cells[0].push_back(result.columns()[c].name);
  for (size_t r = 0; r < result.row_count(); ++r) {
    for (size_t c = 0; c < cols; ++c) {
      cells[r + 1].push_back(result.column(c).is_null(r) ? "NULL" : clip(CellToText(result, r, c)));
    }
  }
  for (const auto& row : cells) {
    for (size_t c = 0; c < cols; ++c) widths[c] = std::max(widths[c], display_width(row[c]));
  }
  auto rule = [&] {
    for (size_t c = 0; c < cols; ++c) out << (c ? "-+-" : "") << std::string(widths[c], '-');
    out << "\n";
  };
  for (size_t r = 0; r < cells.size(); ++r) {
    for (size_t c = 0; c < cols; ++c) {
      out << (c ? " | " : "") << cells[r][c]
          << std::string(widths[c] - display_width(cells[r][c]), ' ');
    }
    out << "\n";
    if (r == 0) rule();
  }
  out << "(" << result.row_count() << (result.row_count() == 1 ? " row" : " rows");
  if (result.stats().truncated) out << ", truncated by " << result.stats().truncated_by << " limit";
  out << ", " << result.stats().elapsed_us / 1000.0 << " ms)\n";
}

struct QueryArgs {
  std::optional<std::string> config;
  std::string data_dir = "./data";
  std::string source;
  std::string format = "table";
  std::optional<int64_t> limit;
  std::optional<int64_t> timeout_ms;
  std::vector<std::string> params;
  //! KEY=VALUE per-query connector options (--option), in order.
  std::vector<std::string> options;
  std::string sql;
};

int RunQueryCommand(const QueryArgs& args) {
  auto config = LoadConfigOrDemo(args.config, args.data_dir);
  if (!config.ok()) return Fail(config.status());
  std::string sql = args.sql;
  if (sql == "-") sql.assign(std::istreambuf_iterator<char>(std::cin), {});
  UserQuery query;
  query.source = args.source;
  if (query.source.empty()) {
    if (config->sources.size() != 1) {
      return Fail(InvalidArgument("--source is required: the config has " +
                                  std::to_string(config->sources.size()) + " sources"));
    }
    query.source = config->sources[0].id;
  }
  query.sql = sql;
  query.limit = args.limit;
  query.timeout_ms = args.timeout_ms;
  for (const auto& p : args.params) {
    auto v = ParseParam(p);
    if (!v.ok()) return Fail(v.status());
    query.params.push_back(*v);
  }
  for (const auto& o : args.options) {
    const size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Fail(InvalidArgument("--option '" + o + "' is not KEY=VALUE; write e.g. step=1m"));
    }
    const std::string key = o.substr(0, eq);
    if (query.options.count(key) != 0) {
      return Fail(InvalidArgument("--option " + key + " is given twice; give each key once"));
    }
    query.options[key] = o.substr(eq + 1);
  }
  auto runtime = Runtime::Open(std::move(config).value());
  auto result = RunUserQuery(*runtime, query);
  if (!result.ok()) return Fail(result.status());
  if (args.format == "json") {
    std::cout << ResultToJson(*result) << "\n";
  } else if (args.format == "csv") {
    std::cout << ResultToCsv(*result);
  } else {
    PrintTable(*result, std::cout);
  }
  return kExitOk;
}

int RunSourcesCommand(const std::optional<std::string>& config_path, const std::string& data_dir,
                      const std::string& format) {
  auto config = LoadConfigOrDemo(config_path, data_dir);
  if (!config.ok()) return Fail(config.status());
  auto runtime = Runtime::Open(std::move(config).value());
  runtime->CheckAllHealth();
  std::vector<ColumnInfo> columns = {
      {"id", ColumnType::kString, ""},      {"type", ColumnType::kString, ""},
      {"status", ColumnType::kString, ""},  {"latency_ms", ColumnType::kDouble, ""},
      {"dialect", ColumnType::kString, ""}, {"error", ColumnType::kString, ""}};
  QueryResult table(columns);
  bool all_ok = true;
  for (const auto& s : runtime->sources()) {
    SourceHealth h = s->last_health();
    all_ok = all_ok && h.state == SourceHealth::State::kOk;
    table.AppendRow(
        {Value::String(s->id()), Value::String(s->config().type),
         Value::String(std::string(HealthStateName(h.state))),
         h.state == SourceHealth::State::kOk ? Value::Double(h.latency.count() / 1000.0)
                                             : Value::Null(),
         s->connector() ? Value::String(s->connector()->capabilities().dialect) : Value::Null(),
         h.error.ok() ? Value::Null() : Value::String(h.error.ToString())});
  }
  if (format == "json") {
    std::cout << ResultToJson(table) << "\n";
  } else if (format == "csv") {
    std::cout << ResultToCsv(table);
  } else {
    PrintTable(table, std::cout);
  }
  return all_ok ? kExitOk : kExitRuntime;
}

struct MetricArgs {
  std::optional<std::string> config;
  std::string data_dir = "./data";
  std::string project;
  std::string pack;
  std::string metric;
  std::vector<std::string> params;
  bool explain = false;
};

int RunMetricCommand(const MetricArgs& args) {
  auto config = LoadConfigOrDemo(args.config, args.data_dir);
  if (!config.ok()) return Fail(config.status());
  MetricCall call;
  call.project = args.project;
  call.pack = args.pack;
  call.metric = args.metric;
  for (const auto& p : args.params) {
    size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Fail(InvalidArgument("--param '" + p + "' is not NAME=VALUE; write e.g. days=7"));
    }
    call.params.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  auto runtime = Runtime::Open(std::move(config).value());
  if (args.explain) {
    auto planned = ExplainMetric(*runtime, call);
    if (!planned.ok()) return Fail(planned.status());
    // A dataset split across sources plans the metric once per source: name each.
    const bool several = std::any_of(planned->begin(), planned->end(), [&](const auto& q) {
      return q.source != planned->front().source;
    });
    for (const auto& q : *planned) {
      std::cout << "-- " << (several ? q.source + ": " : "") << q.part << "\n" << q.sql.sql << "\n";
      for (size_t i = 0; i < q.sql.params.size(); ++i) {
        QueryResult one({{"v", q.sql.params[i].type, ""}});
        one.AppendRow({q.sql.params[i]});
        std::cout << "-- param " << (i + 1) << " " << q.sql.param_names[i] << " = "
                  << (q.sql.params[i].is_null() ? "NULL" : CellToText(one, 0, 0)) << "\n";
      }
    }
    return kExitOk;
  }
  auto answer = RunMetric(*runtime, call);
  if (!answer.ok()) return Fail(answer.status());
  if (!answer->failure.ok()) return Fail(answer->failure);
  std::cout << MetricEnvelopeJson(*answer) << "\n";
  return kExitOk;
}

}  // namespace

int RunCli(int argc, char** argv) {
  // stdout carries results (CSV, JSON) that scripts parse: logs go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("tributary"));
  CLI::App app{"Tributary: one analytics gateway in front of every data source.", "tributary"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");
  int exit_code = kExitOk;

  ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "Serve the HTTP API (no --config: the demo)");
  serve_cmd->add_option("--config,-c", serve.config_path, "Config file (YAML or JSON)")
      ->check(CLI::ExistingFile);
  serve_cmd->add_option("--listen,-l", serve.listen,
                        "HOST:PORT to listen on (default 127.0.0.1:8080)");
  serve_cmd->add_option("--data-dir", serve.data_dir, "Where the demo database lives")
      ->capture_default_str();
  auto* web_dir = serve_cmd->add_option(
      "--web-dir", serve.web_dir,
      "Folder of the built web dashboard served at / (overrides server.web_dir; \"\": off)");
  serve_cmd->add_flag("--no-web", serve.no_web, "Serve the API only, no web dashboard")
      ->excludes(web_dir);
  serve_cmd->callback([&] { exit_code = RunServer(serve); });

  QueryArgs query;
  auto* query_cmd = app.add_subcommand(
      "query", "Run one read-only query (SQL, or the source's language such as PromQL)");
  query_cmd
      ->add_option("sql", query.sql,
                   "The SQL statement (PromQL for a prometheus source), or - for stdin")
      ->required();
  query_cmd->add_option("--config,-c", query.config, "Config file (default: the demo)")
      ->check(CLI::ExistingFile);
  query_cmd->add_option("--source,-s", query.source, "Source id (optional with one source)");
  query_cmd->add_option("--format,-f", query.format, "Output format")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  query_cmd->add_option("--limit", query.limit, "Row limit (default: server.default_row_limit)");
  query_cmd->add_option("--timeout-ms", query.timeout_ms, "Timeout in milliseconds");
  query_cmd->add_option("--param,-p", query.params,
                        "Positional parameter ($1, $2, ...): null, true, 42, 1.5, text, or "
                        "date:2026-01-31, timestamp:..., decimal:..., json:..., string:...");
  query_cmd->add_option("--option,-o", query.options,
                        "A per-query connector option KEY=VALUE, repeatable (prometheus: "
                        "time, start, end, step, e.g. --option start=now-1h --option step=1m)");
  query_cmd->add_option("--data-dir", query.data_dir, "Where the demo database lives")
      ->capture_default_str();
  query_cmd->callback([&] { exit_code = RunQueryCommand(query); });

  MetricArgs metric;
  auto* metric_cmd = app.add_subcommand(
      "metric", "Compute one pack metric for a project and print its JSON envelope");
  metric_cmd->add_option("pack", metric.pack, "Pack name, e.g. llm or web")->required();
  metric_cmd->add_option("metric", metric.metric, "Metric name, e.g. daily_traffic")->required();
  metric_cmd->add_option("--config,-c", metric.config, "Config file (default: the demo)")
      ->check(CLI::ExistingFile);
  metric_cmd->add_option("--project", metric.project, "Project id (default: default_project)");
  metric_cmd->add_option("--param,-p", metric.params,
                         "A metric parameter NAME=VALUE, as in the HTTP API: days=7, "
                         "start=2026-11-01, end=2026-11-21, asOf=2026-11-21T13:00:00Z, ...");
  metric_cmd->add_flag("--explain", metric.explain,
                       "Print the SQL and bound parameters instead of running them");
  metric_cmd->add_option("--data-dir", metric.data_dir, "Where the demo database lives")
      ->capture_default_str();
  metric_cmd->callback([&] { exit_code = RunMetricCommand(metric); });

  cli::AddImportCommand(app, &exit_code);
  cli::AddMcpCommand(app, &exit_code);

  std::optional<std::string> sources_config;
  std::string sources_format = "table";
  std::string sources_data_dir = "./data";
  auto* sources_cmd = app.add_subcommand("sources", "List sources with their health");
  sources_cmd->add_option("--config,-c", sources_config, "Config file (default: the demo)")
      ->check(CLI::ExistingFile);
  sources_cmd->add_option("--format,-f", sources_format, "Output format")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  sources_cmd->add_option("--data-dir", sources_data_dir, "Where the demo database lives")
      ->capture_default_str();
  sources_cmd->callback(
      [&] { exit_code = RunSourcesCommand(sources_config, sources_data_dir, sources_format); });

  std::string check_path;
  auto* check_cmd =
      app.add_subcommand("check-config", "Validate a config and print it with secrets redacted");
  check_cmd->add_option("file", check_path, "Config file")->required();
  check_cmd->callback([&] {
    auto config = LoadConfigFile(check_path);
    if (!config.ok()) {
      exit_code = Fail(config.status());
      return;
    }
    auto packs = LoadPacks(*config);
    if (!packs.ok()) {
      exit_code = Fail(packs.status());
      return;
    }
    std::cout << RenderConfig(*config) << "\n";
    std::cerr << "config ok: " << config->sources.size() << " sources, " << config->projects.size()
              << " projects, fingerprint " << config->version() << "\n";
  });

  DemoDataOptions demo;
  auto* demo_cmd = app.add_subcommand("demo-data", "Write the demo DuckDB database");
  demo_cmd->add_option("--out,-o", demo.path, "DuckDB file to write (replaced)")->required();
  demo_cmd->add_option("--rows", demo.rows, "Rows in each table")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}))
      ->capture_default_str();
  demo_cmd->add_option("--days", demo.days, "Days of history ending now")
      ->check(CLI::Range(int64_t{1}, int64_t{3660}))
      ->capture_default_str();
  demo_cmd->add_option("--seed", demo.seed, "Seed; the same seed and --end give the same rows")
      ->capture_default_str();
  std::string demo_end;
  demo_cmd->add_option("--end", demo_end,
                       "End of the window, e.g. 2026-11-22T00:00:00Z (default: now)");
  demo_cmd->callback([&] {
    if (!demo_end.empty()) {
      auto end = ParseTimestamp(demo_end);
      if (!end) {
        exit_code = Fail(InvalidArgument("--end '" + demo_end +
                                         "' is not a timestamp; write e.g. 2026-11-22T00:00:00Z"));
        return;
      }
      demo.end_micros = *end;
    }
    Status st = GenerateDemoData(demo);
    if (!st.ok()) {
      exit_code = Fail(st);
      return;
    }
    std::cerr << "wrote " << demo.rows << " rows per table to " << demo.path << "\n";
  });

  std::optional<std::string> hash_key;
  auto* hash_cmd = app.add_subcommand(
      "hash-key", "Print a new random API key and its config line (or hash a given key)");
  hash_cmd->add_option("--key", hash_key,
                       "Hash this key instead of making one (prefer reading it from a file: "
                       "arguments show in the process list)");
  hash_cmd->callback([&] {
    std::string key = hash_key.value_or(NewApiKey());
    if (key.empty()) {
      exit_code = Fail(Internal("could not read random bytes from OpenSSL"));
      return;
    }
    if (!hash_key) std::cout << "key: " << key << "\n";
    std::cout << "sha256: " << KeySha256Hex(key) << "\n";
    std::cerr << "give the key to the client (Authorization: Bearer <key>) and put the sha256 "
                 "line in the config:\n"
                 "  auth: {keys: [{name: <name>, sha256: <hex>, projects: [<project>], roles: "
                 "[read]}]}\n";
  });

  auto* version_cmd = app.add_subcommand("version", "Print the version");
  version_cmd->callback([] { std::cout << "tributary " << TRIBUTARY_VERSION << "\n"; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return exit_code;
}

}  // namespace tributary
