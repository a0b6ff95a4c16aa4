// Golden files of the BigQuery dialect of the `llm` and `web` packs. BigQuery cannot run where
// the tests run (no network), so its SQL is pinned instead: every metric is rendered through the
// core's PlanMetricSql (the same path RunMetric takes, minus the source) with fixed parameters,
// and the GoogleSQL text plus the parameter list must equal tests/packs/golden/bigquery/
// <pack>.<metric>.sql. Every rendering, the golden ones and a few edge variants (no feature
// rule, one funnel step, no currency), must also be well formed: parentheses and brackets
// balanced, every string, quoted identifier and comment closed, and exactly the bound
// parameters referenced as @name.
//
// After a deliberate change of packs/*/bigquery.yaml (or of the renderer), rewrite the goldens
// and review their diff:
//   TRIB_UPDATE_GOLDEN=1 ./build/tributary_tests --gtest_filter='*BigQueryGolden*'
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/time_util.h"
#include "metrics/metric_params.h"
#include "metrics/metric_runner.h"
#include "metrics/pack.h"

namespace tributary {
namespace {

namespace fs = std::filesystem;

// Fixed inputs: a fractional asOf shows that timestamps keep their microseconds.
constexpr const char* kAsOf = "2026-11-21T13:00:00.250000Z";
constexpr const char* kWebTable = "my-project.analytics_123456.events_*";
constexpr const char* kLlmTable = "my-project.gateway.llm_logs";

fs::path GoldenDir() {
  return fs::path(TRIBUTARY_SOURCE_DIR) / "tests/packs/golden/bigquery";
}

bool UpdateGoldens() {
  const char* v = std::getenv("TRIB_UPDATE_GOLDEN");
  return v && *v && std::string(v) != "0";
}

const PackCatalog& Catalog() {
  static const std::shared_ptr<const PackCatalog> catalog = [] {
    auto loaded = PackCatalog::LoadEmbedded();
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.status().ToString();
      return std::shared_ptr<const PackCatalog>();
    }
    return *loaded;
  }();
  return *catalog;
}

// The parameters of a metric's golden rendering, by window kind and declared parameters.
RawParams FixedParams(const MetricDef& metric) {
  RawParams raw = {{"asOf", kAsOf}};
  switch (metric.window) {
    case WindowKind::kRange:
      raw.emplace_back("start", "2026-11-01");
      raw.emplace_back("end", "2026-11-21");
      break;
    case WindowKind::kDays:
      raw.emplace_back("days", "7");
      break;
    case WindowKind::kHours:
      raw.emplace_back("hours", "6");
      break;
    case WindowKind::kNone:
    case WindowKind::kLast24Hours:
      break;
  }
  if (metric.FindParam("limit")) raw.emplace_back("limit", "50");
  if (metric.FindParam("offset")) raw.emplace_back("offset", "10");
  if (metric.FindParam("currency")) raw.emplace_back("currency", "USD");
  // steps: the declared default, four items, exercises the loops.
  return raw;
}

// A parameter value as golden text: its type and an unambiguous rendering.
std::string ValueText(const Value& v) {
  if (v.is_null()) return "NULL";
  std::string type(ColumnTypeName(v.type));
  switch (v.type) {
    case ColumnType::kTimestamp:
      return type + " " + FormatTimestamp(v.as_int());
    case ColumnType::kDate:
      return type + " " + FormatDate(v.as_int());
    case ColumnType::kInt64:
      return type + " " + std::to_string(v.as_int());
    case ColumnType::kBool:
      return type + (v.as_bool() ? " true" : " false");
    case ColumnType::kString: {
      std::string out = type + " \"";
      for (char c : v.as_string()) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      return out + "\"";
    }
    default:
      return type + " (unexpected in a metric)";
  }
}

struct Rendered {
  std::vector<PlannedQuery> queries;
  std::string error;
};

Rendered Render(const Pack& pack, const MetricDef& metric, const RawParams& raw,
                const DatasetBinding& binding) {
  Rendered out;
  auto dialect = pack.dialects.find("bigquery");
  if (dialect == pack.dialects.end()) {
    out.error = "pack " + pack.name + " has no bigquery.yaml";
    return out;
  }
  auto params = ResolveParams(metric, raw, /*now_micros=*/0);
  if (!params.ok()) {
    out.error = params.status().ToString();
    return out;
  }
  auto planned = PlanMetricSql(pack, metric, dialect->second, *params, binding,
                               QuoteTable(dialect->second, binding.table));
  if (!planned.ok()) {
    out.error = planned.status().ToString();
    return out;
  }
  out.queries = std::move(planned).value();
  return out;
}

DatasetBinding BindingFor(const Pack& pack) {
  DatasetBinding binding;
  binding.name = pack.dataset;
  binding.source = "bq";
  binding.table = pack.name == "web" ? kWebTable : kLlmTable;
  return binding;
}

std::string GoldenText(const Pack& pack, const MetricDef& metric, const RawParams& raw,
                       const std::vector<PlannedQuery>& queries) {
  std::ostringstream out;
  out << "-- Golden file of tests/packs/bigquery_golden_test.cpp: pack " << pack.name << ", metric "
      << metric.name << ", dialect bigquery.\n-- Request:";
  for (const auto& [k, v] : raw) out << " " << k << "=" << v;
  out << "\n";
  for (const auto& q : queries) {
    out << "\n-- part: " << q.part << "\n";
    for (size_t i = 0; i < q.sql.params.size(); ++i) {
      out << "-- @" << q.sql.param_names[i] << " = " << ValueText(q.sql.params[i]) << "\n";
    }
    out << q.sql.sql;
    if (q.sql.sql.empty() || q.sql.sql.back() != '\n') out << "\n";
  }
  return out.str();
}

// Reads GoogleSQL text the way its lexer splits it and reports the first structural problem:
// an unbalanced ( ) or [ ], an unterminated string / quoted identifier / comment, a @name that
// is not bound, or a bound name never referenced. Empty when the text is well formed.
std::string StructureProblem(const RenderedSql& r) {
  const std::string& s = r.sql;
  std::vector<char> open;
  std::set<std::string> referenced;
  size_t i = 0;
  auto ident_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < s.size()) {
    char c = s[i];
    if (c == '\'' || c == '"' || c == '`') {
      // Triple-quoted strings may span lines; the others may not.
      bool triple = c != '`' && s.compare(i, 3, std::string(3, c)) == 0;
      size_t start = i;
      i += triple ? 3 : 1;
      bool closed = false;
      while (i < s.size()) {
        if (s[i] == '\\') {
          i += 2;
        } else if (triple ? s.compare(i, 3, std::string(3, c)) == 0 : s[i] == c) {
          i += triple ? 3 : 1;
          closed = true;
          break;
        } else if (!triple && s[i] == '\n') {
          break;
        } else {
          ++i;
        }
      }
      if (!closed)
        return "unterminated " + std::string(1, c) + " at offset " + std::to_string(start);
    } else if ((c == '-' && s.compare(i, 2, "--") == 0) || c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '/' && s.compare(i, 2, "/*") == 0) {
      size_t end = s.find("*/", i + 2);
      if (end == std::string::npos) return "unterminated /* comment at offset " + std::to_string(i);
      i = end + 2;
    } else if (c == '(' || c == '[') {
      open.push_back(c);
      ++i;
    } else if (c == ')' || c == ']') {
      char want = c == ')' ? '(' : '[';
      if (open.empty() || open.back() != want) {
        return std::string("unbalanced ") + c + " at offset " + std::to_string(i);
      }
      open.pop_back();
      ++i;
    } else if (c == '@') {
      size_t start = ++i;
      while (i < s.size() && ident_char(s[i])) ++i;
      if (i == start) return "@ without a parameter name at offset " + std::to_string(start - 1);
      referenced.insert(s.substr(start, i - start));
    } else {
      ++i;
    }
  }
  if (!open.empty()) return std::to_string(open.size()) + " unclosed ( or [";
  std::set<std::string> bound(r.param_names.begin(), r.param_names.end());
  if (bound.size() != r.param_names.size()) return "a parameter is bound twice";
  if (r.params.size() != r.param_names.size()) return "parameter values and names differ in count";
  for (const auto& name : referenced) {
    if (!bound.count(name)) return "@" + name + " is referenced but not bound";
  }
  for (const auto& name : bound) {
    if (!referenced.count(name)) return "@" + name + " is bound but never referenced";
  }
  return "";
}

