#include "checkpoint_signing.h"

#include <iostream>

#include "command_support.h"

namespace caseledger::cli {

Checkpoint SignAndStoreCheckpoint(const std::string& command, const std::string& dir,
                                  Ledger& ledger, const std::string& key_file,
                                  const std::string& next_file) {
  std::optional<PublicKey> next;
  if (!next_file.empty()) {
    auto parsed = ReadPublicKeyFile(next_file);
    if (!parsed.ok()) Fail(command, parsed.status());
    next = *parsed;
  }
  std::string note;
  auto cp = caseledger::SignAndStoreCheckpoint(dir, ledger, key_file, next, &note);
  if (!cp.ok()) Fail(command, cp.status());
  if (!note.empty()) std::cerr << "caseledger " << command << ": " << note << "\n";
  return *cp;
}

}  // namespace caseledger::cli
