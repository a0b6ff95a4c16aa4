// The shared conformance suite's view of one engine. Every connector registers one target
// (tests/conformance/targets/<engine>_target.cpp); tests/conformance/conformance_test.cpp runs
// the same cases against all of them, skipping only what a capability flag says the engine
// lacks.
//
// Non-SQL engines (Prometheus) set the capability `sql` to false: the cases written in SQL
// skip for them (GTEST_SKIP naming `sql`), and the engine-neutral cases (options, credentials,
// server down, health, schema, limits, concurrency, timeout, cancel, restart) reach them through
// the query hooks below (OneRowQuery, NumberedRowsQuery, SlowRequest, EchoQuery, ExpectedSchema),
// whose defaults are exactly the SQL the suite ran before the hooks existed.
//
// Live servers (PostgreSQL, MariaDB, ClickHouse, Prometheus) are started once per `make test` by
// scripts/test-servers.sh, which exports their addresses in TRIB_TEST_* environment
// variables; a target whose variable is missing FAILS (it never silently skips).
//
// Test names read `Conformance/ConformanceTest.<Case>/<target name>`. Under ctest every test
// runs in its own process, two at a time, so PrepareFixtures must be idempotent and safe when
// two processes run it at once; tests whose name contains `Restart` run alone.
// Target objects are built while the test list is enumerated (gtest_discover_tests runs the
// binary at build time), so constructors must be cheap and must not connect to anything.
// Thread-safety: the suite calls a target from one thread at a time.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/options.h"
#include "connectors/connector.h"

namespace tributary::conformance {

struct Capabilities {
  bool timestamp_with_zone = true;
  bool decimal = true;
  bool json = true;
  bool arrays = true;
  bool uuid = true;
  bool interval = true;
  bool bytes = true;
  //! The engine itself refuses writes when the statement guard is bypassed.
  bool engine_read_only = true;
  //! Credentials exist (bad ones fail); false for file engines.
  bool credentials = true;
  //! A network server that the suite can stop and restart.
  bool restartable = true;
  //! The engine speaks SQL and has the conf_types / conf_numbers fixtures. False for query
  //! languages such as PromQL: the SQL-only cases skip, the others use the query hooks.
  bool sql = true;
};

//! A query the suite runs through a hook, and where to read its answer. The suite sets the
//! request's limits and timeout itself; the hook fills in the query text and `options`.
struct ProbeQuery {
  QueryRequest request;
  //! The column holding the value the suite checks.
  size_t column = 0;
  //! Columns the result must have (0: not checked).
  size_t column_count = 0;
};

//! What ListTables and DescribeTable must show (the Schema case).
struct SchemaExpectation {
  //! Names ListTables must list, each with kind `kind`.
  std::vector<std::string> listed;
  std::string kind = "table";
  //! A table to describe, and column names its description must have.
  std::string described;
  std::vector<std::string> described_columns;
  //! A name DescribeTable must answer with NOT_FOUND.
  std::string missing;
};

//! One expected column of the fixture query.
struct ExpectedColumn {
  std::string name;
  ColumnType type;
};

class Target {
 public:
  virtual ~Target() = default;

  //! "duckdb", "postgres", "mariadb", "sqlite", "clickhouse", "prometheus".
  virtual std::string name() const = 0;
  //! The registry type string of its connector.
  virtual std::string connector_type() const = 0;
  virtual Capabilities capabilities() const = 0;

  //! Creates (idempotently, with write access outside the connector) the fixtures:
  //! `conf_types` (id, i16, i32, i64, dec, f64, flag, txt, day, ts, tstz, doc, raw, ...; row 1
  //! ordinary values, row 2 all NULL but id, row 3 extremes and unicode) and `conf_numbers`
  //! (n = 1..100000). Called once per process before the first test.
  virtual Status PrepareFixtures() = 0;

