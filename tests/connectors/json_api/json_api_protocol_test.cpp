// Protocol-level tests of the json_api connector against a CRM-like API served by a local
// HTTP server (json_api_test_support.h) whose pages are computed from customers held here.
#include <gtest/gtest.h>

#include <thread>

#include "connectors/json_api/json_api_test_support.h"
#include "core/encoding.h"
#include "core/time_util.h"

namespace tributary::json_api_test {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A source with one `customers` table on `mode` (next, link, cursor, page, none).
std::string Yaml(const std::string& url, const std::string& pagination,
                 const std::string& mode = "next", const std::string& extra = "",
                 const std::string& path_query = "") {
  return "sources:\n"
         "  crm:\n"
         "    type: json_api\n"
         "    base_url: " +
         url + "\n" + extra +
         "    tables:\n"
         "      customers:\n"
         "        path: /" +
         mode + "/customers" + path_query +
         "\n"
         "        records: /data\n"
         "        columns:\n"
         "          id: {pointer: /id, type: int64}\n"
         "          email: {pointer: /contact/email, type: string}\n"
         "          status: {pointer: /status, type: string}\n"
         "          created: {pointer: /created_at, type: timestamp}\n"
         "          balance: {pointer: /balance, type: 'decimal(12,2)'}\n"
         "          vip: {pointer: /vip, type: bool}\n"
         "          signup: {pointer: /signup_day, type: date}\n"
         "          score: {pointer: /score, type: double}\n"
         "          meta: {pointer: /metadata, type: json}\n"
         "          first_label: {pointer: /labels/0, type: string}\n"
         "          phone: {pointer: /contact/phone, type: string}\n"
         "          missing: {pointer: /no/such/field, type: int64}\n" +
         (pagination.empty() ? "" : "        pagination: " + pagination + "\n");
}

QueryRequest Sql(std::string sql, std::vector<Value> params = {}) {
  QueryRequest request;
  request.sql = std::move(sql);
  request.params = std::move(params);
  request.max_rows = 0;
  request.max_bytes = 0;
  request.timeout = milliseconds(30000);
  return request;
}

// An integer result whatever its type (DuckDB's sum of BIGINT is a HUGEINT, a decimal here).
int64_t ToInt64(const Value& v) {
  if (v.type == ColumnType::kInt64) return v.as_int();
  if (v.type == ColumnType::kDecimal || v.type == ColumnType::kString) {
    return std::stoll(v.as_string());
  }
  ADD_FAILURE() << "not an integer: " << static_cast<int>(v.type);
  return -1;
}

int64_t SumIds(const std::vector<Customer>& customers) {
  int64_t sum = 0;
  for (const auto& c : customers) sum += c.id;
  return sum;
}

// count(*) and sum(id) over every page must equal the server's data.
void ExpectAllCustomers(Connector& connector, const CrmServer& server) {
  auto result =
      connector.Execute(Sql("SELECT count(*), sum(id), count(DISTINCT id) FROM customers"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->ValueAt(0, 0), Value::Int64(server.customers().size()));
  EXPECT_EQ(ToInt64(result->ValueAt(0, 1)), SumIds(server.customers()));
  EXPECT_EQ(result->ValueAt(0, 2), Value::Int64(server.customers().size()));
}

TEST(JsonApiProtocol, NextLinkPaginationFollowsRelativeLinks) {
  CrmServer server(MakeCustomers(23));
  auto connector = OpenSource(Yaml(server.url(), "{type: next_link, pointer: /links/next}"));
  ASSERT_NE(connector, nullptr);
  ExpectAllCustomers(*connector, server);
  EXPECT_EQ(server.request_count(), 5u);  // 5 + 5 + 5 + 5 + 3
}

TEST(JsonApiProtocol, LinkHeaderPagination) {
  CrmServer server(MakeCustomers(17));
  auto connector = OpenSource(Yaml(server.url(), "{type: link_header}", "link"));
  ASSERT_NE(connector, nullptr);
  ExpectAllCustomers(*connector, server);
  EXPECT_EQ(server.request_count(), 4u);
}

TEST(JsonApiProtocol, CursorPagination) {
  CrmServer server(MakeCustomers(21));
  auto connector = OpenSource(
      Yaml(server.url(), "{type: cursor, pointer: /next_cursor, param: cursor}", "cursor"));
  ASSERT_NE(connector, nullptr);
  ExpectAllCustomers(*connector, server);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[0].Query("cursor", "(none)"), "(none)");
  EXPECT_EQ(requests[1].Query("cursor"), "c5");
  EXPECT_EQ(requests[4].Query("cursor"), "c20");
}

TEST(JsonApiProtocol, PageNumberPaginationStopsAtAShortOrEmptyPage) {
  {
    CrmServer server(MakeCustomers(12));
    auto connector = OpenSource(
        Yaml(server.url(), "{type: page, param: page, start: 1, size_param: per_page, size: 5}",
             "page"));
    ASSERT_NE(connector, nullptr);
    ExpectAllCustomers(*connector, server);
    auto requests = server.requests();
    ASSERT_EQ(requests.size(), 3u);  // 5, 5, 2 (short: the end)
    EXPECT_EQ(requests[2].Query("page"), "3");
    EXPECT_EQ(requests[2].Query("per_page"), "5");
  }
  {
    CrmServer server(MakeCustomers(10));
    auto connector = OpenSource(
        Yaml(server.url(), "{type: page, param: page, start: 1, size_param: per_page, size: 5}",
             "page"));
    ASSERT_NE(connector, nullptr);
    ExpectAllCustomers(*connector, server);
    EXPECT_EQ(server.request_count(), 3u);  // 5, 5, 0 (empty: the end)
  }
}

TEST(JsonApiProtocol, PageCapIsAnErrorNotAPartialAnswer) {
  CrmServer server(MakeCustomers(23));
  auto connector = OpenSource(
      Yaml(server.url(), "{type: next_link, pointer: /links/next}", "next", "    max_pages: 3\n"));
  ASSERT_NE(connector, nullptr);
  auto result = connector->Execute(Sql("SELECT count(*) FROM customers"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kResourceExhausted) << result.status().ToString();
  EXPECT_NE(result.status().message().find("max_pages = 3"), std::string::npos);
  EXPECT_NE(result.status().message().find("/next/customers"), std::string::npos);
  EXPECT_EQ(server.request_count(), 3u);

  // Exactly at the cap: 15 records in 3 pages is complete, not an error.
  CrmServer exact(MakeCustomers(15));
  auto capped = OpenSource(
      Yaml(exact.url(), "{type: next_link, pointer: /links/next}", "next", "    max_pages: 3\n"));
  ASSERT_NE(capped, nullptr);
  ExpectAllCustomers(*capped, exact);
}

TEST(JsonApiProtocol, BearerAuthCheckedByTheServerAndNeverShown) {
  CrmServer server(MakeCustomers(8));
  const std::string token = "tok-5up3r-s3cret-value";
  server.RequireAuthorization("Bearer " + token);
  const std::string auth = "    auth: {type: bearer, token: \"${CRM_TOKEN}\"}\n";
  auto good =
      OpenSource(Yaml(server.url(), "{type: next_link, pointer: /links/next}", "next", auth),
                 {{"CRM_TOKEN", token}});
  ASSERT_NE(good, nullptr);
  ExpectAllCustomers(*good, server);
  auto health = good->HealthCheck();
  EXPECT_TRUE(health.ok()) << health.status().ToString();

  auto bad = OpenSource(Yaml(server.url(), "{type: next_link, pointer: /links/next}", "next", auth),
                        {{"CRM_TOKEN", "wrong-token-value"}});
  ASSERT_NE(bad, nullptr);
  auto query = bad->Execute(Sql("SELECT count(*) FROM customers"));
  ASSERT_FALSE(query.ok());
  EXPECT_EQ(query.status().code(), ErrorCode::kUnavailable) << query.status().ToString();
  EXPECT_NE(query.status().message().find("authentication failed"), std::string::npos);
  EXPECT_NE(query.status().message().find("HTTP 401"), std::string::npos);
  // The server echoes the header it got; the message must not repeat the secret.
  EXPECT_EQ(query.status().message().find("wrong-token-value"), std::string::npos)
      << query.status().message();
  auto bad_health = bad->HealthCheck();
  ASSERT_FALSE(bad_health.ok());
  EXPECT_EQ(bad_health.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(bad_health.status().message().find("authentication failed"), std::string::npos);
  EXPECT_EQ(bad_health.status().message().find("wrong-token-value"), std::string::npos);
  // A query naming no table still asks the API, and fails the same way.
  auto one = bad->Execute(Sql("SELECT 1"));
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.status().code(), ErrorCode::kUnavailable);
}

TEST(JsonApiProtocol, BasicAuthCheckedByTheServer) {
  CrmServer server(MakeCustomers(6));
  server.RequireAuthorization("Basic " + Base64Encode("crm-user:pa55-w0rd"));
  const std::string auth =
      "    auth: {type: basic, user: crm-user, password: \"${CRM_PASSWORD}\"}\n";
  auto good =
      OpenSource(Yaml(server.url(), "{type: next_link, pointer: /links/next}", "next", auth),
                 {{"CRM_PASSWORD", "pa55-w0rd"}});
  ASSERT_NE(good, nullptr);
  ExpectAllCustomers(*good, server);
  auto bad = OpenSource(Yaml(server.url(), "{type: next_link, pointer: /links/next}", "next", auth),
                        {{"CRM_PASSWORD", "not-the-password"}});
  ASSERT_NE(bad, nullptr);
  auto query = bad->Execute(Sql("SELECT * FROM customers"));
  ASSERT_FALSE(query.ok());
  EXPECT_NE(query.status().message().find("authentication failed"), std::string::npos);
  EXPECT_EQ(query.status().message().find("not-the-password"), std::string::npos);
}

TEST(JsonApiProtocol, HeaderSecretsFromTheEnvironment) {
  CrmServer server(MakeCustomers(4));
  server.RequireApiKey("key-from-env-123");
  const std::string headers = "    headers:\n      X-Api-Key: ${CRM_KEY}\n";
  auto good =
      OpenSource(Yaml(server.url(), "{type: next_link, pointer: /links/next}", "next", headers),
                 {{"CRM_KEY", "key-from-env-123"}});
  ASSERT_NE(good, nullptr);
  ExpectAllCustomers(*good, server);
  EXPECT_EQ(server.requests().front().Header("x-api-key"), "key-from-env-123");

  auto bad =
      OpenSource(Yaml(server.url(), "{type: next_link, pointer: /links/next}", "next", headers),
                 {{"CRM_KEY", "key-wrong-456"}});
  ASSERT_NE(bad, nullptr);
  auto query = bad->Execute(Sql("SELECT * FROM customers"));
  ASSERT_FALSE(query.ok());
  EXPECT_NE(query.status().message().find("HTTP 403"), std::string::npos);
  EXPECT_EQ(query.status().message().find("key-wrong-456"), std::string::npos)
      << query.status().message();
}

TEST(JsonApiProtocol, TemplateValuesFromOptionsDefaultsOrMissing) {
  CrmServer server(MakeCustomers(30));
  auto connector = OpenSource(Yaml(server.url(), "{type: next_link, pointer: /links/next}", "next",
                                   "    health_path: /health\n", "?status={status}&since={since}") +
                              "        defaults: {status: active}\n");
  ASSERT_NE(connector, nullptr);
  // since from the query's options, status from the defaults.
  QueryRequest request = Sql("SELECT count(*), min(status), max(status) FROM customers");
  request.options = {{"since", "2026-01-15"}};
  auto result = connector->Execute(request);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  int64_t expected = 0;
  for (const auto& c : server.customers()) {
    if (c.status == "active" && c.created_at.substr(0, 10) >= "2026-01-15") ++expected;
  }
  ASSERT_GT(expected, 0);
  EXPECT_EQ(result->ValueAt(0, 0), Value::Int64(expected));
  EXPECT_EQ(result->ValueAt(0, 1), Value::String("active"));
  EXPECT_EQ(server.requests().front().Query("since"), "2026-01-15");

  // An option overrides a default; values are URL-encoded (the server decodes them back).
  request.options = {{"since", "2026-01-15 & more"}, {"status", "closed"}};
  result = connector->Execute(request);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(server.requests().back().Query("since"), "2026-01-15 & more");
  EXPECT_EQ(server.requests().back().Query("status"), "closed");

  // No value at all for {since}.
  auto missing = connector->Execute(Sql("SELECT count(*) FROM customers"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("{since}"), std::string::npos)
      << missing.status().message();
  EXPECT_NE(missing.status().message().find("defaults.since"), std::string::npos);

  // An option no table uses.
  QueryRequest unknown = Sql("SELECT 1");
  unknown.options = {{"sinse", "x"}};
  auto refused = connector->Execute(unknown);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("since, status"), std::string::npos)
      << refused.status().message();
}

TEST(JsonApiProtocol, TypeMappingAndNestedPointers) {
  CrmServer server(MakeCustomers(7));
  auto connector = OpenSource(Yaml(server.url(), "{type: next_link, pointer: /links/next}"));
  ASSERT_NE(connector, nullptr);
  auto result = connector->Execute(
      Sql("SELECT id, email, created, balance, vip, signup, score, meta, first_label, phone, "
          "missing FROM customers ORDER BY id"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->row_count(), 7u);
  const std::vector<ColumnType> types = {
      ColumnType::kInt64,  ColumnType::kString, ColumnType::kTimestamp, ColumnType::kDecimal,
      ColumnType::kBool,   ColumnType::kDate,   ColumnType::kDouble,    ColumnType::kJson,
      ColumnType::kString, ColumnType::kString, ColumnType::kInt64};
  for (size_t c = 0; c < types.size(); ++c) {
    EXPECT_EQ(result->columns()[c].type, types[c]) << result->columns()[c].name;
  }
  for (size_t r = 0; r < 7; ++r) {
    const Customer& c = server.customers()[r];
    EXPECT_EQ(result->ValueAt(r, 0), Value::Int64(c.id));
    if (c.has_email) {
      EXPECT_EQ(result->ValueAt(r, 1), Value::String(c.email));
    } else {
      EXPECT_TRUE(result->column(1).is_null(r)) << "record " << r << " has no email field";
    }
    // "+02:00" in the data: stored as UTC.
    EXPECT_EQ(result->ValueAt(r, 2), Value::Timestamp(*ParseTimestamp(c.created_at)));
    EXPECT_EQ(result->ValueAt(r, 4), Value::Bool(c.vip));
    EXPECT_EQ(result->ValueAt(r, 5), Value::Date(*ParseDate(c.signup_day)));
    EXPECT_EQ(result->ValueAt(r, 6), Value::Double(c.score));
    EXPECT_EQ(result->ValueAt(r, 8), Value::String("l" + std::to_string(c.id % 4)));
    EXPECT_TRUE(result->column(9).is_null(r)) << "JSON null is NULL";
    EXPECT_TRUE(result->column(10).is_null(r)) << "a missing field is NULL";
  }
  // Decimals exactly, JSON as JSON (queried with DuckDB's JSON functions).
  auto exact = connector->Execute(
      Sql("SELECT sum(balance)::VARCHAR, meta->>'tier' FROM customers WHERE id = 5 GROUP BY 2"));
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_EQ(exact->ValueAt(0, 0), Value::String(server.customers()[4].balance));
  EXPECT_EQ(exact->ValueAt(0, 1), Value::String("gold"));
  // Parameters bind as in DuckDB.
  auto bound =
      connector->Execute(Sql("SELECT email FROM customers WHERE id = $1", {Value::Int64(3)}));
  ASSERT_TRUE(bound.ok()) << bound.status().ToString();
  EXPECT_EQ(bound->ValueAt(0, 0), Value::String("user3@example.com"));
}

TEST(JsonApiProtocol, WrongValueTypeIsAQueryErrorNamingTheRecord) {
  CrmServer server(MakeCustomers(9));
  server.CorruptId(7, "\"seven\"");
  auto connector = OpenSource(Yaml(server.url(), "{type: next_link, pointer: /links/next}"));
  ASSERT_NE(connector, nullptr);
  auto result = connector->Execute(Sql("SELECT count(*) FROM customers"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kQueryError);
  const std::string& m = result.status().message();
  EXPECT_NE(m.find("table customers, record 6 (record 1 of page 2"), std::string::npos) << m;
  EXPECT_NE(m.find("column id (/id)"), std::string::npos) << m;
  EXPECT_NE(m.find("expected an int64"), std::string::npos) << m;
  EXPECT_NE(m.find("\"seven\""), std::string::npos) << m;

  // A numeric string is accepted for an int64 column.
  server.CorruptId(7, "\"7\"");
  auto fixed = connector->Execute(Sql("SELECT sum(id) FROM customers"));
  ASSERT_TRUE(fixed.ok()) << fixed.status().ToString();
  EXPECT_EQ(ToInt64(fixed->ValueAt(0, 0)), SumIds(server.customers()));
}

TEST(JsonApiProtocol, RetriesOn429HonouringRetryAfterAndOn503) {
  CrmServer server(MakeCustomers(12));
  auto connector = OpenSource(Yaml(server.url(), "{type: next_link, pointer: /links/next}"));
  ASSERT_NE(connector, nullptr);
  server.FailPageTwo(1, 429, "1");
  const auto start = Clock::now();
  ExpectAllCustomers(*connector, server);
  EXPECT_GE(Clock::now() - start, milliseconds(900)) << "Retry-After: 1 was not honoured";
  EXPECT_EQ(server.request_count(), 4u);  // page 1, page 2 (429), page 2, page 3

  server.FailPageTwo(2, 503);
  ExpectAllCustomers(*connector, server);
  EXPECT_EQ(server.request_count(), 4u + 5u);

  // Failing for good: the error says what and where, after the retries.
  server.FailPageTwo(100, 503);
  auto failed = connector->Execute(Sql("SELECT count(*) FROM customers"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), ErrorCode::kUnavailable) << failed.status().ToString();
  EXPECT_NE(failed.status().message().find("HTTP 503 from GET /next/customers"), std::string::npos)
      << failed.status().message();
  EXPECT_NE(failed.status().message().find("attempts"), std::string::npos);
  // The path is shown, never the query string.
  EXPECT_EQ(failed.status().message().find("offset="), std::string::npos);
}

TEST(JsonApiProtocol, TimeoutAndCancelDuringASlowPage) {
  CrmServer server(MakeCustomers(12));
  server.SlowPageTwo(milliseconds(20000));
  auto connector = OpenSource(Yaml(server.url(), "{type: next_link, pointer: /links/next}"));
  ASSERT_NE(connector, nullptr);

  QueryRequest timed = Sql("SELECT count(*) FROM customers");
  timed.timeout = milliseconds(500);
  auto start = Clock::now();
  auto result = connector->Execute(timed);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kDeadlineExceeded) << result.status().ToString();
  EXPECT_NE(result.status().message().find("500 ms"), std::string::npos);
  EXPECT_LT(Clock::now() - start, milliseconds(5000));

  QueryRequest cancelled = Sql("SELECT count(*) FROM customers");
  CancelToken token = cancelled.cancel;
  std::thread canceller([token] {
    std::this_thread::sleep_for(milliseconds(300));
    token.Cancel("cancelled by the test");
  });
  start = Clock::now();
  result = connector->Execute(cancelled);
  canceller.join();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kCancelled) << result.status().ToString();
  EXPECT_LT(Clock::now() - start, milliseconds(5000));

  server.SlowPageTwo(milliseconds(0));
  ExpectAllCustomers(*connector, server);
}

TEST(JsonApiProtocol, NotFoundNamesThePathWithoutItsQuery) {
  CrmServer server(MakeCustomers(3));
  auto connector = OpenSource(Yaml(server.url(), "", "next", "", "?api_key=k-in-query-123") +
                              "      orders:\n"
                              "        path: /v1/orders?api_key=k-in-query-123\n"
                              "        records: /data\n"
                              "        columns:\n"
                              "          id: {pointer: /id, type: int64}\n");
  ASSERT_NE(connector, nullptr);
  auto result = connector->Execute(Sql("SELECT * FROM orders"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kNotFound) << result.status().ToString();
  EXPECT_NE(result.status().message().find("GET /v1/orders"), std::string::npos);
  EXPECT_EQ(result.status().message().find("k-in-query-123"), std::string::npos);
  // Only the tables a query names are fetched.
  const size_t before = server.request_count();
  auto customers = connector->Execute(Sql("SELECT count(*) FROM customers"));
  ASSERT_TRUE(customers.ok()) << customers.status().ToString();
  EXPECT_EQ(server.request_count(), before + 1);
  EXPECT_EQ(server.requests().back().path, "/next/customers");
}

TEST(JsonApiProtocol, CacheReusesFetchedPagesWithinItsTtl) {
  CrmServer server(MakeCustomers(10));
  auto connector = OpenSource(Yaml(server.url(), "{type: next_link, pointer: /links/next}", "next",
                                   "    cache_ttl_seconds: 60\n"));
  ASSERT_NE(connector, nullptr);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto r = connector->Execute(Sql("SELECT count(*) FROM customers"));
      if (r.ok() && r->ValueAt(0, 0) == Value::Int64(10)) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(server.request_count(), 2u) << "concurrent queries should share one fetch";
  // Without a TTL every query fetches.
  CrmServer fresh(MakeCustomers(10));
  auto uncached = OpenSource(Yaml(fresh.url(), "{type: next_link, pointer: /links/next}"));
  ASSERT_NE(uncached, nullptr);
  ExpectAllCustomers(*uncached, fresh);
  ExpectAllCustomers(*uncached, fresh);
  EXPECT_EQ(fresh.request_count(), 4u);
  // Loaded tables are kept only while cached: none for the uncached source, one here.
  const std::string loaded = "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'loaded'";
  auto kept = uncached->Execute(Sql(loaded));
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->ValueAt(0, 0), Value::Int64(0));
  kept = connector->Execute(Sql(loaded));
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->ValueAt(0, 0), Value::Int64(1));
}

TEST(JsonApiProtocol, SchemaIsTheConfiguredTables) {
  CrmServer server(MakeCustomers(3));
  auto connector = OpenSource(Yaml(server.url(), "{type: next_link, pointer: /links/next}"));
  ASSERT_NE(connector, nullptr);
  auto tables = connector->ListTables();
  ASSERT_TRUE(tables.ok());
  ASSERT_EQ(tables->size(), 1u);
  EXPECT_EQ((*tables)[0].name, "customers");
  EXPECT_EQ((*tables)[0].kind, "table");
  auto described = connector->DescribeTable("customers");
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  ASSERT_EQ(described->columns.size(), 12u);
  EXPECT_EQ(described->columns[1].name, "email");
  EXPECT_EQ(described->columns[1].source_type, "json:/contact/email string");
  EXPECT_EQ(described->columns[4].type, ColumnType::kDecimal);
  EXPECT_EQ(described->columns[4].source_type, "json:/balance decimal(12,2)");
  auto missing = connector->DescribeTable("orders");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(server.request_count(), 0u) << "the schema comes from the config alone";
}

TEST(JsonApiProtocol, RefusesWritesEvenWithTheGuardSkipped) {
  CrmServer server(MakeCustomers(3));
  auto connector = OpenSource(Yaml(server.url(), "{type: next_link, pointer: /links/next}", "next",
                                   "    cache_ttl_seconds: 60\n"));
  ASSERT_NE(connector, nullptr);
  for (const char* sql : {"DELETE FROM customers", "CREATE TABLE evil (a INT)",
                          "DROP VIEW customers", "INSERT INTO customers (id) VALUES (9)"}) {
    QueryRequest request = Sql(sql);
    request.skip_statement_guard = true;
    auto result = connector->Execute(request);
    EXPECT_FALSE(result.ok()) << sql;
  }
  ExpectAllCustomers(*connector, server);
}

}  // namespace
}  // namespace tributary::json_api_test
