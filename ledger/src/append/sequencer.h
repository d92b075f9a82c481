// Sequencer: the one place that owns the head of the log and decides positions.
//
// Callers (any thread) admit their batch (append/admission.h: validation, content digests,
// sealing), then queue it. The caller at the front of the queue becomes the leader (LevelDB's
// writer queue): it takes what is queued as one group commit while the others wait. For each batch
// it checks idempotency first, then every expected version, then assigns positions, stream versions
// and recorded-at and writes the records; a batch is all or nothing. It fdatasyncs once for the
// group, writes the index batch, publishes the new commit position, and wakes every caller of the
// group and the next leader. When several writers are active it waits up to group_commit_max_wait
// for more of them.
//
// Why callers lead instead of a dedicated thread: measured here, handing each append to a
// sequencer thread and back cost about as much as the fdatasync itself; a lone writer now
// commits on its own thread with no hand-off at all. Still only one group is decided at a
// time, so positions are decided in one place, in order.
//
// After a failed write, sync or index write it stops: the failing group and every later
// append get kStopped with the cause; reads are unaffected.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <span>
#include <vector>

#include "append/admission.h"
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
  // Waits until every queued append is answered. Appends after that are kCancelled.
  ~Sequencer();

  // Thread-safe; blocks until the batch is durable or has failed.
  Result<std::vector<AppendResult>> Append(const AdmittedBatch& batch,
                                           std::string_view recorded_by);

  Status Health() const;

 private:
  struct Pending {
    std::span<const AppendRequest> requests;
    std::string_view recorded_by;
    std::span<const envelope::ContentDigest> digests;  // all events of all requests, in order
    size_t events = 0;
    size_t payload_bytes = 0;
    Result<std::vector<AppendResult>> result = Status::Cancelled("not yet answered");
    bool done = false;           // guarded by mutex_
    std::condition_variable cv;  // signalled when done, or when this caller is to lead
  };

  // Runs on the leader's thread, without mutex_.
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

  // Scratch space of the leader, reused to avoid allocations.
  std::vector<std::byte> frames_;
  std::vector<uint32_t> frame_sizes_;
  std::vector<Hash256> leaves_;
  std::vector<log::Location> locations_;
  std::vector<StreamVersion> bases_;

  std::vector<Pending*> group_;  // the leader's group

  mutable std::mutex mutex_;
  std::condition_variable arrivals_cv_;  // a request was queued (the leader may wait for more)
  std::condition_variable idle_cv_;      // the queue emptied (the destructor waits for it)
  std::deque<Pending*> queue_;           // guarded by mutex_
  bool leader_active_ = false;           // guarded by mutex_
  bool closing_ = false;                 // guarded by mutex_
  size_t last_group_size_ = 0;           // guarded by mutex_
  Status health_;                        // guarded by mutex_
};

}  // namespace caseledger
