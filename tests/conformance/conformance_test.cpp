// The connector conformance suite: the same cases against every registered target
// (tests/conformance/targets/*_target.cpp), as `Conformance/ConformanceTest.<Case>/<target>`.
//
// Each target's connector is built through the registry, exactly as a config would build it,
// and opened once per process (lazily, on the first test that needs it), after the target's
// fixtures are prepared. Cases that need a feature an engine lacks skip with GTEST_SKIP naming
// the capability flag (`sql` for the cases written in SQL, when the engine speaks another
// language); nothing else skips: a missing test server fails. Engine-neutral cases get their
// queries from the target's hooks (OneRowQuery, NumberedRowsQuery, SlowRequest, EchoQuery,
// ExpectedSchema), whose defaults are the SQL these cases always ran.
// Thread-safety: tests run one at a time; ConcurrentUse, Cancel and PoolExhaustion start their
// own threads and join them before returning.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "conformance/conformance_target.h"
#include "connectors/registry.h"
#include "core/result_writer.h"
#include "core/time_util.h"

namespace tributary::conformance {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int64_t kNumbersRows = 100000;
constexpr int64_t kTypesRows = 3;

// Everything the suite keeps about one target for the whole process.
struct TargetState {
  std::unique_ptr<Target> target;
  std::once_flag ready_once;
  //! Fixtures prepared and the shared connector opened; the error otherwise.
  Status ready = Internal("not prepared");
  std::unique_ptr<Connector> connector;
};

std::map<std::string, std::unique_ptr<TargetState>>& States() {
  static std::map<std::string, std::unique_ptr<TargetState>> states;
  return states;
}

// Builds every registered target once (cheap by contract) and returns their names, the test
// parameters. Called by gtest while it registers the tests, after static initialisation.
std::vector<std::string> TargetNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& make : RegisteredTargets()) {
      auto state = std::make_unique<TargetState>();
      state->target = make();
      const std::string name = state->target->name();
      if (States().count(name) != 0) {
        ADD_FAILURE() << "two conformance targets are named \"" << name << "\"";
        continue;
      }
      States().emplace(name, std::move(state));
      out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }();
  return names;
}

std::string TestNameFor(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

// Closes the shared connectors before static destruction, and lets targets clean up
// (temporary files) in their destructors.
class ConformanceEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    for (auto& [name, state] : States()) {
      if (state->connector) state->connector->Close();
      state->connector.reset();
      state->target.reset();
    }
  }
};

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new ConformanceEnvironment);

//! Builds (does not open) a connector for `target` with `options`, through the registry.
Result<std::unique_ptr<Connector>> BuildConnector(const Target& target, const Options& options,
                                                  const std::string& id_suffix = "") {
  const ConnectorFactory* factory = FindConnector(target.connector_type());
  if (factory == nullptr) {
    return NotFound("no connector of type \"" + target.connector_type() +
                    "\" is registered (add it to src/connectors/registry.cpp)");
  }
  SourceContext context;
  context.id = "conf_" + target.name() + id_suffix;
  context.options = options;
  auto connector = factory->create(context);
  if (!connector) return Internal("the factory of " + target.connector_type() + " returned null");
  return connector;
}

Status Prepare(TargetState& state) {
  Target& target = *state.target;
  TRIB_RETURN_IF_ERROR(target.PrepareFixtures().WithContext("preparing the fixtures"));
  TRIB_ASSIGN_OR_RETURN(state.connector, BuildConnector(target, target.BaseOptions()));
  TRIB_RETURN_IF_ERROR(state.connector->Open().WithContext("opening the connector"));
  return Status::Ok();
}

QueryRequest Request(std::string sql, std::vector<Value> params = {}) {
  QueryRequest request;
  request.sql = std::move(sql);
  request.params = std::move(params);
  request.max_rows = 0;
  request.max_bytes = 0;
  request.timeout = milliseconds(30000);
  return request;
}

//! A hook's query with the suite's limits and timeout, as Request sets them.
QueryRequest Request(const ProbeQuery& probe) {
  QueryRequest request = Request(probe.request.sql, probe.request.params);
  request.options = probe.request.options;
  return request;
}

//! What a request ran, for messages: the query text and its options.
std::string Describe(const QueryRequest& request) {
  std::string text = request.sql.size() > 200 ? request.sql.substr(0, 200) + "..." : request.sql;
  for (const auto& [key, value] : request.options) text += " [" + key + "=" + value + "]";
  return text;
}

