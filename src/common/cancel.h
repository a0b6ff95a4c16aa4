// CancelToken: lets a request, a deadline or a disconnecting client stop work in a connector.
//
// The owner calls Cancel(); the connector registers a callback (e.g. duckdb_interrupt) that
// runs at once, on the cancelling thread, or immediately if already cancelled.
// Thread-safety: all members may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tributary {

class CancelToken {
 public:
  CancelToken() : state_(std::make_shared<State>()) {}

  //! Requests cancellation with a reason ("client disconnected", "timeout after 30000 ms").
  void Cancel(std::string reason) const;
  bool cancelled() const { return state_->cancelled.load(std::memory_order_acquire); }
  std::string reason() const;

  //! Registers a callback run once on cancellation; returns an id for Unregister.
  //! Runs the callback immediately when the token is already cancelled.
  uint64_t OnCancel(std::function<void()> callback) const;
  void Unregister(uint64_t id) const;

 private:
  struct State {
    std::atomic<bool> cancelled{false};
    std::mutex mu;
    std::string reason;
    uint64_t next_id = 1;
    std::vector<std::pair<uint64_t, std::function<void()>>> callbacks;
  };
  std::shared_ptr<State> state_;
};

//! Registers a callback for the lifetime of a scope.
class CancelRegistration {
 public:
  CancelRegistration(const CancelToken& token, std::function<void()> callback)
      : token_(token), id_(token.OnCancel(std::move(callback))) {}
  ~CancelRegistration() { token_.Unregister(id_); }
  CancelRegistration(const CancelRegistration&) = delete;
  CancelRegistration& operator=(const CancelRegistration&) = delete;

 private:
  CancelToken token_;
  uint64_t id_;
};

}  // namespace tributary
