// Offline verification of a stand-alone proof file (`caseledger verify --proof`).
#pragma once

#include <string>
#include <vector>

#include "caseledger/status.h"

namespace caseledger::cli {

// Checks `proof_file` (caseledger/proof.h's JSON) against the held checkpoints, each
// verified against the public key in `public_key_file`: an inclusion proof must be for the
// first checkpoint's tree; a consistency proof must start at the first checkpoint's tree
// and, given a second, end at it. Prints what was proven; an error says what failed.
Status VerifyProofFile(const std::string& proof_file,
                       const std::vector<std::string>& checkpoint_files,
                       const std::string& public_key_file);

}  // namespace caseledger::cli
