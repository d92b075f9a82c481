// Whole-file helpers of the engine's side files (key files, checkpoints, archives, backups):
// new files written in order and made durable, small files read whole, directory syncs.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "caseledger/status.h"

namespace caseledger::util {

// A file created new (O_EXCL, exactly `mode`), written in order through a 4 MiB buffer and
// made durable by Finish (flush, fsync, close). Removed if destroyed before Finish
// succeeded, so a failed writer leaves nothing. Syncing the directory that holds it is the
// caller's (SyncDir / SyncParentDir), as one sync may cover many files.
class NewFile {
 public:
  NewFile() = default;
  NewFile(const NewFile&) = delete;
  NewFile& operator=(const NewFile&) = delete;
  ~NewFile();

  // kAlreadyExists if `path` exists (nothing is touched); kIOError otherwise.
  Status Create(const std::string& path, mode_t mode);
  Status Write(const void* data, size_t size);
  Status WriteZeros(uint64_t count);
  // `size` bytes at the end of the buffer for the caller to fill in place (valid until the
  // next call); writes the buffer out first when it is full.
  Result<std::byte*> Extend(size_t size);
  // Flushes, fsyncs and closes; the file then stays. Returns the bytes written.
  Result<uint64_t> Finish();

 private:
  Status WriteOut(const std::byte* data, size_t size);
  Status Flush();
  std::string path_;
  int fd_ = -1;
  std::vector<std::byte> buffer_;
  uint64_t bytes_ = 0;
};

// Creates `path` with O_EXCL and `mode`, writes `bytes`, fsyncs it and its directory.
// kAlreadyExists if it exists (nothing is touched); on a failed write the new file is
// removed.
Status WriteNewFile(const std::string& path, std::string_view bytes, mode_t mode);

// Reads a regular file whole (at most `max_bytes`; larger is kInvalidArgument). When `mode`
// is given it receives the file's st_mode (from the descriptor that was read).
Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes,
                                  mode_t* mode = nullptr);

// fsyncs the directory `dir`.
Status SyncDir(const std::string& dir);
// Overwrites every regular file under `dir` with zeros (fdatasync'd), then removes `dir`
// and everything in it; best effort. For what held child keys: a removed file's blocks
// would otherwise keep them until the file system reuses them.
void ShredDir(const std::string& dir);
// fsyncs the directory holding `path` (best effort).
void SyncParentDir(const std::string& path);

}  // namespace caseledger::util
