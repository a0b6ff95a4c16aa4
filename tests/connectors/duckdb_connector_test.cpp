// The DuckDB connector's setup and catalog: opening (and failing to open) sources, the
// engine-level read-only enforcement that holds without the guard, parameters, ListTables,
// DescribeTable and HealthCheck.
#include "connectors/duckdb/duckdb_connector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "connectors/duckdb/duckdb_setup.h"
#include "connectors/duckdb_test_support.h"
#include "core/time_util.h"

namespace tributary {
namespace {

using duckdb_test::MakeConnector;
using duckdb_test::MakeWarehouse;
using duckdb_test::MustQuery;
using duckdb_test::OpenConnector;
using duckdb_test::QueryValue;
using duckdb_test::Request;
using duckdb_test::RunRawSql;
using duckdb_test::SourceSpec;
using duckdb_test::TempDir;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---------------------------------------------------------------------------------------
// Opening

TEST(DuckDbOpen, InMemoryWithoutOptions) {
  auto connector = OpenConnector(SourceSpec{});
  EXPECT_EQ(connector->type(), "duckdb");
  EXPECT_EQ(QueryValue(*connector, "SELECT 40 + 2"), Value::Int64(42));
  auto tables = connector->ListTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  EXPECT_TRUE(tables->empty());
}

TEST(DuckDbOpen, WarehouseWithRelativePaths) {
  TempDir dir;
  auto connector = OpenConnector(MakeWarehouse(dir));
  EXPECT_EQ(QueryValue(*connector, "SELECT count(*) FROM events"), Value::Int64(100));
  EXPECT_EQ(QueryValue(*connector, "SELECT count(*) FROM events_file"), Value::Int64(50));
  EXPECT_EQ(QueryValue(*connector, "SELECT count(*) FROM people"), Value::Int64(20));
  EXPECT_EQ(QueryValue(*connector, "SELECT sum(id) FROM parts"), Value::Decimal("190"));
  EXPECT_EQ(QueryValue(*connector, "SELECT obj FROM docs WHERE id = 3"), Value::Json("{\"a\":3}"));
  // The attached file's catalog is named after the source.
  EXPECT_EQ(QueryValue(*connector, "SELECT count(*) FROM warehouse.main.events"),
            Value::Int64(100));
}

TEST(DuckDbOpen, AppliesThreadsAndMemoryLimit) {
  SourceSpec spec;
  spec.threads = 2;
  spec.memory_limit = "512MB";
  auto connector = OpenConnector(spec);
  EXPECT_EQ(QueryValue(*connector, "SELECT current_setting('threads')"), Value::Int64(2));
  auto limit = QueryValue(*connector, "SELECT current_setting('memory_limit')");
  ASSERT_EQ(limit.type, ColumnType::kString);
  EXPECT_TRUE(Contains(limit.as_string(), "MiB") || Contains(limit.as_string(), "MB"))
      << limit.as_string();
  EXPECT_EQ(QueryValue(*connector, "SELECT current_setting('autoload_known_extensions')"),
            Value::Bool(false));
  EXPECT_EQ(QueryValue(*connector, "SELECT current_setting('autoinstall_known_extensions')"),
            Value::Bool(false));
  EXPECT_EQ(QueryValue(*connector, "SELECT current_setting('TimeZone')"), Value::String("UTC"));
}

TEST(DuckDbOpen, MissingDatabaseFileIsUnavailableAndNotCreated) {
  TempDir dir;
  SourceSpec spec;
  spec.base_dir = dir.path();
  spec.path = "missing.duckdb";
  auto connector = MakeConnector(spec);
  Status status = connector->Open();
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(status.message(), "database file not found: " + (dir / "missing.duckdb"));
  EXPECT_FALSE(std::filesystem::exists(dir / "missing.duckdb"));
  // A source that did not open refuses queries instead of crashing.
  auto r = connector->Execute(Request("SELECT 1"));
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(connector->HealthCheck().status().code(), ErrorCode::kUnavailable);
}

TEST(DuckDbOpen, GlobMatchingNothingIsUnavailable) {
  TempDir dir;
  SourceSpec spec;
  spec.base_dir = dir.path();
  spec.tables = {{"logs", "logs/*.parquet"}};
  Status status = MakeConnector(spec)->Open();
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(Contains(status.message(), dir / "logs/*.parquet")) << status.message();
  EXPECT_TRUE(Contains(status.message(), "logs")) << status.message();
}

TEST(DuckDbOpen, MissingTableFileIsUnavailable) {
  TempDir dir;
  SourceSpec spec;
  spec.base_dir = dir.path();
  spec.tables = {{"sales", "sales.csv"}};
  Status status = MakeConnector(spec)->Open();
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(Contains(status.message(), dir / "sales.csv")) << status.message();
}

TEST(DuckDbOpen, UnknownFileFormatIsAConfigError) {
  TempDir dir;
  RunRawSql("", {"COPY (SELECT 1 AS a) TO '" + (dir / "data.xlsx") + "' (FORMAT csv)"});
  SourceSpec spec;
  spec.base_dir = dir.path();
  spec.tables = {{"sheet", "data.xlsx"}};
  Status status = MakeConnector(spec)->Open();
  EXPECT_EQ(status.code(), ErrorCode::kConfigError);
  EXPECT_TRUE(Contains(status.message(), "data.xlsx")) << status.message();
}

TEST(DuckDbOpen, CorruptFileIsUnavailable) {
  TempDir dir;
  RunRawSql("",
            {"COPY (SELECT 'not parquet' AS a) TO '" + (dir / "bad.parquet") + "' (FORMAT csv)"});
  SourceSpec spec;
  spec.base_dir = dir.path();
  spec.tables = {{"bad", "bad.parquet"}};
  Status status = MakeConnector(spec)->Open();
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(Contains(status.message(), "bad.parquet")) << status.message();
}

TEST(DuckDbOpen, InvalidMemoryLimitIsAConfigError) {
  SourceSpec spec;
  spec.memory_limit = "lots";
  Status status = MakeConnector(spec)->Open();
  EXPECT_EQ(status.code(), ErrorCode::kConfigError);
  EXPECT_TRUE(Contains(status.message(), "memory_limit")) << status.message();
}

TEST(DuckDbOpen, ReservedSourceIdsGetTheDbAlias) {
  TempDir dir;
  SourceSpec spec = MakeWarehouse(dir, "main");
  auto connector = OpenConnector(spec);
  EXPECT_EQ(QueryValue(*connector, "SELECT count(*) FROM db.main.events"), Value::Int64(100));
  EXPECT_EQ(QueryValue(*connector, "SELECT count(*) FROM events"), Value::Int64(100));
}

TEST(DuckDbOpen, CloseThenQueryIsUnavailableAndReopenWorks) {
  TempDir dir;
  auto connector = OpenConnector(MakeWarehouse(dir));
  connector->Close();
  EXPECT_EQ(connector->Execute(Request("SELECT 1")).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(connector->ListTables().status().code(), ErrorCode::kUnavailable);
  connector->Close();  // twice is fine
  ASSERT_TRUE(connector->Open().ok());
  EXPECT_EQ(QueryValue(*connector, "SELECT count(*) FROM events"), Value::Int64(100));
}

TEST(DuckDbOpen, CapabilitiesAndFactory) {
  ConnectorFactory factory = DuckDbConnectorFactory();
  EXPECT_EQ(factory.type, "duckdb");
  std::vector<std::string> names;
  for (const auto& spec : factory.schema) names.push_back(spec.name);
  EXPECT_EQ(names, (std::vector<std::string>{"path", "tables", "max_connections", "threads",
                                             "memory_limit"}));
  auto connector = MakeConnector(SourceSpec{});
  Capabilities caps = connector->capabilities();
  EXPECT_EQ(caps.dialect, "duckdb");
  EXPECT_TRUE(caps.schema_introspection);
  EXPECT_TRUE(caps.parameters);
  EXPECT_TRUE(caps.cancellation);
  EXPECT_FALSE(caps.cost_estimate);
}

// ---------------------------------------------------------------------------------------
// Engine-level enforcement: with the guard skipped (trusted callers only), DuckDB itself
// still refuses writes to the attached file, file access and configuration changes.

class DuckDbEngine : public ::testing::Test {
 protected:
  void SetUp() override { connector_ = OpenConnector(MakeWarehouse(dir_)); }

  Result<QueryResult> Unguarded(const std::string& sql) {
    QueryRequest request = Request(sql);
    request.skip_statement_guard = true;
    return connector_->Execute(request);
  }

  TempDir dir_;
  std::unique_ptr<Connector> connector_;
};

TEST_F(DuckDbEngine, WritesToTheAttachedFileFail) {
  for (const char* sql :
       {"INSERT INTO events (id) VALUES (1000)", "DELETE FROM events", "UPDATE events SET id = 0",
        "DROP TABLE events", "CREATE TABLE warehouse.main.x (a INTEGER)", "DROP VIEW evview",
        "ALTER TABLE events ADD COLUMN z INTEGER", "TRUNCATE events"}) {
    auto r = Unguarded(sql);
    ASSERT_FALSE(r.ok()) << sql;
    EXPECT_TRUE(Contains(r.status().message(), "read-only")) << sql << ": " << r.status().message();
  }
  EXPECT_EQ(QueryValue(*connector_, "SELECT count(*) FROM events"), Value::Int64(100));
}

TEST_F(DuckDbEngine, FileAccessOutsideTheDeclaredFilesFails) {
  const std::vector<std::string> attempts = {
      "COPY (SELECT 1) TO '" + (dir_ / "out.csv") + "'",
      "COPY (SELECT 1) TO '/tmp/trib_engine_copy.csv'",
      "EXPORT DATABASE '" + (dir_ / "export") + "'",
      "ATTACH '" + (dir_ / "new.duckdb") + "' AS fresh",
      "SELECT * FROM read_csv('/etc/passwd')",
      "SELECT * FROM read_text('" + (dir_ / "secret/hidden.csv") + "')",
      "SELECT * FROM glob('/etc/*')",
  };
  for (const auto& sql : attempts) {
    auto r = Unguarded(sql);
    ASSERT_FALSE(r.ok()) << sql;
    EXPECT_EQ(r.status().code(), ErrorCode::kPermissionDenied)
        << sql << ": " << r.status().ToString();
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out.csv"));
  EXPECT_FALSE(std::filesystem::exists("/tmp/trib_engine_copy.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "export"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "new.duckdb"));
}

TEST_F(DuckDbEngine, ConfigurationIsLocked) {
  for (const char* sql :
       {"SET enable_external_access = true", "SET lock_configuration = false",
        "RESET lock_configuration", "SET threads = 1", "SET allowed_directories = ['/']",
        "SET allowed_paths = ['/etc/passwd']", "SET autoload_known_extensions = true",
        "SET memory_limit = '100GB'", "PRAGMA threads = 1"}) {
    auto r = Unguarded(sql);
    ASSERT_FALSE(r.ok()) << sql;
    EXPECT_TRUE(Contains(r.status().message(), "locked")) << sql << ": " << r.status().message();
  }
  EXPECT_EQ(QueryValue(*connector_, "SELECT current_setting('enable_external_access')"),
            Value::Bool(false));
}

TEST_F(DuckDbEngine, ExtensionsCannotBeInstalledOrLoaded) {
  for (const char* sql : {"INSTALL httpfs", "LOAD httpfs", "FORCE INSTALL httpfs"}) {
    EXPECT_FALSE(Unguarded(sql).ok()) << sql;
  }
}

TEST_F(DuckDbEngine, SkippingTheGuardKeepsTheSingleStatementRule) {
  auto r = Unguarded("SELECT 1; SELECT 2");
  EXPECT_EQ(r.status().code(), ErrorCode::kQueryError);
}

// Documented limit of the engine layer: the in-memory catalog is writable, so without the
// guard a trusted caller could create objects there. Only the guard stops user SQL doing so.
TEST_F(DuckDbEngine, InMemoryCatalogIsOnlyProtectedByTheGuard) {
  EXPECT_TRUE(Unguarded("CREATE TABLE memory.main.scratch AS SELECT 1 AS a").ok());
  EXPECT_EQ(QueryValue(*connector_, "SELECT a FROM scratch"), Value::Int64(1));
  EXPECT_EQ(connector_->Execute(Request("DROP TABLE scratch")).status().code(),
            ErrorCode::kPermissionDenied);
}

// ---------------------------------------------------------------------------------------
// Parameters

class DuckDbParams : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    connector_ = OpenConnector(MakeWarehouse(*dir_)).release();
  }
  static void TearDownTestSuite() {
    delete connector_;
    delete dir_;
  }
  static TempDir* dir_;
  static Connector* connector_;
};

TempDir* DuckDbParams::dir_ = nullptr;
Connector* DuckDbParams::connector_ = nullptr;

TEST_F(DuckDbParams, BindsEveryValueType) {
  EXPECT_EQ(QueryValue(*connector_, "SELECT $1 + 1", {Value::Int64(41)}), Value::Int64(42));
  EXPECT_EQ(QueryValue(*connector_, "SELECT ? || '!'", {Value::String("héllo 🦆")}),
            Value::String("héllo 🦆!"));
  EXPECT_EQ(QueryValue(*connector_, "SELECT NOT $1", {Value::Bool(false)}), Value::Bool(true));
  EXPECT_EQ(QueryValue(*connector_, "SELECT $1 * 2", {Value::Double(1.25)}), Value::Double(2.5));
  EXPECT_EQ(QueryValue(*connector_, "SELECT $1", {Value::Decimal("-12.340")}),
            Value::Decimal("-12.340"));
  EXPECT_EQ(QueryValue(*connector_, "SELECT $1 + 1",
                       {Value::Decimal("123456789012345678901234567890.5")}),
            Value::Decimal("123456789012345678901234567891.5"));
  const int64_t day = *ParseDate("2024-02-29");
  EXPECT_EQ(QueryValue(*connector_, "SELECT $1 + 1", {Value::Date(day)}), Value::Date(day + 1));
  const int64_t ts = *ParseTimestamp("2024-01-01T05:00:00Z");
  EXPECT_EQ(
      QueryValue(*connector_, "SELECT count(*) FROM events WHERE ts < $1", {Value::Timestamp(ts)}),
      Value::Int64(5));
  EXPECT_EQ(QueryValue(*connector_, "SELECT $1::TIMESTAMPTZ", {Value::Timestamp(ts)}),
            Value::Timestamp(ts));
  EXPECT_EQ(QueryValue(*connector_, "SELECT $1 IS NULL", {Value::Null()}), Value::Bool(true));
  EXPECT_EQ(
      QueryValue(*connector_, "SELECT octet_length($1)", {Value::Bytes(std::string("\0\1\2", 3))}),
      Value::Int64(3));
  EXPECT_EQ(QueryValue(*connector_, "SELECT json_extract($1::JSON, '$.a')",
                       {Value::Json("{\"a\":[1,2]}")}),
            Value::Json("[1,2]"));
}

TEST_F(DuckDbParams, ParametersAreNeverSpliced) {
  const std::string hostile = "'; DROP TABLE events; --";
  EXPECT_EQ(QueryValue(*connector_, "SELECT $1", {Value::String(hostile)}), Value::String(hostile));
  EXPECT_EQ(QueryValue(*connector_, "SELECT count(*) FROM events WHERE name = $1",
                       {Value::String("a' OR '1'='1")}),
            Value::Int64(0));
  EXPECT_EQ(QueryValue(*connector_, "SELECT count(*) FROM events WHERE name = $1 AND id < $2",
                       {Value::String("a"), Value::Int64(10)}),
            Value::Int64(5));
}

TEST_F(DuckDbParams, WrongParameterCountIsAQueryError) {
  auto r = connector_->Execute(Request("SELECT $1, $2", {Value::Int64(1)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kQueryError);
  EXPECT_EQ(r.status().message(), "the query has 2 parameters but 1 was given");
  r = connector_->Execute(Request("SELECT 1", {Value::Int64(1), Value::Int64(2)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "the query has 0 parameters but 2 were given");
  r = connector_->Execute(Request("SELECT ?"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "the query has 1 parameter but 0 were given");
  r = connector_->Execute(Request("SELECT $1::INTEGER", {Value::String("not a number")}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kQueryError);
  r = connector_->Execute(Request("SELECT $1", {Value::Decimal("12a")}));
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------
// Catalog and health

class DuckDbCatalog : public DuckDbParams {};

TEST_F(DuckDbCatalog, ListTablesShowsTheFileAndTheDeclaredTables) {
  auto tables = connector_->ListTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  std::vector<std::string> seen;
  for (const auto& t : *tables) seen.push_back(t.schema + "." + t.name + ":" + t.kind);
  EXPECT_EQ(seen,
            (std::vector<std::string>{
                "main.events:table", "main.evview:view", "other.odd:table", "other.things:table",
                "main.docs:file", "main.events_file:file", "main.parts:file", "main.people:file"}));
}

TEST_F(DuckDbCatalog, DescribeTableMapsTypes) {
  auto schema = connector_->DescribeTable("events");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(schema->table.name, "events");
  EXPECT_EQ(schema->table.kind, "table");
  ASSERT_EQ(schema->columns.size(), 4u);
  EXPECT_EQ(schema->columns[0].name, "id");
  EXPECT_EQ(schema->columns[0].type, ColumnType::kInt64);
  EXPECT_EQ(schema->columns[0].source_type, "INTEGER");
  EXPECT_FALSE(schema->columns[0].nullable);
  EXPECT_EQ(schema->columns[1].type, ColumnType::kString);
  EXPECT_TRUE(schema->columns[1].nullable);
  EXPECT_EQ(schema->columns[2].type, ColumnType::kTimestamp);
  EXPECT_EQ(schema->columns[3].type, ColumnType::kDecimal);
  EXPECT_EQ(schema->columns[3].source_type, "DECIMAL(10,2)");

  auto file = connector_->DescribeTable("events_file");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->table.kind, "file");
  ASSERT_EQ(file->columns.size(), 2u);
  EXPECT_EQ(file->columns[0].source_type, "BIGINT");
  EXPECT_EQ(file->columns[1].type, ColumnType::kString);

  auto docs = connector_->DescribeTable("DOCS");  // names are case-insensitive
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  ASSERT_EQ(docs->columns.size(), 2u);
  EXPECT_EQ(docs->columns[1].type, ColumnType::kJson);
  EXPECT_EQ(docs->columns[1].source_type, "STRUCT(a BIGINT)");

  auto qualified = connector_->DescribeTable("warehouse.main.evview");
  ASSERT_TRUE(qualified.ok()) << qualified.status().ToString();
  EXPECT_EQ(qualified->table.kind, "view");
  EXPECT_EQ(qualified->columns.size(), 2u);
  auto declared = connector_->DescribeTable("memory.main.people");
  ASSERT_TRUE(declared.ok()) << declared.status().ToString();
  EXPECT_EQ(declared->table.kind, "file");

  auto other = connector_->DescribeTable("other.things");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_EQ(other->table.schema, "other");
  ASSERT_EQ(other->columns.size(), 1u);
  EXPECT_EQ(other->columns[0].name, "x");
}

TEST_F(DuckDbCatalog, TypesTheCApiCannotDescribe) {
  auto odd = connector_->DescribeTable("odd");
  ASSERT_TRUE(odd.ok()) << odd.status().ToString();
  ASSERT_EQ(odd->columns.size(), 2u);
  EXPECT_EQ(odd->columns[0].type, ColumnType::kString);
  EXPECT_EQ(odd->columns[0].source_type, "TIME_NS");
  EXPECT_EQ(odd->columns[1].type, ColumnType::kJson);
  EXPECT_EQ(odd->columns[1].source_type, "TIME_NS[]");
  QueryResult rows = MustQuery(*connector_, "SELECT * FROM other.odd");
  ASSERT_EQ(rows.row_count(), 1u);
  EXPECT_EQ(rows.ValueAt(0, 0), Value::String("01:02:03.000000004"));
  EXPECT_EQ(rows.ValueAt(0, 1), Value::Json("[\"00:00:01\"]"));
  EXPECT_EQ(rows.columns()[1].source_type, "TIME_NS[]");
}

TEST_F(DuckDbCatalog, DescribeUnknownTableIsNotFound) {
  for (const char* name : {"nope", "other.events", "duckdb_settings", "information_schema.tables",
                           "\"; DROP TABLE events; --", "memory.main.events", "a.b.c.d", "",
                           "system.main.duckdb_tables"}) {
    auto r = connector_->DescribeTable(name);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.status().code(), ErrorCode::kNotFound) << name;
  }
  auto r = connector_->DescribeTable("nope");
  EXPECT_EQ(r.status().message(), "table \"nope\" does not exist in source warehouse");
}

TEST_F(DuckDbCatalog, HealthCheck) {
  auto health = connector_->HealthCheck();
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->detail, "DuckDB v1.4.4");
  EXPECT_GE(health->latency.count(), 0);
}

// ---------------------------------------------------------------------------------------
// Setup helpers

TEST(DuckDbSetup, QuotesLiteralsAndIdentifiers) {
  using namespace duckdb_internal;
  EXPECT_EQ(SqlLiteral("it's"), "'it''s'");
  EXPECT_EQ(SqlLiteral(""), "''");
  EXPECT_EQ(SqlIdentifier("a\"b"), "\"a\"\"b\"");
}

TEST(DuckDbSetup, ChoosesCatalogAliases) {
  using namespace duckdb_internal;
  EXPECT_EQ(CatalogAliasFor("warehouse"), "warehouse");
  EXPECT_EQ(CatalogAliasFor("demo_2"), "demo_2");
  for (const char* id : {"memory", "MEMORY", "system", "temp", "main", "", "1abc", "my-db", "a.b",
                         "x y", "bad\"id"}) {
    EXPECT_EQ(CatalogAliasFor(id), "db") << id;
  }
}

TEST(DuckDbSetup, PicksReadersByExtension) {
  using namespace duckdb_internal;
  EXPECT_EQ(ReaderFunctionFor("/d/x.parquet"), "read_parquet");
  EXPECT_EQ(ReaderFunctionFor("/d/*.PARQUET"), "read_parquet");
  EXPECT_EQ(ReaderFunctionFor("/d/x.csv"), "read_csv_auto");
  EXPECT_EQ(ReaderFunctionFor("/d/x.tsv"), "read_csv_auto");
  EXPECT_EQ(ReaderFunctionFor("/d/x.csv.gz"), "read_csv_auto");
  EXPECT_EQ(ReaderFunctionFor("/d/x.json"), "read_json_auto");
  EXPECT_EQ(ReaderFunctionFor("/d/x.ndjson"), "read_json_auto");
  EXPECT_EQ(ReaderFunctionFor("/d/x.jsonl.gz"), "read_json_auto");
  EXPECT_EQ(ReaderFunctionFor("/d/x.xlsx"), std::nullopt);
  EXPECT_EQ(ReaderFunctionFor("/d/*"), std::nullopt);
  EXPECT_EQ(ReaderFunctionFor("/d/x.parquet.gz"), std::nullopt);
}

TEST(DuckDbSetup, ResolvesPathsAndGlobDirectories) {
  using namespace duckdb_internal;
  EXPECT_EQ(ResolvePath("data/x.csv", "/etc/trib"), "/etc/trib/data/x.csv");
  EXPECT_EQ(ResolvePath("../x.csv", "/etc/trib"), "/etc/x.csv");
  EXPECT_EQ(ResolvePath("/abs/x.csv", "/etc/trib"), "/abs/x.csv");
  EXPECT_EQ(ResolvePath("logs/*.parquet", "/srv"), "/srv/logs/*.parquet");
  EXPECT_TRUE(HasGlob("/a/*.csv"));
  EXPECT_TRUE(HasGlob("/a/file?.csv"));
  EXPECT_TRUE(HasGlob("/a/[ab].csv"));
  EXPECT_FALSE(HasGlob("/a/b.csv"));
  EXPECT_EQ(GlobBaseDirectory("/data/logs/2024-*/x.parquet"), "/data/logs/");
  EXPECT_EQ(GlobBaseDirectory("/data/logs/*.parquet"), "/data/logs/");
  EXPECT_EQ(GlobBaseDirectory("/data/**/x.parquet"), "/data/");
}

}  // namespace
}  // namespace tributary
