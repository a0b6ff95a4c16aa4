// MySQL/MariaDB connector against the live test server: row and byte limits, timeouts and
// cancellation (KILL QUERY), the connection pool under load and a server restart.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "connectors/mysql_test_support.h"

namespace tributary {
namespace {

using namespace mysql_test;  // NOLINT(google-build-using-namespace)
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

int64_t ElapsedMs(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

// Counts the statements of `connector`'s user still running `marker` on the server.
int64_t RunningWith(Connector& connector, const std::string& marker) {
  QueryRequest request = Request(
      "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE ? AND info NOT LIKE "
      "'%processlist%'",
      {Value::String("%" + marker + "%")});
  auto result = connector.Execute(request);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? result->ValueAt(0, 0).as_int() : -1;
}

TEST(MySqlLimitsTest, RowLimitStopsEarly) {
  TRIB_REQUIRE_MARIADB();
  auto connector = OpenConnector();
  QueryRequest request = Request("SELECT seq, REPEAT('x', 100) FROM seq_1_to_50000000");
  request.max_rows = 10;
  const auto start = Clock::now();
  auto result = connector->Execute(request);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->row_count(), 10u);
  EXPECT_TRUE(result->stats().truncated);
  EXPECT_EQ(result->stats().truncated_by, "rows");
  EXPECT_EQ(result->ValueAt(9, 0), Value::Decimal("10"));  // seq is BIGINT UNSIGNED
  EXPECT_LT(ElapsedMs(start), 3000);
  // The next query gets a working connection.
  auto next = connector->Execute(Request("SELECT 1"));
  ASSERT_TRUE(next.ok()) << next.status().ToString();

  QueryRequest exact = Request("SELECT seq FROM seq_1_to_10");
  exact.max_rows = 10;
  auto whole = connector->Execute(exact);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->row_count(), 10u);
  EXPECT_FALSE(whole->stats().truncated);
}

TEST(MySqlLimitsTest, ByteLimitStopsEarly) {
  TRIB_REQUIRE_MARIADB();
  auto connector = OpenConnector();
  QueryRequest request = Request("SELECT REPEAT('y', 1000) FROM seq_1_to_10000000");
  request.max_rows = 0;
  request.max_bytes = 50'000;
  auto result = connector->Execute(request);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->stats().truncated);
  EXPECT_EQ(result->stats().truncated_by, "bytes");
  EXPECT_GE(result->row_count(), 40u);
  EXPECT_LT(result->row_count(), 100u);
}

TEST(MySqlLimitsTest, TimeoutKillsTheQueryOnTheServer) {
  TRIB_REQUIRE_MARIADB();
  auto connector = OpenConnector();
  QueryRequest request = Request("SELECT SLEEP(20) AS timeout_marker_1");
  request.timeout = milliseconds(400);
  const auto start = Clock::now();
  auto result = connector->Execute(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(result.status().message(), "query exceeded its timeout of 400 ms");
  EXPECT_LT(ElapsedMs(start), 5000);
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(RunningWith(*connector, "timeout_marker_1"), 0);
}

TEST(MySqlLimitsTest, ServerStatementTimeIsASecondWall) {
  TRIB_REQUIRE_MARIADB();
  auto connector = OpenConnector();
  // The server stops the statement itself shortly after the client's deadline.
  QueryRequest request = Request("SELECT @@session.max_statement_time");
  request.timeout = milliseconds(300);
  auto result = connector->Execute(request);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_DOUBLE_EQ(result->ValueAt(0, 0).as_double(), 0.55);
  // A heavy query (not SLEEP): whichever wall fires first, the answer is DEADLINE_EXCEEDED.
  QueryRequest heavy = Request("SELECT COUNT(*) FROM seq_1_to_100000000 a, seq_1_to_1000 b");
  heavy.timeout = milliseconds(300);
  auto stopped = connector->Execute(heavy);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().code(), ErrorCode::kDeadlineExceeded) << stopped.status().ToString();
}

TEST(MySqlLimitsTest, CancelTokenKillsTheQuery) {
  TRIB_REQUIRE_MARIADB();
  auto connector = OpenConnector();
  QueryRequest request = Request("SELECT SLEEP(20) AS cancel_marker_2");
  CancelToken token = request.cancel;
  std::thread canceller([token] {
    std::this_thread::sleep_for(milliseconds(300));
    token.Cancel("client disconnected");
  });
  const auto start = Clock::now();
  auto result = connector->Execute(request);
  canceller.join();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kCancelled);
  EXPECT_EQ(result.status().message(), "client disconnected");
  EXPECT_LT(ElapsedMs(start), 5000);
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(RunningWith(*connector, "cancel_marker_2"), 0);
}

TEST(MySqlLimitsTest, ConcurrentQueriesFromEightThreads) {
  TRIB_REQUIRE_MARIADB();
  auto connector = OpenConnector({{"max_connections", int64_t{4}}});
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        auto result = connector->Execute(
            Request("SELECT ? + CAST(seq AS SIGNED) FROM seq_1_to_100 ORDER BY 1",
                    {Value::Int64(t * 1000 + i)}));
        if (!result.ok() || result->row_count() != 100 ||
            result->ValueAt(0, 0) != Value::Int64(t * 1000 + i + 1)) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(MySqlLimitsTest, PoolExhaustionIsResourceExhausted) {
  TRIB_REQUIRE_MARIADB();
  auto connector = OpenConnector({{"max_connections", int64_t{1}}});
  std::thread busy([&] {
    QueryRequest slow = Request("SELECT SLEEP(1.5)");
    auto result = connector->Execute(slow);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
  });
  std::this_thread::sleep_for(milliseconds(300));
  QueryRequest waiting = Request("SELECT 1");
  waiting.timeout = milliseconds(300);
  auto result = connector->Execute(waiting);
  busy.join();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kResourceExhausted);
  auto after = connector->Execute(Request("SELECT 1"));
  EXPECT_TRUE(after.ok()) << after.status().ToString();
}

TEST(MySqlLimitsTest, RecoversAfterServerRestart) {
  TRIB_REQUIRE_MARIADB();
  const char* script = std::getenv("TRIB_TEST_SERVERS_SCRIPT");
  ASSERT_TRUE(script != nullptr && *script)
      << "TRIB_TEST_SERVERS_SCRIPT is not set: run these tests via `make test`";
  auto connector = OpenConnector();
  ASSERT_TRUE(connector->HealthCheck().ok());
  ASSERT_TRUE(connector->Execute(Request("SELECT 1")).ok());
  const std::string command = std::string(script) + " restart mariadb > /dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  auto health = connector->HealthCheck();
  EXPECT_TRUE(health.ok()) << health.status().ToString();
  // Pooled connections died with the server; validation on borrow replaces them.
  std::this_thread::sleep_for(milliseconds(1100));
  auto result = connector->Execute(Request("SELECT 2"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->ValueAt(0, 0), Value::Int64(2));
}

}  // namespace
}  // namespace tributary
