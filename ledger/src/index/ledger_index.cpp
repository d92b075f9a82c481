#include "index/ledger_index.h"

#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <cstring>

#include "index/keys.h"

namespace caseledger::index {
namespace {

const char* const kFamilyNames[6] = {"default", "streams", "heads", "ids", "positions", "merkle"};
constexpr char kStateKey[] = "state";

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  if (s.IsBusy() || s.IsTimedOut()) return Status::Busy(what + ": " + s.ToString());
  return Status::IOError(what + ": " + s.ToString());
}

rocksdb::Slice AsSlice(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string EncodeState(const IndexState& s) {
  std::string v;
  AppendBE64(v, s.indexed_position);
  AppendBE64(v, s.log_end.Pack());
  AppendBE64(v, static_cast<uint64_t>(ToMicros(s.last_recorded_at)));
  AppendBE64(v, s.stream_count);
  v += s.frontier.Serialize();
  return v;
}

Result<IndexState> DecodeState(std::string_view v) {
  if (v.size() < 32) return Status::Corruption("index state record is truncated");
  IndexState s;
  s.indexed_position = LoadBE64(v.data());
  s.log_end = log::Location::Unpack(LoadBE64(v.data() + 8));
  s.last_recorded_at = FromMicros(static_cast<int64_t>(LoadBE64(v.data() + 16)));
  s.stream_count = LoadBE64(v.data() + 24);
  CASELEDGER_ASSIGN_OR_RETURN(s.frontier, merkle::MerkleFrontier::Parse(v.substr(32)));
  if (s.frontier.size() != s.indexed_position)
    return Status::Corruption(
        "index state: Merkle frontier size " + std::to_string(s.frontier.size()) +
        " differs from indexed position " + std::to_string(s.indexed_position));
  return s;
}

enum class Lookup {
  kOrdered,   // scanned in key order, both ways (streams, positions, merkle, state)
  kWholeKey,  // point lookups only (heads, ids)
};

rocksdb::ColumnFamilyOptions FamilyOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                           Lookup lookup) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  t.cache_index_and_filter_blocks = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  // Partitioned index and filters: a lookup reads one small partition, not the whole
  // filter of a file. Measured at 10M events: with whole-file filters (megabytes each)
  // evicted from the cache, every append re-read them and W2 fell from ~39,000 to ~6,700
  // events/s.
  t.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
  t.partition_filters = true;
  t.pin_top_level_index_and_filter = true;
  o.write_buffer_size = 32 << 20;
  if (lookup == Lookup::kWholeKey) {
    // Measured here: inserting random keys into the default skiplist memtable cost most of
    // an append's time. A hash of skiplists keyed by the whole key (ids are 16 bytes,
    // stream ids at most 256) makes inserts and point reads O(1); whole-family scans
    // (verify only) pay for sorting instead.
    o.prefix_extractor.reset(rocksdb::NewCappedPrefixTransform(kMaxStreamIdBytes));
    o.memtable_factory.reset(rocksdb::NewHashSkipListRepFactory(200'000));
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    o.memtable_prefix_bloom_size_ratio = 0.02;
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

}  // namespace

// ---- IndexBatch ----

void IndexBatch::AddEvent(std::string_view stream, StreamVersion version, Position position,
                          log::Location location, std::span<const uint8_t> event_id,
                          const envelope::ContentDigest& digest) {
  std::string value;
  AppendBE64(value, position);
  AppendBE64(value, location.Pack());
  batch_.Put(cf_[1], StreamKey(stream, version), value);

  value.clear();
  AppendBE64(value, position);
  AppendBE64(value, static_cast<uint64_t>(version));
  value.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  batch_.Put(cf_[3], AsSlice(event_id), value);

  if (IsIndexedPosition(position)) {
    value.clear();
    AppendBE64(value, location.Pack());
    batch_.Put(cf_[4], PositionKey(position), value);
  }
}

void IndexBatch::SetHead(std::string_view stream, StreamVersion version) {
  std::string value;
  AppendBE64(value, static_cast<uint64_t>(version));
  batch_.Put(cf_[2], rocksdb::Slice(stream.data(), stream.size()), value);
}

void IndexBatch::AddMerkleNode(const merkle::CompletedNode& node) {
  if (node.level < kStoredMerkleLevel) return;
  batch_.Put(cf_[5], MerkleKey(node.level, node.index),
             rocksdb::Slice(reinterpret_cast<const char*>(node.hash.data()), node.hash.size()));
}

void IndexBatch::SetState(const IndexState& state) {
  batch_.Put(cf_[0], kStateKey, EncodeState(state));
}

// ---- LedgerIndex ----

Result<std::unique_ptr<LedgerIndex>> LedgerIndex::Open(const std::string& dir, Mode mode,
                                                       const std::string& secondary_dir) {
  std::unique_ptr<LedgerIndex> index(new LedgerIndex());
  auto cache = rocksdb::NewLRUCache(64 << 20);
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = mode == Mode::kWriter;
  db_options.create_missing_column_families = mode == Mode::kWriter;
  db_options.db_write_buffer_size = 128 << 20;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 4;
  db_options.max_open_files = -1;  // required by secondary instances
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.allow_concurrent_memtable_write = false;  // required by hash memtables; one writer

  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  const Lookup lookups[6] = {Lookup::kOrdered,  Lookup::kOrdered, Lookup::kWholeKey,
                             Lookup::kWholeKey, Lookup::kOrdered, Lookup::kOrdered};
  for (int i = 0; i < 6; ++i)
    families.emplace_back(kFamilyNames[i], FamilyOptions(cache, lookups[i]));
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s;
  if (mode == Mode::kWriter) {
    s = rocksdb::DB::Open(db_options, dir, families, &handles, &db);
  } else {
    s = rocksdb::DB::OpenAsSecondary(db_options, dir, secondary_dir, families, &handles, &db);
  }
  if (!s.ok()) return FromRocks(s, "cannot open index " + dir);
  index->db_.reset(db);
  for (int i = 0; i < 6; ++i) index->cf_[i] = handles[i];
  index->write_options_.sync = false;  // the log is durable first; the index is derived
  return index;
}

LedgerIndex::~LedgerIndex() {
  for (auto* h : cf_)
    if (h && db_) db_->DestroyColumnFamilyHandle(h);
  if (db_) db_->Close().PermitUncheckedError();
}

IndexBatch LedgerIndex::NewBatch() { return IndexBatch(cf_); }

Status LedgerIndex::Write(IndexBatch& batch) {
  return FromRocks(db_->Write(write_options_, &batch.batch_), "index write failed");
}

Status LedgerIndex::Flush() {
  rocksdb::FlushOptions o;
  std::vector<rocksdb::ColumnFamilyHandle*> all(cf_.begin(), cf_.end());
  return FromRocks(db_->Flush(o, all), "index flush failed");
}

Status LedgerIndex::CatchUp() {
  return FromRocks(db_->TryCatchUpWithPrimary(), "index catch-up failed");
}

Result<IndexState> LedgerIndex::ReadState() {
  std::string value;
  auto s = db_->Get(read_options_, cf_[0], kStateKey, &value);
  if (s.IsNotFound()) return IndexState{};
  if (!s.ok()) return FromRocks(s, "cannot read index state");
  return DecodeState(value);
}

Result<StreamVersion> LedgerIndex::GetHead(std::string_view stream) {
  rocksdb::PinnableSlice value;
  auto s = db_->Get(read_options_, cf_[2], rocksdb::Slice(stream.data(), stream.size()), &value);
  if (s.IsNotFound()) return kNoStream;
  if (!s.ok()) return FromRocks(s, "cannot read head of stream " + std::string(stream));
  if (value.size() != 8)
    return Status::Corruption("index: head of stream " + std::string(stream) + " is malformed");
  return static_cast<StreamVersion>(LoadBE64(value.data()));
}

Result<std::optional<IdEntry>> LedgerIndex::GetId(std::span<const uint8_t> event_id) {
  rocksdb::PinnableSlice value;
  auto s = db_->Get(read_options_, cf_[3], AsSlice(event_id), &value);
  if (s.IsNotFound()) return std::optional<IdEntry>();
  if (!s.ok()) return FromRocks(s, "cannot read event id");
  if (value.size() != 32) return Status::Corruption("index: event id entry is malformed");
  IdEntry e;
  e.position = LoadBE64(value.data());
  e.version = static_cast<StreamVersion>(LoadBE64(value.data() + 8));
  std::memcpy(e.digest.data(), value.data() + 16, 16);
  return std::optional<IdEntry>(e);
}

Result<std::vector<StreamEntry>> LedgerIndex::ScanStream(std::string_view stream,
                                                         StreamVersion from, Direction direction,
                                                         size_t limit) {
  std::vector<StreamEntry> out;
  if (limit == 0) return out;
  std::string lower(stream), upper(stream);
  lower.push_back('\0');
  upper.push_back('\1');
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions o = read_options_;
  o.iterate_lower_bound = &lower_slice;
  o.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(o, cf_[1]));
  const std::string start = StreamKey(stream, std::max<StreamVersion>(from, 0));
  if (direction == Direction::kForward) {
    it->Seek(start);
  } else {
    it->SeekForPrev(start);
  }
  // No step beyond the last entry taken: a step back is a memtable search.
  while (it->Valid()) {
    auto k = it->key();
    auto v = it->value();
    if (k.size() != stream.size() + 9 || v.size() != 16)
      return Status::Corruption("index: malformed entry of stream " + std::string(stream));
    out.push_back({static_cast<StreamVersion>(LoadBE64(k.data() + stream.size() + 1)),
                   LoadBE64(v.data()), log::Location::Unpack(LoadBE64(v.data() + 8))});
    if (out.size() >= limit) break;
    if (direction == Direction::kForward)
      it->Next();
    else
      it->Prev();
  }
  if (!it->status().ok())
    return FromRocks(it->status(), "cannot read stream " + std::string(stream));
  return out;
}

Result<std::optional<std::pair<Position, log::Location>>> LedgerIndex::FloorPosition(
    Position position) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_, cf_[4]));
  it->SeekForPrev(PositionKey(position));
  if (!it->status().ok()) return FromRocks(it->status(), "cannot read position index");
  if (!it->Valid()) return std::optional<std::pair<Position, log::Location>>();
  if (it->key().size() != 8 || it->value().size() != 8)
    return Status::Corruption("index: malformed position entry");
  return std::optional<std::pair<Position, log::Location>>(
      std::pair(LoadBE64(it->key().data()), log::Location::Unpack(LoadBE64(it->value().data()))));
}

