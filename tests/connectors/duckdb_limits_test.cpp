// Limits of the DuckDB connector: row and byte truncation, timeouts and cancellation that
// stop the engine and leave the connection reusable, pool exhaustion, concurrent use.
// Timing assertions are loose on purpose: the test machine is small and shared.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "connectors/duckdb_test_support.h"

namespace tributary {
namespace {

using namespace std::chrono_literals;
using duckdb_test::MustQuery;
using duckdb_test::OpenConnector;
using duckdb_test::QueryValue;
using duckdb_test::Request;
using duckdb_test::SourceSpec;
using Clock = std::chrono::steady_clock;

// Runs for hours unless interrupted.
constexpr const char* kEndlessQuery =
    "SELECT count(*) FROM range(1000000000) a, range(1000000000) b WHERE a.range + b.range = -1";

SourceSpec Pool(int64_t connections) {
  SourceSpec spec;
  spec.max_connections = connections;
  spec.threads = 2;
  return spec;
}

TEST(DuckDbLimits, MaxRowsTruncates) {
  auto connector = OpenConnector(Pool(1));
  QueryRequest request = Request("SELECT range FROM range(100)");
  request.max_rows = 10;
  auto r = connector->Execute(request);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->row_count(), 10u);
  EXPECT_TRUE(r->stats().truncated);
  EXPECT_EQ(r->stats().truncated_by, "rows");
  EXPECT_GT(r->stats().elapsed_us, 0);

  // Exactly the limit is not truncated, also at a chunk boundary (2048 rows).
  for (int rows : {10, 2048}) {
    request = Request("SELECT range FROM range(" + std::to_string(rows) + ")");
    request.max_rows = rows;
    r = connector->Execute(request);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->row_count(), static_cast<size_t>(rows));
    EXPECT_FALSE(r->stats().truncated) << rows;
    EXPECT_EQ(r->stats().truncated_by, "");
  }
  request = Request("SELECT range FROM range(2049)");
  request.max_rows = 2048;
  r = connector->Execute(request);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->row_count(), 2048u);
  EXPECT_TRUE(r->stats().truncated);

  // 0 means no limit.
  request = Request("SELECT range FROM range(30000)");
  request.max_rows = 0;
  r = connector->Execute(request);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->row_count(), 30000u);
  EXPECT_FALSE(r->stats().truncated);

  // Stopping early abandons the rest of a huge result quickly; the connection is reusable.
  request = Request("SELECT range FROM range(10000000000)");
  request.max_rows = 5;
  r = connector->Execute(request);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->row_count(), 5u);
  EXPECT_EQ(QueryValue(*connector, "SELECT 7"), Value::Int64(7));
}

TEST(DuckDbLimits, MaxBytesTruncates) {
  auto connector = OpenConnector(Pool(1));
  QueryRequest request = Request("SELECT repeat('x', 1000) AS s FROM range(1000)");
  request.max_bytes = 10000;
  auto r = connector->Execute(request);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->stats().truncated);
  EXPECT_EQ(r->stats().truncated_by, "bytes");
  EXPECT_GE(r->row_count(), 9u);
  EXPECT_LE(r->row_count(), 11u);
  // At most one row beyond the limit.
  EXPECT_LE(r->ApproxBytes(), 10000u + 1001u);

  request.max_bytes = 10'000'000;
  r = connector->Execute(request);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->row_count(), 1000u);
  EXPECT_FALSE(r->stats().truncated);
}

TEST(DuckDbLimits, TimeoutInterruptsTheEngine) {
  auto connector = OpenConnector(Pool(1));
  QueryRequest request = Request(kEndlessQuery);
  request.timeout = 300ms;
  const auto start = Clock::now();
  auto r = connector->Execute(request);
  const auto took = Clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(r.status().message(), "query exceeded its timeout of 300 ms");
  EXPECT_LT(took, 10s);
  // The only connection was interrupted and still works.
  EXPECT_EQ(QueryValue(*connector, "SELECT 42"), Value::Int64(42));
  EXPECT_EQ(QueryValue(*connector, "SELECT count(*) FROM range(100000)"), Value::Int64(100000));
}

TEST(DuckDbLimits, TimeoutWhileStreamingRows) {
  auto connector = OpenConnector(Pool(1));
  // Produces rows slowly enough to still be running at the deadline, but without a limit.
  QueryRequest request =
      Request("SELECT a.range FROM range(100000000) a, range(100) b WHERE b.range = 99");
  request.timeout = 300ms;
  request.max_bytes = 0;
  auto r = connector->Execute(request);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(QueryValue(*connector, "SELECT 1"), Value::Int64(1));
}

