// The merge rules of metric packs (pack.yaml `merge`, docs/packs.md "Merge rules"): each rule
// kind merges answers of several sources as documented, and a pack whose rules are missing or
// name what does not exist fails to load with the file, line and column.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "metrics/merge.h"
#include "metrics/metric_params.h"
#include "metrics/pack.h"

namespace tributary {
namespace {

namespace json = boost::json;

constexpr const char* kPack = R"(pack: p
title: Merge rules
dataset: things
columns:
  - {name: ts, type: timestamp}
metrics:
  series:
    window: none
    result:
      shape: list
      fields:
        - {name: day, type: date}
        - {name: n, type: int}
        - {name: users, type: int}
        - {name: latency, type: double}
        - {name: first, type: timestamp}
        - {name: last, type: timestamp}
        - {name: share, type: double}
    merge:
      key: [day]
      fields: {n: sum, users: distinct, latency: {mean: n}, first: min, last: max,
               share: {share: n}}
      order: [day]
  top:
    window: none
    result:
      shape: list
      fields:
        - {name: k, type: string}
        - {name: n, type: int}
    merge: {key: [k], fields: {n: sum}, order: [-n, k], limit: 2}
  page:
    window: none
    params:
      - {name: limit, type: int, min: 1, max: 100, default: 3}
      - {name: offset, type: int, min: 0, max: 100, default: 0}
    result:
      shape: list
      fields:
        - {name: ts, type: timestamp}
        - {name: id, type: string}
    merge: {order: [-ts, id], limit: limit, offset: offset}
  obj:
    window: none
    result:
      shape: object
      fields:
        - {name: total, type: int}
        - {name: rate, type: double}
        - {name: ratio, type: double}
        - name: cur
          type: object
          fields:
            - {name: users, type: int}
        - name: prev
          type: object
          fields:
            - {name: users, type: int}
        - {name: growth, type: double}
        - name: kinds
          type: list
          fields:
            - {name: kind, type: string}
            - {name: count, type: int}
    merge:
      fields:
        total: sum
        rate: {rate: total}
        ratio: avg
        cur: {fields: {users: distinct}}
        prev: {fields: {users: sum}}
        growth: {growth: [cur.users, prev.users]}
        kinds: {key: [kind], fields: {count: sum}, order: [-count, kind]}
  steps:
    window: none
    result:
      shape: list
      fields:
        - {name: step, type: string}
        - {name: users, type: int}
        - {name: rate, type: double}
        - {name: drop, type: int}
    merge:
      key: [step]
      fields: {users: sum, rate: {prev_rate: users}, drop: {prev_drop: users}}
)";

const MetricDef& Metric(const std::string& name) {
  static const auto catalog = PackCatalog::Load({{"p/pack.yaml", kPack}}, "packs");
  EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
  return *(*catalog)->Find("p")->FindMetric(name);
}

MergedData Merge(const std::string& metric, const std::vector<std::string>& parts,
                 const RawParams& raw = {}) {
  Result<ResolvedParams> params = ResolveParams(Metric(metric), raw, 0);
  EXPECT_TRUE(params.ok()) << params.status().ToString();
  Result<MergedData> merged = MergeMetricData(Metric(metric), parts, *params);
  EXPECT_TRUE(merged.ok()) << merged.status().ToString();
  return merged.ok() ? *merged : MergedData{};
}

std::vector<std::string> Approx(const MergedData& d) {
  return d.approximate;
}

TEST(MergeRules, KeyedRowsSumMeanMinMaxDistinctAndShare) {
  MergedData d = Merge(
      "series",
      {R"([{"day":"2026-01-01","n":2,"users":2,"latency":10.0,"first":"2026-01-01T05:00:00Z","last":"2026-01-01T06:00:00Z","share":50.0},
           {"day":"2026-01-02","n":2,"users":1,"latency":4.0,"first":"2026-01-02T01:00:00Z","last":"2026-01-02T01:00:00Z","share":50.0}])",
       R"([{"day":"2026-01-01","n":6,"users":3,"latency":30.0,"first":"2026-01-01T04:00:00.5Z","last":"2026-01-01T05:00:00Z","share":100.0}])"});
  EXPECT_EQ(
      d.json,
      R"([{"day":"2026-01-01","n":8,"users":5,"latency":25.0,"first":"2026-01-01T04:00:00.5Z",)"
      R"("last":"2026-01-01T06:00:00Z","share":80.0},)"
      R"({"day":"2026-01-02","n":2,"users":1,"latency":4.0,"first":"2026-01-02T01:00:00Z",)"
      R"("last":"2026-01-02T01:00:00Z","share":20.0}])");
  // Only the distinct count that did combine two sources is approximate.
  EXPECT_EQ(Approx(d), std::vector<std::string>{"users"});
}

