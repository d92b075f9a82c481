// The master key: 32 bytes that seal every child key in DIR/keys. It never lives in DIR;
// it comes from a file the operator keeps (--master-key-file or CASELEDGER_MASTER_KEY_FILE).
//
// File format: 64 hexadecimal digits (an optional trailing newline), mode 0600.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "caseledger/status.h"

namespace caseledger::seal {

struct MasterKey {
  std::array<uint8_t, 32> bytes{};
  ~MasterKey();  // wipes the bytes
};

// The file `path` names, or the one CASELEDGER_MASTER_KEY_FILE names when `path` is
// empty; "" when neither is given.
std::string MasterKeyPath(const std::string& path);

// Reads a master key file. Errors name the file and what is wrong with it.
Result<MasterKey> LoadMasterKey(const std::string& path);

// Writes a new random master key to `path` (mode 0600, never overwriting a file).
Result<MasterKey> CreateMasterKeyFile(const std::string& path);

}  // namespace caseledger::seal
