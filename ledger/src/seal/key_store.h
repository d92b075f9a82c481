// The child-key store, DIR/keys: one random 32-byte key per case stream (so per child),
// each sealed under the master key. Personal fields are sealed under these keys; destroying
// one erases that child's personal data without changing a byte of the log.
//
//   DIR/keys/check    written once by Create: proves that a master key is the right one
//   DIR/keys/journal  append-only records, one per key (docs/format.md "Key store")
//
// Guarantees: EnsureKeys returns only after every new key is fsync'd, so no event is ever
// written under a key that a crash could lose. A torn final record (a crash mid-write)
// is dropped on open: no event can use it, since its fsync never returned. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
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
  ~KeyStore();

  // The key of each requested stream, in order, creating the missing ones durably.
  Result<std::vector<std::shared_ptr<const ChildKey>>> EnsureKeys(
      std::span<const KeyRequest> requests);
  // The key with this id, or nullptr (never created, or erased). Reads what another
  // process has added since the last look before giving up.
  std::shared_ptr<const ChildKey> Find(const KeyId& id);

 private:
  KeyStore() = default;
  Status ReadNewRecords();  // mutex_ held
  Result<std::shared_ptr<const ChildKey>> Decode(std::string_view body, uint64_t offset) const;

  std::string dir_;
  std::array<uint8_t, 32> master_{};
  log::LedgerId ledger_id_{};
  bool writable_ = false;
  int fd_ = -1;            // the journal
  uint64_t read_end_ = 0;  // bytes of the journal read so far
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const ChildKey>> by_stream_;
  std::unordered_map<std::string, std::shared_ptr<const ChildKey>> by_id_;  // id bytes as key
};

}  // namespace caseledger::seal