//! An integer read back from any engine: count(*) is BIGINT in one engine, UInt64 (decimal)
//! in another, an integer-valued double or text in a third.
std::optional<int64_t> ToInt64(const Value& v) {
  switch (v.type) {
    case ColumnType::kInt64:
      if (v.is_null()) return std::nullopt;
      return v.as_int();
    case ColumnType::kBool:
      if (v.is_null()) return std::nullopt;
      return v.as_bool() ? 1 : 0;
    case ColumnType::kDouble:
      if (v.is_null()) return std::nullopt;
      return static_cast<int64_t>(v.as_double());
    case ColumnType::kDecimal:
    case ColumnType::kString: {
      if (v.is_null()) return std::nullopt;
      try {
        size_t used = 0;
        const int64_t n = std::stoll(v.as_string(), &used);
        if (used == v.as_string().size()) return n;
      } catch (const std::exception&) {
      }
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

std::string Show(const Value& v) {
  QueryResult one({ColumnInfo{"v", v.type, ""}});
  one.AppendRow({v});
  return std::string(ColumnTypeName(v.type)) + " " + CellToJson(one, 0, 0);
}

//! ResultToJson(result)["rows"], exactly as the API writes it.
std::string RowsJson(const QueryResult& result) {
  const std::string doc = ResultToJson(result);
  // Strings are escaped, so these markers can only be structural.
  const size_t begin = doc.find("],\"rows\":");
  const size_t end = doc.rfind(",\"stats\":{");
  if (begin == std::string::npos || end == std::string::npos || end < begin) return doc;
  return doc.substr(begin + 9, end - begin - 9);
}

//! The cells that differ between a result and the expected rows, by row and column name.
std::string CellDiff(const QueryResult& result, const std::string& expected_json) {
  boost::system::error_code ec;
  boost::json::value expected = boost::json::parse(expected_json, ec);
  if (ec || !expected.is_array()) return "expected rows are not a JSON array: " + ec.message();
  const auto& rows = expected.as_array();
  std::string out;
  if (rows.size() != result.row_count()) {
    out += "row count: got " + std::to_string(result.row_count()) + ", expected " +
           std::to_string(rows.size()) + "\n";
  }
  for (size_t r = 0; r < std::min(rows.size(), result.row_count()); ++r) {
    if (!rows[r].is_array()) continue;
    const auto& cells = rows[r].as_array();
    for (size_t c = 0; c < std::max(cells.size(), result.column_count()); ++c) {
      const std::string name = c < result.column_count() ? result.columns()[c].name : "?";
      const std::string got = c < result.column_count() ? CellToJson(result, r, c) : "(none)";
      const std::string want = c < cells.size() ? boost::json::serialize(cells[c]) : "(none)";
      boost::system::error_code got_ec;
      boost::json::value got_value = boost::json::parse(got, got_ec);
      if (got_ec || c >= cells.size() || got_value != cells[c]) {
        out += "row " + std::to_string(r + 1) + " column " + name + ": got " + got + ", expected " +
               want + "\n";
      }
    }
  }
  return out.empty() ? "(cells are equal as JSON values; the text differs, e.g. decimal digits)"
                     : out;
}

//! The expected value of column `name` in the row whose id is `id`, from the target's JSON.
std::optional<boost::json::value> ExpectedCell(const Target& target, const std::string& name,
                                               int64_t id) {
  const auto columns = target.ExpectedTypeColumns();
  std::optional<size_t> id_index, name_index;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == "id") id_index = i;
    if (columns[i].name == name) name_index = i;
  }
  if (!id_index || !name_index) return std::nullopt;
  boost::system::error_code ec;
  boost::json::value rows = boost::json::parse(target.ExpectedTypeRowsJson(), ec);
  if (ec || !rows.is_array()) return std::nullopt;
  for (const auto& row : rows.as_array()) {
    if (!row.is_array() || row.as_array().size() <= std::max(*id_index, *name_index)) continue;
    const auto& id_cell = row.as_array()[*id_index];
    if (id_cell.is_int64() && id_cell.as_int64() == id) return row.as_array()[*name_index];
  }
  return std::nullopt;
}

//! Values of options that must never appear in a message: passwords, and a URL's password.
std::vector<std::string> SecretsOf(const Options& options) {
  std::vector<std::string> secrets;
  for (const auto& [name, entry] : options.entries()) {
    const auto* text = std::get_if<std::string>(&entry.value);
    if (text == nullptr || text->empty()) continue;
    if (entry.secret || name.find("password") != std::string::npos) secrets.push_back(*text);
    const size_t scheme = text->find("://");
    const size_t at = text->rfind('@');
    if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
      const std::string userinfo = text->substr(scheme + 3, at - scheme - 3);
      const size_t colon = userinfo.find(':');
      if (colon != std::string::npos && colon + 1 < userinfo.size()) {
        secrets.push_back(userinfo.substr(colon + 1));
      }
    }
  }
  return secrets;
}

bool IsOneOf(ErrorCode code, std::initializer_list<ErrorCode> codes) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

int64_t MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

class ConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto it = States().find(GetParam());
    ASSERT_NE(it, States().end()) << "unknown target " << GetParam();
    state_ = it->second.get();
    ASSERT_NE(state_->target, nullptr);
    std::call_once(state_->ready_once, [state = state_] { state->ready = Prepare(*state); });
    ASSERT_TRUE(state_->ready.ok()) << GetParam() << ": " << state_->ready.ToString();
  }

  Target& target() { return *state_->target; }
  Connector& connector() { return *state_->connector; }
  Capabilities caps() { return target().capabilities(); }

  std::string Ph(int i, ColumnType type) { return target().TypedPlaceholder(i, type); }

  //! Runs a query that must succeed; an empty result (and a test failure) otherwise.
  QueryResult Must(const std::string& sql, std::vector<Value> params = {}) {
    auto result = connector().Execute(Request(sql, std::move(params)));
    EXPECT_TRUE(result.ok()) << sql << " -> " << result.status().ToString();
    return result.ok() ? std::move(result).value() : QueryResult();
  }

  //! The single cell of a one-row, one-column query (null, and a failure, otherwise).
  Value MustValue(const std::string& sql, std::vector<Value> params = {}) {
    QueryResult result = Must(sql, std::move(params));
    EXPECT_EQ(result.row_count(), 1u) << sql;
    EXPECT_EQ(result.column_count(), 1u) << sql;
    if (result.row_count() != 1 || result.column_count() < 1) return Value::Null();
    return result.ValueAt(0, 0);
  }

  std::optional<int64_t> Count(const std::string& table) {
    auto result = connector().Execute(Request("SELECT count(*) FROM " + table));
    if (!result.ok() || result->row_count() != 1) return std::nullopt;
    return ToInt64(result->ValueAt(0, 0));
  }

  //! The connector answers a trivial query (after a timeout, a cancel or a refusal):
  //! the target's OneRowQuery (SELECT 1 for SQL targets).
  void ExpectStillWorks() {
    const ProbeQuery probe = target().OneRowQuery();
    Value one = ProbeValue(connector(), probe);
    EXPECT_EQ(ToInt64(one), 1) << Show(one);
  }

  //! Runs a hook's one-row query on `on` and returns the cell it names (null, and a failure,
  //! when the query fails or the result has another shape).
  Value ProbeValue(Connector& on, const ProbeQuery& probe) {
    auto result = on.Execute(Request(probe));
    EXPECT_TRUE(result.ok()) << Describe(probe.request) << " -> " << result.status().ToString();
    if (!result.ok()) return Value::Null();
    EXPECT_EQ(result->row_count(), 1u) << Describe(probe.request);
    if (probe.column_count != 0) {
      EXPECT_EQ(result->column_count(), probe.column_count) << Describe(probe.request);
    }
    if (result->row_count() != 1 || result->column_count() <= probe.column) return Value::Null();
    return result->ValueAt(0, probe.column);
  }

  bool ConnectorHasParameters() { return connector().capabilities().parameters; }

  TargetState* state_ = nullptr;
};

// GTEST_SKIP when a capability flag of the target (or the connector) is false.
#define SKIP_UNLESS_TARGET_CAN(flag)                                                        \
  do {                                                                                      \
    if (!caps().flag) {                                                                     \
      GTEST_SKIP() << GetParam() << ": target capability `" #flag "` is false (the engine " \
                   << "lacks this feature)";                                                \
    }                                                                                       \
  } while (false)
#define SKIP_UNLESS_CONNECTOR_CAN(flag)                                                 \
  do {                                                                                  \
    if (!connector().capabilities().flag) {                                             \
      GTEST_SKIP() << GetParam() << ": connector capability `" #flag "` is false (the " \
                   << "engine lacks this feature)";                                     \
    }                                                                                   \
  } while (false)

TEST_P(ConformanceTest, OptionsMatchSchema) {
  const ConnectorFactory* factory = FindConnector(target().connector_type());
  ASSERT_NE(factory, nullptr);
  EXPECT_EQ(connector().type(), target().connector_type());
  EXPECT_FALSE(connector().capabilities().dialect.empty());
  // The options a target uses must be ones a config file could set.
  const Options base = target().BaseOptions();
  for (const auto& [name, entry] : base.entries()) {
    auto spec = std::find_if(factory->schema.begin(), factory->schema.end(),
                             [&](const OptionSpec& s) { return s.name == name; });
    ASSERT_NE(spec, factory->schema.end()) << "option " << name << " is not in the schema";
  }
  for (const auto& spec : factory->schema) {
    if (spec.name.find("password") != std::string::npos) {
      EXPECT_TRUE(spec.secret) << "option " << spec.name << " must be marked secret";
    }
  }
}

TEST_P(ConformanceTest, TypeCoverage) {
  SKIP_UNLESS_TARGET_CAN(sql);
  const auto columns = target().ExpectedTypeColumns();
  auto has_type = [&](ColumnType type) {
    return std::any_of(columns.begin(), columns.end(),
                       [&](const ExpectedColumn& c) { return c.type == type; });
  };
  auto has_named = [&](const std::string& name, ColumnType type) {
    return std::any_of(columns.begin(), columns.end(),
                       [&](const ExpectedColumn& c) { return c.name == name && c.type == type; });
  };
  const Capabilities c = caps();
  EXPECT_TRUE(has_named("id", ColumnType::kInt64)) << "an int64 column `id` is required";
  EXPECT_TRUE(has_named("txt", ColumnType::kString)) << "a string column `txt` is required";
  EXPECT_TRUE(has_type(ColumnType::kDouble)) << "a double column is required";
  EXPECT_TRUE(has_type(ColumnType::kDate) || has_type(ColumnType::kTimestamp))
      << "a date or timestamp column is required";
  if (c.decimal) {
    EXPECT_TRUE(has_type(ColumnType::kDecimal)) << "capability decimal: no column";
  }
  if (c.json) {
    EXPECT_TRUE(has_type(ColumnType::kJson)) << "capability json: no column";
  }
  if (c.bytes) {
    EXPECT_TRUE(has_type(ColumnType::kBytes)) << "capability bytes: no column";
  }
  if (c.timestamp_with_zone) {
    EXPECT_TRUE(has_named("tstz", ColumnType::kTimestamp))
        << "capability timestamp_with_zone: no timestamp column `tstz`";
  }
  if (c.arrays) {
    // Any name: one json column for the JSON document (when `json`), another for the array.
    const auto json_columns = std::count_if(columns.begin(), columns.end(), [](const auto& col) {
      return col.type == ColumnType::kJson;
    });
    EXPECT_GE(json_columns, c.json ? 2 : 1) << "capability arrays: no json column for an array";
  }
  if (c.uuid) {
    EXPECT_TRUE(has_named("uid", ColumnType::kString)) << "capability uuid: no string column `uid`";
  }
  if (c.interval) {
    EXPECT_TRUE(has_named("dur", ColumnType::kString))
        << "capability interval: no string column `dur`";
  }
}

