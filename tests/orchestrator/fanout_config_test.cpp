// Datasets bound to several sources in the config: the list form loads beside the single
// mapping, its mistakes are reported with file:line:col, it renders back as a list, the
// bindings are checked against the packs one by one, and a metric on such a dataset is planned
// (ExplainMetric) and answered on every bound source.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>

#include "config/config.h"
#include "config/config_test_util.h"
#include "metrics/metric_runner.h"
#include "orchestrator/runtime.h"
#include "support/packs_dataset.h"

namespace tributary {
namespace {

using testing::LoadError;

constexpr const char* kSources =
    "sources:\n"
    "  a: {type: duckdb, path: a.duckdb}\n"
    "  b: {type: duckdb, path: b.duckdb}\n"
    "  c: {type: duckdb, path: c.duckdb}\n";

std::string WithProject(const std::string& datasets) {
  return std::string(kSources) +
         "projects:\n"
         "  p:\n"
         "    sources: [a, b]\n"
         "    datasets:\n" +
         datasets;
}

TEST(FanoutConfig, ADatasetMayListSeveralSourcesEachWithItsOwnMapping) {
  Result<Config> config = LoadConfigText(
      WithProject("      llm_logs:\n"
                  "        - {source: a, table: logs}\n"
                  "        - {source: b, table: public.gateway_logs, columns: {timestamp: ts}}\n"
                  "      web_events: {source: b}\n"),
      "cfg.yaml", "/etc/trib", testing::FakeEnv());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const auto& llm = config->projects[0].datasets.at("llm_logs");
  ASSERT_EQ(llm.size(), 2u);
  EXPECT_EQ(llm[0].source, "a");
  EXPECT_EQ(llm[0].table, "logs");
  EXPECT_TRUE(llm[0].columns.empty());
  EXPECT_EQ(llm[1].source, "b");
  EXPECT_EQ(llm[1].table, "public.gateway_logs");
  EXPECT_EQ(llm[1].columns.at("timestamp"), "ts");
  EXPECT_EQ(llm[1].name, "llm_logs");
  const auto& web = config->projects[0].datasets.at("web_events");
  ASSERT_EQ(web.size(), 1u);
  EXPECT_EQ(web[0].table, "web_events");
  // Rendered back in the same two forms; loading the rendering gives the same config.
  const std::string rendered = RenderConfig(*config);
  EXPECT_NE(rendered.find("llm_logs:\n        - source: a"), std::string::npos) << rendered;
  Result<Config> again = LoadConfigText(rendered, "rendered.yaml", "/etc/trib", testing::FakeEnv());
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << rendered;
  EXPECT_EQ(again->fingerprint, config->fingerprint);
}

TEST(FanoutConfig, ASourceListedTwiceIsRejected) {
  EXPECT_EQ(LoadError(WithProject("      llm_logs:\n"
                                  "        - {source: a}\n"
                                  "        - {source: a, table: other}\n")),
            "cfg.yaml:11:20: projects.p.datasets.llm_logs[1].source: source 'a' already holds "
            "llm_logs in this list; bind each source once (remove the duplicate)");
}

TEST(FanoutConfig, ListedSourcesMustBeTheProjectsOwn) {
  EXPECT_EQ(LoadError(WithProject("      llm_logs:\n"
                                  "        - {source: a}\n"
                                  "        - {source: c}\n")),
            "cfg.yaml:11:20: projects.p.datasets.llm_logs[1].source: source 'c' is not one of "
            "this project's sources (a, b); add it to projects.p.sources or use one of them");
  EXPECT_EQ(LoadError(WithProject("      llm_logs:\n"
                                  "        - {source: a}\n"
                                  "        - {source: nowhere}\n")),
            "cfg.yaml:11:20: projects.p.datasets.llm_logs[1].source: source 'nowhere' is not one "
            "of this project's sources (a, b); add it to projects.p.sources or use one of them");
}

TEST(FanoutConfig, ListItemsAreCheckedLikeASingleMapping) {
  EXPECT_EQ(LoadError(WithProject("      llm_logs:\n"
                                  "        - {source: a}\n"
                                  "        - {table: t}\n")),
            "cfg.yaml:11:11: projects.p.datasets.llm_logs[1]: missing required key 'source'; "
            "name the project source that holds llm_logs");
  EXPECT_EQ(LoadError(WithProject("      llm_logs:\n"
                                  "        - {source: a, tabel: t}\n")),
            "cfg.yaml:10:23: projects.p.datasets.llm_logs[0].tabel: unknown key; did you mean "
            "'table'? allowed keys: source, table, columns, client_pattern, features");
  EXPECT_EQ(LoadError(WithProject("      llm_logs: []\n")),
            "cfg.yaml:9:17: projects.p.datasets.llm_logs: empty list; bind the dataset to at "
            "least one source, e.g. - {source: demo}");
}

TEST(FanoutConfig, FanoutThreadsIsAServerSetting) {
  Result<Config> config = LoadConfigText(std::string("server: {fanout_threads: 6}\n") + kSources,
                                         "cfg.yaml", "/etc/trib", testing::FakeEnv());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server.fanout_threads, 6);
  EXPECT_EQ(LoadError(std::string("server: {fanout_threads: -1}\n") + kSources).substr(0, 38),
            "cfg.yaml:1:26: server.fanout_threads: ");
}

TEST(FanoutConfig, EachBindingIsCheckedAgainstThePacks) {
  Result<Config> config =
      LoadConfigText(WithProject("      llm_logs:\n"
                                 "        - {source: a}\n"
                                 "        - {source: b, columns: {stamp: ts}}\n"),
                     "cfg.yaml", "/etc/trib", testing::FakeEnv());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto packs = PackCatalog::LoadEmbedded();
  ASSERT_TRUE(packs.ok());
  Status st = CheckDatasetBindings(*config, **packs);
  EXPECT_EQ(st.code(), ErrorCode::kConfigError);
  EXPECT_EQ(std::string(st.message()).substr(0, 69),
            "cfg.yaml:11:11: projects.p.datasets.llm_logs: columns maps 'stamp', w");
}

// Two DuckDB files each holding part of the rows.
class FanoutTwoDuckDbs : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto& all = Rows();
    packs_test::Dataset first, second;
    for (size_t i = 0; i < all.llm.size(); ++i) (i % 2 ? second : first).llm.push_back(all.llm[i]);
    for (size_t i = 0; i < all.web.size(); ++i) (i % 2 ? second : first).web.push_back(all.web[i]);
    const auto dir = std::filesystem::temp_directory_path();
    // Per process: ctest runs tests two at a time, each in a process of its own.
    const std::string pid = std::to_string(::getpid());
    a_ = (dir / ("trib_fanout_cfg_a_p" + pid + ".duckdb")).string();
    b_ = (dir / ("trib_fanout_cfg_b_p" + pid + ".duckdb")).string();
    ASSERT_EQ(packs_test::LoadDuckDb(a_, first), "");
    ASSERT_EQ(packs_test::LoadDuckDb(b_, second), "");
    Result<Config> config = LoadConfigText(
        "sources:\n  a: {type: duckdb, path: '" + a_ + "'}\n  b: {type: duckdb, path: '" + b_ +
            "'}\nprojects:\n  p:\n    sources: [a, b]\n    datasets:\n      llm_logs:\n"
            "        - {source: a}\n        - {source: b}\n",
        "cfg.yaml", ".", testing::FakeEnv());
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    runtime_ = Runtime::Open(std::move(*config));
  }
  void TearDown() override {
    runtime_.reset();
    for (const std::string& path : {a_, b_}) {
      std::filesystem::remove(path);
      std::filesystem::remove(path + ".wal");
    }
  }
  static const packs_test::Dataset& Rows() {
    static const packs_test::Dataset data =
        packs_test::GenerateDataset(packs_test::kDatasetSeed, false);
    return data;
  }
  std::string a_, b_;
  std::shared_ptr<Runtime> runtime_;
};