  //! Options for a connector to the live test server (or file), before overrides.
  virtual Options BaseOptions() const = 0;
  //! Options with a wrong password (only when capabilities().credentials).
  virtual Options BadCredentialOptions() const = 0;
  //! Options pointing at an address where nothing listens (or a missing file).
  virtual Options UnreachableOptions() const = 0;

  //! The fixture query over conf_types, ORDER BY id, selecting the columns this engine has.
  virtual std::string TypesQuery() const = 0;
  virtual std::vector<ExpectedColumn> ExpectedTypeColumns() const = 0;
  //! ResultToJson(result)["rows"] of TypesQuery, exactly, as compact JSON.
  //! Column names the suite relies on: `id` (1, 2, 3), `txt` (row 3 holds non-ASCII text);
  //! when the matching capability is true it also looks for `tstz` (timestamp), a decimal
  //! column, a json column, a bytes column, one more json column for an array, and string
  //! columns named `uid` and `dur` for a UUID and an interval (TypeCoverage).
  virtual std::string ExpectedTypeRowsJson() const = 0;

  //! Positional placeholder i (1-based): "$1" or "?".
  virtual std::string Placeholder(int i) const = 0;
  //! Placeholder i for a parameter of a known type, for engines whose placeholders name a
  //! type (ClickHouse's {p1:Int64}) or need a cast to type a bare `SELECT $1`.
  virtual std::string TypedPlaceholder(int i, ColumnType type) const {
    (void)type;
    return Placeholder(i);
  }
  //! A query that runs for at least `seconds` seconds unless interrupted.
  virtual std::string SlowQuery(int seconds) const = 0;
  //! Writes that reach the engine with the guard skipped, and must be refused by it.
  virtual std::vector<std::string> EngineWrites() const = 0;

  // ---- Query hooks (defaults: the suite's SQL; override for a target without `sql`) ----

  //! One row whose `column` holds the integer 1 (default: `SELECT 1`, one column). Used to
  //! check that a connector still works, and as the query of BadCredentials, ServerDown and
  //! ServerRestart.
  virtual ProbeQuery OneRowQuery() const;
  //! NumberedRowCount() rows whose `column` holds 1, 2, 3, ... in order (default:
  //! `SELECT n FROM conf_numbers ORDER BY n`, column 0). For RowLimit and ByteLimit.
  virtual ProbeQuery NumberedRowsQuery() const;
  //! Rows of NumberedRowsQuery (default 100000, the size of conf_numbers).
  virtual int64_t NumberedRowCount() const { return 100000; }
  //! A query that runs at least `seconds` seconds unless stopped (default: SlowQuery(seconds)).
  virtual ProbeQuery SlowRequest(int seconds) const;
  //! One row whose `column` equals `value` (an int64 or a string). ConcurrentUse uses it for
  //! targets without `sql` (SQL targets keep the suite's own count(*) and tag queries); the
  //! default selects the value as a SQL literal.
  virtual ProbeQuery EchoQuery(const Value& value) const;
  //! What the Schema case checks (default: conf_types and conf_numbers listed as tables,
  //! conf_types described with the ExpectedTypeColumns names, conf_no_such_table missing).
  virtual SchemaExpectation ExpectedSchema() const;

  //! Stops the server, waits until it is down, starts it again and waits until it is ready
  //! (scripts/test-servers.sh restart <engine>). Only when capabilities().restartable.
  virtual Status RestartServer() = 0;
};

//! Registers a target at static-initialisation time (one line at the bottom of each target file).
bool RegisterTarget(std::function<std::unique_ptr<Target>()> make);
std::vector<std::function<std::unique_ptr<Target>()>>& RegisteredTargets();

//! Builds an Options object from plain key/values (tests only).
Options MakeOptions(const std::vector<std::pair<std::string, OptionValue>>& values);
//! Overrides keys in `base`.
Options WithOverrides(Options base, const std::vector<std::pair<std::string, OptionValue>>& values);
//! Reads a TRIB_TEST_* variable; an empty string when unset.
std::string TestEnv(const std::string& name);

}  // namespace tributary::conformance
