#include "ledger_impl.h"

#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "caseledger/case_events.h"
#include "envelope/envelope_codec.h"
#include "index/keys.h"
#include "log/log_reader.h"
#include "merkle/hashing.h"
#include "merkle/proof.h"
#include "seal/master_key.h"
#include "seal/sealer.h"

namespace caseledger {

namespace fs = std::filesystem;

inline namespace v1 {
std::string DefaultLocalPrincipal() {
  struct passwd* pw = ::getpwuid(::geteuid());
  return std::string("local:") + (pw && pw->pw_name ? pw->pw_name : std::to_string(::geteuid()));
}

void OpenPersonalFieldsWherePossible(Ledger& ledger, std::span<RecordedEvent> events) {
  for (RecordedEvent& e : events) {
    const EventType* type = FindEventType(e.event.type);
    if (!type || !type->has_personal_fields) continue;
    if (auto open = ledger.OpenPersonalFields(e); open.ok()) e.event.payload = std::move(*open);
  }
}

Result<std::string> ReadRecord(Ledger& ledger, Position position) {
  std::string record;
  bool found = false;
  CASELEDGER_RETURN_IF_ERROR(ledger.ScanAll(position, position, [&](const EventView& v) {
    record.assign(reinterpret_cast<const char*>(v.record.data()), v.record.size());
    found = true;
    return false;
  }));
  if (!found)
    return Status::NotFound("no event at position " + std::to_string(position) +
                            " (the ledger's last position is " +
                            std::to_string(ledger.CommittedPosition()) + ")");
  return record;
}

Result<std::vector<RecordedEvent>> ReadWholeStream(Ledger& ledger, std::string_view stream,
                                                   Position up_to) {
  constexpr size_t kPage = 1000;
  std::vector<RecordedEvent> out;
  while (true) {
    CASELEDGER_ASSIGN_OR_RETURN(auto page,
                                ledger.ReadStream(stream, static_cast<StreamVersion>(out.size()),
                                                  Direction::kForward, kPage));
    const size_t got = page.size();
    for (RecordedEvent& e : page) {
      if (e.position > up_to) return out;
      out.push_back(std::move(e));
    }
    if (got < kPage) return out;
  }
}
}  // namespace v1

namespace {

uint64_t BytesOnDisk(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it =
           fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
      total += static_cast<uint64_t>(st.st_blocks) * 512;
  }
  return total;
}

std::string Hex(const uint8_t* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(digits[p[i] >> 4]);
    out.push_back(digits[p[i] & 15]);
  }
  return out;
}

}  // namespace

inline namespace v1 {

std::string HashToHex(const Hash256& hash) { return Hex(hash.data(), hash.size()); }

Status Ledger::Create(const std::string& dir, const CreateOptions& options) {
  if (options.segment_bytes < (1u << 16) || options.segment_bytes > (uint64_t{1} << 32) ||
      options.segment_bytes % 4096 != 0)
    return Status::InvalidArgument("segment size " + std::to_string(options.segment_bytes) +
                                   " must be a multiple of 4096 between 64 KiB and 4 GiB");
  std::error_code ec;
  if (fs::exists(dir + "/meta/ledger", ec))
    return Status::AlreadyExists(dir + " already holds a ledger");
  std::optional<seal::MasterKey> master;
  if (options.events == EventSchema::kCaseEvents) {
    const std::string path = seal::MasterKeyPath(options.master_key_file);
    if (path.empty())
      return Status::InvalidArgument(
          "a case-event ledger needs a master key to seal its child keys: give "
          "--master-key-file or set CASELEDGER_MASTER_KEY_FILE");
    CASELEDGER_ASSIGN_OR_RETURN(master, seal::LoadMasterKey(path));
  }
  for (const char* sub : {"/log", "/meta", "/run"}) {
    fs::create_directories(dir + sub, ec);
    if (ec) return Status::IOError("cannot create " + dir + sub + ": " + ec.message());
  }
  CASELEDGER_ASSIGN_OR_RETURN(
      auto meta, store::CreateLedgerMeta(dir + "/meta", options.segment_bytes, options.events));
  if (master)
    CASELEDGER_RETURN_IF_ERROR(seal::KeyStore::Create(dir + "/keys", *master, meta.ledger_id));
  log::SegmentLog::Options log_options{dir + "/log", meta.ledger_id, meta.segment_bytes,
                                       PosixFileSystem(), true};
  CASELEDGER_RETURN_IF_ERROR(log::SegmentLog::CreateSegment(log_options, 0));
  CASELEDGER_ASSIGN_OR_RETURN(
      auto index, index::LedgerIndex::Open(dir + "/index", index::LedgerIndex::Mode::kWriter));
  return index->Flush();
}

Status CreateMasterKeyFile(const std::string& path) {
  return seal::CreateMasterKeyFile(path).status();
}

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& dir, const LedgerOptions& options) {
  return LedgerImpl::Open(dir, options);
}

