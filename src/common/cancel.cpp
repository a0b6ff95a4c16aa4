#include "common/cancel.h"

namespace tributary {

void CancelToken::Cancel(std::string reason) const {
  std::vector<std::pair<uint64_t, std::function<void()>>> to_run;
  {
    std::lock_guard lock(state_->mu);
    if (state_->cancelled.load(std::memory_order_relaxed)) return;
    state_->reason = std::move(reason);
    state_->cancelled.store(true, std::memory_order_release);
    to_run.swap(state_->callbacks);
  }
  for (auto& [id, callback] : to_run) callback();
}

std::string CancelToken::reason() const {
  std::lock_guard lock(state_->mu);
  return state_->reason;
}

uint64_t CancelToken::OnCancel(std::function<void()> callback) const {
  {
    std::lock_guard lock(state_->mu);
    if (!state_->cancelled.load(std::memory_order_relaxed)) {
      uint64_t id = state_->next_id++;
      state_->callbacks.emplace_back(id, std::move(callback));
      return id;
    }
  }
  callback();
  return 0;
}

void CancelToken::Unregister(uint64_t id) const {
  std::lock_guard lock(state_->mu);
  auto& cbs = state_->callbacks;
  for (auto it = cbs.begin(); it != cbs.end(); ++it) {
    if (it->first == id) {
      cbs.erase(it);
      return;
    }
  }
}

}  // namespace tributary
