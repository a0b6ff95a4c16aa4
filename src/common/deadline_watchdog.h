// DeadlineWatchdog: one shared timer thread that runs short callbacks at deadlines, so that a
// connector can interrupt a query when its timeout expires without a thread per query.
//
// Typical use: schedule `duckdb_interrupt(conn)` (or a PostgreSQL cancel request) at the
// request's deadline and cancel the timer when the query ends. Cancel() guarantees that once
// it returns the callback is either finished or will never start, so the callback may refer
// to state that dies right after Cancel().
// Thread-safety: all members may be called from any thread, including from inside a
// callback. Callbacks run one at a time on the watchdog thread and must be short and must not
// block (they delay every other deadline).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

namespace tributary {

class DeadlineWatchdog {
 public:
  using Clock = std::chrono::steady_clock;
  //! Identifies one scheduled callback; never 0 for a real timer.
  using TimerId = uint64_t;

  //! Starts the timer thread.
  DeadlineWatchdog();
  //! Stops the thread; callbacks still pending are dropped without running.
  ~DeadlineWatchdog();
  DeadlineWatchdog(const DeadlineWatchdog&) = delete;
  DeadlineWatchdog& operator=(const DeadlineWatchdog&) = delete;

  //! The process-wide instance connectors share. Never destroyed, so it stays usable while
  //! other static objects are torn down at exit.
  static DeadlineWatchdog& Shared();

  //! Runs `callback` on the watchdog thread at `deadline` (as soon as possible when it has
  //! already passed). Callbacks with equal deadlines run in scheduling order.
  TimerId Schedule(Clock::time_point deadline, std::function<void()> callback);
  //! Convenience for Schedule(now + delay, callback).
  TimerId ScheduleAfter(Clock::duration delay, std::function<void()> callback) {
    return Schedule(Clock::now() + delay, std::move(callback));
  }

  //! Cancels a timer. Returns true when the callback had not started and now never will.
  //! Returns false when it already ran, is unknown, or is running right now; in the last case
  //! Cancel waits until it has finished (unless called from that very callback).
  bool Cancel(TimerId id);

  //! Timers scheduled and not yet started (for tests and metrics).
  size_t pending() const;

 private:
  void Run();

  mutable std::mutex mu_;
  std::condition_variable wake_cv_;
  std::condition_variable done_cv_;
  //! Ordered by deadline, then by id so that equal deadlines keep their scheduling order.
  std::map<std::pair<Clock::time_point, TimerId>, std::function<void()>> queue_;
  std::unordered_map<TimerId, Clock::time_point> deadlines_;
  TimerId next_id_ = 1;
  //! The timer whose callback runs now, 0 when none.
  TimerId running_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

//! Schedules a callback on a watchdog for the lifetime of a scope and cancels it on exit
//! (waiting for it when it is running at that moment).
class ScopedDeadline {
 public:
  ScopedDeadline(DeadlineWatchdog& watchdog, DeadlineWatchdog::Clock::time_point deadline,
                 std::function<void()> callback)
      : watchdog_(watchdog), id_(watchdog.Schedule(deadline, std::move(callback))) {}
  ~ScopedDeadline() { watchdog_.Cancel(id_); }
  ScopedDeadline(const ScopedDeadline&) = delete;
  ScopedDeadline& operator=(const ScopedDeadline&) = delete;

 private:
  DeadlineWatchdog& watchdog_;
  DeadlineWatchdog::TimerId id_;
};

}  // namespace tributary
