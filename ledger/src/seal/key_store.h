// The child-key store, DIR/keys: one random 32-byte key per case stream (so per child),
// each sealed under the master key. Personal fields are sealed under these keys; destroying
// one erases that child's personal data without changing a byte of the log.
//
//   DIR/keys/check    written once by Create: proves that a master key is the right one
//   DIR/keys/journal  records, one per live key (docs/format.md "Key store")
//   DIR/keys/erased   append-only records, one per destroyed key: its id, stream, child
//
// Guarantees: EnsureKeys returns only after every new key is fsync'd, so no event is ever
// written under a key that a crash could lose. A torn final record (a crash mid-write)
// is dropped on open: no event can use it, since its fsync never returned. Thread-safe.
//
// Erasure (EraseChild) destroys keys physically: their ids are added to `erased`
// (durable first), then the journal is rewritten without their records (a new file,
// fsync'd, renamed over the old one) and the old file's copies of those records are
// overwritten with zeros before it is closed. A crash in between leaves the ids in
// `erased`: no one uses them, and the next writable Open finishes the rewrite. An erased
// key's stream never gets a new key.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "caseledger/status.h"
#include "log/segment.h"
#include "seal/master_key.h"

namespace caseledger::seal {

using KeyId = std::array<uint8_t, 16>;

struct ChildKey {
  KeyId id{};
  std::array<uint8_t, 32> key{};
  std::string stream;     // the case stream it seals
  std::string child_ref;  // the child, from CaseOpened (empty if not known when created)
  ~ChildKey();            // wipes the key
};

struct KeyRequest {
  std::string_view stream;
  std::string_view child_ref;  // may be empty
};

class KeyStore {
 public:
  // Creates DIR/keys for a new ledger. kAlreadyExists if it exists.
  static Status Create(const std::string& keys_dir, const MasterKey& master,
                       const log::LedgerId& ledger_id);
  // Opens DIR/keys. A master key that does not open `check` is kInvalidArgument ("wrong
  // master key"); a damaged journal is kCorruption naming the offset.
  static Result<std::unique_ptr<KeyStore>> Open(const std::string& keys_dir,
                                                const MasterKey& master,
                                                const log::LedgerId& ledger_id, bool writable);
  // Opens only DIR/keys/erased, for a reader without the master key: the ids of destroyed
  // keys are not secret, and knowing them lets that reader show an erased child's fields
  // as erased rather than sealed. Such a store opens no key (Find gives nullptr) and
  // creates none. A ledger without DIR/keys opens as one with nothing erased.
  static std::unique_ptr<KeyStore> OpenTombstones(const std::string& keys_dir);
  ~KeyStore();

  // The key of each requested stream, in order, creating the missing ones durably.
  Result<std::vector<std::shared_ptr<const ChildKey>>> EnsureKeys(
      std::span<const KeyRequest> requests);
  // The key with this id, or nullptr (never created, or erased). Reads what another
  // process has added or erased since the last look.
  std::shared_ptr<const ChildKey> Find(const KeyId& id);
  // True if the key with this id was destroyed (EraseChild), as of the last look at
  // DIR/keys/erased: Find's, or RefreshErased's. (Find looks at every call, so no destroyed
  // key is ever used; this one does not, so that a reader marking many fields looks once.)
  bool IsErased(const KeyId& id);
  // Reads the tombstones added since the last look. A damaged file keeps what was read.
  void RefreshErased();

  // The streams whose keys belong to `child_ref`, live or already erased.
  struct ChildStreams {
    std::vector<std::string> live, erased;
  };
  Result<ChildStreams> StreamsOfChild(std::string_view child_ref);
  // The same for every child.
  Result<ChildStreams> AllStreams();
  // Destroys every live key of `child_ref` (see above). Writable stores only.
  Status EraseChild(std::string_view child_ref);
  // Records as destroyed a key this store never held (a restored key backup older than
  // the key, and than its erasure): its fields read erased, and its stream gets no new
  // key. Nothing if it is recorded already. Writable stores only.
  Status RecordErased(const KeyId& id, std::string_view stream, std::string_view child_ref);

  // Seals every live key again under `new_master` and makes it the store's master key
  // (writable stores only). DIR/keys.new is written whole (check, journal, erased) and
  // fsync'd, then swapped in by two renames (keys -> keys.old, keys.new -> keys); the old
  // journal is overwritten with zeros and keys.old removed. A crash before the swap
  // leaves the old store whole (the old master key opens it); after the first rename,
  // the new one (the new key opens it): Open finishes either. The key in use is refused.
  Status Rotate(const MasterKey& new_master);

 private:
  KeyStore() = default;
  Status ReadNewRecords();     // mutex_ held
  Status ReadNewTombstones();  // mutex_ held
  // Appends framed tombstone `records` to DIR/keys/erased durably, then reads them back
  // into the maps (mutex_ held, writable).
  Status AppendTombstones(const std::string& records);
  Result<ChildStreams> Streams(const std::function<bool(const std::string&)>& of_child);
  // Rewrites the journal without the records of erased keys (mutex_ held, writable).
  Status RewriteJournal();
  Result<std::shared_ptr<const ChildKey>> Decode(std::string_view body, uint64_t offset) const;
  // A journal record's body for `key` sealed under `master`.
  std::string RecordBody(const ChildKey& key, const std::array<uint8_t, 32>& master) const;

  std::string dir_;
  std::array<uint8_t, 32> master_{};
  log::LedgerId ledger_id_{};
  bool writable_ = false;
  int fd_ = -1;            // the journal
  uint64_t read_end_ = 0;  // bytes of the journal read so far
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const ChildKey>> by_stream_;
  std::unordered_map<std::string, std::shared_ptr<const ChildKey>> by_id_;  // id bytes as key

  struct Tombstone {
    std::string stream, child_ref;
  };
  std::unordered_map<std::string, Tombstone> erased_;  // by id bytes
  std::unordered_set<std::string> erased_streams_;
  uint64_t erased_read_end_ = 0;       // bytes of DIR/keys/erased read so far
  bool journal_holds_erased_ = false;  // a record of an erased key is still in the journal
};

}  // namespace caseledger::seal