TEST(MergeRules, OneSourceHoldingAKeyKeepsItsValuesExact) {
  MergedData d = Merge(
      "series",
      {R"([{"day":"2026-01-01","n":1,"users":1,"latency":3.0,"first":"2026-01-01T00:00:00Z","last":"2026-01-01T00:00:00Z","share":100.0}])",
       R"([])"});
  EXPECT_NE(d.json.find(R"("users":1)"), std::string::npos) << d.json;
  EXPECT_TRUE(Approx(d).empty());
}

TEST(MergeRules, TopNIsReRankedAndCutAndFlaggedWhenASourceMayHaveCutIt) {
  MergedData d = Merge(
      "top", {R"([{"k":"a","n":5},{"k":"b","n":4}])", R"([{"k":"c","n":7},{"k":"b","n":4}])"});
  EXPECT_EQ(d.json, R"([{"k":"b","n":8},{"k":"c","n":7}])");
  // Each source answered its own top 2: a third key could be missing.
  EXPECT_EQ(Approx(d), std::vector<std::string>{"n"});
  MergedData small = Merge("top", {R"([{"k":"a","n":5}])", R"([{"k":"c","n":7}])"});
  EXPECT_EQ(small.json, R"([{"k":"c","n":7},{"k":"a","n":5}])");
  EXPECT_TRUE(Approx(small).empty());
}

TEST(MergeRules, UnkeyedRowsAreConcatenatedSortedAndPaged) {
  const std::string a =
      R"([{"ts":"2026-01-01T00:00:03Z","id":"a3"},{"ts":"2026-01-01T00:00:01Z","id":"a1"}])";
  const std::string b =
      R"([{"ts":"2026-01-01T00:00:02.5Z","id":"b2"},{"ts":"2026-01-01T00:00:01Z","id":"b1"}])";
  // Fractional timestamps sort by instant, not by text; ties by id.
  EXPECT_EQ(Merge("page", {a, b}, {{"limit", "10"}}).json,
            R"([{"ts":"2026-01-01T00:00:03Z","id":"a3"},{"ts":"2026-01-01T00:00:02.5Z","id":"b2"},)"
            R"({"ts":"2026-01-01T00:00:01Z","id":"a1"},{"ts":"2026-01-01T00:00:01Z","id":"b1"}])");
  EXPECT_EQ(
      Merge("page", {a, b}, {{"limit", "2"}, {"offset", "1"}}).json,
      R"([{"ts":"2026-01-01T00:00:02.5Z","id":"b2"},{"ts":"2026-01-01T00:00:01Z","id":"a1"}])");
  EXPECT_TRUE(Approx(Merge("page", {a, b})).empty());
}

