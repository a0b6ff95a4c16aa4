#include "common/deadline_watchdog.h"

namespace tributary {

DeadlineWatchdog::DeadlineWatchdog() : thread_([this] { Run(); }) {}

DeadlineWatchdog::~DeadlineWatchdog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_cv_.notify_all();
  thread_.join();
}

DeadlineWatchdog& DeadlineWatchdog::Shared() {
  // Leaked on purpose: connectors owned by other static objects may still cancel timers
  // while the process exits.
  static DeadlineWatchdog* const instance = new DeadlineWatchdog();
  return *instance;
}

DeadlineWatchdog::TimerId DeadlineWatchdog::Schedule(Clock::time_point deadline,
                                                     std::function<void()> callback) {
  TimerId id;
  bool earliest;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    auto it = queue_.emplace(std::make_pair(deadline, id), std::move(callback)).first;
    deadlines_.emplace(id, deadline);
    earliest = it == queue_.begin();
  }
  // Only a new earliest deadline changes how long the thread has to sleep.
  if (earliest) wake_cv_.notify_one();
  return id;
}

bool DeadlineWatchdog::Cancel(TimerId id) {
  std::unique_lock lock(mu_);
  auto it = deadlines_.find(id);
  if (it != deadlines_.end()) {
    queue_.erase(std::make_pair(it->second, id));
    deadlines_.erase(it);
    return true;
  }
  // Waiting from the watchdog thread itself would deadlock: a callback cancelling its own
  // timer (or another one that cannot be running) simply returns.
  if (running_ == id && std::this_thread::get_id() != thread_.get_id()) {
    done_cv_.wait(lock, [&] { return running_ != id; });
  }
  return false;
}

size_t DeadlineWatchdog::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void DeadlineWatchdog::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (queue_.empty()) {
      wake_cv_.wait(lock);
      continue;
    }
    auto first = queue_.begin();
    const Clock::time_point deadline = first->first.first;
    if (Clock::now() < deadline) {
      wake_cv_.wait_until(lock, deadline);
      continue;
    }
    const TimerId id = first->first.second;
    std::function<void()> callback = std::move(first->second);
    queue_.erase(first);
    deadlines_.erase(id);
    running_ = id;
    lock.unlock();
    try {
      callback();
    } catch (...) {
      // A throwing callback must not take the shared thread (and every later deadline) down.
    }
    // Destroy the callback's captures before Cancel() reports it finished.
    callback = nullptr;
    lock.lock();
    running_ = 0;
    done_cv_.notify_all();
  }
}

}  // namespace tributary
