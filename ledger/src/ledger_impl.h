// LedgerImpl: the embedded Ledger. It owns the directory's parts and wires them:
//   DIR/meta  -> store::LedgerMeta      DIR/log   -> log::SegmentLog
//   DIR/index -> index::LedgerIndex     DIR/run   -> store::DirLock (writer only)
//   DIR/keys  -> seal::KeyStore (case events, when given the master key)
// and runs the Sequencer (writer only). Reads go straight to the index and the mapped
// log, bounded by CommitState::committed().
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "append/admission.h"
#include "append/commit_state.h"
#include "append/sequencer.h"
#include "caseledger/ledger.h"
#include "index/ledger_index.h"
#include "log/log_reader.h"
#include "log/segment_log.h"
#include "seal/key_store.h"
#include "store/commit_notice.h"
#include "store/dir_lock.h"
#include "store/ledger_meta.h"

namespace caseledger {

class LedgerImpl final : public Ledger {
 public:
  static Result<std::unique_ptr<Ledger>> Open(const std::string& dir, LedgerOptions options);
  ~LedgerImpl() override;

  Result<AppendResult> Append(const AppendRequest& request, std::string_view principal) override;
  Result<std::vector<AppendResult>> AppendBatch(std::span<const AppendRequest> requests,
                                                std::string_view principal) override;
  Result<std::string> OpenPersonalFields(const RecordedEvent& event) override;
  Status RedactPersonalFields(std::span<RecordedEvent> events) override;
  Status RotateMasterKey(const std::string& new_master_key_file) override;
  Result<Erasure> EraseChild(std::string_view child_ref, std::string_view reason,
                             const Actor& actor, std::string_view principal) override;
  Result<StreamVersion> GetStreamVersion(std::string_view stream) override;
  Result<std::vector<RecordedEvent>> ReadStream(std::string_view stream, StreamVersion from,
                                                Direction direction, size_t limit) override;
  Result<std::vector<RecordedEvent>> ReadAll(Position from, size_t limit) override;
  Status ScanAll(Position from, Position to,
                 const std::function<bool(const EventView&)>& visit) override;
  Result<std::unique_ptr<Subscription>> Subscribe(Position from) override;
  std::array<uint8_t, 16> LedgerId() const override { return meta_.ledger_id; }
  Position CommittedPosition() const override { return commits_.committed(); }
  TreeHead GetTreeHead() const override { return commits_.tree_head(); }
  Result<TreeHead> GetTreeHeadAt(uint64_t size) override;
  Result<InclusionProof> ProveInclusion(Position position, uint64_t tree_size) override;
  Result<ConsistencyProof> ProveConsistency(uint64_t first_size, uint64_t second_size) override;
  Result<LedgerStats> GetStats() override;
  Status Refresh() override;
  Status Health() const override;
  Result<VerifyReport> Verify(const VerifyOptions& options) override;

  // For SubscriptionImpl.
  CommitState& commits() { return commits_; }
  const log::SegmentLog& segment_log() const { return *log_; }
  bool read_only() const { return options_.read_only; }
  // A cursor positioned at `position` (1 <= position <= committed()).
  Result<log::LogCursor> CursorAt(Position position);

 private:
  LedgerImpl(std::string dir, LedgerOptions options)
      : dir_(std::move(dir)), options_(std::move(options)) {}
  // AppendBatch, for `origin` (Admission::Origin: EraseChild appends as kErasure).
  Result<std::vector<AppendResult>> AppendAs(Admission::Origin origin,
                                             std::span<const AppendRequest> requests,
                                             std::string_view principal);
  // Read-only: opens the index again as a fresh secondary instance (a new scratch dir).
  Status ReopenSecondaryIndex();
  // Indexes the log's tail beyond `state` and cuts a torn final write (recovery.cpp).
  Result<index::IndexState> RecoverTail(index::IndexState state);
  Status CutTornTail(log::Location at, Position position);
  // The hash of the perfect subtree over leaves [index << level, (index + 1) << level).
  Result<Hash256> PerfectSubtreeHash(uint32_t level, uint64_t index);
  // MTH over leaves [begin, end) (end > begin, end <= committed): from perfect subtrees.
  Result<Hash256> SubtreeRoot(uint64_t begin, uint64_t end);
  // kInvalidArgument unless size <= the committed position.
  Status CheckTreeSize(uint64_t size) const;
  // OK if the frame that ends at `end` is whole and holds `position`.
  Status LastRecordEndsAt(log::Location end, Position position);

  const std::string dir_;
  const LedgerOptions options_;
  store::LedgerMeta meta_;
  std::unique_ptr<store::DirLock> lock_;
  std::string secondary_dir_;  // read-only: RocksDB's scratch directory, removed on close
  std::unique_ptr<log::SegmentLog> log_;
  // Read-only ledgers may replace the index in Refresh (a fresh secondary when the old one
  // is stuck behind the writer's announced position): readers take a reference with
  // Index() and keep the one they started with.
  std::shared_ptr<index::LedgerIndex> Index() const {
    std::lock_guard lock(index_swap_mutex_);
    return index_;
  }
  mutable std::mutex index_swap_mutex_;
  std::shared_ptr<index::LedgerIndex> index_;
  std::unique_ptr<store::CommitNotice> notice_;  // writer: announces each commit
  CommitState commits_;
  std::unique_ptr<seal::KeyStore> keys_;  // case events opened with the master key
  // Case events: keys_, or without the master key a store of the tombstones alone
  // (KeyStore::OpenTombstones), so that every reader sees erased fields as erased.
  seal::KeyStore* erased_view_ = nullptr;
  std::unique_ptr<seal::KeyStore> tombstones_;
  std::unique_ptr<Admission> admission_;  // writer only
  std::unique_ptr<Sequencer> sequencer_;
  std::mutex refresh_mutex_;
};

}  // namespace caseledger