TEST(DuckDbLimits, CancelFromAnotherThread) {
  auto connector = OpenConnector(Pool(1));
  QueryRequest request = Request(kEndlessQuery);
  request.timeout = 60s;
  CancelToken token = request.cancel;
  std::thread canceller([token] {
    std::this_thread::sleep_for(300ms);
    token.Cancel("client disconnected");
  });
  const auto start = Clock::now();
  auto r = connector->Execute(request);
  const auto took = Clock::now() - start;
  canceller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCancelled);
  EXPECT_EQ(r.status().message(), "client disconnected");
  EXPECT_LT(took, 30s);
  EXPECT_EQ(QueryValue(*connector, "SELECT 'still fine'"), Value::String("still fine"));
}

TEST(DuckDbLimits, AlreadyCancelledRequestDoesNotRun) {
  auto connector = OpenConnector(Pool(1));
  QueryRequest request = Request("SELECT 1");
  request.cancel.Cancel("shutting down");
  auto r = connector->Execute(request);
  EXPECT_EQ(r.status().code(), ErrorCode::kCancelled);
  EXPECT_EQ(r.status().message(), "shutting down");
  EXPECT_EQ(QueryValue(*connector, "SELECT 2"), Value::Int64(2));
}

TEST(DuckDbLimits, PoolExhaustionIsResourceExhausted) {
  SourceSpec spec = Pool(1);
  spec.id = "busy";
  auto connector = OpenConnector(spec);
  QueryRequest slow = Request(kEndlessQuery);
  slow.timeout = 60s;
  CancelToken slow_token = slow.cancel;
  auto running = std::async(std::launch::async, [&] { return connector->Execute(slow); });
  // Wait until the slow query holds the only connection: a short request then times out
  // waiting for it.
  bool saw_busy = false;
  for (int attempt = 0; attempt < 100 && !saw_busy; ++attempt) {
    QueryRequest quick = Request("SELECT 1");
    quick.timeout = 100ms;
    auto r = connector->Execute(quick);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), ErrorCode::kResourceExhausted);
      EXPECT_EQ(r.status().message(), "all 1 connections of source busy are busy");
      saw_busy = true;
    } else {
      std::this_thread::sleep_for(50ms);
    }
  }
  EXPECT_TRUE(saw_busy);
  // A waiter is woken by its own cancel too.
  QueryRequest waiting = Request("SELECT 1");
  waiting.timeout = 60s;
  CancelToken waiting_token = waiting.cancel;
  auto waiter = std::async(std::launch::async, [&] { return connector->Execute(waiting); });
  std::this_thread::sleep_for(100ms);
  waiting_token.Cancel("gave up");
  auto waited = waiter.get();
  EXPECT_EQ(waited.status().code(), ErrorCode::kCancelled);

  slow_token.Cancel("done");
  auto slow_result = running.get();
  EXPECT_EQ(slow_result.status().code(), ErrorCode::kCancelled);
  EXPECT_EQ(QueryValue(*connector, "SELECT 3"), Value::Int64(3));
}

TEST(DuckDbLimits, ConcurrentQueriesGetTheirOwnAnswers) {
  auto connector = OpenConnector(Pool(4));
  std::atomic<int> wrong{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const int64_t n = t * 1000 + i;
        QueryRequest request =
            Request("SELECT $1::BIGINT * 2 AS doubled, count(*) AS c FROM range($1::BIGINT)",
                    {Value::Int64(n)});
        request.timeout = 60s;
        auto r = connector->Execute(request);
        if (!r.ok()) {
          ++failed;
          continue;
        }
        if (r->ValueAt(0, 0) != Value::Int64(2 * n) || r->ValueAt(0, 1) != Value::Int64(n)) {
          ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
}

TEST(DuckDbLimits, TimeoutsAndCancelsUnderConcurrencyLeaveThePoolHealthy) {
  auto connector = OpenConnector(Pool(2));
  std::vector<std::thread> threads;
  std::atomic<int> unexpected{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        QueryRequest request = Request(t % 2 ? kEndlessQuery : "SELECT 5");
        request.timeout = 200ms;
        auto r = connector->Execute(request);
        if (t % 2 == 0 && r.ok()) continue;
        const ErrorCode code = r.status().code();
        if (code != ErrorCode::kDeadlineExceeded && code != ErrorCode::kResourceExhausted) {
          ++unexpected;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(unexpected.load(), 0);
  // Both connections are back and usable: two queries at once succeed.
  auto a = std::async(std::launch::async, [&] { return QueryValue(*connector, "SELECT 1"); });
  auto b = std::async(std::launch::async, [&] { return QueryValue(*connector, "SELECT 2"); });
  EXPECT_EQ(a.get(), Value::Int64(1));
  EXPECT_EQ(b.get(), Value::Int64(2));
}

}  // namespace
}  // namespace tributary