Status Ledger::Reindex(const std::string& dir, const LedgerOptions& options) {
  if (options.read_only) return Status::InvalidArgument("reindex needs a writable ledger");
  CASELEDGER_RETURN_IF_ERROR(store::ReadLedgerMeta(dir + "/meta").status());
  {
    // Hold the writer lock while the index is deleted, so no writer races us.
    CASELEDGER_ASSIGN_OR_RETURN(auto lock, store::DirLock::Acquire(dir + "/run"));
    std::error_code ec;
    fs::remove_all(dir + "/index", ec);
    if (ec) return Status::IOError("cannot remove " + dir + "/index: " + ec.message());
  }
  // Opening rebuilds the whole index from position 1 (recovery of an empty index).
  CASELEDGER_ASSIGN_OR_RETURN(auto ledger, LedgerImpl::Open(dir, options));
  return Status::Ok();
}

}  // namespace v1

Result<std::unique_ptr<Ledger>> LedgerImpl::Open(const std::string& dir, LedgerOptions options) {
  if (!options.file_system) options.file_system = PosixFileSystem();
  if (options.local_principal.empty()) options.local_principal = DefaultLocalPrincipal();
  std::unique_ptr<LedgerImpl> ledger(new LedgerImpl(dir, options));
  CASELEDGER_ASSIGN_OR_RETURN(ledger->meta_, store::ReadLedgerMeta(dir + "/meta"));
  const bool writer = !options.read_only;
  if (writer) {
    CASELEDGER_ASSIGN_OR_RETURN(ledger->lock_, store::DirLock::Acquire(dir + "/run"));
  }

  log::SegmentLog::Options log_options{dir + "/log", ledger->meta_.ledger_id,
                                       ledger->meta_.segment_bytes, options.file_system, writer};
  CASELEDGER_ASSIGN_OR_RETURN(ledger->log_, log::SegmentLog::Open(log_options));

  if (writer) {
    CASELEDGER_ASSIGN_OR_RETURN(
        ledger->index_,
        index::LedgerIndex::Open(dir + "/index", index::LedgerIndex::Mode::kWriter));
  } else {
    std::error_code ec;
    if (!fs::exists(dir + "/index/CURRENT", ec))
      return Status::NotFound(dir +
                              "/index is missing; open the ledger for writing once (e.g. "
                              "`caseledger reindex`) to rebuild it");
    CASELEDGER_RETURN_IF_ERROR(ledger->ReopenSecondaryIndex());
  }
  if (ledger->meta_.events == EventSchema::kCaseEvents) {
    const std::string path =
        options.without_master_key ? "" : seal::MasterKeyPath(options.master_key_file);
    if (!path.empty()) {
      CASELEDGER_ASSIGN_OR_RETURN(auto master, seal::LoadMasterKey(path));
      CASELEDGER_ASSIGN_OR_RETURN(
          ledger->keys_,
          seal::KeyStore::Open(dir + "/keys", master, ledger->meta_.ledger_id, writer));
      ledger->erased_view_ = ledger->keys_.get();
    } else {
      ledger->tombstones_ = seal::KeyStore::OpenTombstones(dir + "/keys");
      ledger->erased_view_ = ledger->tombstones_.get();
    }
  }
  CASELEDGER_ASSIGN_OR_RETURN(index::IndexState state, ledger->index_->ReadState());
  if (writer) {
    ledger->admission_ =
        std::make_unique<Admission>(ledger->meta_, ledger->options_, ledger->keys_.get());
    CASELEDGER_ASSIGN_OR_RETURN(state, ledger->RecoverTail(std::move(state)));
    CASELEDGER_RETURN_IF_ERROR(ledger->log_->StartWriting(state.log_end));
    CASELEDGER_ASSIGN_OR_RETURN(ledger->notice_,
                                store::CommitNotice::OpenForWriter(dir + "/run/committed"));
    ledger->commits_.set_announcer(
        [notice = ledger->notice_.get()](Position p) { notice->Announce(p); });
    ledger->commits_.Publish(state.frontier.Head());
    ledger->sequencer_ =
        std::make_unique<Sequencer>(*ledger->log_, *ledger->index_, ledger->meta_, ledger->options_,
                                    ledger->commits_, std::move(state));
  } else {
    ledger->commits_.Publish(state.frontier.Head());
  }
  return std::unique_ptr<Ledger>(std::move(ledger));
}

