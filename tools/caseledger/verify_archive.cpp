#include "verify_archive.h"

#include <iomanip>
#include <iostream>

#include "caseledger/archive.h"
#include "command_support.h"

namespace caseledger::cli {

bool VerifyArchiveFile(const std::string& archive_file, const std::vector<std::string>& held_files,
                       const std::string& public_key_file) {
  const std::string name = "verify";
  auto key = ReadPublicKeyFile(public_key_file);
  if (!key.ok()) Fail(name, key.status());
  auto held = ReadHeldCheckpoints(held_files);
  if (!held.ok()) Fail(name, held.status());
  Progress progress("verifying");
  auto result = VerifyArchive(archive_file, *key, *held,
                              [&](uint64_t done, uint64_t total) { progress.Update(done, total); });
  progress.Finish();
  if (!result.ok()) Fail(name, result.status());
  const ArchiveVerification& r = *result;
  std::array<uint8_t, 16> id = r.ledger_id;
  std::cout << "archive: ledger " << BytesToHex(id) << ", " << WithThousands(r.events)
            << " events read";
  if (r.events != r.declared_events)
    std::cout << " (its header says " << WithThousands(r.declared_events) << ")";
  std::cout << ", tree root " << HashToHex(r.tree.root) << "\n";
  for (const ArchiveCheckpointResult& c : r.checkpoints)
    std::cout << "checkpoint " << (c.ok ? "OK" : "FAILED") << ": " << c.source << ": " << c.detail
              << "\n";
  for (const std::string& b : r.breaks) std::cout << "broken: " << b << "\n";
  if (r.broken_from != 0) {
    std::cout << "the evidence breaks first ";
    if (r.broken_from == r.broken_to)
      std::cout << "at position " << r.broken_from;
    else
      std::cout << "between positions " << r.broken_from << " and " << r.broken_to;
    std::cout << "\n";
  }
  if (r.vouched > 0) std::cout << "positions 1.." << r.vouched << " match a signed checkpoint\n";
  const bool ok = r.ok();
  if (ok) {
    std::cout << "OK: every event is vouched for by a signed checkpoint";
  } else {
    std::cout << "FAILED";
    if (r.broken_from == 0 && r.vouched < r.events)
      std::cout << ": positions " << r.vouched + 1 << ".." << r.events
                << " are vouched for by no checkpoint that verifies";
  }
  const double secs = std::max(r.seconds, 1e-9);
  std::cout << "\n"
            << std::fixed << std::setprecision(2) << r.seconds << " s, "
            << WithThousands(static_cast<uint64_t>(r.events / secs)) << " events/s, "
            << std::setprecision(1) << r.record_bytes / secs / 1e6 << " MB/s\n";
  return ok;
}

}  // namespace caseledger::cli