TEST_P(ConformanceTest, TypeRoundTrip) {
  SKIP_UNLESS_TARGET_CAN(sql);
  auto result = connector().Execute(Request(target().TypesQuery()));
  ASSERT_TRUE(result.ok()) << target().TypesQuery() << " -> " << result.status().ToString();
  const auto expected = target().ExpectedTypeColumns();
  std::string column_diff;
  for (size_t i = 0; i < std::max(expected.size(), result->column_count()); ++i) {
    const ColumnInfo* got = i < result->column_count() ? &result->columns()[i] : nullptr;
    const ExpectedColumn* want = i < expected.size() ? &expected[i] : nullptr;
    if (got && want && got->name == want->name && got->type == want->type) continue;
    column_diff += "column " + std::to_string(i + 1) + ": got " +
                   (got ? got->name + " " + std::string(ColumnTypeName(got->type)) + " (" +
                              got->source_type + ")"
                        : std::string("nothing")) +
                   ", expected " +
                   (want ? want->name + " " + std::string(ColumnTypeName(want->type))
                         : std::string("nothing")) +
                   "\n";
  }
  EXPECT_TRUE(column_diff.empty()) << column_diff;
  const std::string expected_rows = target().ExpectedTypeRowsJson();
  const std::string rows = RowsJson(*result);
  EXPECT_EQ(rows, expected_rows) << CellDiff(*result, expected_rows);
  EXPECT_FALSE(result->stats().truncated);
}

TEST_P(ConformanceTest, Nulls) {
  SKIP_UNLESS_TARGET_CAN(sql);
  QueryResult result = Must(target().TypesQuery());
  ASSERT_EQ(result.row_count(), static_cast<size_t>(kTypesRows));
  std::optional<size_t> id_column;
  for (size_t c = 0; c < result.column_count(); ++c) {
    if (result.columns()[c].name == "id") id_column = c;
  }
  ASSERT_TRUE(id_column.has_value()) << "TypesQuery has no `id` column";
  std::optional<size_t> row2;
  for (size_t r = 0; r < result.row_count(); ++r) {
    if (ToInt64(result.ValueAt(r, *id_column)) == 2) row2 = r;
  }
  ASSERT_TRUE(row2.has_value()) << "no row with id 2";
  for (size_t c = 0; c < result.column_count(); ++c) {
    if (c == *id_column) continue;
    EXPECT_TRUE(result.column(c).is_null(*row2))
        << "column " << result.columns()[c].name << " of row 2 is " << CellToJson(result, *row2, c);
    // A null cell keeps its column's type: the type comes from the engine, not the values.
    EXPECT_NE(result.columns()[c].type, ColumnType::kNull) << result.columns()[c].name;
  }
}

TEST_P(ConformanceTest, Unicode) {
  SKIP_UNLESS_TARGET_CAN(sql);
  // Latin with diacritics, CJK, an emoji with a skin-tone modifier, a ZWJ sequence, an
  // e followed by a combining acute accent (not normalised away), Arabic (right to left).
  const std::string text =
      "Gr\u00fc\u00dfe \u4e16\u754c\u6f22\u5b57 \U0001F44D\U0001F3FD \U0001F469\u200D\U0001F4BB "
      "e\u0301 \u0645\u0631\u062D\u0628\u0627";
  // Through the fixture: row 3's txt is non-ASCII, stored by the target outside the connector.
  auto expected = ExpectedCell(target(), "txt", 3);
  ASSERT_TRUE(expected && expected->is_string()) << "no string txt for id 3 in the fixture";
  const std::string stored(expected->as_string());
  EXPECT_TRUE(std::any_of(stored.begin(), stored.end(), [](char c) { return c & 0x80; }))
      << "the fixture's txt of row 3 should hold non-ASCII text";
  Value fixture = MustValue("SELECT txt FROM conf_types WHERE id = 3");
  EXPECT_EQ(fixture, Value::String(stored)) << Show(fixture);

  if (!ConnectorHasParameters()) {
    GTEST_SKIP() << GetParam() << ": connector capability `parameters` is false; the fixture "
                 << "part passed";
  }
  // Through a parameter, both ways: echoed back, and compared with stored text.
  Value echoed = MustValue("SELECT " + Ph(1, ColumnType::kString) + " AS v", {Value::String(text)});
  EXPECT_EQ(echoed, Value::String(text)) << Show(echoed);
  QueryResult found = Must("SELECT id FROM conf_types WHERE txt = " + Ph(1, ColumnType::kString),
                           {Value::String(stored)});
  ASSERT_EQ(found.row_count(), 1u);
  EXPECT_EQ(ToInt64(found.ValueAt(0, 0)), 3);
}

