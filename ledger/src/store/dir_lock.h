// DirLock: the writer lock of a ledger directory (DIR/run/writer.lock, flock(2)).
// Exactly one process at a time writes a ledger; readers never take this lock. The lock
// goes away with the process, so a crash never leaves it stale.
#pragma once

#include <memory>
#include <string>

#include "caseledger/status.h"

namespace caseledger::store {

class DirLock {
 public:
  // Takes the lock without waiting; kBusy names the holder's pid if another process has it.
  static Result<std::unique_ptr<DirLock>> Acquire(const std::string& run_dir);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace caseledger::store
