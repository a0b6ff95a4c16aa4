// Loading metric packs: the built-in packs load and are complete for every dialect, and every
// kind of mistake in a pack file is reported with the file, line and a fix.
#include <gtest/gtest.h>

#include <filesystem>

#include "config/config.h"
#include "metrics/metric_runner.h"
#include "metrics/pack.h"
#include "support/server_harness.h"

namespace tributary {
namespace {

constexpr const char* kPack = R"(pack: p
title: Test
dataset: things
columns:
  - {name: ts, type: timestamp}
settings:
  pattern: '^a(b)'
  rules:
    - {match: x, name: X}
metrics:
  count:
    window: days
    result:
      shape: object
      fields:
        - {name: n, type: int}
        - name: top
          type: list
          fields:
            - {name: k, type: string}
    merge: {fields: {n: sum, top: {key: [k]}}}
  rows:
    window: none
    params:
      - {name: limit, type: int, min: 1, max: 10, default: 5}
    result:
      shape: list
      fields:
        - {name: k, type: string}
    merge: {order: [k], limit: limit}
)";

constexpr const char* kDialect = R"(dialect: duckdb
placeholder: dollar
quote: '"'
metrics:
  count:
    main: SELECT count(*) AS n FROM {{table}} AS t WHERE ts >= {{@from}} AND ts < {{@to}}
    top: SELECT {{@pattern}} AS k{{#rules}}, {{@item.match}}{{/rules}}
  rows: SELECT k FROM {{table}} AS t LIMIT {{@limit}}
)";

std::string LoadError(const std::string& pack, const std::string& dialect = kDialect,
                      const std::string& dialect_path = "p/duckdb.yaml") {
  std::vector<EmbeddedFile> files = {{"p/pack.yaml", pack}, {dialect_path, dialect}};
  auto catalog = PackCatalog::Load(files, "packs");
  return catalog.ok() ? "(loaded)" : catalog.status().ToString();
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(PackLoader, LoadsAWellFormedPack) {
  std::vector<EmbeddedFile> files = {{"p/pack.yaml", kPack}, {"p/duckdb.yaml", kDialect}};
  auto catalog = PackCatalog::Load(files, "packs");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  const Pack* pack = (*catalog)->Find("p");
  ASSERT_NE(pack, nullptr);
  EXPECT_EQ(pack->MetricNames(), (std::vector<std::string>{"count", "rows"}));
  const MetricDef* rows = pack->FindMetric("rows");
  ASSERT_NE(rows, nullptr);
  EXPECT_EQ(rows->params.at(0).default_int, 5);
  EXPECT_EQ(pack->dialects.at("duckdb").metrics.at("count").size(), 2u);
  EXPECT_TRUE(pack->FindSetting("rules")->is_list());
}

TEST(PackLoader, MistakesAreReportedWithFileLineAndFix) {
  EXPECT_EQ(LoadError(Replace(kPack, "window: days", "window: weeks")),
            "CONFIG_ERROR: packs/p/pack.yaml:12:13: metrics.count.window: unknown window 'weeks'; "
            "use one of none, range, days, hours, last_24_hours");
  EXPECT_EQ(LoadError(Replace(kPack, "{name: n, type: int}", "{name: n, type: integer}")),
            "CONFIG_ERROR: packs/p/pack.yaml:16:27: metrics.count.result.fields[0].type: unknown "
            "type 'integer'; use one of int, double, string, bool, date, timestamp, object, list");
  EXPECT_EQ(LoadError(Replace(kPack, "    window: none", "    windw: none")),
            "CONFIG_ERROR: packs/p/pack.yaml:23:5: metrics.rows.windw: unknown key; did you mean "
            "'window'? allowed keys: title, window, ttl_seconds, params, result, merge");
  EXPECT_EQ(LoadError(Replace(kPack, "pack: p", "pack: q")),
            "CONFIG_ERROR: packs/p/pack.yaml:1:7: pack: the pack is named 'q' but lives in folder "
            "'p'; make them the same");
  EXPECT_EQ(LoadError(Replace(kPack, "default: 5", "default: 50")).substr(0, 50),
            "CONFIG_ERROR: packs/p/pack.yaml:25:60: metrics.row");
}

TEST(PackLoader, DialectFilesAreCheckedAgainstThePack) {
  EXPECT_EQ(LoadError(kPack, Replace(kDialect, "  rows:", "  rowz:")),
            "CONFIG_ERROR: packs/p/duckdb.yaml:8:3: metrics.rowz: pack 'p' declares no metric "
            "'rowz'; declare it in p/pack.yaml or use one of count, rows");
  EXPECT_EQ(LoadError(kPack, Replace(kDialect, "{{@limit}}", "{{@lim}}")),
            "CONFIG_ERROR: packs/p/duckdb.yaml:8:9: metrics.rows: {{@lim}} is not a value of "
            "metric 'rows' (window none); available: now, limit, pattern");
  EXPECT_EQ(LoadError(kPack, Replace(kDialect, "{{#rules}}, {{@item.match}}{{/rules}}",
                                     "{{#rulez}}x{{/rulez}}")),
            "CONFIG_ERROR: packs/p/duckdb.yaml:7:10: metrics.count.top: {{#rulez}} is not a list "
            "of metric 'count'; lists: rules");
  EXPECT_EQ(LoadError(kPack, Replace(kDialect, "{{@item.match}}", "{{@item.regex}}")),
            "CONFIG_ERROR: packs/p/duckdb.yaml:7:10: metrics.count.top: {{@item.regex}}: items "
            "of 'rules' have no such field");
  EXPECT_EQ(LoadError(kPack, Replace(kDialect, "    top: SELECT", "    tops: SELECT")),
            "CONFIG_ERROR: packs/p/duckdb.yaml:7:5: metrics.count.tops: unknown key; did you mean "
            "'top'? query parts of count: main, top");
  EXPECT_EQ(LoadError(kPack, Replace(kDialect, "placeholder: dollar", "placeholder: colon")),
            "CONFIG_ERROR: packs/p/duckdb.yaml:2:14: placeholder: unknown placeholder style "
            "'colon'; use dollar, question or named");
  EXPECT_EQ(LoadError(kPack, kDialect, "p/postgres.yaml"),
            "CONFIG_ERROR: packs/p/postgres.yaml:1:10: dialect: the file is postgres.yaml but "
            "says dialect 'duckdb'; make them the same");
  EXPECT_NE(LoadError(kPack, Replace(kDialect, "{{table}} AS t LIMIT", "{{tabel}} AS t LIMIT"))
                .find("template line 1, column 15: unknown tag {{tabel}}"),
            std::string::npos);
}

TEST(PackLoader, BuiltInPacksLoadAndEveryMetricHasSqlForEveryDialect) {
  auto catalog = PackCatalog::LoadEmbedded();
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  ASSERT_NE((*catalog)->Find("llm"), nullptr);
  ASSERT_NE((*catalog)->Find("web"), nullptr);
  EXPECT_EQ((*catalog)->Find("llm")->metrics.size(), 11u);
  EXPECT_EQ((*catalog)->Find("web")->metrics.size(), 7u);
  for (const auto& pack : (*catalog)->packs()) {
    for (const char* dialect :
         {"duckdb", "postgres", "mysql", "sqlite", "clickhouse", "bigquery"}) {
      auto d = pack.dialects.find(dialect);
      if (d == pack.dialects.end()) {
        ADD_FAILURE() << pack.name << " has no " << dialect << " SQL";
        continue;
      }
      for (const auto& metric : pack.metrics) {
        EXPECT_TRUE(d->second.metrics.count(metric.name))
            << pack.name << "/" << metric.name << " has no " << dialect << " SQL";
      }
    }
  }
}

TEST(PackLoader, PacksDirectoryIsReadFromDisk) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.File("p"));
  testing::WriteFile(dir.File("p/pack.yaml"), kPack);
  testing::WriteFile(dir.File("p/duckdb.yaml"), kDialect);
  auto catalog = PackCatalog::LoadDirectory(dir.path());
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_NE((*catalog)->Find("p"), nullptr);
  auto missing = PackCatalog::LoadDirectory(dir.File("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos);
}

TEST(PackLoader, DatasetBindingsAreCheckedAgainstThePacks) {
  std::vector<EmbeddedFile> files = {{"p/pack.yaml", kPack}, {"p/duckdb.yaml", kDialect}};
  auto catalog = PackCatalog::Load(files, "packs");
  ASSERT_TRUE(catalog.ok());
  auto check = [&](const std::string& datasets) {
    auto config = LoadConfigText(
        "sources:\n  db: {type: duckdb}\nprojects:\n  x:\n"
        "    sources: [db]\n    datasets:\n" +
            datasets,
        "cfg.yaml", "/tmp");
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    if (!config.ok()) return std::string();
    Status st = CheckDatasetBindings(*config, **catalog);
    return st.ok() ? std::string("(ok)") : st.ToString();
  };
  EXPECT_EQ(check("      things: {source: db, columns: {ts: event_time}}\n"), "(ok)");
  EXPECT_EQ(check("      thing: {source: db}\n"),
            "CONFIG_ERROR: cfg.yaml:7:7: projects.x.datasets.thing: no metric pack reads a "
            "dataset 'thing'; did you mean 'things'? datasets: things");
  EXPECT_EQ(check("      things: {source: db, columns: {tz: event_time}}\n"),
            "CONFIG_ERROR: cfg.yaml:7:7: projects.x.datasets.things: columns maps 'tz', which is "
            "not a column of things; did you mean 'ts'? columns: ts");
}

}  // namespace
}  // namespace tributary
