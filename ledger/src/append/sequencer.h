// Sequencer: the one thread that owns the head of the log and decides positions.
//
// Callers (any thread) validate their request and compute its content digests, enqueue
// it and wait. The sequencer drains the queue as one group: for each request it checks
// idempotency first, then the expected version, then assigns positions, stream versions
// and recorded-at and encodes the records. It writes the group's frames, fdatasyncs once,
// writes the index batch, publishes the new commit position and answers every caller.
// When several writers are active it waits up to group_commit_max_wait for more of them.
//
// After a failed write, sync or index write it stops: the failing group and every later
// append get kStopped with the cause; reads are unaffected.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "append/commit_state.h"
#include "caseledger/ledger.h"
#include "index/index_writer.h"
#include "log/segment_log.h"
#include "store/ledger_meta.h"

namespace caseledger {

class Sequencer {
 public:
  Sequencer(log::SegmentLog& log, index::LedgerIndex& index, const store::LedgerMeta& meta,
            const LedgerOptions& options, CommitState& commits, index::IndexState recovered);
  // Answers what is queued, then stops the thread.
  ~Sequencer();

  // Thread-safe; blocks until the request is durable or has failed.
  Result<AppendResult> Append(const AppendRequest& request, std::string_view recorded_by);

  Status Health() const;

 private:
  struct Pending {
    const AppendRequest* request;
    std::string_view recorded_by;
    std::vector<envelope::ContentDigest> digests;
    Result<AppendResult> result = Status::Cancelled("not yet answered");
    bool written = false;      // the group writes this request's records
    std::atomic<bool> done{false};
  };

  void Run(std::stop_token stop);
  void CommitGroup(std::vector<Pending*>& group);
  // Decides one request and, if it passes, writes its records (not yet synced) and adds
  // them to the index writer. Returns non-OK only for a write failure that stops the
  // ledger; a refused request gets its answer in p.result.
  Status Decide(Pending& p, Timestamp recorded_at);
  Status Stop(const Status& cause);  // records the cause; returns the kStopped status

  log::SegmentLog& log_;
  const store::LedgerMeta& meta_;
  const LedgerOptions& options_;
  CommitState& commits_;
  index::IndexWriter writer_;

  // Scratch space for the frames of one request (reused to avoid allocations).
  std::vector<std::byte> frames_;
  std::vector<uint32_t> frame_sizes_;
  std::vector<Hash256> leaves_;
  std::vector<log::Location> locations_;

  mutable std::mutex mutex_;
  std::condition_variable_any queued_cv_;
  std::deque<Pending*> queue_;
  Status health_;              // guarded by mutex_
  size_t last_group_size_ = 0;  // sequencer thread only
  std::jthread thread_;
};

}  // namespace caseledger
