// PosixFileSystem: pwrite(2) and fdatasync(2) on real files.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "caseledger/file_system.h"

namespace caseledger {
inline namespace v1 {
namespace {

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  return Status::IOError(what + " " + path + ": " + std::strerror(err));
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override { ::close(fd_); }

  Status Write(uint64_t offset, std::span<const std::byte> data) override {
    while (!data.empty()) {
      ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("cannot write", path_, errno);
      }
      if (n == 0) return Status::IOError("cannot write " + path_ + ": no progress");
      data = data.subspan(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }

  Status DataSync() override {
    if (::fdatasync(fd_) != 0) return ErrnoStatus("cannot fdatasync", path_, errno);
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_;
};

class PosixFileSystemImpl final : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path,
                                                     bool create) override {
    int flags = O_WRONLY | O_CLOEXEC | (create ? O_CREAT : 0);
    int fd = ::open(path.c_str(), flags, 0640);
    if (fd < 0) return ErrnoStatus("cannot open", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }

  Status RenameDurably(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0)
      return ErrnoStatus("cannot rename " + from + " to", to, errno);
    std::string dir = std::filesystem::path(to).parent_path().string();
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("cannot open directory", dir, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return ErrnoStatus("cannot fsync directory", dir, err);
    return Status::Ok();
  }
};

}  // namespace

std::shared_ptr<FileSystem> PosixFileSystem() {
  static const std::shared_ptr<FileSystem> instance = std::make_shared<PosixFileSystemImpl>();
  return instance;
}

}  // namespace v1
}  // namespace caseledger
