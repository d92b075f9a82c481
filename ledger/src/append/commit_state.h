// CommitState: what has been published to readers, and the wake-up for those waiting on
// new commits. The sequencer (or Refresh, for a read-only ledger) publishes only
// positions that are durable and indexed; readers never look beyond committed().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

#include "caseledger/event.h"
#include "caseledger/tree_head.h"

namespace caseledger {

class CommitState {
 public:
  Position committed() const { return committed_.load(std::memory_order_acquire); }

  TreeHead tree_head() const {
    std::lock_guard lock(mutex_);
    return head_;
  }

  void Publish(const TreeHead& head) {
    {
      std::lock_guard lock(mutex_);
      head_ = head;
      committed_.store(head.size, std::memory_order_release);
    }
    cv_.notify_all();
    if (announce_) announce_(head.size);
  }

  // Called (on the publishing thread) after each Publish: the writer tells readers in
  // other processes (store::CommitNotice). Set before the first Publish.
  void set_announcer(std::function<void(Position)> announce) { announce_ = std::move(announce); }

  // Waits until committed() > `after`, the deadline passes, or Close(). Returns true if
  // there is something beyond `after`.
  bool WaitBeyond(Position after, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    cv_.wait_until(lock, deadline, [&] { return closed_ || committed() > after; });
    return committed() > after;
  }

  void Close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    cv_.notify_all();
  }
  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<Position> committed_{0};
  TreeHead head_;
  bool closed_ = false;
  std::function<void(Position)> announce_;
};

}  // namespace caseledger
