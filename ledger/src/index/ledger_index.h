// LedgerIndex: the RocksDB database in DIR/index. Everything in it is derived from the
// log and can be rebuilt by `caseledger reindex`; it is written without sync, after the
// log's fdatasync, so it never names a record that is not durable.
//
// Thread-safety: all methods are safe from any thread; Write is called by the one writer.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "caseledger/event.h"
#include "caseledger/ledger.h"
#include "envelope/content_digest.h"
#include "log/segment.h"
#include "merkle/frontier.h"

namespace caseledger::index {

// What the index covers, rewritten with every batch.
struct IndexState {
  Position indexed_position = 0;  // the last position indexed (= the tree size)
  log::Location log_end;          // where the frame after indexed_position starts
  Timestamp last_recorded_at{};
  uint64_t stream_count = 0;
  merkle::MerkleFrontier frontier;
};

struct StreamEntry {
  StreamVersion version;
  Position position;
  log::Location location;
};

struct IdEntry {
  Position position;
  StreamVersion version;
  envelope::ContentDigest digest;
};

// The updates of one commit, applied atomically by LedgerIndex::Write.
class IndexBatch {
 public:
  void AddEvent(std::string_view stream, StreamVersion version, Position position,
                log::Location location, std::span<const uint8_t> event_id,
                const envelope::ContentDigest& digest);
  void SetHead(std::string_view stream, StreamVersion version);
  void AddMerkleNode(const merkle::CompletedNode& node);  // ignores low levels
  void SetState(const IndexState& state);
  size_t Count() const { return static_cast<size_t>(batch_.Count()); }
  void Clear() { batch_.Clear(); }

 private:
  friend class LedgerIndex;
  using Families = std::array<rocksdb::ColumnFamilyHandle*, 6>;
  explicit IndexBatch(const Families& families) : cf_(families) {}
  rocksdb::WriteBatch batch_;
  Families cf_;  // default, streams, heads, ids, positions, merkle
};

class LedgerIndex {
 public:
  enum class Mode {
    kWriter,     // read-write, creates the database if missing
    kSecondary,  // follows a writer (maybe in another process); CatchUp() to refresh
  };
  // `secondary_dir` is a private scratch directory, used by kSecondary only.
  static Result<std::unique_ptr<LedgerIndex>> Open(const std::string& dir, Mode mode,
                                                   const std::string& secondary_dir = {});
  ~LedgerIndex();

  IndexBatch NewBatch();
  Status Write(IndexBatch& batch);
  // Flushes memtables so that a reopen need not replay the index's own log.
  Status Flush();
  Status CatchUp();  // kSecondary: see what the writer has written since

  Result<IndexState> ReadState();
  Result<StreamVersion> GetHead(std::string_view stream);
  Result<std::optional<IdEntry>> GetId(std::span<const uint8_t> event_id);
  // Up to `limit` entries of `stream` from version `from` in `direction`.
  Result<std::vector<StreamEntry>> ScanStream(std::string_view stream, StreamVersion from,
                                              Direction direction, size_t limit);
  // The greatest indexed position <= `position` and its location, if any.
  Result<std::optional<std::pair<Position, log::Location>>> FloorPosition(Position position);
  Result<std::optional<Hash256>> GetMerkleNode(uint32_t level, uint64_t index);
  // The stored nodes of `level` with indexes [first, first + count), in order, each empty
  // if not stored: one range scan instead of a lookup per node.
  Result<std::vector<std::optional<Hash256>>> GetMerkleNodes(uint32_t level, uint64_t first,
                                                             uint64_t count);

  // Calls `visit(key, value)` for every entry of a column family in key order, until it
  // returns false. Used by verify.
  enum class Family { kStreams, kHeads, kIds, kPositions, kMerkle };
  Status ForEach(Family family,
                 const std::function<bool(std::string_view, std::string_view)>& visit);

 private:
  LedgerIndex() = default;
  rocksdb::ColumnFamilyHandle* Handle(Family f) const { return cf_[static_cast<int>(f) + 1]; }

  std::unique_ptr<rocksdb::DB> db_;
  IndexBatch::Families cf_{};  // default, streams, heads, ids, positions, merkle
  rocksdb::ReadOptions read_options_;
  rocksdb::WriteOptions write_options_;
};

}  // namespace caseledger::index
