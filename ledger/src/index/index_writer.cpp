#include "index/index_writer.h"

namespace caseledger::index {
namespace {
std::string IdKey(std::span<const uint8_t> id) {
  return std::string(reinterpret_cast<const char*>(id.data()), id.size());
}
}  // namespace

Result<StreamVersion> IndexWriter::CurrentVersion(std::string_view stream) {
  if (auto it = pending_heads_.find(std::string(stream)); it != pending_heads_.end())
    return it->second;
  return index_.GetHead(stream);
}

Result<std::optional<IdEntry>> IndexWriter::FindId(std::span<const uint8_t> event_id) {
  if (auto it = pending_ids_.find(IdKey(event_id)); it != pending_ids_.end())
    return std::optional<IdEntry>(it->second);
  return index_.GetId(event_id);
}

void IndexWriter::AddRecord(std::string_view stream, StreamVersion version,
                            log::Location location, std::span<const uint8_t> event_id,
                            const envelope::ContentDigest& digest, const Hash256& leaf_hash,
                            Timestamp recorded_at) {
  const Position position = ++state_.indexed_position;
  batch_.AddEvent(stream, version, position, location, event_id, digest);
  state_.frontier.Append(leaf_hash, [&](const merkle::CompletedNode& n) { batch_.AddMerkleNode(n); });
  if (version == 0) ++state_.stream_count;
  pending_heads_[std::string(stream)] = version;
  pending_ids_[IdKey(event_id)] = IdEntry{position, version, digest};
  state_.last_recorded_at = recorded_at;
}

Status IndexWriter::Commit(log::Location log_end) {
  state_.log_end = log_end;
  for (const auto& [stream, version] : pending_heads_) batch_.SetHead(stream, version);
  batch_.SetState(state_);
  Status s = index_.Write(batch_);
  batch_.Clear();
  pending_heads_.clear();
  pending_ids_.clear();
  return s;
}

}  // namespace caseledger::index
