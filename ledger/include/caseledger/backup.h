// Online backups of a ledger directory, and their restore (`caseledger backup`, `caseledger
// restore`). Format and what is copied: docs/format.md, "Backups".
//
//   auto taken = caseledger::Backup("/srv/ledger", "/backups/2026-03-01", {});
//   // ... appends go on meanwhile, in the writer's own process ...
//   auto restored = caseledger::Restore("/backups/2026-03-01", "/srv/ledger-restored", {});
//   // restored->tree.root == taken->tree.root, and the restored ledger verifies.
//
// A backup is consistent with positions 1..N, N being the committed position when it
// starts: the log up to the end of position N's frame (nothing the writer commits later),
// DIR/meta and the child keys the events need. DIR/index and DIR/views are derived and are
// not copied; Restore rebuilds the index from the log.
#pragma once

#include <cstdint>
#include <string>

#include "caseledger/ledger.h"
#include "caseledger/status.h"
#include "caseledger/tree_head.h"

namespace caseledger {
inline namespace v1 {

// The manifest DEST/BACKUP, written last: its presence marks a complete backup.
struct BackupManifest {
  std::string ledger_id;  // 32 hex digits
  uint64_t events = 0;    // the backup holds positions 1..events
  Hash256 root{};         // the Merkle root over them
  std::string taken_at;   // RFC 3339, UTC
};

struct BackupSummary {
  uint64_t events = 0;  // positions 1..events
  TreeHead tree;        // the ledger's tree over them
  uint64_t bytes = 0;   // bytes written under DEST (segment zeros included)
  uint32_t segments = 0;
};

struct RestoreSummary {
  uint64_t events = 0;
  TreeHead tree;  // recomputed from the restored log; equal to the manifest's
  std::string ledger_id;
};

// Backs up the ledger in `dir` to `dest`, which must not exist or be an empty directory
// (kAlreadyExists otherwise; nothing is written). Opens `dir` read-only, so it runs beside
// a writer in another process (or in this one) while appends go on. Every file is
// fsync'd; DEST/BACKUP is written last. A failed backup removes what it wrote.
Result<BackupSummary> Backup(const std::string& dir, const std::string& dest,
                             const LedgerOptions& options);

// Reads `backup`/BACKUP; kNotFound ("incomplete or not a backup") when it is missing,
// kCorruption when it is malformed.
Result<BackupManifest> ReadBackupManifest(const std::string& backup);

// Restores the backup in `backup` to `dir2`, which must not exist or be an empty directory.
// The copy is made in a temporary directory beside `dir2`, its index rebuilt from the log
// (Ledger::Reindex with `options`), then checked: its committed position and tree root must
// be the manifest's and Verify must find no problem. Only then is it renamed to `dir2`; on
// any failure the temporary directory is removed and the error names what disagreed.
// A case-event ledger restores without the master key too (sealed fields stay sealed until
// it is opened with the key).
Result<RestoreSummary> Restore(const std::string& backup, const std::string& dir2,
                               const LedgerOptions& options);

}  // namespace v1
}  // namespace caseledger
