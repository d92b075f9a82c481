// Audit archives: the log of a ledger and its signed checkpoints in one self-contained file
// (`caseledger export`), and their verification offline, with no ledger directory, trusting
// only a public key and the checkpoints the auditor holds (`caseledger verify --archive`).
// Format: docs/format.md, "Archives".
//
//   auto written = caseledger::WriteArchive(*ledger, dir, "ledger.clarc");
//   ...
//   auto key = caseledger::ReadPublicKeyFile("signing.key.pub");
//   auto held = caseledger::ReadCheckpointFile("held.json");
//   auto checked = caseledger::VerifyArchive("ledger.clarc", *key, {{"held.json", *held}});
//   if (checked.ok() && !checked->ok()) std::cerr << checked->breaks.front();
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "caseledger/checkpoint.h"
#include "caseledger/event.h"
#include "caseledger/status.h"
#include "caseledger/tree_head.h"

namespace caseledger {
inline namespace v1 {

class Ledger;

struct ArchiveSummary {
  uint64_t events = 0;  // positions 1..events
  uint64_t bytes = 0;   // the archive file's size
  TreeHead tree;        // the ledger's tree over those events
  // The checkpoints of DIR/meta/checkpoints carried (those of this ledger covering at most
  // `events`), and the largest tree size among them (0: none).
  size_t checkpoints = 0;
  uint64_t vouched = 0;
};

// Writes positions 1..`events` of `ledger` (0: its committed position), and every
// well-formed checkpoint of `ledger_dir`/meta/checkpoints of this ledger that covers no
// more than that, to a new file `path` (kAlreadyExists if it exists; a failed export
// removes what it wrote). The file is fsync'd before this returns. Never carries keys/.
Result<ArchiveSummary> WriteArchive(Ledger& ledger, const std::string& ledger_dir,
                                    const std::string& path, uint64_t events = 0);

struct ArchiveCheckpointResult {
  std::string source;                    // "archive checkpoint 3" or the held checkpoint's source
  std::optional<Checkpoint> checkpoint;  // unset when its line does not parse
  bool held = false;                     // given by the auditor, not in the archive
  bool ok = false;
  std::string detail;  // why not, or what it vouches for
};

struct ArchiveVerification {
  LedgerIdBytes ledger_id{};
  uint64_t declared_events = 0;  // what the archive's header says it holds
  uint64_t events = 0;           // records read whole and in order
  uint64_t record_bytes = 0;
  double seconds = 0;
  TreeHead tree;  // recomputed over the `events` records read
  // The archive's own checkpoints (in file order), then the held ones (in the order given).
  std::vector<ArchiveCheckpointResult> checkpoints;
  // The largest tree size a checkpoint that verified vouches for: positions 1..vouched
  // are exactly what was signed.
  uint64_t vouched = 0;
  // Where the evidence breaks first: somewhere in positions broken_from..broken_to (0:
  // nowhere). A record that is malformed or out of place (removed, inserted, reordered,
  // truncated) is named exactly. A record altered in place with its framing made
  // consistent is found by the first checkpoint whose root no longer matches: the break is
  // then after the largest checkpoint below it that still matches, and at or before it.
  // A held checkpoint beyond the archive's end breaks it just after its last event.
  Position broken_from = 0, broken_to = 0;
  // What broke, one finding per line: "position 42 (archive offset ...): ...".
  std::vector<std::string> breaks;
  // Every position is vouched for by a verified checkpoint, no checkpoint failed and no
  // evidence broke.
  bool ok() const;
};

// Reads and checks the archive at `path` against `trusted_key` (key rotations are followed
// through `held`, in order, then the archive's own checkpoints) and the checkpoints the
// auditor holds. Every record is checked (frame, checksum, envelope, dense positions,
// dense stream versions, recorded-at order, whole appends) and hashed; every checkpoint
// (the archive's and the held ones) must be signed by a trusted key, be of the archive's
// ledger, not lie beyond its end (rolled back) and have the root recomputed at its size.
// Findings are in the result; an error Status means the file is not a readable archive
// at all (missing, not an archive, a damaged header), named in the message.
Result<ArchiveVerification> VerifyArchive(
    const std::string& path, const PublicKey& trusted_key, std::span<const HeldCheckpoint> held,
    const std::function<void(uint64_t, uint64_t)>& progress = {});

}  // namespace v1
}  // namespace caseledger
