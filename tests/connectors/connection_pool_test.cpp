// ConnectionPool with a fake connection: reuse, the max_connections bound, FIFO order under
// contention, deadline and cancel while waiting, discard, idle and lifetime expiry, validation
// on borrow, factory errors, Close and the stats.
#include "connectors/common/connection_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace tributary {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Counts what the pool does to connections; shared by the factory and the fakes.
struct Counters {
  std::atomic<int> created{0};
  std::atomic<int> destroyed{0};
  std::atomic<int> validations{0};
  std::atomic<bool> healthy{true};
  std::atomic<bool> refuse{false};
};

struct FakeConn {
  FakeConn(int id, std::shared_ptr<Counters> counters) : id(id), counters(std::move(counters)) {}
  ~FakeConn() { ++counters->destroyed; }
  int id;
  std::shared_ptr<Counters> counters;
};

using Pool = ConnectionPool<FakeConn>;

struct Fixture {
  explicit Fixture(PoolOptions options) : counters(std::make_shared<Counters>()) {
    auto c = counters;
    pool = std::make_unique<Pool>(
        "fake", options,
        [c]() -> Result<std::unique_ptr<FakeConn>> {
          if (c->refuse) return Unavailable("connection refused by fake:1");
          return std::make_unique<FakeConn>(++c->created, c);
        },
        [c](FakeConn&) {
          ++c->validations;
          return c->healthy.load();
        });
  }
  std::shared_ptr<Counters> counters;
  std::unique_ptr<Pool> pool;
};

PoolOptions Options(int64_t max) {
  PoolOptions options;
  options.max_connections = max;
  options.validate_after = 1h;  // no validation unless a test asks for it
  return options;
}

Clock::time_point In(std::chrono::milliseconds ms) {
  return Clock::now() + ms;
}

// Waits (bounded) until the pool reports `waiting` borrowers.
void WaitForWaiters(const Pool& pool, int64_t waiting) {
  for (int i = 0; i < 500 && pool.stats().waiting < waiting; ++i) std::this_thread::sleep_for(2ms);
  ASSERT_EQ(pool.stats().waiting, waiting);
}

TEST(ConnectionPool, ReusesAnIdleConnection) {
  Fixture f(Options(2));
  CancelToken cancel;
  int first_id = 0;
  {
    auto lease = f.pool->Acquire(In(1s), cancel);
    ASSERT_TRUE(lease.ok()) << lease.status().ToString();
    first_id = (*lease)->id;
  }
  auto again = f.pool->Acquire(In(1s), cancel);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->id, first_id);
  EXPECT_EQ(f.counters->created, 1);
  EXPECT_EQ(f.pool->stats().created_total, 1);
}

TEST(ConnectionPool, EnforcesMaxAndFailsAtTheDeadlineWithResourceExhausted) {
  Fixture f(Options(2));
  CancelToken cancel;
  auto a = f.pool->Acquire(In(1s), cancel);
  auto b = f.pool->Acquire(In(1s), cancel);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->id, (*b)->id);

  const auto start = Clock::now();
  auto c = f.pool->Acquire(In(80ms), cancel);
  const auto waited = Clock::now() - start;
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(c.status().message().find("all 2 connections of source 'fake'"), std::string::npos)
      << c.status().message();
  EXPECT_GE(waited, 75ms);
  EXPECT_LT(waited, 2s);
  EXPECT_EQ(f.counters->created, 2);

  PoolStats stats = f.pool->stats();
  EXPECT_EQ(stats.open, 2);
  EXPECT_EQ(stats.in_use, 2);
  EXPECT_EQ(stats.idle, 0);
  EXPECT_EQ(stats.waiting, 0);
}

TEST(ConnectionPool, AWaiterGetsTheConnectionReleasedBeforeItsDeadline) {
  Fixture f(Options(1));
  CancelToken cancel;
  std::optional<Pool::Lease> held;
  {
    auto lease = f.pool->Acquire(In(1s), cancel);
    ASSERT_TRUE(lease.ok());
    held.emplace(std::move(lease).value());
  }
  std::thread releaser([&] {
    std::this_thread::sleep_for(50ms);
    held.reset();
  });
  auto waited = f.pool->Acquire(In(5s), cancel);
  releaser.join();
  ASSERT_TRUE(waited.ok()) << waited.status().ToString();
  EXPECT_EQ((*waited)->id, 1);
}

TEST(ConnectionPool, ServesWaitersInFifoOrder) {
  Fixture f(Options(1));
  CancelToken cancel;
  std::optional<Pool::Lease> held;
  {
    auto lease = f.pool->Acquire(In(1s), cancel);
    ASSERT_TRUE(lease.ok());
    held.emplace(std::move(lease).value());
  }
  constexpr int kWaiters = 6;
  std::mutex order_mu;
  std::vector<int> order;
  std::vector<std::thread> threads;
  for (int i = 0; i < kWaiters; ++i) {
    threads.emplace_back([&, i] {
      auto lease = f.pool->Acquire(In(10s), cancel);
      ASSERT_TRUE(lease.ok()) << lease.status().ToString();
      std::lock_guard lock(order_mu);
      order.push_back(i);
    });
    // Each waiter is queued before the next one arrives.
    WaitForWaiters(*f.pool, i + 1);
  }
  held.reset();
  for (auto& t : threads) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(f.counters->created, 1);
}