Result<std::optional<Hash256>> LedgerIndex::GetMerkleNode(uint32_t level, uint64_t index) {
  rocksdb::PinnableSlice value;
  auto s = db_->Get(read_options_, cf_[5], MerkleKey(level, index), &value);
  if (s.IsNotFound()) return std::optional<Hash256>();
  if (!s.ok()) return FromRocks(s, "cannot read Merkle node");
  if (value.size() != 32) return Status::Corruption("index: malformed Merkle node");
  Hash256 h;
  std::memcpy(h.data(), value.data(), 32);
  return std::optional<Hash256>(h);
}

Result<std::vector<std::optional<Hash256>>> LedgerIndex::GetMerkleNodes(uint32_t level,
                                                                        uint64_t first,
                                                                        uint64_t count) {
  std::vector<std::optional<Hash256>> nodes(count);
  const std::string upper = MerkleKey(level, first + count);
  const rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions o = read_options_;
  o.total_order_seek = true;
  o.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(o, cf_[5]));
  for (it->Seek(MerkleKey(level, first)); it->Valid(); it->Next()) {
    if (it->key().size() != 9 || it->value().size() != 32)
      return Status::Corruption("index: malformed Merkle node");
    const uint64_t index = LoadBE64(it->key().data() + 1);
    if (index < first || index - first >= count) break;
    Hash256& h = nodes[index - first].emplace();
    std::memcpy(h.data(), it->value().data(), 32);
  }
  CASELEDGER_RETURN_IF_ERROR(FromRocks(it->status(), "cannot read Merkle nodes"));
  return nodes;
}

Status LedgerIndex::ForEach(Family family,
                            const std::function<bool(std::string_view, std::string_view)>& visit) {
  rocksdb::ReadOptions o = read_options_;
  o.total_order_seek = true;  // across prefixes
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(o, Handle(family)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!visit(std::string_view(it->key().data(), it->key().size()),
               std::string_view(it->value().data(), it->value().size())))
      break;
  }
  return FromRocks(it->status(), "cannot iterate index");
}

}  // namespace caseledger::index
