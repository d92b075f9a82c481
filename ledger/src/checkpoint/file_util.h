// Small-file helpers of the checkpoint module: key files and checkpoint files.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "caseledger/status.h"

namespace caseledger::checkpoint {

// Creates `path` with O_EXCL and `mode`, writes `bytes`, fsyncs it and its directory.
// kAlreadyExists if it exists (nothing is touched); on a failed write the new file is
// removed.
Status WriteNewFile(const std::string& path, std::string_view bytes, mode_t mode);

// Reads a small file (at most `max_bytes`; larger is kInvalidArgument). When `mode` is
// given it receives the file's st_mode (from the descriptor that was read).
Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes,
                                  mode_t* mode = nullptr);

// fsyncs the directory holding `path` (best effort).
void SyncParentDir(const std::string& path);

}  // namespace caseledger::checkpoint