TEST_F(FanoutTwoDuckDbs, ExplainPlansTheMetricOnEveryBoundSource) {
  MetricCall call;
  call.pack = "llm";
  call.metric = "anomaly_stats";
  Result<std::vector<PlannedQuery>> planned = ExplainMetric(*runtime_, call);
  ASSERT_TRUE(planned.ok()) << planned.status().ToString();
  std::vector<std::string> seen;
  for (const auto& q : *planned) seen.push_back(q.source + ":" + q.part);
  EXPECT_EQ(seen, (std::vector<std::string>{"a:main", "a:topAnomalyTypes", "b:main",
                                            "b:topAnomalyTypes"}));
  call.params = {{"source", "b"}};
  planned = ExplainMetric(*runtime_, call);
  ASSERT_TRUE(planned.ok());
  ASSERT_EQ(planned->size(), 2u);
  EXPECT_EQ(planned->front().source, "b");
}

TEST_F(FanoutTwoDuckDbs, TheMergedAnswerCountsTheRowsOfBoth) {
  MetricCall call;
  call.pack = "llm";
  call.metric = "realtime_kpi";
  call.params = {{"asOf", "2026-11-21T13:00:00Z"}};
  Result<MetricAnswer> merged = RunMetric(*runtime_, call);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  ASSERT_TRUE(merged->failure.ok());
  ASSERT_EQ(merged->sources.size(), 2u);
  EXPECT_FALSE(merged->partial);
  int64_t sum = 0;
  for (const char* s : {"a", "b"}) {
    MetricCall one = call;
    one.params.emplace_back("source", s);
    Result<MetricAnswer> part = RunMetric(*runtime_, one);
    ASSERT_TRUE(part.ok());
    sum += boost::json::parse(part->data_json).at("totalRequests").as_int64();
  }
  EXPECT_EQ(boost::json::parse(merged->data_json).at("totalRequests").as_int64(), sum);
  EXPECT_GT(sum, 0);
  EXPECT_EQ(merged->approximate, std::vector<std::string>{"activeUsers"});
  const std::string envelope = MetricEnvelopeJson(*merged);
  EXPECT_NE(envelope.find(R"("partial":false,"approximate":["activeUsers"],"sources":[)"),
            std::string::npos)
      << envelope;
  EXPECT_EQ(envelope.substr(envelope.size() - 16), R"("cached":false}})");
}

}  // namespace
}  // namespace tributary
