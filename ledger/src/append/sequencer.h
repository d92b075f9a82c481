// Sequencer: the one thread that owns the head of the log and decides positions.
//
// Callers (any thread) validate their batch of requests and compute content digests,
// enqueue it and wait. The sequencer drains the queue as one group commit: for each batch
// it checks idempotency first, then every expected version, then assigns positions,
// stream versions and recorded-at and writes the records. A batch is all or nothing. It
// fdatasyncs once for the group, writes the index batch, publishes the new commit
// position and answers every caller. When several writers are active it waits up to
// group_commit_max_wait for more of them.
//
// After a failed write, sync or index write it stops: the failing group and every later
// append get kStopped with the cause; reads are unaffected.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <span>
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

  // Thread-safe; blocks until the batch is durable or has failed.
  Result<std::vector<AppendResult>> Append(std::span<const AppendRequest> requests,
                                           std::string_view recorded_by);

  Status Health() const;

 private:
  struct Pending {
    std::span<const AppendRequest> requests;
    std::string_view recorded_by;
    std::vector<envelope::ContentDigest> digests;  // all events of all requests, in order
    size_t events = 0;
    size_t payload_bytes = 0;
    Result<std::vector<AppendResult>> result = Status::Cancelled("not yet answered");
    std::atomic<bool> done{false};
  };

  void Run(std::stop_token stop);
  void CommitGroup(std::vector<Pending*>& group);
  // Decides one batch: refusals and deduplications go to p.result. Returns true if the
  // batch is to be written, with the stream version before each request in `bases`.
  Result<bool> Decide(Pending& p, std::vector<StreamVersion>& bases);
  // Encodes and writes (not yet synced) the records of a decided batch, adds them to the
  // index writer and sets p.result.
  Status Write(Pending& p, const std::vector<StreamVersion>& bases, Timestamp recorded_at);
  Status Stop(const Status& cause);  // records the cause; returns the kStopped status

  log::SegmentLog& log_;
  const store::LedgerMeta& meta_;
  const LedgerOptions& options_;
  CommitState& commits_;
  index::IndexWriter writer_;

  // Scratch space, reused to avoid allocations.
  std::vector<std::byte> frames_;
  std::vector<uint32_t> frame_sizes_;
  std::vector<Hash256> leaves_;
  std::vector<log::Location> locations_;
  std::vector<StreamVersion> bases_;

  mutable std::mutex mutex_;
  std::condition_variable_any queued_cv_;
  std::deque<Pending*> queue_;
  Status health_;               // guarded by mutex_
  size_t last_group_size_ = 0;  // sequencer thread only
  std::jthread thread_;
};

}  // namespace caseledger