LedgerImpl::~LedgerImpl() {
  commits_.Close();
  sequencer_.reset();  // answers what is queued
  if (index_ && !options_.read_only) {
    Status s = index_->Flush();  // a clean close leaves nothing for recovery to redo
    (void)s;
  }
  index_.reset();
  log_.reset();
  if (!secondary_dir_.empty()) {
    std::error_code ec;
    fs::remove_all(secondary_dir_, ec);
  }
}

Result<AppendResult> LedgerImpl::Append(const AppendRequest& request, std::string_view principal) {
  CASELEDGER_ASSIGN_OR_RETURN(auto results, AppendBatch(std::span(&request, 1), principal));
  return results.front();
}

Result<std::vector<AppendResult>> LedgerImpl::AppendBatch(std::span<const AppendRequest> requests,
                                                          std::string_view principal) {
  return AppendAs(Admission::Origin::kCaller, requests, principal);
}

Result<std::vector<AppendResult>> LedgerImpl::AppendAs(Admission::Origin origin,
                                                       std::span<const AppendRequest> requests,
                                                       std::string_view principal) {
  if (!sequencer_) return Status::InvalidArgument("the ledger was opened read-only");
  CASELEDGER_ASSIGN_OR_RETURN(auto batch, admission_->Admit(requests, origin));
  return sequencer_->Append(batch, principal);
}

Result<std::string> LedgerImpl::OpenPersonalFields(const RecordedEvent& event) {
  if (meta_.events == EventSchema::kOpaque) return event.event.payload;
  CASELEDGER_ASSIGN_OR_RETURN(const EventType* type, LookupEventType(event.event.type));
  if (!CarriesPersonalData(*type, event.event.payload)) return event.event.payload;
  return seal::OpenPayload(*type, event.stream, event.event.payload, *erased_view_);
}

Status LedgerImpl::RedactPersonalFields(std::span<RecordedEvent> events) {
  if (meta_.events == EventSchema::kOpaque) return Status::Ok();
  erased_view_->RefreshErased();  // once for the whole page, not once per field
  for (RecordedEvent& e : events) {
    const EventType* type = FindEventType(e.event.type);
    if (!type || !type->has_personal_fields) continue;
    auto redacted = seal::RedactPayload(*type, e.event.payload, *erased_view_);
    if (!redacted.ok())
      return Status::Corruption("position " + std::to_string(e.position) +
                                " cannot be redacted: " + redacted.status().message());
    e.event.payload = std::move(*redacted);
  }
  return Status::Ok();
}

Status LedgerImpl::Health() const {
  if (!sequencer_) return Status::Ok();
  return sequencer_->Health();
}

Result<StreamVersion> LedgerImpl::GetStreamVersion(std::string_view stream) {
  CASELEDGER_RETURN_IF_ERROR(ValidateStreamId(stream));
  // The newest committed entry: the index may already hold a commit not yet published.
  // Almost always the newest entry is committed: ask for it alone first (each step back
  // costs a memtable search), then in pages.
  const Position committed = commits_.committed();
  size_t page = 1;
  StreamVersion from = std::numeric_limits<StreamVersion>::max();
  while (true) {
    CASELEDGER_ASSIGN_OR_RETURN(auto entries,
                                Index()->ScanStream(stream, from, Direction::kBackward, page));
    for (const auto& e : entries)
      if (e.position <= committed) return e.version;
    if (entries.size() < page) return kNoStream;
    from = entries.back().version - 1;
    page = 64;
  }
}

Result<std::vector<RecordedEvent>> LedgerImpl::ReadStream(std::string_view stream,
                                                          StreamVersion from, Direction direction,
                                                          size_t limit) {
  CASELEDGER_RETURN_IF_ERROR(ValidateStreamId(stream));
  if (from < 0)
    return Status::InvalidArgument("stream version " + std::to_string(from) + " is negative");
  const Position committed = commits_.committed();
  CASELEDGER_ASSIGN_OR_RETURN(auto entries, Index()->ScanStream(stream, from, direction, limit));
  std::vector<RecordedEvent> out;
  out.reserve(entries.size());
  for (const auto& e : entries) {
    if (e.position > committed) continue;  // indexed, not yet published
    auto view = log::ReadRecordAt(*log_, e.location, e.position);
    if (!view.ok()) return view.status();
    if (view->stream != stream || view->stream_version != e.version)
      return Status::Corruption("index entry " + std::string(stream) + "@" +
                                std::to_string(e.version) + " points to position " +
                                std::to_string(e.position) + ", which holds another event");
    out.push_back(view->ToRecordedEvent());
  }
  return out;
}

