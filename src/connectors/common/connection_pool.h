// ConnectionPool<Conn>: a bounded pool of connections to one network source, shared by every
// connector that talks to a server (PostgreSQL, MariaDB, ClickHouse, ...).
//
// - At most `max_connections` exist at once; that is also the source's concurrency limit.
// - Borrowers wait in FIFO order, each at most until its own deadline: a wait past it fails
//   with RESOURCE_EXHAUSTED instead of hanging; a cancelled token ends the wait with CANCELLED.
// - Idle connections older than `idle_timeout` or than `max_lifetime` since creation are
//   closed instead of lent; with `validate_on_borrow`, a connection idle for more than
//   `validate_after` is checked first and replaced when the check fails (server restarted).
// - Idle expiry never closes the last `min_connections` (max_lifetime still applies); they
//   are opened on demand, not eagerly, so a dead server does not delay start-up.
// Thread-safety: every member may be called from any thread; the pool must outlive its leases.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "common/cancel.h"
#include "common/status.h"
#include "connectors/connector.h"

namespace tributary {

struct PoolOptions {
  int64_t min_connections = 0;
  int64_t max_connections = 4;
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds max_lifetime{1'800'000};
  bool validate_on_borrow = true;
  //! Connections idle for less than this are lent without a validation round trip.
  std::chrono::milliseconds validate_after{1'000};
};

struct PoolStats {
  int64_t open = 0;
  int64_t idle = 0;
  int64_t in_use = 0;
  int64_t waiting = 0;
  int64_t created_total = 0;
  int64_t discarded_total = 0;
};

template <typename Conn>
class ConnectionPool {
 public:
  using Clock = std::chrono::steady_clock;
  //! Opens a new connection; its error (e.g. UNAVAILABLE "connection refused") is returned
  //! to the borrower.
  using Factory = std::function<Result<std::unique_ptr<Conn>>()>;
  //! Returns true when the connection still works (e.g. a `SELECT 1` round trip).
  using Validator = std::function<bool(Conn&)>;

  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)),
          slot_(std::move(other.slot_)),
          discard_(other.discard_) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease() {
      if (pool_) pool_->Release(std::move(slot_), discard_);
    }
    Conn& operator*() const { return *slot_.conn; }
    Conn* operator->() const { return slot_.conn.get(); }
    Conn* get() const { return slot_.conn.get(); }
    //! The connection is broken (or in an unknown state): close it instead of reusing it.
    void Discard() { discard_ = true; }

