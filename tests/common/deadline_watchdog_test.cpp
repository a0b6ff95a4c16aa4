#include "common/deadline_watchdog.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tributary {
namespace {

using namespace std::chrono_literals;
using Clock = DeadlineWatchdog::Clock;

// Waits (up to a generous limit, the machine is shared and noisy) for a condition.
template <typename F>
bool WaitFor(F condition, std::chrono::milliseconds limit = 10s) {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return condition();
}

TEST(DeadlineWatchdog, RunsCallbacksInDeadlineOrder) {
  DeadlineWatchdog watchdog;
  std::mutex mu;
  std::vector<int> order;
  auto record = [&](int n) {
    return [&, n] {
      std::lock_guard lock(mu);
      order.push_back(n);
    };
  };
  const auto now = Clock::now();
  watchdog.Schedule(now + 150ms, record(3));
  watchdog.Schedule(now + 50ms, record(1));
  watchdog.Schedule(now + 100ms, record(2));
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(mu);
    return order.size() == 3;
  }));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(watchdog.pending(), 0u);
}

TEST(DeadlineWatchdog, EqualDeadlinesKeepSchedulingOrder) {
  DeadlineWatchdog watchdog;
  std::mutex mu;
  std::vector<int> order;
  const auto at = Clock::now() + 20ms;
  for (int i = 0; i < 20; ++i) {
    watchdog.Schedule(at, [&, i] {
      std::lock_guard lock(mu);
      order.push_back(i);
    });
  }
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(mu);
    return order.size() == 20;
  }));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[i], i);
}

TEST(DeadlineWatchdog, PastDeadlineRunsAtOnce) {
  DeadlineWatchdog watchdog;
  std::promise<void> ran;
  watchdog.Schedule(Clock::now() - 1s, [&] { ran.set_value(); });
  EXPECT_EQ(ran.get_future().wait_for(5s), std::future_status::ready);
}

TEST(DeadlineWatchdog, CancelBeforeDeadlinePreventsTheCallback) {
  DeadlineWatchdog watchdog;
  std::atomic<int> runs{0};
  auto id = watchdog.ScheduleAfter(100ms, [&] { ++runs; });
  EXPECT_EQ(watchdog.pending(), 1u);
  EXPECT_TRUE(watchdog.Cancel(id));
  EXPECT_EQ(watchdog.pending(), 0u);
  EXPECT_FALSE(watchdog.Cancel(id));  // a second cancel is harmless
  // A later timer proves the thread moved past the cancelled deadline.
  std::promise<void> later;
  watchdog.ScheduleAfter(200ms, [&] { later.set_value(); });
  ASSERT_EQ(later.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(runs.load(), 0);
}

TEST(DeadlineWatchdog, CancelAfterRunReturnsFalse) {
  DeadlineWatchdog watchdog;
  std::promise<void> ran;
  auto id = watchdog.Schedule(Clock::now(), [&] { ran.set_value(); });
  ASSERT_EQ(ran.get_future().wait_for(5s), std::future_status::ready);
  // The callback may still be finishing; Cancel waits for it and reports it ran.
  EXPECT_FALSE(watchdog.Cancel(id));
  EXPECT_FALSE(watchdog.Cancel(987654));  // unknown ids too
}

TEST(DeadlineWatchdog, CancelWaitsForARunningCallback) {
  DeadlineWatchdog watchdog;
  std::atomic<bool> started{false}, finished{false};
  auto id = watchdog.Schedule(Clock::now(), [&] {
    started = true;
    std::this_thread::sleep_for(200ms);
    finished = true;
  });
  ASSERT_TRUE(WaitFor([&] { return started.load(); }));
  EXPECT_FALSE(watchdog.Cancel(id));
  // Cancel returned only once the callback was done: state it used may now be destroyed.
  EXPECT_TRUE(finished.load());
}

TEST(DeadlineWatchdog, CallbacksMayScheduleAndCancelTimers) {
  DeadlineWatchdog watchdog;
  std::promise<void> second;
  DeadlineWatchdog::TimerId self = 0;
  std::atomic<bool> self_cancel_returned{false};
  std::mutex mu;
  {
    std::lock_guard lock(mu);
    self = watchdog.Schedule(Clock::now(), [&] {
      DeadlineWatchdog::TimerId mine;
      {
        std::lock_guard inner(mu);
        mine = self;
      }
      // Cancelling itself from inside must not deadlock.
      watchdog.Cancel(mine);
      self_cancel_returned = true;
      watchdog.ScheduleAfter(10ms, [&] { second.set_value(); });
    });
  }
  ASSERT_EQ(second.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(self_cancel_returned.load());
}

TEST(DeadlineWatchdog, EarlierTimerScheduledLaterWakesTheThread) {
  DeadlineWatchdog watchdog;
  std::atomic<int> runs{0};
  watchdog.ScheduleAfter(1h, [&] { ++runs; });
  std::promise<void> soon;
  const auto start = Clock::now();
  watchdog.ScheduleAfter(20ms, [&] { soon.set_value(); });
  ASSERT_EQ(soon.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_LT(Clock::now() - start, 10s);
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(watchdog.pending(), 1u);
}

TEST(DeadlineWatchdog, ThrowingCallbackDoesNotStopTheThread) {
  DeadlineWatchdog watchdog;
  watchdog.Schedule(Clock::now(), [] { throw std::runtime_error("boom"); });
  std::promise<void> next;
  watchdog.ScheduleAfter(10ms, [&] { next.set_value(); });
  EXPECT_EQ(next.get_future().wait_for(10s), std::future_status::ready);
}

TEST(DeadlineWatchdog, DestructorDropsPendingTimers) {
  std::atomic<int> runs{0};
  {
    DeadlineWatchdog watchdog;
    for (int i = 0; i < 10; ++i) watchdog.ScheduleAfter(1h, [&] { ++runs; });
  }
  EXPECT_EQ(runs.load(), 0);
}

TEST(DeadlineWatchdog, ManyThreadsScheduleAndCancel) {
  DeadlineWatchdog watchdog;
  std::atomic<int> runs{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto id = watchdog.ScheduleAfter(std::chrono::microseconds(i * 10), [&] { ++runs; });
        if (i % 2 == 0) watchdog.Cancel(id);
      }
    });
  }
  for (auto& t : threads) t.join();
  // Every odd timer runs; even ones ran or were cancelled, never twice.
  ASSERT_TRUE(WaitFor([&] { return watchdog.pending() == 0; }));
  EXPECT_GE(runs.load(), 8 * 100);
  EXPECT_LE(runs.load(), 8 * 200);
}

TEST(DeadlineWatchdog, ScopedDeadlineCancelsOnExit) {
  DeadlineWatchdog watchdog;
  std::atomic<int> runs{0};
  {
    ScopedDeadline deadline(watchdog, Clock::now() + 1h, [&] { ++runs; });
    EXPECT_EQ(watchdog.pending(), 1u);
  }
  EXPECT_EQ(watchdog.pending(), 0u);
  EXPECT_EQ(runs.load(), 0);
}

TEST(DeadlineWatchdog, SharedInstanceWorks) {
  std::promise<void> ran;
  auto id = DeadlineWatchdog::Shared().ScheduleAfter(1ms, [&] { ran.set_value(); });
  EXPECT_NE(id, 0u);
  EXPECT_EQ(ran.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(&DeadlineWatchdog::Shared(), &DeadlineWatchdog::Shared());
}

}  // namespace
}  // namespace tributary