TEST(ConnectionPool, CancelEndsTheWaitWithCancelled) {
  Fixture f(Options(1));
  CancelToken cancel;
  auto held = f.pool->Acquire(In(1s), cancel);
  ASSERT_TRUE(held.ok());

  CancelToken request;
  std::thread canceller([&] {
    WaitForWaiters(*f.pool, 1);
    request.Cancel("client went away");
  });
  const auto start = Clock::now();
  auto waited = f.pool->Acquire(In(10s), request);
  canceller.join();
  ASSERT_FALSE(waited.ok());
  EXPECT_EQ(waited.status().code(), ErrorCode::kCancelled);
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_EQ(f.pool->stats().waiting, 0);

  // An already-cancelled token fails at once, even with a connection free.
  Fixture g(Options(1));
  CancelToken done;
  done.Cancel("cancelled before");
  auto immediate = g.pool->Acquire(In(10s), done);
  ASSERT_FALSE(immediate.ok());
  EXPECT_EQ(immediate.status().code(), ErrorCode::kCancelled);
  EXPECT_EQ(g.counters->created, 0);
}

TEST(ConnectionPool, DiscardClosesTheConnectionInsteadOfReusingIt) {
  Fixture f(Options(2));
  CancelToken cancel;
  {
    auto lease = f.pool->Acquire(In(1s), cancel);
    ASSERT_TRUE(lease.ok());
    lease->Discard();
    // The mark survives a move of the lease.
    Pool::Lease moved(std::move(lease).value());
    EXPECT_EQ(moved->id, 1);
  }
  EXPECT_EQ(f.counters->destroyed, 1);
  PoolStats stats = f.pool->stats();
  EXPECT_EQ(stats.open, 0);
  EXPECT_EQ(stats.discarded_total, 1);
  auto next = f.pool->Acquire(In(1s), cancel);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)->id, 2);
}

TEST(ConnectionPool, IdleTimeoutExpiresAnIdleConnection) {
  PoolOptions options = Options(2);
  options.idle_timeout = 30ms;
  Fixture f(options);
  CancelToken cancel;
  { ASSERT_TRUE(f.pool->Acquire(In(1s), cancel).ok()); }
  std::this_thread::sleep_for(60ms);
  auto lease = f.pool->Acquire(In(1s), cancel);
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)->id, 2);
  EXPECT_EQ(f.counters->destroyed, 1);
  EXPECT_EQ(f.pool->stats().discarded_total, 1);
  EXPECT_EQ(f.pool->stats().open, 1);
}

TEST(ConnectionPool, MaxLifetimeExpiresConnectionsIdleOrInUse) {
  PoolOptions options = Options(2);
  options.max_lifetime = 40ms;
  Fixture f(options);
  CancelToken cancel;
  { ASSERT_TRUE(f.pool->Acquire(In(1s), cancel).ok()); }
  // Still young: reused.
  {
    auto young = f.pool->Acquire(In(1s), cancel);
    ASSERT_TRUE(young.ok());
    EXPECT_EQ((*young)->id, 1);
    std::this_thread::sleep_for(60ms);
    // Returned after its lifetime: closed on release, not kept idle.
  }
  EXPECT_EQ(f.counters->destroyed, 1);
  EXPECT_EQ(f.pool->stats().idle, 0);

  { ASSERT_TRUE(f.pool->Acquire(In(1s), cancel).ok()); }  // creates #2, idle again
  std::this_thread::sleep_for(60ms);
  auto old = f.pool->Acquire(In(1s), cancel);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ((*old)->id, 3);
}

TEST(ConnectionPool, ValidationFailureReplacesTheConnection) {
  PoolOptions options = Options(2);
  options.validate_after = 0ms;
  Fixture f(options);
  CancelToken cancel;
  { ASSERT_TRUE(f.pool->Acquire(In(1s), cancel).ok()); }
  {
    auto healthy = f.pool->Acquire(In(1s), cancel);
    ASSERT_TRUE(healthy.ok());
    EXPECT_EQ((*healthy)->id, 1);
    EXPECT_EQ(f.counters->validations, 1);
  }
  f.counters->healthy = false;  // e.g. the server restarted
  auto replaced = f.pool->Acquire(In(1s), cancel);
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ((*replaced)->id, 2);
  EXPECT_EQ(f.counters->validations, 2);
  EXPECT_EQ(f.counters->destroyed, 1);
  EXPECT_EQ(f.pool->stats().discarded_total, 1);
  EXPECT_EQ(f.pool->stats().open, 1);
}

