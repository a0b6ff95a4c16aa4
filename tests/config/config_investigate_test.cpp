// The investigation keys of a config (docs/investigate.md, "Rules"): top-level
// `investigate:`, and `tags:` / `investigate:` on sources. Each mistake is a CONFIG_ERROR with
// exactly this message and location.
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/config_test_util.h"

namespace tributary {
namespace {

using testing::LoadError;

std::string Prom(const std::string& rest) {
  return "sources:\n"
         "  prom:\n"
         "    type: prometheus\n"
         "    url: http://127.0.0.1:9090\n" +
         rest;
}

std::string Duck(const std::string& rest) {
  return "sources:\n"
         "  db:\n"
         "    type: duckdb\n" +
         rest;
}

TEST(ConfigInvestigate, LoadsAndRenders) {
  Result<Config> config = LoadConfigText(
      "investigate:\n"
      "  deadline_ms: 5000\n"
      "  baseline_multiple: 3\n"
      "  synthesis: {url: 'http://127.0.0.1:1/v1/', model: m, api_key: sk-secret}\n"
      "sources:\n"
      "  prom:\n"
      "    type: prometheus\n"
      "    url: http://127.0.0.1:9090\n"
      "    tags: {environments: [prod], services: [checkout, api.v2]}\n"
      "    investigate:\n"
      "      metrics:\n"
      "        error_rate: 'rate(x{service=\"{{service}}\"}[1m])'\n"
      "  db:\n"
      "    type: duckdb\n"
      "    investigate: {logs: {dataset: llm_logs}}\n"
      "  logs:\n"
      "    type: duckdb\n"
      "    investigate: {logs: {table: s.t, time_column: ts, service_column: svc, "
      "level_column: lvl, message_column: msg, error_levels: [ERROR, Panic]}}\n"
      "projects:\n"
      "  p: {sources: [prom, db, logs], datasets: {llm_logs: {source: db}}}\n",
      "cfg.yaml", "/etc/trib", testing::FakeEnv());
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->investigate.deadline_ms, 5000);
  EXPECT_EQ(config->investigate.baseline_multiple, 3.0);
  ASSERT_TRUE(config->investigate.synthesis.has_value());
  EXPECT_EQ(config->investigate.synthesis->url, "http://127.0.0.1:1/v1");
  const SourceConfig& prom = *config->FindSource("prom");
  EXPECT_EQ(prom.tags.services, (std::vector<std::string>{"checkout", "api.v2"}));
  ASSERT_TRUE(prom.investigate.has_value());
  EXPECT_EQ(prom.investigate->kind, SourceInvestigateConfig::Kind::kMetrics);
  ASSERT_EQ(prom.investigate->metrics.size(), 1u);
  EXPECT_EQ(prom.investigate->metrics[0].first, "error_rate");
  const SourceConfig& logs = *config->FindSource("logs");
  EXPECT_EQ(logs.investigate->error_levels, (std::vector<std::string>{"error", "panic"}));
  const std::string rendered = RenderConfig(*config);
  EXPECT_NE(rendered.find("api_key: \"***\""), std::string::npos) << rendered;
  EXPECT_EQ(rendered.find("sk-secret"), std::string::npos);
  EXPECT_NE(rendered.find("error_rate:"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("dataset: llm_logs"), std::string::npos) << rendered;
  // The rendering loads back, with the same investigation settings.
  Result<Config> again = LoadConfigText(rendered, "r.yaml", "/etc/trib", testing::FakeEnv());
  ASSERT_TRUE(again.ok()) << again.status().message() << "\n" << rendered;
  EXPECT_EQ(again->FindSource("logs")->investigate->table, "s.t");
  EXPECT_EQ(again->FindSource("prom")->investigate->metrics, prom.investigate->metrics);
  EXPECT_EQ(again->FindSource("prom")->tags.environments, std::vector<std::string>{"prod"});
}

TEST(ConfigInvestigate, BuiltinDemoIsTaggedForTheGateway) {
  Config demo = BuiltinConfig("/tmp/demo-data");
  const SourceConfig& source = *demo.FindSource("demo");
  EXPECT_EQ(source.tags.services, std::vector<std::string>{"llm-gateway"});
  ASSERT_TRUE(source.investigate.has_value());
  EXPECT_EQ(source.investigate->dataset, "llm_logs");
}

TEST(ConfigInvestigate, Errors) {
  EXPECT_EQ(LoadError(Duck("") + "investigate:\n  deadline: 5\n"),
            "cfg.yaml:5:3: investigate.deadline: unknown key; allowed keys: deadline_ms, "
            "baseline_multiple, max_points, top_messages, synthesis");
  EXPECT_EQ(LoadError(Duck("") + "investigate:\n  baseline_multiple: 1\n"),
            "cfg.yaml:5:22: investigate.baseline_multiple: baseline_multiple must be above 1 (a "
            "shift is a value above baseline × this), e.g. 2.0");
  EXPECT_EQ(LoadError(Duck("") + "investigate:\n  synthesis: {model: m}\n"),
            "cfg.yaml:5:3: investigate.synthesis: missing required key 'url'; add url: <the "
            "OpenAI-compatible API's base URL>, e.g. http://127.0.0.1:11434/v1");
  EXPECT_EQ(LoadError(Duck("") + "investigate:\n  synthesis: {url: ftp://x, model: m}\n"),
            "cfg.yaml:5:20: investigate.synthesis.url: not an http(s) URL; write the API's base "
            "URL, e.g. http://127.0.0.1:11434/v1 (requests go to {url}/chat/completions)");
  EXPECT_EQ(LoadError(Duck("    tags: {service: [a]}\n")),
            "cfg.yaml:4:12: sources.db.tags.service: unknown key; did you mean 'services'? allowed "
            "keys: environments, services");
  EXPECT_EQ(LoadError(Duck("    tags: {services: ['a b']}\n")),
            "cfg.yaml:4:23: sources.db.tags.services[0]: invalid name 'a b'; use 1 to 128 letters, "
            "digits, '_', '.', ':' or '-'");
  EXPECT_EQ(
      LoadError(Duck("    tags: {services: [a, a]}\n")),
      "cfg.yaml:4:26: sources.db.tags.services[1]: 'a' is listed twice; remove the duplicate");
  EXPECT_EQ(LoadError(Duck("    investigate: {}\n")),
            "cfg.yaml:4:5: sources.db.investigate: investigate: holds exactly one of metrics, logs "
            "or changes (found 0); use one source entry per kind of evidence");
  EXPECT_EQ(LoadError(Duck("    investigate: {metrics: {e: x}}\n")),
            "cfg.yaml:4:19: sources.db.investigate.metrics: metrics: is for prometheus sources; a "
            "duckdb source holds logs: or changes:");
  EXPECT_EQ(
      LoadError(Prom("    investigate: {logs: {dataset: llm_logs}}\n")),
      "cfg.yaml:5:19: sources.prom.investigate.logs: logs: is for SQL sources (duckdb, postgres, "
      "mysql, sqlite, clickhouse) and elasticsearch; a prometheus source cannot hold it");
  EXPECT_EQ(LoadError(Prom("    investigate: {metrics: {e: 'x{a=\"{{svc}}\"}'}}\n")),
            "cfg.yaml:5:32: sources.prom.investigate.metrics.e: unknown placeholder at "
            "'{{svc}}\"}'; {{service}} is the only one a signal may use");
  EXPECT_EQ(
      LoadError(Duck("    investigate: {logs: {table: t}}\n")),
      "cfg.yaml:4:19: sources.db.investigate.logs: missing required key 'time_column'; logs: needs "
      "table, time_column, service_column, level_column and message_column (or dataset: llm_logs)");
  EXPECT_EQ(LoadError(Duck("    investigate: {logs: {dataset: web_events}}\n")),
            "cfg.yaml:4:35: sources.db.investigate.logs.dataset: unknown dataset 'web_events'; "
            "only llm_logs can be read as logs");
  EXPECT_EQ(
      LoadError(Duck("    investigate: {logs: {dataset: llm_logs, table: t}}\n")),
      "cfg.yaml:4:45: sources.db.investigate.logs.table: dataset: llm_logs takes its table and "
      "columns from the project's binding; remove table (or drop dataset: and name the table)");
  EXPECT_EQ(LoadError(Duck("    investigate: {logs: {dataset: llm_logs}}\n")),
            "cfg.yaml:4:35: sources.db.investigate.logs.dataset: no project binds llm_logs to "
            "source 'db'; add datasets: {llm_logs: {source: db}} to a project using it, or name a "
            "table instead");
  EXPECT_EQ(LoadError(Duck("    investigate: {changes: {query: x}}\n")),
            "cfg.yaml:4:29: sources.db.investigate.changes.query: unknown key; allowed keys: sql");
  EXPECT_EQ(LoadError(Duck("    investigate: {changes: {sql: x}, logs: {dataset: llm_logs}}\n")),

            "cfg.yaml:4:5: sources.db.investigate: investigate: holds exactly one of metrics, logs "
            "or changes (found 2); use one source entry per kind of evidence");
  EXPECT_EQ(LoadError(Prom("    investigate: {changes: {sql: x}}\n")),
            "cfg.yaml:5:19: sources.prom.investigate.changes: changes: is for SQL sources (duckdb, "
            "postgres, mysql, sqlite, clickhouse); a prometheus source cannot hold it");
}

}  // namespace
}  // namespace tributary