TEST_P(ConformanceTest, Parameters) {
  SKIP_UNLESS_TARGET_CAN(sql);
  SKIP_UNLESS_CONNECTOR_CAN(parameters);
  auto echo = [&](const Value& v) { return MustValue("SELECT " + Ph(1, v.type) + " AS v", {v}); };
  // Beyond 2^53: bound as an integer, never through a double.
  const int64_t big = 9007199254740993;
  Value i = echo(Value::Int64(big));
  EXPECT_EQ(i.type, ColumnType::kInt64) << Show(i);
  EXPECT_EQ(ToInt64(i), big) << Show(i);

  Value d = echo(Value::Double(1234.5625));
  ASSERT_EQ(d.type, ColumnType::kDouble) << Show(d);
  EXPECT_EQ(d.as_double(), 1234.5625);

  const std::string tricky = "it's \"quoted\"; -- not a comment /* nor this */ \\ backslash $1 ?";
  EXPECT_EQ(echo(Value::String(tricky)), Value::String(tricky));

  // Engines without a boolean type (MySQL, SQLite) give 1 and 0.
  for (bool b : {true, false}) {
    Value got = echo(Value::Bool(b));
    EXPECT_TRUE(got == Value::Bool(b) || (got.type == ColumnType::kInt64 && got.as_int() == b))
        << "bool " << b << " came back as " << Show(got);
  }

  // A null parameter is SQL NULL, not the text "null".
  Value fallback = MustValue("SELECT COALESCE(" + Ph(1, ColumnType::kString) + ", 'fallback') AS v",
                             {Value::Null()});
  EXPECT_EQ(fallback, Value::String("fallback")) << Show(fallback);

  // Engines without a date type (SQLite) give the ISO text back.
  const int64_t day = *ParseDate("2024-02-29");
  Value date = echo(Value::Date(day));
  EXPECT_TRUE(date == Value::Date(day) || date == Value::String("2024-02-29")) << Show(date);

  const int64_t micros = *ParseTimestamp("2024-02-29T13:14:15.123456Z");
  Value ts = echo(Value::Timestamp(micros));
  EXPECT_TRUE(ts == Value::Timestamp(micros) ||
              (ts.type == ColumnType::kString && ParseTimestamp(ts.as_string()) == micros))
      << Show(ts);

  // Several parameters, compared with a column.
  Value between = MustValue("SELECT count(*) FROM conf_numbers WHERE n BETWEEN " +
                                Ph(1, ColumnType::kInt64) + " AND " + Ph(2, ColumnType::kInt64),
                            {Value::Int64(10), Value::Int64(19)});
  EXPECT_EQ(ToInt64(between), 10) << Show(between);

  // SQL in a parameter is data.
  const std::string injection = "1; DROP TABLE conf_numbers; --";
  EXPECT_EQ(echo(Value::String(injection)), Value::String(injection));
  Value none =
      MustValue("SELECT count(*) FROM conf_types WHERE txt = " + Ph(1, ColumnType::kString),
                {Value::String("' OR '1'='1")});
  EXPECT_EQ(ToInt64(none), 0) << Show(none);
  EXPECT_EQ(Count("conf_numbers"), kNumbersRows);
}

TEST_P(ConformanceTest, ParameterCountMismatch) {
  SKIP_UNLESS_TARGET_CAN(sql);
  SKIP_UNLESS_CONNECTOR_CAN(parameters);
  const std::string sql =
      "SELECT " + Ph(1, ColumnType::kInt64) + " AS a, " + Ph(2, ColumnType::kInt64) + " AS b";
  for (size_t given : {size_t{0}, size_t{1}, size_t{3}}) {
    std::vector<Value> params(given, Value::Int64(7));
    auto result = connector().Execute(Request(sql, params));
    ASSERT_FALSE(result.ok()) << given << " parameters for 2 were accepted";
    EXPECT_TRUE(
        IsOneOf(result.status().code(), {ErrorCode::kQueryError, ErrorCode::kInvalidArgument}))
        << result.status().ToString();
  }
  ExpectStillWorks();
}