struct MetricCase {
  std::string pack;
  std::string metric;
};

void PrintTo(const MetricCase& c, std::ostream* os) {
  *os << c.pack << "/" << c.metric;
}

std::vector<MetricCase> AllMetrics() {
  std::vector<MetricCase> out;
  for (const char* pack_name : {"llm", "web"}) {
    const Pack* pack = Catalog().Find(pack_name);
    if (!pack) {
      ADD_FAILURE() << "no pack " << pack_name;
      continue;
    }
    for (const auto& m : pack->metrics) out.push_back({pack->name, m.name});
  }
  return out;
}

class BigQueryGolden : public ::testing::TestWithParam<MetricCase> {};

TEST_P(BigQueryGolden, RenderedSqlMatchesTheGoldenFile) {
  const Pack* pack = Catalog().Find(GetParam().pack);
  ASSERT_NE(pack, nullptr);
  const MetricDef* metric = pack->FindMetric(GetParam().metric);
  ASSERT_NE(metric, nullptr);
  RawParams raw = FixedParams(*metric);
  Rendered rendered = Render(*pack, *metric, raw, BindingFor(*pack));
  ASSERT_TRUE(rendered.error.empty()) << rendered.error;
  for (const auto& q : rendered.queries) {
    EXPECT_EQ(StructureProblem(q.sql), "") << "part " << q.part << ":\n" << q.sql.sql;
  }

  std::string actual = GoldenText(*pack, *metric, raw, rendered.queries);
  fs::path file = GoldenDir() / (pack->name + "." + metric->name + ".sql");
  if (UpdateGoldens()) {
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << actual;
    GTEST_SKIP() << "rewrote " << file.string();
  }
  std::ifstream in(file, std::ios::binary);
  ASSERT_TRUE(in.good()) << file.string()
                         << " is missing; create it with TRIB_UPDATE_GOLDEN=1 (see the header)";
  std::string expected((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(actual, expected) << "the BigQuery SQL of " << pack->name << "/" << metric->name
                              << " changed; if that is intended, rewrite the golden file with "
                                 "TRIB_UPDATE_GOLDEN=1 and review its diff";
}

INSTANTIATE_TEST_SUITE_P(Packs, BigQueryGolden, ::testing::ValuesIn(AllMetrics()),
                         [](const ::testing::TestParamInfo<MetricCase>& info) {
                           return info.param.pack + "_" + info.param.metric;
                         });

// A golden file whose metric no longer exists would silently stop being checked.
TEST(BigQueryGoldenFiles, EveryGoldenFileBelongsToAMetric) {
  std::set<std::string> expected;
  for (const auto& c : AllMetrics()) expected.insert(c.pack + "." + c.metric + ".sql");
  if (UpdateGoldens() && !fs::is_directory(GoldenDir())) GTEST_SKIP() << "no goldens yet";
  ASSERT_TRUE(fs::is_directory(GoldenDir())) << GoldenDir().string();
  for (const auto& entry : fs::directory_iterator(GoldenDir())) {
    EXPECT_TRUE(expected.count(entry.path().filename().string()))
        << entry.path().string() << " names no metric of the llm or web pack; delete it";
  }
}

// Renderings beyond the goldens' parameters: the loops at their edges and a NULL currency
// must still give well-formed SQL.
TEST(BigQueryGoldenEdges, EdgeRenderingsAreWellFormed) {
  const Pack* web = Catalog().Find("web");
  ASSERT_NE(web, nullptr);
  struct Edge {
    std::string metric;
    RawParams raw;
    bool no_features;
  };
  const std::vector<Edge> edges = {
      {"features", {{"asOf", kAsOf}, {"days", "30"}}, true},
      {"funnel",
       {{"asOf", kAsOf}, {"start", "2026-11-01"}, {"end", "2026-11-01"}, {"steps", "purchase"}},
       false},
      {"funnel", {{"asOf", kAsOf}, {"days", "3"}, {"steps", "a,b,c,d,e,f,g,h,i,j"}}, false},
      {"kpis", {{"asOf", kAsOf}, {"days", "1"}}, false},
  };
  for (const auto& edge : edges) {
    SCOPED_TRACE(edge.metric);
    const MetricDef* metric = web->FindMetric(edge.metric);
    ASSERT_NE(metric, nullptr);
    DatasetBinding binding = BindingFor(*web);
    if (edge.no_features) binding.feature_rules = std::vector<FeatureRule>{};
    Rendered rendered = Render(*web, *metric, edge.raw, binding);
    ASSERT_TRUE(rendered.error.empty()) << rendered.error;
    for (const auto& q : rendered.queries) {
      EXPECT_EQ(StructureProblem(q.sql), "") << q.sql.sql;
      if (edge.metric == "kpis") {
        // No currency: @currency is bound, as NULL, so `@currency IS NULL` sums every row.
        auto at = std::find(q.sql.param_names.begin(), q.sql.param_names.end(), "currency");
        ASSERT_NE(at, q.sql.param_names.end());
        EXPECT_TRUE(q.sql.params[at - q.sql.param_names.begin()].is_null());
      }
    }
  }
  // The checker itself must catch what it is there to catch.
  RenderedSql bad;
  bad.sql = "SELECT (1 FROM t WHERE x = @from";
  EXPECT_NE(StructureProblem(bad), "");
  bad.sql = "SELECT 1 FROM t WHERE x = @from";
  EXPECT_EQ(StructureProblem(bad), "@from is referenced but not bound");
  bad.params = {Value::Int64(1)};
  bad.param_names = {"from"};
  EXPECT_EQ(StructureProblem(bad), "");
  bad.sql = "SELECT 'it\\'s' FROM t WHERE x = @from AND y = 'open";
  EXPECT_NE(StructureProblem(bad), "");
  bad.sql = "SELECT `a(` FROM t WHERE x = @from -- )\n";
  EXPECT_EQ(StructureProblem(bad), "");
}

}  // namespace
}  // namespace tributary
