// The embedded ledger: one directory, one writer process, any number of reader processes.
//
//   caseledger::Status s = caseledger::Ledger::Create("/srv/ledger", {});
//   auto ledger = caseledger::Ledger::Open("/srv/ledger", {});
//   if (!ledger.ok()) return ledger.status();
//   caseledger::AppendRequest request{.stream = "case-00042",
//                                     .expected_version = caseledger::ExpectedVersion::NoStream()};
//   request.events.push_back(opened_event);
//   auto appended = (*ledger)->Append(request);   // durable once it returns OK
//   auto history = (*ledger)->ReadStream("case-00042", 0, caseledger::Direction::kForward, 100);
//
// Guarantees:
// - An append is all or nothing. It returns OK only after its records are fdatasync'd:
//   acknowledged means durable. Positions are dense from 1 across the whole ledger,
//   stream versions dense from 0, recorded-at never decreases along positions.
// - Idempotency is checked before the expected version: a retry of an acknowledged append
//   (same event ids, same content) returns the original positions and writes nothing.
// - Readers never see an event beyond the last durable, published commit.
// - After a failed write or sync the ledger stops accepting appends (kStopped, naming
//   the cause) and goes on answering reads; reopening recovers to the last synced record.
// - Every method is thread-safe. Subscriptions must be destroyed before their Ledger.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "caseledger/event.h"
#include "caseledger/file_system.h"
#include "caseledger/proof.h"
#include "caseledger/status.h"
#include "caseledger/subscription.h"
#include "caseledger/tree_head.h"
#include "caseledger/verify.h"