TEST(MergeRules, EachSourceIsAskedForOffsetPlusLimitRowsFromTheStart) {
  Result<ResolvedParams> params =
      ResolveParams(Metric("page"), {{"limit", "4"}, {"offset", "6"}}, 0);
  ASSERT_TRUE(params.ok());
  ResolvedParams per_source = PerSourceParams(Metric("page"), *params);
  EXPECT_EQ(per_source.values.at("limit").as_int(), 10);
  EXPECT_EQ(per_source.values.at("offset").as_int(), 0);
  // Without an offset rule the parameters are unchanged.
  Result<ResolvedParams> none = ResolveParams(Metric("series"), {}, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(PerSourceParams(Metric("series"), *none).values.size(), none->values.size());
}

TEST(MergeRules, ObjectsMergeFieldByFieldWithNestedObjectsListsAndGrowth) {
  MergedData d = Merge(
      "obj",
      {R"({"total":2,"rate":10.0,"ratio":1.0,"cur":{"users":3},"prev":{"users":2},"growth":50.0,"kinds":[{"kind":"x","count":1},{"kind":"y","count":1}]})",
       R"({"total":6,"rate":20.0,"ratio":3.0,"cur":{"users":5},"prev":{"users":2},"growth":150.0,"kinds":[{"kind":"y","count":6}]})"});
  // rate: denominators 20 and 30 recovered from 100 * total / rate: 100 * 8 / 50 = 16.
  EXPECT_EQ(d.json, R"({"total":8,"rate":16.0,"ratio":2.0,"cur":{"users":8},"prev":{"users":4},)"
                    R"("growth":100.0,"kinds":[{"kind":"y","count":7},{"kind":"x","count":1}]})");
  EXPECT_EQ(Approx(d), (std::vector<std::string>{"ratio", "cur.users", "growth"}));
}

TEST(MergeRules, RateOfAPartWithoutNumeratorIsApproximate) {
  MergedData d = Merge(
      "obj",
      {R"({"total":0,"rate":0.0,"ratio":0.0,"cur":{"users":0},"prev":{"users":0},"growth":0.0,"kinds":[]})",
       R"({"total":5,"rate":25.0,"ratio":0.0,"cur":{"users":0},"prev":{"users":0},"growth":0.0,"kinds":[]})"});
  EXPECT_NE(d.json.find(R"("rate":25.0)"), std::string::npos) << d.json;
  EXPECT_NE(std::find(d.approximate.begin(), d.approximate.end(), "rate"), d.approximate.end());
  // Growth over a zero previous value is 0, never a division by zero.
  EXPECT_NE(d.json.find(R"("growth":0.0)"), std::string::npos) << d.json;
}

TEST(MergeRules, StepRatesAreRecomputedInFirstSeenOrder) {
  MergedData d = Merge(
      "steps",
      {R"([{"step":"view","users":10,"rate":100.0,"drop":0},{"step":"buy","users":5,"rate":50.0,"drop":5}])",
       R"([{"step":"view","users":10,"rate":100.0,"drop":0},{"step":"buy","users":0,"rate":0.0,"drop":10}])"});
  EXPECT_EQ(
      d.json,
      R"([{"step":"view","users":20,"rate":100.0,"drop":0},{"step":"buy","users":5,"rate":25.0,"drop":15}])");
  EXPECT_TRUE(d.approximate.empty());
}

TEST(MergeRules, APartOfTheWrongShapeIsAnInternalError) {
  Result<ResolvedParams> params = ResolveParams(Metric("series"), {}, 0);
  ASSERT_TRUE(params.ok());
  Result<MergedData> merged = MergeMetricData(Metric("series"), {"[]", "{}"}, *params);
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.status().code(), ErrorCode::kInternal);
  EXPECT_FALSE(MergeMetricData(Metric("series"), {"[]", "not json"}, *params).ok());
}

// ---- validation --------------------------------------------------------------------------

constexpr const char* kSmall = R"(pack: p
title: T
dataset: things
metrics:
  m:
    window: none
    params:
      - {name: limit, type: int, min: 1, max: 9, default: 2}
      - {name: label, type: string}
    result:
      shape: list
      fields:
        - {name: day, type: date}
        - {name: n, type: int}
        - {name: avg, type: double}
    merge:
      key: [day]
      fields: {n: sum, avg: {mean: n}}
      order: [day]
)";

std::string LoadError(const std::string& from, const std::string& to) {
  std::string text = kSmall;
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  auto catalog = PackCatalog::Load({{"p/pack.yaml", text}}, "packs");
  return catalog.ok() ? "(loaded)" : catalog.status().ToString();
}

TEST(MergeRulesValidation, TheSmallPackLoads) {
  EXPECT_EQ(LoadError("m:", "m:"), "(loaded)");
}

TEST(MergeRulesValidation, AMetricWithoutMergeIsRejected) {
  EXPECT_EQ(LoadError("    merge:\n      key: [day]\n      fields: {n: sum, avg: {mean: n}}\n"
                      "      order: [day]\n",
                      ""),
            "CONFIG_ERROR: packs/p/pack.yaml:5:3: metrics.m: missing required key 'merge'; "
            "declare how answers of several sources merge, e.g. merge: {key: [date], fields: "
            "{requests: sum}, order: [date]} (docs/packs.md, \"Merge rules\")");
}

TEST(MergeRulesValidation, RulesNamingMissingFieldsAreRejected) {
  EXPECT_EQ(LoadError("{n: sum, avg", "{count: sum, avg"),
            "CONFIG_ERROR: packs/p/pack.yaml:18:16: metrics.m.merge.fields.count: the result "
            "has no field 'count'; fields: day, n, avg");
  EXPECT_EQ(LoadError("key: [day]", "key: [dya]"),
            "CONFIG_ERROR: packs/p/pack.yaml:17:13: metrics.m.merge.key[0]: the result has no "
            "field 'dya'; did you mean 'day'? fields: day, n, avg");
  EXPECT_EQ(LoadError("order: [day]", "order: [-size]"),
            "CONFIG_ERROR: packs/p/pack.yaml:19:15: metrics.m.merge.order[0]: the result has "
            "no field 'size'; fields: day, n, avg");
}

