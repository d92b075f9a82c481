// The file layer under the segment log: the seam where tests inject power cuts and full
// disks. Production uses PosixFileSystem(). Reads go through mmap and bypass this layer;
// an implementation must therefore write through to the real file.
//
//   auto fs = caseledger::PosixFileSystem();
//   auto file = fs->OpenForWrite("/ledger/log/00000001.seg");
//   CASELEDGER_RETURN_IF_ERROR((*file)->Write(offset, bytes));
//   CASELEDGER_RETURN_IF_ERROR((*file)->DataSync());
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "caseledger/status.h"

namespace caseledger {
inline namespace v1 {

// A file the log writes at explicit offsets. Not thread-safe; one writer at a time.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Writes all of `data` at `offset`, or returns IOError naming the file. Data is durable
  // only after a later DataSync() returns OK.
  virtual Status Write(uint64_t offset, std::span<const std::byte> data) = 0;
  // fdatasync(2). After a failure the file's durable contents are unknown: callers must
  // stop writing and never retry a sync as if it had succeeded.
  virtual Status DataSync() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Opens `path` for writing, creating it (mode 0640) if `create`.
  virtual Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path,
                                                             bool create) = 0;
  // Atomically renames `from` to `to` and syncs the directory that holds them, so that
  // the rename survives a power cut.
  virtual Status RenameDurably(const std::string& from, const std::string& to) = 0;
};

// The operating system's files. Thread-safe; shared by every ledger that uses it.
std::shared_ptr<FileSystem> PosixFileSystem();

}  // namespace v1
}  // namespace caseledger
