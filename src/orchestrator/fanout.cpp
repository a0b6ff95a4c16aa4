#include "orchestrator/fanout.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace tributary {

namespace {

int64_t ThreadsFor(int64_t configured) {
  if (configured > 0) return configured;
  const int64_t cores = std::max<int64_t>(1, std::thread::hardware_concurrency());
  return 2 * cores;
}

struct Pool {
  explicit Pool(int64_t threads) : size(threads), pool(static_cast<std::size_t>(threads)) {}
  int64_t size;
  boost::asio::thread_pool pool;
};

Pool& GlobalPool(int64_t configured) {
  // Created on first use and never destroyed: jobs abandoned past their deadline may still be
  // running when the process exits, and joining them at exit could hang it.
  static Pool* pool = new Pool(ThreadsFor(configured));
  return *pool;
}

// What the waiting caller and the jobs share; jobs keep it alive past an abandonment.
struct Shared {
  std::mutex mu;
  std::condition_variable done_cv;
  std::vector<bool> done;
};

}  // namespace

int64_t FanoutPoolThreads(int64_t pool_threads) {
  return GlobalPool(pool_threads).size;
}

std::vector<FanoutEnd> RunFanout(std::vector<FanoutJob> jobs, const CancelToken& caller,
                                 int64_t pool_threads, std::chrono::milliseconds grace) {
  using Clock = std::chrono::steady_clock;
  const size_t n = jobs.size();
  auto shared = std::make_shared<Shared>();
  shared->done.assign(n, false);
  std::vector<CancelToken> tokens(n);
  std::vector<bool> deadline_cancelled(n, false);
  // The caller's cancel (client disconnected) stops every job.
  CancelRegistration on_caller(caller, [tokens, caller] {
    for (const auto& t : tokens) t.Cancel(caller.reason());
  });
  Pool& pool = GlobalPool(pool_threads);
  for (size_t i = 0; i < n; ++i) {
    boost::asio::post(pool.pool, [shared, i, token = tokens[i], run = std::move(jobs[i].run)] {
      run(token);
      std::lock_guard lock(shared->mu);
      shared->done[i] = true;
      shared->done_cv.notify_all();
    });
  }
  std::vector<FanoutEnd> ends(n, FanoutEnd::kFinished);
  std::unique_lock lock(shared->mu);
  while (true) {
    const auto now = Clock::now();
    std::vector<size_t> to_cancel;
    std::optional<Clock::time_point> wake;
    bool waiting = false;
    for (size_t i = 0; i < n; ++i) {
      if (shared->done[i] || ends[i] == FanoutEnd::kAbandoned) continue;
      if (!deadline_cancelled[i] && now >= jobs[i].deadline) {
        deadline_cancelled[i] = true;
        to_cancel.push_back(i);
      }
      const auto limit = deadline_cancelled[i] ? jobs[i].deadline + grace : jobs[i].deadline;
      if (deadline_cancelled[i] && now >= limit) {
        ends[i] = FanoutEnd::kAbandoned;
        continue;
      }
      waiting = true;
      if (!wake || limit < *wake) wake = limit;
    }
    if (!to_cancel.empty()) {
      // Cancel callbacks interrupt queries; they must not run under our lock.
      lock.unlock();
      for (size_t i : to_cancel) {
        tokens[i].Cancel("timeout: no answer within the source's deadline");
      }
      lock.lock();
      continue;
    }
    if (!waiting) break;
    shared->done_cv.wait_until(lock, *wake);
  }
  return ends;
}

}  // namespace tributary