TEST(ConnectionPool, RecentlyUsedConnectionsSkipValidation) {
  PoolOptions options = Options(1);
  options.validate_after = 1h;
  Fixture f(options);
  CancelToken cancel;
  { ASSERT_TRUE(f.pool->Acquire(In(1s), cancel).ok()); }
  { ASSERT_TRUE(f.pool->Acquire(In(1s), cancel).ok()); }
  EXPECT_EQ(f.counters->validations, 0);

  options.validate_on_borrow = false;
  options.validate_after = 0ms;
  Fixture g(options);
  g.counters->healthy = false;
  { ASSERT_TRUE(g.pool->Acquire(In(1s), cancel).ok()); }
  auto lease = g.pool->Acquire(In(1s), cancel);
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)->id, 1);
  EXPECT_EQ(g.counters->validations, 0);
}

TEST(ConnectionPool, FactoryErrorReachesTheBorrowerAndFreesTheSlot) {
  Fixture f(Options(1));
  CancelToken cancel;
  f.counters->refuse = true;
  auto refused = f.pool->Acquire(In(1s), cancel);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(refused.status().message(), "connection refused by fake:1");
  PoolStats stats = f.pool->stats();
  EXPECT_EQ(stats.open, 0);
  EXPECT_EQ(stats.in_use, 0);
  EXPECT_EQ(stats.created_total, 0);

  f.counters->refuse = false;  // the server is back
  auto lease = f.pool->Acquire(In(1s), cancel);
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  EXPECT_EQ(f.pool->stats().created_total, 1);
}

TEST(ConnectionPool, CloseFailsWaitersAndClosesConnections) {
  Fixture f(Options(2));
  CancelToken cancel;
  auto held = f.pool->Acquire(In(1s), cancel);
  ASSERT_TRUE(held.ok());
  { ASSERT_TRUE(f.pool->Acquire(In(1s), cancel).ok()); }  // a second one, idle now
  EXPECT_EQ(f.pool->stats().idle, 1);
  auto other = f.pool->Acquire(In(1s), cancel);  // both busy
  ASSERT_TRUE(other.ok());

  std::optional<Result<Pool::Lease>> waiter_result;
  std::thread waiter([&] { waiter_result.emplace(f.pool->Acquire(In(10s), cancel)); });
  WaitForWaiters(*f.pool, 1);
  f.pool->Close();
  waiter.join();
  ASSERT_TRUE(waiter_result.has_value());
  ASSERT_FALSE(waiter_result->ok());
  EXPECT_EQ(waiter_result->status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(waiter_result->status().message().find("closed"), std::string::npos);

  auto after = f.pool->Acquire(In(1s), cancel);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), ErrorCode::kUnavailable);

  // Leases in use close their connection when returned.
  const int destroyed_before = f.counters->destroyed;
  { Pool::Lease returned(std::move(held).value()); }
  EXPECT_EQ(f.counters->destroyed, destroyed_before + 1);
  EXPECT_EQ(f.pool->stats().open, 1);
  EXPECT_EQ(f.pool->stats().idle, 0);
}

TEST(ConnectionPool, StatsTrackOpenIdleInUseAndWaiting) {
  Fixture f(Options(3));
  CancelToken cancel;
  auto a = f.pool->Acquire(In(1s), cancel);
  auto b = f.pool->Acquire(In(1s), cancel);
  ASSERT_TRUE(a.ok() && b.ok());
  {
    auto c = f.pool->Acquire(In(1s), cancel);
    ASSERT_TRUE(c.ok());
    c->Discard();
  }
  PoolStats stats = f.pool->stats();
  EXPECT_EQ(stats.open, 2);
  EXPECT_EQ(stats.in_use, 2);
  EXPECT_EQ(stats.idle, 0);
  EXPECT_EQ(stats.created_total, 3);
  EXPECT_EQ(stats.discarded_total, 1);
  { std::optional<Pool::Lease> drop(std::move(a).value()); }
  stats = f.pool->stats();
  EXPECT_EQ(stats.open, 2);
  EXPECT_EQ(stats.in_use, 1);
  EXPECT_EQ(stats.idle, 1);
  EXPECT_EQ(stats.waiting, 0);
}

TEST(ConnectionPool, ManyThreadsNeverExceedMax) {
  Fixture f(Options(3));
  std::atomic<int> concurrent{0};
  std::atomic<int> peak{0};
  std::atomic<int> served{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      CancelToken cancel;
      for (int i = 0; i < 50; ++i) {
        auto lease = f.pool->Acquire(In(10s), cancel);
        ASSERT_TRUE(lease.ok()) << lease.status().ToString();
        const int now = ++concurrent;
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --concurrent;
        ++served;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(served, 400);
  EXPECT_LE(peak, 3);
  EXPECT_LE(f.counters->created, 3);
  EXPECT_EQ(f.pool->stats().in_use, 0);
}

}  // namespace
}  // namespace tributary