TEST_P(ConformanceTest, RowLimit) {
  const ProbeQuery numbered = target().NumberedRowsQuery();
  const int64_t numbered_rows = target().NumberedRowCount();
  const size_t col = numbered.column;
  QueryRequest limited = Request(numbered);
  limited.max_rows = 10;
  auto result = connector().Execute(limited);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->row_count(), 10u);
  ASSERT_GT(result->column_count(), col);
  EXPECT_TRUE(result->stats().truncated);
  EXPECT_EQ(result->stats().truncated_by, "rows");
  for (size_t r = 0; r < 10; ++r) EXPECT_EQ(ToInt64(result->ValueAt(r, col)), int64_t(r) + 1);

  // Exactly as many rows as the limit: all of them, and not truncated.
  QueryRequest exact = Request(numbered);
  exact.max_rows = numbered_rows;
  auto all = connector().Execute(exact);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->row_count(), static_cast<size_t>(numbered_rows));
  EXPECT_FALSE(all->stats().truncated);
  EXPECT_EQ(all->stats().truncated_by, "");
  if (all->row_count() > 0) {
    EXPECT_EQ(ToInt64(all->ValueAt(all->row_count() - 1, col)), numbered_rows);
  }
}

TEST_P(ConformanceTest, ByteLimit) {
  QueryRequest request = Request(target().NumberedRowsQuery());
  request.max_rows = 0;
  request.max_bytes = 4096;
  auto result = connector().Execute(request);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->stats().truncated);
  EXPECT_EQ(result->stats().truncated_by, "bytes");
  EXPECT_LT(result->row_count(), static_cast<size_t>(target().NumberedRowCount()));
  // "About" the limit: one row or chunk over it at most, never the whole table.
  EXPECT_LT(result->ApproxBytes(), size_t{64} << 10);
}

TEST_P(ConformanceTest, Timeout) {
  SKIP_UNLESS_CONNECTOR_CAN(cancellation);
  QueryRequest request = Request(target().SlowRequest(30));
  request.timeout = milliseconds(500);
  const auto start = Clock::now();
  auto result = connector().Execute(request);
  const int64_t elapsed = MillisSince(start);
  ASSERT_FALSE(result.ok()) << "the slow query finished within 500 ms";
  EXPECT_EQ(result.status().code(), ErrorCode::kDeadlineExceeded) << result.status().ToString();
  EXPECT_NE(result.status().message().find("500 ms"), std::string::npos)
      << result.status().message();
  EXPECT_LT(elapsed, 5000) << "the timeout took effect only after " << elapsed << " ms";
  ExpectStillWorks();
}

TEST_P(ConformanceTest, Cancel) {
  SKIP_UNLESS_CONNECTOR_CAN(cancellation);
  QueryRequest request = Request(target().SlowRequest(30));
  CancelToken token = request.cancel;
  std::thread canceller([token] {
    std::this_thread::sleep_for(milliseconds(300));
    token.Cancel("cancelled by the conformance test");
  });
  const auto start = Clock::now();
  auto result = connector().Execute(request);
  const int64_t elapsed = MillisSince(start);
  canceller.join();
  ASSERT_FALSE(result.ok()) << "the slow query finished despite the cancel";
  EXPECT_EQ(result.status().code(), ErrorCode::kCancelled) << result.status().ToString();
  EXPECT_LT(elapsed, 5000) << "the cancel took effect only after " << elapsed << " ms";
  ExpectStillWorks();
}

TEST_P(ConformanceTest, GuardRefusesWrites) {
  SKIP_UNLESS_TARGET_CAN(sql);
  const std::vector<std::string> writes = {
      "DELETE FROM conf_numbers",           "INSERT INTO conf_numbers (n) VALUES (0)",
      "UPDATE conf_numbers SET n = 0",      "DROP TABLE conf_numbers",
      "SELECT 1; DELETE FROM conf_numbers", "SELECT 1; SELECT 2",
  };
  for (const auto& sql : writes) {
    auto result = connector().Execute(Request(sql));
    ASSERT_FALSE(result.ok()) << sql << " was accepted";
    EXPECT_TRUE(
        IsOneOf(result.status().code(), {ErrorCode::kPermissionDenied, ErrorCode::kQueryError}))
        << sql << " -> " << result.status().ToString();
  }
  EXPECT_EQ(Count("conf_numbers"), kNumbersRows);
}

TEST_P(ConformanceTest, EngineRefusesWritesWithGuardBypassed) {
  SKIP_UNLESS_TARGET_CAN(sql);
  SKIP_UNLESS_TARGET_CAN(engine_read_only);
  const auto numbers_before = Count("conf_numbers");
  const auto types_before = Count("conf_types");
  ASSERT_EQ(numbers_before, kNumbersRows);
  ASSERT_EQ(types_before, kTypesRows);
  const auto writes = target().EngineWrites();
  ASSERT_FALSE(writes.empty()) << "the target lists no engine writes to try";
  for (const auto& sql : writes) {
    QueryRequest request = Request(sql);
    request.skip_statement_guard = true;
    auto result = connector().Execute(request);
    EXPECT_FALSE(result.ok()) << "the engine ran a write with the guard bypassed: " << sql;
    if (!result.ok())
      std::cout << "  refused: " << sql << " -> " << result.status().ToString() << "\n";
  }
  EXPECT_EQ(Count("conf_numbers"), numbers_before);
  EXPECT_EQ(Count("conf_types"), types_before);
  ExpectStillWorks();
}

