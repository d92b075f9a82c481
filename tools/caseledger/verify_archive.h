// Offline verification of an audit archive (`caseledger verify --archive`).
#pragma once

#include <string>
#include <vector>

namespace caseledger::cli {

// Checks the archive against the public key in `public_key_file` and the checkpoints in
// `held_files`; prints each checkpoint's verdict and the outcome. Returns true when every
// event is vouched for by a verified checkpoint and nothing failed; fails the command
// (exit 1) with the reason when the files cannot be read at all.
bool VerifyArchiveFile(const std::string& archive_file, const std::vector<std::string>& held_files,
                       const std::string& public_key_file);

}  // namespace caseledger::cli