namespace caseledger {
inline namespace v1 {

// What a ledger accepts as events; fixed when it is created.
enum class EventSchema {
  // The case-event catalogue (case_events.h): an event's type must be in the catalogue and
  // its payload must decode as that type with every required field; personal fields are
  // sealed under per-child keys (DIR/keys, sealed under the master key) before anything is
  // written. The default.
  kCaseEvents,
  // Any type, payload bytes stored as given. For the engine's own tests and the peers'
  // benchmark data; never for personal data, which it would store in clear.
  kOpaque,
};

// Fixed when a ledger directory is created.
struct CreateOptions {
  // Size of each preallocated segment file of the log. A record never spans segments, so
  // this also bounds the largest event. Each segment is zero-filled when created (one
  // sequential write of its size, done ahead of need in the background), so smaller
  // segments spread that cost more evenly. Default: 64 MiB. Tests use small segments.
  uint64_t segment_bytes = 64ull << 20;
  // Default: kCaseEvents.
  EventSchema events = EventSchema::kCaseEvents;
  // kCaseEvents: the file of the master key that seals DIR/keys (64 hex digits; see
  // LedgerOptions::master_key_file). Required; it must exist.
  std::string master_key_file;
};

struct LedgerOptions {
  // Open beside a running writer (possibly in another process) without blocking it: no
  // appends, no recovery; Refresh() catches up with what the writer has committed.
  // Default: false (open as the writer; fails with kBusy if another process is the writer).
  bool read_only = false;
  // The largest payload of one event, in bytes. Default: 1 MiB.
  size_t max_payload_bytes = 1u << 20;
  // The most events in one append request. Default: 10,000.
  size_t max_events_per_append = 10'000;
  // The most payload bytes in one append request, at most 32 MiB. Default: 16 MiB.
  size_t max_append_bytes = 16u << 20;
  // recorded-by for appends that name no principal. Default: "local:<unix user>".
  std::string local_principal;
  // When several writers are active, the sequencer waits at most this long for more of
  // them to queue before it commits a group (it never waits for a single writer).
  // Default: 200 microseconds.
  std::chrono::microseconds group_commit_max_wait{200};
  // The master key file of a case-event ledger (64 hex digits), kept outside DIR. Empty:
  // the file CASELEDGER_MASTER_KEY_FILE names, if set. Without one the ledger still opens:
  // appends of events with personal fields are refused and reads show those fields
  // sealed. A key that does not open DIR/keys makes Open fail. Default: empty.
  std::string master_key_file;
  // Open without any master key, even if CASELEDGER_MASTER_KEY_FILE is set: for a tool
  // that must read or recover a ledger whose DIR/keys is missing (`caseledger keys
  // restore`). Default: false.
  bool without_master_key = false;
  // The file layer under the segment log. Default: PosixFileSystem().
  std::shared_ptr<FileSystem> file_system;
};

// "local:<unix user>" (or "local:<uid>"): the recorded-by of this process's appends that
// name no principal, unless LedgerOptions::local_principal says otherwise.
std::string DefaultLocalPrincipal();

// Writes a new random master key to `path` (64 hex digits, mode 0600). kAlreadyExists if
// the file exists: a master key is never overwritten.
Status CreateMasterKeyFile(const std::string& path);

struct LedgerStats {
  std::string ledger_id;  // 32 hex digits, fixed at creation
  uint32_t format_version = 0;
  uint64_t events = 0;  // = the last committed position
  uint64_t streams = 0;
  uint64_t segments = 0;       // segment files, the preallocated spare included
  uint64_t segment_bytes = 0;  // size of each segment file
  uint64_t log_bytes = 0;      // bytes of the log up to its end (headers and gaps included)
  uint64_t bytes_on_disk = 0;  // everything under the directory
  TreeHead tree;
  EventSchema schema = EventSchema::kCaseEvents;
  // kCaseEvents: opened with its master key, so personal fields are sealed on append and
  // opened on read. Without it, appends with personal fields are refused.
  bool holds_master_key = false;
};

// A zero-copy view of one stored event. Its string_views point into the mapped log and
// stay valid while the Ledger that produced them is open.
struct EventView {
  Position position = 0;
  std::string_view stream;
  StreamVersion stream_version = 0;
  std::span<const uint8_t> event_id;  // 16 bytes
  std::string_view type;
  uint16_t schema_version = 0;
  Timestamp recorded_at{};
  Timestamp occurred_at{};
  std::string_view actor_user, actor_role, actor_agency;
  std::string_view recorded_by;
  std::span<const uint8_t> correlation_id;  // 16 bytes or empty
  std::span<const uint8_t> causation_id;    // 16 bytes or empty
  Position corrects = 0;
  std::string_view correction_reason;
  std::span<const uint8_t> content_digest;  // 16 bytes
  std::string_view payload;
  Position append_last = 0;  // the last position of the atomic append this event belongs to
  std::span<const std::byte> record;  // the envelope bytes the Merkle leaf hashes

  RecordedEvent ToRecordedEvent() const;
};

class Ledger {
 public:
  // Creates an empty ledger in `dir` (created if missing; must hold no ledger yet):
  // DIR/meta with a new ledger id and format version, DIR/log with its first segment,
  // an empty DIR/index. Returns kAlreadyExists if `dir` already holds a ledger.
  static Status Create(const std::string& dir, const CreateOptions& options);

  // Opens the ledger in `dir`. As the writer (the default) it takes DIR/run/writer.lock,
  // re-indexes any log tail the index has not seen and truncates a torn final record
  // (saving its bytes under DIR/log/torn-*), then starts the sequencer.
  static Result<std::unique_ptr<Ledger>> Open(const std::string& dir, const LedgerOptions& options);

  // Stops the sequencer after answering what is queued, and closes. Idempotent.
  virtual ~Ledger() = default;

  // Appends `request` atomically and durably; recorded-by is `principal`, or
  // LedgerOptions::local_principal when empty. Blocks until durable or failed.
  // Errors: kInvalidArgument (the message names the event index and field),
  // kWrongExpectedVersion (actual_version() set), kIdempotencyConflict, kStopped.
  virtual Result<AppendResult> Append(const AppendRequest& request,
                                      std::string_view principal = {}) = 0;

  // Appends several requests, possibly to different streams, as one atomic unit: all of
  // them or none. They are decided in order, so a later request on the same stream sees
  // the earlier ones (its expected version counts them). Limits (events, payload bytes)
  // apply to the whole batch. A retry of an acknowledged batch returns the original
  // results. Errors name the request and event index.
  virtual Result<std::vector<AppendResult>> AppendBatch(std::span<const AppendRequest> requests,
                                                        std::string_view principal = {}) = 0;

  // Erases the personal data of child `child_ref` (DOMAIN.md "Data protection"):
  // records ErasureRequested {childRef, reason} in each of the child's case streams,
  // destroys the child's keys (DIR/keys: see docs/privacy.md), then records
  // ErasureCompleted {childRef} there. From then on the child's personal fields read as
  // {"erased": "<key id>"} for every reader, while every hash, proof and checkpoint stays
  // valid: the log is not touched. Safe to run again after a crash or a failure: it
  // finishes what is missing; OK with nothing left to do if the child is erased already.
  // Needs the master key and the writer. kNotFound if no key names the child;
  // kInvalidArgument for a blank reason.
  struct Erasure {
    std::vector<std::string> streams;     // the child's case streams
    std::vector<AppendResult> requested;  // the ErasureRequested appended now (may be none)
    std::vector<AppendResult> completed;  // the ErasureCompleted appended now (may be none)
    // Nothing was left to do: an earlier run erased the child.
    bool already_erased() const { return requested.empty() && completed.empty(); }
  };
  virtual Result<Erasure> EraseChild(std::string_view child_ref, std::string_view reason,
                                     const Actor& actor, std::string_view principal = {}) = 0;

  // Seals every child key again under the master key in `new_master_key_file` (64 hex
  // digits; `caseledger keys rotate` creates it), which from then on is the only one
  // that opens DIR/keys; the old one opens nothing here, nor in any backup taken from now
  // on. Backups taken before still need the old key: destroying it shreds them (see
  // docs/privacy.md). Needs the writer and the current master key. Crash-safe: the next
  // writer finishes or drops an interrupted rotation.
  virtual Status RotateMasterKey(const std::string& new_master_key_file) = 0;

  // The payload of `event` (as read from this ledger) with its personal fields in clear,
  // where the ledger holds the child's key; fields it cannot open stay sealed (in JSON:
  // {"sealed": "<key id>"}), and those of an erased child read {"erased": "<key id>"}.
  // Without the master key nothing opens, but erased fields still read erased (the ids
  // of destroyed keys are not secret). An opaque ledger's payload comes back as stored.
  virtual Result<std::string> OpenPersonalFields(const RecordedEvent& event) = 0;
  // Rewrites `events` in place for a reader who may not see their personal fields in
  // clear (DOMAIN.md's roles x operations table; the server's whole-log reads): each field
  // keeps only its key id, {"redacted": "<key id>"}, or {"erased": "<key id>"} once the
  // child's key is destroyed. No ciphertext remains. Needs no master key. An event that
  // cannot be redacted (a damaged payload) is kCorruption naming its position; the events
  // before it are redacted, and redacting them again changes nothing.
  virtual Status RedactPersonalFields(std::span<RecordedEvent> events) = 0;
  // The stream's current version (that of its last event), or kNoStream.
  virtual Result<StreamVersion> GetStreamVersion(std::string_view stream) = 0;

  // Up to `limit` events of `stream`, starting at version `from` and going `direction`.
  // Backward from a version beyond the end starts at the last event. An unknown stream
  // gives an empty result.
  virtual Result<std::vector<RecordedEvent>> ReadStream(std::string_view stream, StreamVersion from,
                                                        Direction direction, size_t limit) = 0;

  // Up to `limit` events in position order, starting at position `from` (>= 1).
  virtual Result<std::vector<RecordedEvent>> ReadAll(Position from, size_t limit) = 0;

  // Calls `visit` for each committed event with position in [from, to] in order, without
  // copying, until it returns false. `to` = 0 means up to the last committed position.
  virtual Status ScanAll(Position from, Position to,
                         const std::function<bool(const EventView&)>& visit) = 0;

  // Follows the log from position `from`: first what is committed, then each new commit,
  // every event exactly once and in order. Never blocks the writer.
  virtual Result<std::unique_ptr<Subscription>> Subscribe(Position from) = 0;

  // The ledger's id (16 bytes, fixed at creation; GetStats gives it as hex).
  virtual std::array<uint8_t, 16> LedgerId() const = 0;

  // The last committed (durable and published) position; 0 for an empty ledger.
  virtual Position CommittedPosition() const = 0;

  // The Merkle tree head over all committed events.
  virtual TreeHead GetTreeHead() const = 0;

  // The Merkle tree head over positions 1..size (0 <= size <= the committed position):
  // what the ledger's root was when it held `size` events. Reads O(log size) stored nodes
  // and at most 15 records. kInvalidArgument beyond the committed position.
  virtual Result<TreeHead> GetTreeHeadAt(uint64_t size) = 0;

  // RFC 9162 proofs over the committed tree (caseledger/proof.h; `caseledger prove`):
  // that `position` is in the tree of `tree_size` events (position <= tree_size <= the
  // committed position), and that the tree of `first_size` events is a prefix of the tree
  // of `second_size` (0 < first_size <= second_size <= the committed position; equal sizes
  // give an empty proof). kInvalidArgument naming the bound broken.
  virtual Result<InclusionProof> ProveInclusion(Position position, uint64_t tree_size) = 0;
  virtual Result<ConsistencyProof> ProveConsistency(uint64_t first_size, uint64_t second_size) = 0;

  virtual Result<LedgerStats> GetStats() = 0;

  // For read-only ledgers: catch up with what the writer has committed since. A no-op
  // for the writer.
  virtual Status Refresh() = 0;

  // Why appends stopped, or OK while the ledger accepts them.
  virtual Status Health() const = 0;

  // Recomputes everything from the log: frames, checksums, envelopes, dense positions
  // and versions, the Merkle tree, and every index entry, for the events committed when
  // it starts. Problems found are in the report; an error Status means it could not run.
  virtual Result<VerifyReport> Verify(const VerifyOptions& options) = 0;

  // Deletes DIR/index and rebuilds it from DIR/log alone; DIR/meta is kept. Takes the
  // writer lock, so it fails with kBusy while a writer has the ledger open.
  static Status Reindex(const std::string& dir, const LedgerOptions& options);
};

// Opens the personal fields of `events` in place where `ledger` can (OpenPersonalFields:
// with the master key, for children whose key exists); the rest stay sealed, or read
// erased.
void OpenPersonalFieldsWherePossible(Ledger& ledger, std::span<RecordedEvent> events);

// The record at `position` exactly as the Merkle tree hashed it (personal fields sealed):
// what an inclusion proof proves. kNotFound beyond the committed position.
Result<std::string> ReadRecord(Ledger& ledger, Position position);

// Every event of `stream` at positions <= `up_to`, in order (ReadStream in pages): for
// the short streams read whole (a case, a worker, an access stream).
Result<std::vector<RecordedEvent>> ReadWholeStream(
    Ledger& ledger, std::string_view stream, Position up_to = std::numeric_limits<Position>::max());

}  // namespace v1
}  // namespace caseledger