TEST_P(ConformanceTest, BadCredentials) {
  SKIP_UNLESS_TARGET_CAN(credentials);
  const Options options = target().BadCredentialOptions();
  auto built = BuildConnector(target(), options, "_badcred");
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  auto& bad = *built;
  // Open may refuse or defer; either way it returns, and the source is reported unavailable.
  Status opened = bad->Open();
  auto health = bad->HealthCheck();
  ASSERT_FALSE(health.ok()) << "a health check with a wrong password succeeded";
  EXPECT_EQ(health.status().code(), ErrorCode::kUnavailable) << health.status().ToString();
  EXPECT_FALSE(health.status().message().empty());
  auto query = bad->Execute(Request(target().OneRowQuery()));
  EXPECT_FALSE(query.ok());
  auto secrets = SecretsOf(options);
  for (const auto& s : SecretsOf(target().BaseOptions())) secrets.push_back(s);
  for (const auto& secret : secrets) {
    for (const Status* status :
         {static_cast<const Status*>(&opened), &health.status(), &query.status()}) {
      EXPECT_EQ(status->message().find(secret), std::string::npos)
          << "an error message contains a password: " << status->ToString();
    }
  }
  bad->Close();
}

TEST_P(ConformanceTest, ServerDown) {
  const Options options = target().UnreachableOptions();
  auto built = BuildConnector(target(), options, "_down");
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  auto& down = *built;
  const auto start = Clock::now();
  Status opened = down->Open();  // must return (ok for servers, an error for a missing file)
  if (!opened.ok()) {
    EXPECT_TRUE(IsOneOf(opened.code(), {ErrorCode::kUnavailable, ErrorCode::kConfigError}))
        << opened.ToString();
  }
  auto health = down->HealthCheck();
  ASSERT_FALSE(health.ok()) << "a health check of an unreachable source succeeded";
  EXPECT_EQ(health.status().code(), ErrorCode::kUnavailable) << health.status().ToString();
  EXPECT_FALSE(health.status().message().empty()) << "UNAVAILABLE without a reason";
  QueryRequest request = Request(target().OneRowQuery());
  request.timeout = milliseconds(10000);
  const auto query_start = Clock::now();
  auto query = down->Execute(request);
  const int64_t query_ms = MillisSince(query_start);
  ASSERT_FALSE(query.ok());
  EXPECT_EQ(query.status().code(), ErrorCode::kUnavailable) << query.status().ToString();
  EXPECT_LT(query_ms, 3000) << "an unreachable source took " << query_ms << " ms to fail";
  EXPECT_LT(MillisSince(start), 10000);
  for (const auto& secret : SecretsOf(options)) {
    EXPECT_EQ(health.status().message().find(secret), std::string::npos);
    EXPECT_EQ(query.status().message().find(secret), std::string::npos);
  }
  down->Close();
}

// Runs serially under ctest (the name contains "Restart"): it stops the shared test server.
TEST_P(ConformanceTest, ServerRestart) {
  SKIP_UNLESS_TARGET_CAN(restartable);
  ExpectStillWorks();
  Status restarted = target().RestartServer();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  constexpr int kAttempts = 20;
  Status last = Internal("no attempt");
  int attempt = 0;
  for (; attempt < kAttempts; ++attempt) {
    auto health = connector().HealthCheck();
    auto query = connector().Execute(Request(target().OneRowQuery()));
    if (health.ok() && query.ok()) break;
    last = health.ok() ? query.status() : health.status();
    std::this_thread::sleep_for(milliseconds(500));
  }
  ASSERT_LT(attempt, kAttempts) << "the connector did not recover after the restart: "
                                << last.ToString();
  // Recovered for good: the pool no longer lends dead connections.
  for (int i = 0; i < 5; ++i) ExpectStillWorks();
}

