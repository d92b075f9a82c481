// FaultInjectionFileSystem: the segment log's file layer with a power switch and a full
// disk. Writes go through to the real files (readers map them), but every write not yet
// covered by a DataSync of its file is remembered with the bytes it replaced, so that
// CutPower() can put the files back the way a power cut would leave them: synced data
// stays, unsynced data is lost, or, with `torn`, lost in some 512-byte sectors only.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "caseledger/file_system.h"

namespace caseledger::testing {

class FaultInjectionFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path, bool create) override;
  Status RenameDurably(const std::string& from, const std::string& to) override;

  // From now on every write and sync fails with IOError ("power is off").
  void PowerOff();
  // Undoes every write that no DataSync covered (see the class comment), then powers on.
  // With `torn`, each unsynced 512-byte sector is independently kept or undone.
  void CutPower(std::mt19937_64& rng, bool torn);
  // Writes fail with "No space left on device" once `bytes` more have been written
  // (counting from now); syncs still succeed. A negative value disables the limit.
  void FailWritesAfter(int64_t bytes);
  // Syncs fail with an I/O error from now on (the data's fate is unknown).
  void FailSyncs();

  uint64_t syncs() const;  // successful DataSync calls so far

 private:
  friend class FaultInjectionFile;
  struct UnsyncedWrite {
    uint64_t offset;
    std::vector<std::byte> before;  // the bytes the write replaced
  };
  Status BeforeWrite(const std::string& path, uint64_t offset, size_t size);
  Status Sync(const std::string& path);

  mutable std::mutex mutex_;
  bool off_ = false;
  bool fail_syncs_ = false;
  int64_t write_budget_ = -1;
  uint64_t syncs_ = 0;
  std::map<std::string, std::vector<UnsyncedWrite>> unsynced_;  // by path
};

}  // namespace caseledger::testing
