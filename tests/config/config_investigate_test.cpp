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
  EXPECT_EQ(LoadError(Duck("") + "investigate:\n  deadline: 5\n"), "");
  EXPECT_EQ(LoadError(Duck("") + "investigate:\n  baseline_multiple: 1\n"), "");
  EXPECT_EQ(LoadError(Duck("") + "investigate:\n  synthesis: {model: m}\n"), "");
  EXPECT_EQ(LoadError(Duck("") + "investigate:\n  synthesis: {url: ftp://x, model: m}\n"), "");
  EXPECT_EQ(LoadError(Duck("    tags: {service: [a]}\n")), "");
  EXPECT_EQ(LoadError(Duck("    tags: {services: ['a b']}\n")), "");
  EXPECT_EQ(LoadError(Duck("    tags: {services: [a, a]}\n")), "");
  EXPECT_EQ(LoadError(Duck("    investigate: {}\n")), "");
  EXPECT_EQ(LoadError(Duck("    investigate: {metrics: {e: x}}\n")), "");
  EXPECT_EQ(LoadError(Prom("    investigate: {logs: {dataset: llm_logs}}\n")), "");
  EXPECT_EQ(LoadError(Prom("    investigate: {metrics: {e: 'x{a=\"{{svc}}\"}'}}\n")), "");
  EXPECT_EQ(LoadError(Duck("    investigate: {logs: {table: t}}\n")), "");
  EXPECT_EQ(LoadError(Duck("    investigate: {logs: {dataset: web_events}}\n")), "");
  EXPECT_EQ(LoadError(Duck("    investigate: {logs: {dataset: llm_logs, table: t}}\n")), "");
  EXPECT_EQ(LoadError(Duck("    investigate: {logs: {dataset: llm_logs}}\n")), "");
  EXPECT_EQ(LoadError(Duck("    investigate: {changes: {query: x}}\n")), "");
  EXPECT_EQ(LoadError(Duck("    investigate: {changes: {sql: x}, logs: {dataset: llm_logs}}\n")),
            "");
  EXPECT_EQ(LoadError(Prom("    investigate: {changes: {sql: x}}\n")), "");
}

}  // namespace
}  // namespace tributary