Result<log::LogCursor> LedgerImpl::CursorAt(Position position) {
  CASELEDGER_ASSIGN_OR_RETURN(auto floor, Index()->FloorPosition(position));
  if (!floor)
    return Status::Corruption("index: no position entry at or before " + std::to_string(position));
  log::LogCursor cursor(*log_, floor->second, floor->first);
  EventView skipped;
  while (cursor.next_position() < position) {
    CASELEDGER_ASSIGN_OR_RETURN(bool more, cursor.Next(position - 1, skipped));
    if (!more) break;
  }
  return cursor;
}

Status LedgerImpl::ScanAll(Position from, Position to,
                           const std::function<bool(const EventView&)>& visit) {
  if (from == 0) return Status::InvalidArgument("positions start at 1");
  const Position committed = commits_.committed();
  const Position last = to == 0 ? committed : std::min(to, committed);
  if (from > last) return Status::Ok();
  CASELEDGER_ASSIGN_OR_RETURN(auto cursor, CursorAt(from));
  EventView view;
  while (true) {
    CASELEDGER_ASSIGN_OR_RETURN(bool more, cursor.Next(last, view));
    if (!more || !visit(view)) return Status::Ok();
  }
}

Result<Hash256> LedgerImpl::PerfectSubtreeHash(uint32_t level, uint64_t index) {
  if (level >= index::kStoredMerkleLevel) {
    CASELEDGER_ASSIGN_OR_RETURN(auto stored, Index()->GetMerkleNode(level, index));
    if (!stored)
      return Status::Corruption("index: no stored Merkle node at level " + std::to_string(level) +
                                ", index " + std::to_string(index) + " (run `caseledger reindex`)");
    return *stored;
  }
  // Low levels are not stored: rehash the (at most 8) records under the node.
  merkle::MerkleFrontier subtree;
  const Position first = (index << level) + 1;
  const Position last = (index + 1) << level;
  CASELEDGER_RETURN_IF_ERROR(ScanAll(first, last, [&](const EventView& v) {
    subtree.Append(merkle::LeafHash(v.record), {});
    return true;
  }));
  if (subtree.size() != (uint64_t{1} << level))
    return Status::Corruption("log: positions " + std::to_string(first) + ".." +
                              std::to_string(last) + " could not all be read");
  return subtree.Head().root;
}

Result<Hash256> LedgerImpl::SubtreeRoot(uint64_t begin, uint64_t end) {
  const uint64_t n = end - begin;
  // A perfect, aligned subtree is stored (or rehashed from at most 8 records); any other
  // splits as RFC 9162's MTH does, at the largest power of two below its size.
  if (std::has_single_bit(n) && begin % n == 0)
    return PerfectSubtreeHash(static_cast<uint32_t>(std::countr_zero(n)), begin / n);
  const uint64_t k = merkle::SplitPoint(n);
  CASELEDGER_ASSIGN_OR_RETURN(Hash256 left, SubtreeRoot(begin, begin + k));
  CASELEDGER_ASSIGN_OR_RETURN(Hash256 right, SubtreeRoot(begin + k, end));
  return merkle::NodeHash(left, right);
}

Status LedgerImpl::CheckTreeSize(uint64_t size) const {
  const uint64_t committed = commits_.tree_head().size;
  if (size > committed)
    return Status::InvalidArgument("tree size " + std::to_string(size) +
                                   " is beyond the committed position " +
                                   std::to_string(committed));
  return Status::Ok();
}

Result<TreeHead> LedgerImpl::GetTreeHeadAt(uint64_t size) {
  CASELEDGER_RETURN_IF_ERROR(CheckTreeSize(size));
  const TreeHead current = commits_.tree_head();
  if (size == current.size) return current;
  if (size == 0) return TreeHead{0, merkle::EmptyTreeRoot()};
  CASELEDGER_ASSIGN_OR_RETURN(Hash256 root, SubtreeRoot(0, size));
  return TreeHead{size, root};
}