TEST(MergeRulesValidation, AWeightMustBeANumericField) {
  EXPECT_EQ(LoadError("{mean: n}", "{mean: day}"),
            "CONFIG_ERROR: packs/p/pack.yaml:18:36: metrics.m.merge.fields.avg.mean: 'day' is a "
            "date field; this rule needs an int or double field");
  EXPECT_EQ(LoadError("{mean: n}", "{mean: nn}"),
            "CONFIG_ERROR: packs/p/pack.yaml:18:36: metrics.m.merge.fields.avg.mean: the result "
            "has no field 'nn'; did you mean 'n'? fields: day, n, avg");
}

TEST(MergeRulesValidation, EveryFieldNeedsAKnownRule) {
  EXPECT_EQ(LoadError("{n: sum, avg: {mean: n}}", "{n: sum}"),
            "CONFIG_ERROR: packs/p/pack.yaml:17:7: metrics.m.merge: field 'avg' has no merge "
            "rule; add it to fields (e.g. avg: sum) or to key");
  EXPECT_EQ(LoadError("{n: sum,", "{n: summ,"),
            "CONFIG_ERROR: packs/p/pack.yaml:18:19: metrics.m.merge.fields.n: unknown merge "
            "rule 'summ'; did you mean 'sum'? rules: sum, min, max, distinct, avg, or {mean, "
            "share, rate, growth, prev_rate, prev_drop: <field>}");
  EXPECT_EQ(LoadError("{n: sum,", "{n: {average: avg},"),
            "CONFIG_ERROR: packs/p/pack.yaml:18:20: metrics.m.merge.fields.n.average: unknown "
            "key; merge rules with a field: mean, share, rate, growth, prev_rate, prev_drop");
  EXPECT_EQ(LoadError("{n: sum,", "{day: sum, n: sum,"),
            "CONFIG_ERROR: packs/p/pack.yaml:18:16: metrics.m.merge.fields.day: 'day' is a key "
            "field: rows with equal keys are combined, so it has no rule; remove it here");
}

TEST(MergeRulesValidation, RowRulesInListsAndObjectRulesInObjects) {
  EXPECT_EQ(LoadError("{mean: n}", "{growth: [n, n]}"),
            "CONFIG_ERROR: packs/p/pack.yaml:18:38: metrics.m.merge.fields.avg.growth: growth "
            "compares fields of one object: it applies in objects only");
  EXPECT_EQ(LoadError("{n: sum,", "{n: distinct,"), "(loaded)");
  EXPECT_EQ(LoadError("avg: {mean: n}", "avg: distinct"),
            "CONFIG_ERROR: packs/p/pack.yaml:18:29: metrics.m.merge.fields.avg: distinct counts "
            "are int fields; 'avg' is double");
  EXPECT_EQ(LoadError("{mean: n}", "{mean: avg}"),
            "CONFIG_ERROR: packs/p/pack.yaml:18:36: metrics.m.merge.fields.avg.mean: 'avg' "
            "cannot derive from itself");
}

TEST(MergeRulesValidation, LimitAndOffsetNameIntParameters) {
  EXPECT_EQ(LoadError("order: [day]", "order: [day]\n      limit: label"),
            "CONFIG_ERROR: packs/p/pack.yaml:20:14: metrics.m.merge.limit: 'label' is not an int "
            "parameter of metric 'm'; write a number or one of its int parameters (limit)");
  EXPECT_EQ(LoadError("order: [day]", "order: [day]\n      limt: 3"),
            "CONFIG_ERROR: packs/p/pack.yaml:20:7: metrics.m.merge.limt: unknown key; did you "
            "mean 'limit'? merge keys of a list: key, fields, order, limit, offset");
}

TEST(MergeRulesValidation, TheBuiltInPacksDeclareARuleForEveryMetric) {
  auto catalog = PackCatalog::LoadEmbedded();
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  int metrics = 0;
  for (const auto& pack : (*catalog)->packs()) {
    for (const auto& metric : pack.metrics) {
      ++metrics;
      EXPECT_TRUE(!metric.merge.fields.empty() || !metric.merge.order.empty()) << metric.name;
    }
  }
  EXPECT_EQ(metrics, 18);
}

}  // namespace
}  // namespace tributary
