// Unit tests of the investigation engine's pure parts: request parsing, source selection by
// tags, and the timeline built from hand-made evidence.
#include <gtest/gtest.h>

#include "config/config_test_util.h"
#include "core/time_util.h"
#include "investigate/internal.h"
#include "investigate/investigate.h"

namespace tributary::investigate {
namespace {

constexpr int64_t kNow = 1793613600LL * 1000000;  // 2026-11-02T10:00:00Z

std::string ParseError(const std::string& body) {
  auto r = ParseInvestigationRequest(body, kNow);
  if (r.ok()) return "(parsed)";
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  return r.status().message();
}

TEST(InvestigateRequest, ParsesEveryField) {
  auto r = ParseInvestigationRequest(
      R"({"project":"shop","question":"why?","context":{"environment":"prod",
          "time_range":{"start":"2026-11-02T09:00:00.750Z","end":"now-30m"},
          "services":["checkout","payments","checkout"]},"step_seconds":30})",
      kNow);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->project, "shop");
  EXPECT_EQ(r->question, "why?");
  EXPECT_EQ(r->environment, "prod");
  EXPECT_EQ(r->services, (std::vector<std::string>{"checkout", "payments"}));
  EXPECT_EQ(FormatTimestamp(r->start_us), "2026-11-02T09:00:00Z");  // to the second
  EXPECT_EQ(FormatTimestamp(r->end_us), "2026-11-02T09:30:00Z");
  EXPECT_EQ(r->step_seconds, 30);
  auto relative = ParseInvestigationRequest(
      R"({"context":{"time_range":{"start":"now-1h30m","end":"now"}}})", kNow);
  ASSERT_TRUE(relative.ok());
  EXPECT_EQ(FormatTimestamp(relative->start_us), "2026-11-02T08:30:00Z");
  EXPECT_EQ(relative->end_us, kNow);
}

TEST(InvestigateRequest, ErrorsNameTheField) {
  EXPECT_EQ(ParseError("[1]"),
            "invalid investigation request: body: expected a JSON object, got "
            "an array");
  EXPECT_EQ(ParseError("{}"),
            "invalid investigation request: context.time_range: missing; add {\"start\": "
            "\"now-1h\", \"end\": \"now\"} (RFC 3339 or relative)");
  EXPECT_EQ(ParseError(R"({"context":{"time_range":{"start":"now-1h","end":"now"}},"x":1})"),
            "invalid investigation request: x: unknown field; allowed: project, question, "
            "context, step_seconds");
  EXPECT_EQ(ParseError(R"({"context":{"time_range":{"start":"now-1h","end":"now"},"env":"p"}})"),
            "invalid investigation request: context.env: unknown field; allowed: environment, "
            "time_range, services");
  EXPECT_EQ(ParseError(R"({"context":{"time_range":{"start":5,"end":"now"}}})"),
            "invalid investigation request: context.time_range.start: expected a string, got a "
            "number");
  EXPECT_EQ(ParseError(R"({"context":{"time_range":{"start":"2026-11-02","end":"now"}}})"),
            "invalid investigation request: context.time_range.start: '2026-11-02' is not a "
            "time; write RFC 3339 (2026-12-03T10:00:00Z) or now, now-1h, now-30m");
  EXPECT_EQ(ParseError(R"({"context":{"time_range":{"start":"now","end":"now"}}})"),
            "invalid investigation request: context.time_range.end: must be after start "
            "(2026-11-02T10:00:00Z)");
  EXPECT_EQ(ParseError(R"({"context":{"time_range":{"start":"now-32d","end":"now"}}})"),
            "invalid investigation request: context.time_range: spans more than 31 days; ask "
            "about a shorter window");
  EXPECT_EQ(ParseError(R"({"context":{"time_range":{"start":"now-1h","end":"now"},)"
                       R"("services":["ok","x\"}"]}})"),
            "invalid investigation request: context.services[1]: invalid service name 'x\"}'; "
            "use 1 to 128 letters, digits, '_', '.', ':' or '-'");
  EXPECT_EQ(ParseError(R"({"context":{"time_range":{"start":"now-1h","end":"now"}},)"
                       R"("step_seconds":1.5})"),
            "invalid investigation request: step_seconds: expected a whole number of seconds "
            "from 1 to 86400");
  EXPECT_EQ(ParseError(R"({"question":")" + std::string(5000, 'q') +
                       R"(","context":{"time_range":{"start":"now-1h","end":"now"}}})"),
            "invalid investigation request: question: longer than 4 KiB; shorten it");
}

Config LoadSelectionConfig() {
  Result<Config> config = LoadConfigText(
      "sources:\n"
      "  prom:\n"
      "    type: prometheus\n"
      "    url: http://127.0.0.1:9\n"
      "    tags: {environments: [prod], services: [checkout, payments]}\n"
      "    investigate: {metrics: {error_rate: 'x{service=\"{{service}}\"}'}}\n"
      "  any_logs:\n"
      "    type: duckdb\n"
      "    investigate: {logs: {table: t, time_column: a, service_column: b, level_column: c, "
      "message_column: d}}\n"
      "  staging:\n"
      "    type: duckdb\n"
      "    tags: {environments: [staging], services: [checkout]}\n"
      "    investigate: {logs: {table: t, time_column: a, service_column: b, level_column: c, "
      "message_column: d}}\n"
      "  billing:\n"
      "    type: duckdb\n"
      "    tags: {services: [billing]}\n"
      "    investigate: {changes: {sql: 'SELECT 1'}}\n"
      "  plain: {type: duckdb}\n"
      "  unused:\n"
      "    type: duckdb\n"
      "    investigate: {changes: {sql: 'SELECT 1'}}\n"
      "projects:\n"
      "  shop: {sources: [prom, any_logs, staging, billing, plain]}\n",
      "cfg.yaml", "/tmp", testing::FakeEnv());
  EXPECT_TRUE(config.ok()) << config.status().message();
  return config.ok() ? *config : Config{};
}