Result<InclusionProof> LedgerImpl::ProveInclusion(Position position, uint64_t tree_size) {
  CASELEDGER_RETURN_IF_ERROR(CheckTreeSize(tree_size));
  if (position == 0 || position > tree_size)
    return Status::InvalidArgument("position " + std::to_string(position) +
                                   " is not in a tree of " + std::to_string(tree_size) +
                                   " events (positions 1.." + std::to_string(tree_size) + ")");
  InclusionProof proof{position - 1, tree_size, {}};
  CASELEDGER_ASSIGN_OR_RETURN(proof.path, merkle::InclusionPath(proof.leaf_index, tree_size,
                                                                [this](uint64_t b, uint64_t e) {
                                                                  return SubtreeRoot(b, e);
                                                                }));
  return proof;
}

Result<ConsistencyProof> LedgerImpl::ProveConsistency(uint64_t first_size, uint64_t second_size) {
  CASELEDGER_RETURN_IF_ERROR(CheckTreeSize(second_size));
  ConsistencyProof proof{first_size, second_size, {}};
  CASELEDGER_ASSIGN_OR_RETURN(
      proof.path, merkle::ConsistencyPath(first_size, second_size, [this](uint64_t b, uint64_t e) {
        return SubtreeRoot(b, e);
      }));
  return proof;
}

Result<std::vector<RecordedEvent>> LedgerImpl::ReadAll(Position from, size_t limit) {
  std::vector<RecordedEvent> out;
  if (limit == 0) return out;
  Position to = from + limit - 1;
  if (to < from) to = 0;  // overflow: no upper bound
  CASELEDGER_RETURN_IF_ERROR(ScanAll(from, to, [&](const EventView& v) {
    out.push_back(v.ToRecordedEvent());
    return true;
  }));
  return out;
}

Status LedgerImpl::ReopenSecondaryIndex() {
  const char* tmp = std::getenv("TMPDIR");
  std::string scratch = std::string(tmp && *tmp ? tmp : "/tmp") + "/caseledger-reader-XXXXXX";
  if (::mkdtemp(scratch.data()) == nullptr)
    return Status::IOError("cannot create a scratch directory for a read-only index");
  auto fresh =
      index::LedgerIndex::Open(dir_ + "/index", index::LedgerIndex::Mode::kSecondary, scratch);
  std::error_code ec;
  if (!fresh.ok()) {
    fs::remove_all(scratch, ec);
    return fresh.status();
  }
  std::lock_guard lock(index_swap_mutex_);
  index_ = std::move(*fresh);
  if (!secondary_dir_.empty()) fs::remove_all(secondary_dir_, ec);
  secondary_dir_ = scratch;
  return Status::Ok();
}

Status LedgerImpl::Refresh() {
  if (!options_.read_only) return Status::Ok();
  std::lock_guard lock(refresh_mutex_);
  // The writer announces a position only after indexing it: whatever was announced before
  // the catch-up must be visible after it, unless the secondary is stuck (CommitNotice).
  const Position announced = store::CommitNotice::Read(dir_ + "/run/committed");
  std::shared_ptr<index::LedgerIndex> index = Index();
  CASELEDGER_RETURN_IF_ERROR(index->CatchUp());
  CASELEDGER_ASSIGN_OR_RETURN(auto state, index->ReadState());
  if (state.indexed_position < announced) {
    CASELEDGER_RETURN_IF_ERROR(ReopenSecondaryIndex());
    CASELEDGER_ASSIGN_OR_RETURN(state, Index()->ReadState());
  }
  if (state.indexed_position > commits_.committed()) commits_.Publish(state.frontier.Head());
  return Status::Ok();
}

Result<LedgerStats> LedgerImpl::GetStats() {
  LedgerStats s;
  s.ledger_id = Hex(meta_.ledger_id.data(), meta_.ledger_id.size());
  s.format_version = meta_.format_version;
  s.tree = commits_.tree_head();
  s.events = s.tree.size;
  CASELEDGER_ASSIGN_OR_RETURN(auto state, Index()->ReadState());
  s.streams = state.stream_count;
  s.segments = log_->SegmentFileCount();
  s.segment_bytes = meta_.segment_bytes;
  s.log_bytes = uint64_t{state.log_end.segment} * meta_.segment_bytes + state.log_end.offset;
  s.bytes_on_disk = BytesOnDisk(dir_);
  s.schema = meta_.events;
  s.holds_master_key = keys_ != nullptr;
  return s;
}

}  // namespace caseledger
