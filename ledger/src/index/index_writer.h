// IndexWriter: the one place that turns committed records into index entries and Merkle
// nodes. The sequencer uses it for new commits and recovery for the log's unindexed tail,
// so both produce the same index.
//
// Usage per commit: CurrentVersion / FindId while deciding, AddRecord for each record in
// position order, then Commit once the records are durable.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "index/ledger_index.h"

namespace caseledger::index {

class IndexWriter {
 public:
  IndexWriter(LedgerIndex& index, IndexState state)
      : index_(index), state_(std::move(state)), batch_(index.NewBatch()) {}

  // The state including records added but not yet committed.
  const IndexState& state() const { return state_; }
  Position next_position() const { return state_.indexed_position + 1; }

  // The stream's version, counting records added but not yet committed.
  Result<StreamVersion> CurrentVersion(std::string_view stream);
  // The entry of `event_id`, counting records added but not yet committed.
  Result<std::optional<IdEntry>> FindId(std::span<const uint8_t> event_id);

  // Adds record `position` (== next_position()) located at `location`.
  void AddRecord(std::string_view stream, StreamVersion version, log::Location location,
                 std::span<const uint8_t> event_id, const envelope::ContentDigest& digest,
                 const Hash256& leaf_hash, Timestamp recorded_at);

  // Writes everything added since the last Commit in one batch, with the new state;
  // `log_end` is where the next frame will start.
  Status Commit(log::Location log_end);
  size_t pending_records() const { return pending_ids_.size(); }

 private:
  LedgerIndex& index_;
  IndexState state_;
  IndexBatch batch_;
  std::unordered_map<std::string, StreamVersion> pending_heads_;
  std::unordered_map<std::string, IdEntry> pending_ids_;  // key: the 16 id bytes
};

}  // namespace caseledger::index