   private:
    friend class ConnectionPool;
    struct Slot {
      std::unique_ptr<Conn> conn;
      Clock::time_point created;
      Clock::time_point last_used;
    };
    Lease(ConnectionPool* pool, Slot slot) : pool_(pool), slot_(std::move(slot)) {}
    ConnectionPool* pool_;
    Slot slot_;
    bool discard_ = false;
  };

  ConnectionPool(std::string source_id, PoolOptions options, Factory factory, Validator validator)
      : source_id_(std::move(source_id)),
        options_(options),
        factory_(std::move(factory)),
        validator_(std::move(validator)) {}
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  //! Borrows a connection, opening one when below max_connections.
  Result<Lease> Acquire(Clock::time_point deadline, const CancelToken& cancel) {
    // Registered before taking the lock: an already-cancelled token runs the callback at once,
    // and the callback takes the lock.
    CancelRegistration wake(cancel, [this] {
      std::lock_guard inner(mu_);
      cv_.notify_all();
    });
    std::unique_lock lock(mu_);
    if (closed_) return Unavailable("source '" + source_id_ + "' is closed");
    // FIFO fairness: every borrower takes a ticket and is served in ticket order.
    const uint64_t ticket = next_ticket_++;
    waiting_.push_back(ticket);
    auto leave_queue = [&] {
      waiting_.remove(ticket);
      cv_.notify_all();
    };
    while (true) {
      if (cancel.cancelled()) {
        leave_queue();
        return QueryCancelledError(cancel);
      }
      if (closed_) {
        leave_queue();
        return Unavailable("source '" + source_id_ + "' is closed");
      }
      const bool my_turn = waiting_.front() == ticket;
      if (my_turn && !idle_.empty()) {
        typename Lease::Slot slot = std::move(idle_.front());
        idle_.pop_front();
        const int64_t open_now = open_count() + 1;  // + the slot just taken out of idle_
        ++in_use_;
        leave_queue();
        lock.unlock();
        auto usable = CheckIdleSlot(slot, open_now);
        if (usable) return Lease(this, std::move(slot));
        slot.conn.reset();  // closed outside the lock: it may be a network round trip
        lock.lock();
        ++discarded_total_;
        --in_use_;
        // The stale one is gone; fall through to open a replacement below.
        waiting_.push_front(ticket);
        continue;
      }
      if (my_turn && open_count() < options_.max_connections) {
        ++in_use_;
        leave_queue();
        lock.unlock();
        Result<std::unique_ptr<Conn>> opened = factory_();
        if (!opened.ok()) {
          std::lock_guard relock(mu_);
          --in_use_;
          cv_.notify_all();
          return opened.status();
        }
        {
          std::lock_guard relock(mu_);
          ++created_total_;
        }
        auto now = Clock::now();
        return Lease(this, typename Lease::Slot{std::move(opened).value(), now, now});
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
        leave_queue();
        return ResourceExhausted("all " + std::to_string(options_.max_connections) +
                                 " connections of source '" + source_id_ +
                                 "' stayed busy until the request's deadline");
      }
    }
  }

  PoolStats stats() const {
    std::lock_guard lock(mu_);
    return PoolStats{open_count(),   static_cast<int64_t>(idle_.size()),
                     in_use_,        static_cast<int64_t>(waiting_.size()),
                     created_total_, discarded_total_};
  }

  //! Closes idle connections past idle_timeout (keeping min_connections) or max_lifetime.
  //! Connectors call it from their periodic health check, so an idle pool shrinks without
  //! waiting for the next borrower.
  void PruneIdle() {
    std::deque<typename Lease::Slot> to_close;
    {
      std::lock_guard lock(mu_);
      auto now = Clock::now();
      for (auto it = idle_.begin(); it != idle_.end();) {
        if (Expired(*it, now, open_count())) {
          to_close.push_back(std::move(*it));
          it = idle_.erase(it);
        } else {
          ++it;
        }
      }
    }
    // `to_close` is destroyed here, outside the lock.
  }

  //! Closes idle connections and fails current and future waiters; leases in use close
  //! their connection when returned.
  void Close() {
    std::deque<typename Lease::Slot> to_close;
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      to_close.swap(idle_);
      cv_.notify_all();
    }
  }

 private:
  int64_t open_count() const { return static_cast<int64_t>(idle_.size()) + in_use_; }

  // `open` counts the slot itself. Idle expiry never takes the pool below min_connections;
  // max_lifetime always applies.
  bool Expired(const typename Lease::Slot& slot, Clock::time_point now, int64_t open) const {
    if (now - slot.created > options_.max_lifetime) return true;
    return open > options_.min_connections && now - slot.last_used > options_.idle_timeout;
  }

  // Runs outside the lock: validation is a network round trip.
  bool CheckIdleSlot(typename Lease::Slot& slot, int64_t open) {
    auto now = Clock::now();
    if (Expired(slot, now, open)) return false;
    if (options_.validate_on_borrow && validator_ &&
        now - slot.last_used >= options_.validate_after) {
      return validator_(*slot.conn);
    }
    return true;
  }

  void Release(typename Lease::Slot slot, bool discard) {
    std::unique_ptr<Conn> closing;
    {
      std::lock_guard lock(mu_);
      --in_use_;
      slot.last_used = Clock::now();
      if (discard || closed_ || Expired(slot, slot.last_used, open_count() + 1)) {
        if (discard) ++discarded_total_;
        closing = std::move(slot.conn);
      } else {
        idle_.push_back(std::move(slot));
      }
      cv_.notify_all();
    }
    // `closing` is destroyed here, outside the lock.
  }

  const std::string source_id_;
  const PoolOptions options_;
  const Factory factory_;
  const Validator validator_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<typename Lease::Slot> idle_;
  std::list<uint64_t> waiting_;
  uint64_t next_ticket_ = 0;
  int64_t in_use_ = 0;
  int64_t created_total_ = 0;
  int64_t discarded_total_ = 0;
  bool closed_ = false;
};

}  // namespace tributary