TEST_P(ConformanceTest, ConcurrentUse) {
  constexpr int kThreads = 16;
  constexpr int kQueriesEach = 20;
  const bool params = ConnectorHasParameters();
  const bool sql = caps().sql;
  // Placeholders (and, without SQL, the queries) are built here: the target is only called
  // from the test thread.
  const std::string int_placeholder = sql ? Ph(1, ColumnType::kInt64) : "";
  const std::string string_placeholder = sql ? Ph(1, ColumnType::kString) : "";
  std::map<std::pair<int, int>, ProbeQuery> echo_queries;
  if (!sql) {
    for (int t = 0; t < kThreads; ++t) {
      for (int i = 0; i < kQueriesEach; ++i) {
        const int64_t limit = 1 + t * kQueriesEach + i;
        const std::string tag = "thread " + std::to_string(t) + " query " + std::to_string(i);
        echo_queries[{t, i}] =
            target().EchoQuery(i % 2 == 0 ? Value::Int64(limit) : Value::String(tag));
      }
    }
  }
  std::atomic<int> correct{0};
  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kQueriesEach; ++i) {
        const int64_t limit = 1 + t * kQueriesEach + i;
        QueryRequest request;
        std::string expected_tag;
        size_t column = 0;
        if (!sql) {
          const ProbeQuery& probe = echo_queries.at({t, i});
          request = Request(probe);
          column = probe.column;
          if (i % 2 != 0) {
            expected_tag = "thread " + std::to_string(t) + " query " + std::to_string(i);
          }
        } else if (i % 2 == 0) {
          request = params
                        ? Request("SELECT count(*) FROM conf_numbers WHERE n <= " + int_placeholder,
                                  {Value::Int64(limit)})
                        : Request("SELECT count(*) FROM conf_numbers WHERE n <= " +
                                  std::to_string(limit));
        } else {
          expected_tag = "thread " + std::to_string(t) + " query " + std::to_string(i);
          request = params ? Request("SELECT " + string_placeholder + " AS tag",
                                     {Value::String(expected_tag)})
                           : Request("SELECT '" + expected_tag + "' AS tag");
        }
        auto result = connector().Execute(request);
        std::string problem;
        if (!result.ok()) {
          problem = result.status().ToString();
        } else if (result->row_count() != 1 || result->column_count() <= column) {
          problem = std::to_string(result->row_count()) + " rows";
        } else if (expected_tag.empty()
                       ? ToInt64(result->ValueAt(0, column)) != limit
                       : result->ValueAt(0, column) != Value::String(expected_tag)) {
          problem = "wrong answer " + Show(result->ValueAt(0, column));
        }
        if (problem.empty()) {
          ++correct;
        } else {
          std::lock_guard lock(mu);
          failures.push_back(Describe(request) + " -> " + problem);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(correct.load(), kThreads * kQueriesEach);
  for (size_t i = 0; i < std::min<size_t>(failures.size(), 5); ++i) ADD_FAILURE() << failures[i];
}

// A request that cannot get a connection before its deadline fails with RESOURCE_EXHAUSTED
// (the pool's answer: the wait for a connection counts against the request's timeout, and
// running out of it while waiting means the source is saturated, not that the query is slow).
TEST_P(ConformanceTest, PoolExhaustion) {
  SKIP_UNLESS_CONNECTOR_CAN(cancellation);
  Options options = WithOverrides(target().BaseOptions(), {{"max_connections", int64_t{1}}});
  auto built = BuildConnector(target(), options, "_pool1");
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  auto& single = *built;
  ASSERT_TRUE(single->Open().ok());

  QueryRequest slow = Request(target().SlowRequest(5));
  CancelToken slow_token = slow.cancel;
  std::optional<Result<QueryResult>> slow_result;
  std::thread runner([&] { slow_result.emplace(single->Execute(slow)); });
  // Time for the slow query to borrow the only connection (connecting first if needed).
  std::this_thread::sleep_for(milliseconds(1000));

  QueryRequest probe = Request(target().OneRowQuery());
  probe.timeout = milliseconds(300);
  const auto start = Clock::now();
  auto waited = single->Execute(probe);
  const int64_t elapsed = MillisSince(start);
  slow_token.Cancel("cancelled by the conformance test");
  runner.join();

  ASSERT_TRUE(slow_result.has_value());
  EXPECT_FALSE(slow_result->ok()) << "the slow query finished within about a second";
  if (!slow_result->ok()) {
    EXPECT_EQ(slow_result->status().code(), ErrorCode::kCancelled)
        << slow_result->status().ToString();
  }
  ASSERT_FALSE(waited.ok()) << "a query ran although the only connection was busy";
  EXPECT_EQ(waited.status().code(), ErrorCode::kResourceExhausted) << waited.status().ToString();
  EXPECT_GE(elapsed, 250) << "gave up before its deadline";
  EXPECT_LT(elapsed, 3000) << "waited far past its deadline";

  const ProbeQuery one = target().OneRowQuery();
  auto after = single->Execute(Request(one));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  ASSERT_GT(after->row_count(), 0u);
  ASSERT_GT(after->column_count(), one.column);
  EXPECT_EQ(ToInt64(after->ValueAt(0, one.column)), 1);
  single->Close();
}

TEST_P(ConformanceTest, Schema) {
  SKIP_UNLESS_CONNECTOR_CAN(schema_introspection);
  const SchemaExpectation expected = target().ExpectedSchema();
  auto tables = connector().ListTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  for (const std::string& name : expected.listed) {
    auto it = std::find_if(tables->begin(), tables->end(),
                           [&](const TableInfo& t) { return t.name == name; });
    ASSERT_NE(it, tables->end()) << name << " is not listed";
    EXPECT_EQ(it->kind, expected.kind) << name;
  }
  auto described = connector().DescribeTable(expected.described);
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  EXPECT_EQ(described->table.name, expected.described);
  for (const auto& want : expected.described_columns) {
    auto it = std::find_if(described->columns.begin(), described->columns.end(),
                           [&](const TableColumn& c) { return c.name == want; });
    ASSERT_NE(it, described->columns.end()) << "DescribeTable lacks column " << want;
    EXPECT_FALSE(it->source_type.empty()) << want;
  }
  auto missing = connector().DescribeTable(expected.missing);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound) << missing.status().ToString();
}

TEST_P(ConformanceTest, HealthLatency) {
  auto health = connector().HealthCheck();
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_GT(health->latency.count(), 0);
  EXPECT_FALSE(health->detail.empty()) << "the health check should name the engine version";
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ConformanceTest);
INSTANTIATE_TEST_SUITE_P(Conformance, ConformanceTest, ::testing::ValuesIn(TargetNames()),
                         TestNameFor);

}  // namespace
}  // namespace tributary::conformance
