// Signing a checkpoint of a ledger and storing it: `caseledger checkpoint --key` and
// `caseledger export --key`.
#pragma once

#include <string>

#include "caseledger/checkpoint.h"
#include "caseledger/ledger.h"

namespace caseledger::cli {

// Signs `ledger`'s current tree head with the private key in `key_file` (announcing the
// public key in `next_file` when not empty) and appends it durably to DIR/meta/checkpoints.
// Refuses a key kept inside a ledger directory, and a ledger that no longer agrees with
// its last well-signed stored checkpoint (altered or rolled back). Fails the command with
// the reason; prints nothing on success.
Checkpoint SignAndStoreCheckpoint(const std::string& command, const std::string& dir,
                                  Ledger& ledger, const std::string& key_file,
                                  const std::string& next_file);

}  // namespace caseledger::cli
