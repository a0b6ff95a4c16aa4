#include "connectors/duckdb/connection_pool.h"

#include "connectors/connector.h"

namespace tributary::duckdb_internal {

ConnectionPool::ConnectionPool(std::string source_id, std::vector<ConnectionHandle> connections)
    : source_id_(std::move(source_id)), connections_(std::move(connections)) {
  for (const auto& c : connections_) idle_.push_back(c.get());
}

size_t ConnectionPool::idle() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}

Result<ConnectionPool::Lease> ConnectionPool::Acquire(Clock::time_point deadline,
                                                      const CancelToken& cancel) {
  // Wake the waiters when the request is cancelled; registered before taking mu_ because
  // the callback runs at once (on this thread) when the token is already cancelled.
  CancelRegistration wake(cancel, [this] {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  });
  std::unique_lock lock(mu_);
  auto ready = [&] { return !idle_.empty() || cancel.cancelled(); };
  if (deadline == Clock::time_point::max()) {
    cv_.wait(lock, ready);
  } else {
    cv_.wait_until(lock, deadline, ready);
  }
  if (cancel.cancelled()) return QueryCancelledError(cancel);
  if (idle_.empty()) {
    return ResourceExhausted("all " + std::to_string(connections_.size()) +
                             " connections of source " + source_id_ + " are busy");
  }
  duckdb_connection connection = idle_.front();
  idle_.pop_front();
  return Lease(this, connection);
}

void ConnectionPool::Release(duckdb_connection connection) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(connection);
  }
  cv_.notify_one();
}

}  // namespace tributary::duckdb_internal