std::vector<std::string> Chosen(const Selection& s) {
  std::vector<std::string> out;
  for (const auto& c : s.chosen) {
    std::string entry = c.source->id + ":";
    for (const auto& service : c.services) entry += service + ",";
    out.push_back(entry);
  }
  return out;
}

TEST(InvestigateSelect, EnvironmentAndServiceTagsAreRespected) {
  Config config = LoadSelectionConfig();
  const ProjectConfig& shop = *config.FindProject("shop");
  InvestigationRequest request;
  request.environment = "prod";
  request.services = {"checkout", "search"};
  Selection s = SelectSources(config, shop, request);
  // prom only for checkout; untagged logs for both; `unused` is not the project's.
  EXPECT_EQ(Chosen(s), (std::vector<std::string>{"prom:checkout,", "any_logs:checkout,search,"}));
  ASSERT_EQ(s.skipped.size(), 2u);
  EXPECT_EQ(s.skipped[0].source, "staging");
  EXPECT_EQ(s.skipped[0].reason, "tagged for environments [staging], not prod");
  EXPECT_EQ(s.skipped[1].source, "billing");
  EXPECT_EQ(s.skipped[1].reason, "tagged for services [billing], none asked");

  // No environment asked: every environment; no services: every tagged service.
  Selection all = SelectSources(config, shop, InvestigationRequest{});
  EXPECT_EQ(Chosen(all), (std::vector<std::string>{"prom:checkout,payments,",
                                                   "any_logs:checkout,payments,billing,",
                                                   "staging:checkout,", "billing:billing,"}));
  EXPECT_TRUE(all.skipped.empty());

  // A mistyped service: nothing tagged for it is chosen, and every skip says why.
  InvestigationRequest typo;
  typo.services = {"chekout"};
  Selection t = SelectSources(config, shop, typo);
  EXPECT_EQ(Chosen(t), (std::vector<std::string>{"any_logs:chekout,"}));
  EXPECT_EQ(t.skipped.size(), 3u);
}

TEST(InvestigateTimeline, ShiftsRecoveriesChangesAndComponentsFromTheEvidence) {
  Investigation inv;
  const int64_t step = 60LL * 1000000;
  inv.request.start_us = kNow;
  inv.request.end_us = kNow + 10 * step;
  inv.baseline_start_us = kNow - 10 * step;
  SourceEvidence logs;
  logs.source = "logs";
  logs.kind = "logs";
  EvidenceSeries errors{"errors", "checkout", {}, std::nullopt};
  for (int i = -10; i < 10; ++i) {
    double v = i < 0 ? (i % 2 == 0 ? 1 : 2) : (i >= 3 && i < 6 ? 30 : 1);
    errors.points.push_back({kNow + i * step, v});
  }
  logs.series.push_back(errors);
  logs.series.push_back({"errors", "search", {{kNow - step, 1}, {kNow, 1}}, std::nullopt});
  SourceEvidence deploys;
  deploys.source = "deploys";
  deploys.kind = "changes";
  deploys.changes = {{kNow + 2 * step, "checkout", "deploy v2"}, {kNow - step, "checkout", "old"}};
  SourceEvidence failed;
  failed.source = "dead";
  failed.status = "error";
  failed.series.push_back(errors);
  inv.evidence = {logs, deploys, failed};
  InvestigateConfig config;
  BuildTimeline(config, inv);
  ASSERT_EQ(inv.timeline.size(), 3u);
  EXPECT_EQ(inv.timeline[0].kind, "deploy_or_change");
  EXPECT_EQ(inv.timeline[0].time_us, kNow + 2 * step);
  EXPECT_EQ(inv.timeline[1].kind, "shift");
  EXPECT_EQ(inv.timeline[1].time_us, kNow + 3 * step);
  EXPECT_EQ(inv.timeline[1].source, "logs");
  EXPECT_DOUBLE_EQ(*inv.timeline[1].value, 30);
  EXPECT_DOUBLE_EQ(*inv.timeline[1].baseline, 1.5);
  EXPECT_DOUBLE_EQ(*inv.timeline[1].threshold, 3);
  EXPECT_DOUBLE_EQ(*inv.timeline[1].ratio, 20);
  EXPECT_EQ(inv.timeline[1].description, "errors of checkout rose to 20× its baseline (1.5 → 30)");
  EXPECT_EQ(inv.timeline[2].kind, "recovery");
  EXPECT_EQ(inv.timeline[2].time_us, kNow + 6 * step);
  ASSERT_EQ(inv.components.size(), 1u);
  EXPECT_EQ(inv.components[0].service, "checkout");
  EXPECT_EQ(inv.components[0].sources, std::vector<std::string>{"logs"});
  EXPECT_EQ(inv.components[0].first_shift_us, kNow + 3 * step);
  // Too few baseline points: no baseline, no shift.
  EXPECT_FALSE(inv.evidence[0].series[1].baseline.has_value());
  ASSERT_TRUE(inv.evidence[0].series[0].baseline.has_value());
}

}  // namespace
}  // namespace tributary::investigate
