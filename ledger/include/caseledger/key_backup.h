// Backups of the child-key store alone (DIR/keys), and their restore into a ledger whose
// DIR/keys was lost or damaged: `caseledger keys backup`, `caseledger keys restore`.
// Layout: docs/format.md, "Backups" (its key-store backups paragraph); guarantees:
// docs/privacy.md, "Key-store backups".
//
//   LedgerOptions options;
//   options.master_key_file = "/etc/caseledger/master.key";
//   auto taken = caseledger::BackupKeys("/srv/ledger", "/backups/keys-2026-03-01", options);
//   // ... DIR/keys is lost; what is left of it is moved out of the ledger, then:
//   auto restored = caseledger::RestoreKeys("/backups/keys-2026-03-01", "/srv/ledger", options);
//   // restored->children_erased_again: erasures the log records that the backup predates;
//   // restored->streams_with_lost_key: cases opened after the backup (fields so far sealed).
//
// Both need the master key (options.master_key_file, else CASELEDGER_MASTER_KEY_FILE): a
// backup is proven to open with it before it is declared complete, and a restore checks
// that it opens the backup before anything is written. The master key itself is never in
// DIR or in a key backup.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caseledger/ledger.h"
#include "caseledger/status.h"

namespace caseledger {
inline namespace v1 {

// The manifest DEST/KEYS-BACKUP, written last: its presence marks a complete key backup.
struct KeyBackupManifest {
  std::string ledger_id;  // 32 hex digits: the ledger the keys belong to
  uint64_t keys = 0;      // live child keys in DEST/keys/journal
  uint64_t erased = 0;    // case streams whose keys were destroyed (DEST/keys/erased)
  std::string taken_at;   // RFC 3339, UTC: when DIR/keys was read
  struct File {
    std::string name;  // "keys/check", "keys/journal", "keys/erased"
    uint64_t bytes = 0;
    std::string sha256;  // 64 lowercase hex digits
  };
  std::vector<File> files;  // every file of DEST/keys, in the order above
};

struct KeyBackupSummary {
  uint64_t keys = 0;    // live child keys backed up
  uint64_t erased = 0;  // case streams whose keys were destroyed before the backup
  uint64_t bytes = 0;   // bytes written under DEST
  std::string taken_at;
};

struct KeyRestoreSummary {
  // Live child keys of the backup in DIR/keys after the restore (the new keys of
  // streams_with_lost_key not counted).
  uint64_t keys = 0;
  // Children whose keys the backup still held although the ledger's log records their
  // erasure (ErasureRequested): their keys were destroyed again before DIR/keys existed.
  std::vector<std::string> children_erased_again;
  // Case streams whose erasure the log records and whose key the backup never held (the
  // key was made after the backup was taken): a tombstone of that key (its id, from the
  // log) is recorded, so their fields read erased and no personal field can be added to
  // them.
  std::vector<std::string> streams_recorded_erased;
  // Case streams whose earlier fields stay sealed: their key was made after the backup was
  // taken and is lost, and the log records no erasure of them. Each got a new key naming
  // its child (from its CaseOpened), so personal fields added from now on open, and
  // `caseledger erase --child` finds and destroys it.
  std::vector<std::string> streams_with_lost_key;
  std::string taken_at;  // the backup's
};

// Copies DIR/keys (check, journal, then erased) into `dest`/keys and writes the manifest
// `dest`/KEYS-BACKUP last. `dest` must not exist or be an empty directory (kAlreadyExists
// otherwise; nothing is written). Reads DIR/keys only, so it runs beside a writer: the
// journal is read before `erased`, so an erasure made meanwhile is in the copy. The copy
// is then opened with the master key and made whole (a key record being written meanwhile
// is cut, records of keys erased meanwhile are removed), and every file is fsync'd. A
// wrong master key is refused before anything is written; a failed backup removes what
// it wrote.
Result<KeyBackupSummary> BackupKeys(const std::string& dir, const std::string& dest,
                                    const LedgerOptions& options);

// Reads `backup`/KEYS-BACKUP; kNotFound ("incomplete, or not a key backup") when it is
// missing, kCorruption when it is malformed.
Result<KeyBackupManifest> ReadKeyBackupManifest(const std::string& backup);

// Restores the key backup `backup` into the ledger `dir`, whose DIR/keys must be missing.
// Refused, with nothing written, when: DIR/keys exists (move it out of the way first); the
// backup has no manifest; it is of another ledger; a file of it is not what the manifest
// records (the error names the file); the master key does not open it; a writer holds
// the ledger (kBusy: stop it first). Otherwise the ledger is opened as its writer without
// a master key (LedgerOptions::without_master_key), which holds the writer lock until
// DIR/keys is in place and recovers the log's tail as the writer does; its log is read;
// the backup is copied to DIR/keys.restore and made to agree with the log there (every
// recorded erasure applied again, tombstones recorded for streams erased with keys the
// backup never held, new keys for the streams whose keys were lost: see the summary);
// and only then is it renamed to DIR/keys. A crash leaves either no DIR/keys (run it
// again: a stale DIR/keys.restore is overwritten with zeros and removed first) or a whole
// one.
Result<KeyRestoreSummary> RestoreKeys(const std::string& backup, const std::string& dir,
                                      const LedgerOptions& options);

}  // namespace v1
}  // namespace caseledger
