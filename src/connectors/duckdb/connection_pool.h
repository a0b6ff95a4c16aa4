// ConnectionPool: a fixed set of DuckDB connections, lent out one query at a time.
//
// A DuckDB connection must not run two statements at once, so each query borrows one. The
// connections are all created (and configured) while the database is set up, before its
// configuration is locked; the pool never creates more. Idle connections are kept in FIFO
// order so load spreads over all of them. A borrower waits at most until its deadline and
// gives up early when its CancelToken fires.
// Thread-safety: Acquire and the Lease may be used from any thread; the pool must outlive
// every Lease it handed out.
#pragma once

#include <duckdb.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/cancel.h"
#include "common/status.h"
#include "connectors/duckdb/duckdb_handles.h"

namespace tributary::duckdb_internal {

class ConnectionPool {
 public:
  using Clock = std::chrono::steady_clock;

  //! One borrowed connection; returns it to the pool when destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), connection_(other.connection_) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease() {
      if (pool_ != nullptr) pool_->Release(connection_);
    }
    duckdb_connection get() const { return connection_; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, duckdb_connection connection)
        : pool_(pool), connection_(connection) {}
    ConnectionPool* pool_;
    duckdb_connection connection_;
  };

  //! `source_id` names the source in errors. Takes ownership of the connections.
  ConnectionPool(std::string source_id, std::vector<ConnectionHandle> connections);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  //! Borrows an idle connection, waiting until `deadline` (Clock::time_point::max() waits
  //! without limit). RESOURCE_EXHAUSTED "all N connections of source X are busy" when none
  //! became free in time; CANCELLED with the token's reason when `cancel` fired first.
  Result<Lease> Acquire(Clock::time_point deadline, const CancelToken& cancel);

  size_t size() const { return connections_.size(); }
  size_t idle() const;

 private:
  void Release(duckdb_connection connection);

  const std::string source_id_;
  std::vector<ConnectionHandle> connections_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<duckdb_connection> idle_;
};

}  // namespace tributary::duckdb_internal
