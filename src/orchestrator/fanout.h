// Fan-out: running one request's per-source jobs in parallel on a bounded, process-wide pool
// of threads, each job bounded by its own deadline (docs/orchestration.md).
//
// The HTTP handlers themselves run on the server's worker pool and block while they wait for
// their jobs, so the jobs go to a separate pool: a handler never waits for a thread of its
// own pool, and however many handlers wait, the jobs they wait for still get threads. Jobs
// never wait for other jobs.
//
// Each job gets its own CancelToken. It is cancelled when the job's deadline passes (the
// connector interrupts its query) or when the caller's token is cancelled (client gone).
// A job still running `grace` after its deadline is abandoned: RunFanout returns without it
// and the job finishes on its own later, so it must own (or share) everything it touches.
// Thread-safety: RunFanout may be called from any number of threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "common/cancel.h"

namespace tributary {

struct FanoutJob {
  std::chrono::steady_clock::time_point deadline;
  //! Runs on a pool thread. `cancel` fires at the deadline or when the caller cancels.
  std::function<void(const CancelToken& cancel)> run;
};

//! How each job ended.
enum class FanoutEnd {
  kFinished,   //!< run returned
  kAbandoned,  //!< still running `grace` after its deadline; its results must not be read
};

//! Runs every job on the fan-out pool and waits until each has finished or been abandoned.
//! `pool_threads` sizes the process-wide pool when it is first created (server.fanout_threads;
//! 0 means 2 per core); later calls share that pool.
std::vector<FanoutEnd> RunFanout(std::vector<FanoutJob> jobs, const CancelToken& caller,
                                 int64_t pool_threads, std::chrono::milliseconds grace);

//! The number of threads of the fan-out pool (creating it with `pool_threads` if needed).
int64_t FanoutPoolThreads(int64_t pool_threads);

}  // namespace tributary
