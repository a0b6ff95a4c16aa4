// Merged answers of a dataset split across three real sources (DuckDB, PostgreSQL, MariaDB)
// against the oracle over the UNION of the rows: every metric of `llm` and `web`, through the
// HTTP API, with the pack's merge rules (docs/packs.md, "Merge rules").
//
// Fields the merge computes exactly must equal the union oracle (1e-9 relative on doubles).
// Fields it flags in meta.approximate must be fields whose rule is approximate; a distinct
// count flagged there must equal the sum of what each source holds (the oracle over that
// source's rows), and a top-N a source may have cut must still be a lower bound of the union.
//
// Two splits: `tt` as a deployment would split (one MariaDB holds some tenants / devices, the
// rest is split in time between DuckDB, older, and PostgreSQL, newer, at an instant inside a
// day, so days and users span sources), and `ov` where every third row goes to each source,
// so nearly every user is in every source: there the summed distinct counts really differ
// from the exact ones, which shows that meta.approximate matters.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "connectors/common/http_client.h"
#include "metrics/pack.h"
#include "orchestrator/runtime.h"
#include "support/contract_json.h"
#include "support/in_process_server.h"
#include "support/packs_dataset.h"
#include "support/packs_oracle.h"
#include "support/server_harness.h"

namespace tributary {
namespace {

namespace json = boost::json;
using packs_test::Dataset;
using packs_test::OracleParams;
using testing::InProcessServer;

constexpr const char* kAsOf = "2026-11-21T13:00:00Z";
constexpr int64_t kHour = 3600LL * 1000000;

uint64_t Fnv(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

const Dataset& AllRows() {
  static const Dataset data = packs_test::GenerateDataset(packs_test::kDatasetSeed, false);
  return data;
}

// Part `part` (0 DuckDB, 1 PostgreSQL, 2 MariaDB) of split "tt" or "ov".
Dataset Part(const std::string& split, int part) {
  // Inside a day and inside the default windows: dates, hours and users span two sources.
  const int64_t cutoff = packs_test::kAsOfMicros - 3 * 24 * kHour - 7 * kHour - 123457;
  Dataset out;
  size_t i = 0;
  for (const auto& r : AllRows().llm) {
    int owner = split == "ov"               ? static_cast<int>(i % 3)
                : Fnv(r.tenant_id) % 3 == 0 ? 2
                : r.ts < cutoff             ? 0
                                            : 1;
    if (owner == part) out.llm.push_back(r);
    ++i;
  }
  i = 0;
  for (const auto& r : AllRows().web) {
    int owner = split == "ov"                    ? static_cast<int>(i % 3)
                : Fnv(r.user_pseudo_id) % 3 == 0 ? 2
                : r.ts < cutoff                  ? 0
                                                 : 1;
    if (owner == part) out.web.push_back(r);
    ++i;
  }
  return out;
}

const std::vector<Dataset>& Parts(const std::string& split) {
  static std::mutex mu;
  static std::map<std::string, std::vector<Dataset>> parts;
  std::lock_guard lock(mu);
  auto& p = parts[split];
  if (p.empty()) {
    for (int i = 0; i < 3; ++i) p.push_back(Part(split, i));
  }
  return p;
}

// ctest runs tests two at a time, each in a process of its own: names carry the process id so
// that concurrent processes never load each other's tables or lock each other's files.
std::string Ns(const std::string& split) {
  return "trib_fanout_merge_" + split + "_p" + std::to_string(::getpid());
}

std::string DuckPath(const std::string& split) {
  return (std::filesystem::temp_directory_path() / (Ns(split) + ".duckdb")).string();
}

// Loads both splits into the three engines once per process; "" or what failed.
std::string LoadOnce() {
  static std::once_flag once;
  static std::string error;
  std::call_once(once, [] {
    for (const std::string split : {"tt", "ov"}) {
      const auto& parts = Parts(split);
      for (const auto& p : parts) {
        if (p.llm.empty() || p.web.empty()) error = "split " + split + " has an empty part";
      }
      if (error.empty()) error = packs_test::LoadDuckDb(DuckPath(split), parts[0]);
      if (error.empty()) error = packs_test::LoadPostgres(Ns(split), parts[1]);
      if (error.empty()) error = packs_test::LoadMariaDb(Ns(split), parts[2]);
      if (!error.empty()) return;
    }
    std::atexit([] {
      for (const std::string split : {"tt", "ov"}) {
        std::filesystem::remove(DuckPath(split));
        std::filesystem::remove(DuckPath(split) + ".wal");
      }
    });
  });
  return error;
}

std::string ConfigYaml() {
  std::string y =
      "sources:\n"
      "  pg:\n    type: postgres\n    host: ${TRIB_TEST_PG_HOST}\n    port: ${TRIB_TEST_PG_PORT}\n"
      "    database: ${TRIB_TEST_PG_DB}\n    user: ${TRIB_TEST_PG_USER}\n"
      "    password: ${TRIB_TEST_PG_PASSWORD}\n"
      "  mdb:\n    type: mysql\n    host: ${TRIB_TEST_MARIADB_HOST}\n"
      "    port: ${TRIB_TEST_MARIADB_PORT}\n    database: ${TRIB_TEST_MARIADB_DB}\n"
      "    user: ${TRIB_TEST_MARIADB_USER}\n    password: ${TRIB_TEST_MARIADB_PASSWORD}\n";
  for (const std::string split : {"tt", "ov"}) {
    y += "  duck_" + split + ":\n    type: duckdb\n    path: '" + DuckPath(split) + "'\n";
  }
  y += "projects:\n";
  for (const std::string split : {"tt", "ov"}) {
    const std::string ns = Ns(split);
    y += "  split_" + split + ":\n    sources: [duck_" + split + ", pg, mdb]\n    datasets:\n";
    for (const std::string table : {"llm_logs", "web_events"}) {
      y += "      " + table + ":\n";
      y += "        - {source: duck_" + split + ", table: " + table + "}\n";
      y += "        - {source: pg, table: " + ns + "." + table + "}\n";
      y += "        - {source: mdb, table: " + ns + "_" + table + "}\n";
    }
  }
  return y;
}

struct Served {
  std::shared_ptr<Runtime> runtime;
  std::unique_ptr<InProcessServer> server;
  std::string error;
};

Served& Server() {
  static Served* served = [] {
    auto* s = new Served;
    Result<Config> config = LoadConfigText(ConfigYaml(), "fanout_merge.yaml", ".");
    if (!config.ok()) {
      s->error = config.status().ToString();
      return s;
    }
    s->runtime = Runtime::Open(std::move(*config));
    if (!s->runtime->packs().ok()) {
      s->error = s->runtime->packs().status().ToString();
      return s;
    }
    s->server = InProcessServer::Start(s->runtime, &s->error);
    return s;
  }();
  return *served;
}

std::vector<std::pair<std::string, OracleParams>> ParamSets(const MetricDef& metric) {
  std::vector<std::pair<std::string, OracleParams>> sets = {{"default", {{"asOf", kAsOf}}}};
  switch (metric.window) {
    case WindowKind::kRange:
      sets.push_back(
          {"start_end", {{"asOf", kAsOf}, {"start", "2026-11-10"}, {"end", "2026-11-20"}}});
      sets.push_back({"days7", {{"asOf", kAsOf}, {"days", "7"}}});
      sets.push_back({"empty", {{"asOf", kAsOf}, {"start", "2025-01-01"}, {"end", "2025-01-03"}}});
      break;
    case WindowKind::kDays:
      sets.push_back({"days7", {{"asOf", kAsOf}, {"days", "7"}}});
      sets.push_back({"days366", {{"asOf", kAsOf}, {"days", "366"}}});
      break;
    case WindowKind::kHours:
      sets.push_back({"hours6", {{"asOf", kAsOf}, {"hours", "6"}}});
      sets.push_back({"hours720", {{"asOf", kAsOf}, {"hours", "720"}}});
      break;
    case WindowKind::kLast24Hours:
      sets.push_back({"fractional_asof", {{"asOf", "2026-11-21T13:00:00.25Z"}}});
      break;
    case WindowKind::kNone:
      sets.push_back({"limit7_offset3", {{"asOf", kAsOf}, {"limit", "7"}, {"offset", "3"}}});
      sets.push_back(
          {"limit1000_offset500", {{"asOf", kAsOf}, {"limit", "1000"}, {"offset", "500"}}});
      // sample_logs' filters: each source answers its first offset + limit matching rows.
      sets.push_back({"filtered_tenant_offset",
                      {{"asOf", kAsOf}, {"tenant", "globex"}, {"limit", "20"}, {"offset", "30"}}});
      sets.push_back({"filtered_status_anomaly",
                      {{"asOf", kAsOf},
                       {"status", "error"},
                       {"anomaly", "false"},
                       {"limit", "50"},
                       {"offset", "10"}}});
      sets.push_back({"filtered_search",
                      {{"asOf", kAsOf}, {"search", "-b"}, {"limit", "9"}, {"offset", "4"}}});
      break;
  }
  if (metric.name == "kpis")
    sets.push_back({"currency_usd", {{"asOf", kAsOf}, {"currency", "USD"}}});
  if (metric.name == "funnel") {
    sets.push_back(
        {"steps_custom", {{"asOf", kAsOf}, {"steps", "session_start,page_view,purchase"}}});
  }
  return sets;
}

// ---- checking one answer ----------------------------------------------------------------

const MergeFieldRule* RuleAt(const MergeRule& rule, const std::string& path) {
  const MergeRule* level = &rule;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
    const MergeFieldRule* found = nullptr;
    for (const auto& r : level->fields) {
      if (r.field == part) found = &r;
    }
    if (!found || dot == std::string::npos) return found;
    if (!found->nested) return nullptr;
    level = found->nested.get();
    start = dot + 1;
  }
}

struct Check {
  std::set<std::string> approximate;
  // Distinct counts whose summed value differs from the exact one.
  int distinct_differs = 0;
  std::vector<std::string> problems;
};

std::string KeyOf(const MergeRule& rule, const json::object& row) {
  std::string key;
  for (const auto& k : rule.key) {
    const json::value* v = row.if_contains(k);
    key += v ? json::serialize(*v) : "null";
    key += '\x1f';
  }
  return key;
}

std::string JoinPath(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

int64_t IntOf(const json::value* v) {
  if (!v) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  return 0;
}

void AdjustList(const MergeRule& rule, json::value& expected, const json::value& actual,
                const std::vector<const json::value*>& parts, const std::string& prefix,
                Check& check);

// Replaces in `expected` (the union oracle) what the merge may honestly give differently.
void AdjustObject(const MergeRule& rule, json::value& expected, const json::value& actual,
                  const std::vector<const json::value*>& parts, const std::string& prefix,
                  Check& check) {
  if (!expected.is_object() || !actual.is_object()) return;
  for (const auto& r : rule.fields) {
    const std::string path = JoinPath(prefix, r.field);
    json::value* e = expected.as_object().if_contains(r.field);
    const json::value* a = actual.as_object().if_contains(r.field);
    if (!e || !a) continue;
    std::vector<const json::value*> sub;
    for (const auto* p : parts) sub.push_back(p->as_object().if_contains(r.field));
    if (r.kind == MergeKind::kObject) {
      AdjustObject(*r.nested, *e, *a, sub, path, check);
    } else if (r.kind == MergeKind::kList) {
      AdjustList(*r.nested, *e, *a, sub, path, check);
    } else if (check.approximate.count(path)) {
      if (r.kind == MergeKind::kDistinct) {
        int64_t sum = 0;
        for (const auto* v : sub) sum += IntOf(v);
        if (sum != IntOf(e)) ++check.distinct_differs;
        *e = sum;
      } else {
        *e = *a;
      }
    }
  }
}

void AdjustList(const MergeRule& rule, json::value& expected, const json::value& actual,
                const std::vector<const json::value*>& parts, const std::string& prefix,
                Check& check) {
  if (rule.key.empty() || !expected.is_array() || !actual.is_array()) return;
  std::map<std::string, const json::object*> union_rows;
  for (const auto& row : expected.as_array())
    union_rows[KeyOf(rule, row.as_object())] = &row.as_object();
  if (rule.limit && !rule.order.empty() &&
      check.approximate.count(JoinPath(prefix, rule.order.front().field))) {
    // A source may have cut a row that belongs to the merged top N: every merged row is a
    // key of the union, with counts no larger than the union's.
    for (const auto& row : actual.as_array()) {
      auto it = union_rows.find(KeyOf(rule, row.as_object()));
      if (it == union_rows.end()) {
        // Not in the union's top N: its true count is at most the union's last one, and the
        // merged count at most its true count.
        const std::string& by = rule.order.front().field;
        const auto& union_list = expected.as_array();
        if (union_list.empty() || IntOf(row.as_object().if_contains(by)) >
                                      IntOf(union_list.back().as_object().if_contains(by))) {
          check.problems.push_back(prefix + ": merged row " + json::serialize(row) +
                                   " ranks above the union's top N");
        }
        continue;
      }
      for (const auto& r : rule.fields) {
        if (r.kind != MergeKind::kSum) continue;
        if (IntOf(row.as_object().if_contains(r.field)) > IntOf(it->second->if_contains(r.field))) {
          check.problems.push_back(prefix + ": merged " + r.field + " of " + json::serialize(row) +
                                   " exceeds the union's");
        }
      }
    }
    if (actual.as_array().size() > static_cast<size_t>(*rule.limit)) {
      check.problems.push_back(prefix + ": more rows than the limit");
    }
    expected = actual;
    return;
  }
  std::vector<std::map<std::string, const json::object*>> part_rows(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!parts[i] || !parts[i]->is_array()) continue;
    for (const auto& row : parts[i]->as_array()) {
      part_rows[i][KeyOf(rule, row.as_object())] = &row.as_object();
    }
  }
  auto& rows = expected.as_array();
  for (size_t idx = 0; idx < rows.size(); ++idx) {
    json::object& row = rows[idx].as_object();
    const std::string key = KeyOf(rule, row);
    for (const auto& r : rule.fields) {
      const std::string path = JoinPath(prefix, r.field);
      if (!check.approximate.count(path)) continue;
      if (r.kind == MergeKind::kDistinct) {
        int64_t sum = 0;
        for (const auto& p : part_rows) {
          auto it = p.find(key);
          if (it != p.end()) sum += IntOf(it->second->if_contains(r.field));
        }
        if (sum != IntOf(row.if_contains(r.field))) ++check.distinct_differs;
        row[r.field] = sum;
      } else if (idx < actual.as_array().size()) {
        const json::value* a = actual.as_array()[idx].as_object().if_contains(r.field);
        if (a) row[r.field] = *a;
      }
    }
  }
}

bool MayBeApproximate(const MetricDef& metric, const std::string& path) {
  const MergeFieldRule* r = RuleAt(metric.merge, path);
  if (!r) return false;
  switch (r->kind) {
    case MergeKind::kDistinct:
    case MergeKind::kAvg:
    case MergeKind::kRate:
    case MergeKind::kGrowth:
    case MergeKind::kPrevRate:
    case MergeKind::kPrevDrop:
    case MergeKind::kShare:
      return true;
    case MergeKind::kSum: {
      // Only as the order field of a fixed top-N.
      size_t dot = path.rfind('.');
      const MergeRule* level = &metric.merge;
      if (dot != std::string::npos) {
        const MergeFieldRule* parent = RuleAt(metric.merge, path.substr(0, dot));
        if (!parent || !parent->nested) return false;
        level = parent->nested.get();
      }
      return level->limit && !level->order.empty() &&
             level->order.front().field == path.substr(dot == std::string::npos ? 0 : dot + 1);
    }
    default:
      return false;
  }
}

json::value Parse(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value(text) : v;
}

std::string Target(const std::string& project, const std::string& pack, const std::string& metric,
                   const OracleParams& params) {
  std::string target = "/api/v1/projects/" + project + "/metrics/" + pack + "/" + metric;
  char separator = '?';
  for (const auto& [name, value] : params) {
    target += separator;
    target += UrlEncode(name) + "=" + UrlEncode(value);
    separator = '&';
  }
  return target;
}

void RequireServers() {
  for (const char* var : {"TRIB_TEST_PG_HOST", "TRIB_TEST_MARIADB_HOST"}) {
    ASSERT_NE(std::getenv(var), nullptr)
        << var << " is not set: run via `make test`, or source the test servers' env file";
  }
}

// Every metric of both packs, every parameter set, on one split.
void CheckSplit(const std::string& split, int* distinct_differs) {
  RequireServers();
  ASSERT_EQ(LoadOnce(), "");
  Served& served = Server();
  ASSERT_TRUE(served.server) << served.error;
  const auto& catalog = **served.runtime->packs();
  const auto& parts = Parts(split);
  testing::HttpClient client(served.server->port());
  int metrics = 0;
  for (const std::string pack_name : {"llm", "web"}) {
    const Pack* pack = catalog.Find(pack_name);
    ASSERT_NE(pack, nullptr);
    for (const auto& metric : pack->metrics) {
      ++metrics;
      for (const auto& [set, params] : ParamSets(metric)) {
        SCOPED_TRACE(split + " " + pack_name + "/" + metric.name + " " + set);
        const std::string target = Target("split_" + split, pack_name, metric.name, params);
        testing::HttpResponse response = client.Get(target);
        ASSERT_EQ(response.status, 200) << target << "\n" << response.body.substr(0, 2000);
        json::value envelope = Parse(response.body);
        ASSERT_TRUE(envelope.is_object()) << response.body.substr(0, 500);
        const json::object& meta = envelope.at("meta").as_object();
        EXPECT_EQ(meta.at("partial"), json::value(false));
        ASSERT_EQ(meta.at("sources").as_array().size(), 3u);
        for (const auto& s : meta.at("sources").as_array()) {
          EXPECT_EQ(s.at("status"), json::value("ok")) << json::serialize(s);
        }
        Check check;
        if (const json::value* a = meta.if_contains("approximate")) {
          for (const auto& f : a->as_array()) {
            std::string path(f.as_string());
            check.approximate.insert(path);
            EXPECT_TRUE(MayBeApproximate(metric, path))
                << path << " is flagged approximate but its rule is exact";
          }
        }
        packs_test::OracleAnswer oracle =
            packs_test::OracleData(AllRows(), pack_name, metric.name, params);
        ASSERT_EQ(oracle.error, "");
        json::value expected = Parse(oracle.json);
        std::vector<json::value> part_values;
        for (const auto& p : parts) {
          packs_test::OracleAnswer part = packs_test::OracleData(p, pack_name, metric.name, params);
          ASSERT_EQ(part.error, "");
          part_values.push_back(Parse(part.json));
        }
        std::vector<const json::value*> part_ptrs;
        for (const auto& v : part_values) part_ptrs.push_back(&v);
        const json::value& actual = envelope.at("data");
        if (metric.object_shape) {
          AdjustObject(metric.merge, expected, actual, part_ptrs, "", check);
        } else {
          AdjustList(metric.merge, expected, actual, part_ptrs, "", check);
        }
        for (const auto& problem : check.problems) ADD_FAILURE() << problem;
        std::vector<std::string> diffs = testing::JsonDifferences(expected, actual, "data");
        EXPECT_TRUE(diffs.empty()) << diffs.front() << "\nGET " << target << "\n"
                                   << response.body.substr(0, 1500);
        *distinct_differs += check.distinct_differs;
      }
    }
  }
  EXPECT_EQ(metrics, 18);
}

TEST(FanoutMerge, TimeAndTenantSplitEqualsTheUnionOracle) {
  int distinct_differs = 0;
  CheckSplit("tt", &distinct_differs);
}

TEST(FanoutMerge, OverlappingUsersSplitFlagsTheSummedDistinctCounts) {
  int distinct_differs = 0;
  CheckSplit("ov", &distinct_differs);
  // Users are in every source: summed distinct counts exceed the exact ones, and every one of
  // them was flagged (an unflagged one would have been compared with the union oracle).
  EXPECT_GT(distinct_differs, 20);
}

}  // namespace
}  // namespace tributary
