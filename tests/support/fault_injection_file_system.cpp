#include "fault_injection_file_system.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace caseledger::testing {

class FaultInjectionFile final : public WritableFile {
 public:
  FaultInjectionFile(FaultInjectionFileSystem& fs, std::string path, std::unique_ptr<WritableFile> real)
      : fs_(fs), path_(std::move(path)), real_(std::move(real)) {}

  Status Write(uint64_t offset, std::span<const std::byte> data) override {
    CASELEDGER_RETURN_IF_ERROR(fs_.BeforeWrite(path_, offset, data.size()));
    return real_->Write(offset, data);
  }
  Status DataSync() override {
    CASELEDGER_RETURN_IF_ERROR(real_->DataSync());
    return fs_.Sync(path_);
  }

 private:
  FaultInjectionFileSystem& fs_;
  std::string path_;
  std::unique_ptr<WritableFile> real_;
};

Result<std::unique_ptr<WritableFile>> FaultInjectionFileSystem::OpenForWrite(const std::string& path,
                                                                             bool create) {
  {
    std::lock_guard lock(mutex_);
    if (off_) return Status::IOError("cannot open " + path + ": power is off");
  }
  CASELEDGER_ASSIGN_OR_RETURN(auto real, PosixFileSystem()->OpenForWrite(path, create));
  return std::unique_ptr<WritableFile>(new FaultInjectionFile(*this, path, std::move(real)));
}

Status FaultInjectionFileSystem::RenameDurably(const std::string& from, const std::string& to) {
  {
    std::lock_guard lock(mutex_);
    if (off_) return Status::IOError("cannot rename " + from + ": power is off");
    if (unsynced_.count(from)) unsynced_[to] = std::move(unsynced_[from]);
    unsynced_.erase(from);
  }
  return PosixFileSystem()->RenameDurably(from, to);
}

Status FaultInjectionFileSystem::BeforeWrite(const std::string& path, uint64_t offset, size_t size) {
  std::lock_guard lock(mutex_);
  if (off_) return Status::IOError("cannot write " + path + ": power is off");
  if (write_budget_ >= 0) {
    if (static_cast<int64_t>(size) > write_budget_)
      return Status::IOError("cannot write " + path + ": No space left on device");
    write_budget_ -= static_cast<int64_t>(size);
  }
  UnsyncedWrite w{offset, std::vector<std::byte>(size)};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = ::pread(fd, w.before.data(), size, static_cast<off_t>(offset));
    ::close(fd);
    if (n < static_cast<ssize_t>(size) && n >= 0) std::memset(w.before.data() + n, 0, size - size_t(n));
  }
  unsynced_[path].push_back(std::move(w));
  return Status::Ok();
}

Status FaultInjectionFileSystem::Sync(const std::string& path) {
  std::lock_guard lock(mutex_);
  if (off_) return Status::IOError("cannot fdatasync " + path + ": power is off");
  if (fail_syncs_) return Status::IOError("cannot fdatasync " + path + ": Input/output error");
  unsynced_.erase(path);
  ++syncs_;
  return Status::Ok();
}

void FaultInjectionFileSystem::PowerOff() {
  std::lock_guard lock(mutex_);
  off_ = true;
}

void FaultInjectionFileSystem::CutPower(std::mt19937_64& rng, bool torn) {
  std::lock_guard lock(mutex_);
  for (auto& [path, writes] : unsynced_) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) continue;  // e.g. a preallocation that never got renamed
    for (auto it = writes.rbegin(); it != writes.rend(); ++it) {
      constexpr size_t kSector = 512;
      for (size_t at = 0; at < it->before.size(); at += kSector) {
        size_t n = std::min(kSector, it->before.size() - at);
        if (torn && (rng() & 1)) continue;  // this sector reached the disk
        ssize_t written = ::pwrite(fd, it->before.data() + at, n, static_cast<off_t>(it->offset + at));
        (void)written;
      }
    }
    ::fsync(fd);
    ::close(fd);
  }
  unsynced_.clear();
  off_ = false;
  fail_syncs_ = false;
  write_budget_ = -1;
}

void FaultInjectionFileSystem::FailWritesAfter(int64_t bytes) {
  std::lock_guard lock(mutex_);
  write_budget_ = bytes;
}

void FaultInjectionFileSystem::FailSyncs() {
  std::lock_guard lock(mutex_);
  fail_syncs_ = true;
}

uint64_t FaultInjectionFileSystem::syncs() const {
  std::lock_guard lock(mutex_);
  return syncs_;
}

}  // namespace caseledger::testing
