#include "util/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace caseledger::util {

Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open directory " + dir + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::IOError("cannot sync directory " + dir + ": " + std::strerror(err));
  return Status::Ok();
}

void ShredDir(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    std::error_code type_ec;
    if (!entry.is_regular_file(type_ec) || entry.is_symlink(type_ec)) continue;
    const int fd = ::open(entry.path().c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      const std::string zeros(static_cast<size_t>(st.st_size), '\0');
      if (::pwrite(fd, zeros.data(), zeros.size(), 0) == static_cast<ssize_t>(zeros.size()))
        (void)::fdatasync(fd);
    }
    ::close(fd);
  }
  std::filesystem::remove_all(dir, ec);
}

void SyncParentDir(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  (void)SyncDir(parent.empty() ? "." : parent.string());
}

NewFile::~NewFile() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
}

Status NewFile::Create(const std::string& path, mode_t mode) {
  path_ = path;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd_ < 0) {
    if (errno == EEXIST) return Status::AlreadyExists(path + " already exists; not overwritten");
    return Status::IOError("cannot create " + path + ": " + std::strerror(errno));
  }
  // The umask may only have removed bits; make the mode exactly what was asked.
  if (::fchmod(fd_, mode) != 0)
    return Status::IOError("cannot set the mode of " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

constexpr size_t kNewFileBufferBytes = 4u << 20;

Status NewFile::WriteOut(const std::byte* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd_, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError("cannot write " + path_ + ": " + std::strerror(errno));
    done += static_cast<size_t>(n);
    bytes_ += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status NewFile::Flush() {
  CASELEDGER_RETURN_IF_ERROR(WriteOut(buffer_.data(), buffer_.size()));
  buffer_.clear();
  return Status::Ok();
}

Result<std::byte*> NewFile::Extend(size_t size) {
  if (!buffer_.empty() && buffer_.size() + size > kNewFileBufferBytes)
    CASELEDGER_RETURN_IF_ERROR(Flush());
  const size_t at = buffer_.size();
  buffer_.resize(at + size);
  return buffer_.data() + at;
}

Status NewFile::Write(const void* data, size_t size) {
  if (size == 0) return Status::Ok();  // an empty string's data() may be null: memcpy's is not
  if (size >= kNewFileBufferBytes) {   // a large block goes out as it is, not through a copy
    CASELEDGER_RETURN_IF_ERROR(Flush());
    return WriteOut(static_cast<const std::byte*>(data), size);
  }
  CASELEDGER_ASSIGN_OR_RETURN(std::byte * to, Extend(size));
  std::memcpy(to, data, size);
  return Status::Ok();
}

Status NewFile::WriteZeros(uint64_t count) {
  constexpr size_t kChunk = 1u << 20;
  while (count > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(count, kChunk));
    CASELEDGER_ASSIGN_OR_RETURN(std::byte * to, Extend(n));
    std::memset(to, 0, n);
    count -= n;
  }
  return Status::Ok();
}

Result<uint64_t> NewFile::Finish() {
  CASELEDGER_RETURN_IF_ERROR(Flush());
  if (::fsync(fd_) != 0)
    return Status::IOError("cannot sync " + path_ + ": " + std::strerror(errno));
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(path_.c_str());
    return Status::IOError("cannot close " + path_ + ": " + std::strerror(err));
  }
  return bytes_;
}

Status WriteNewFile(const std::string& path, std::string_view bytes, mode_t mode) {
  NewFile file;
  CASELEDGER_RETURN_IF_ERROR(file.Create(path, mode));
  CASELEDGER_RETURN_IF_ERROR(file.Write(bytes.data(), bytes.size()));
  CASELEDGER_RETURN_IF_ERROR(file.Finish().status());
  SyncParentDir(path);
  return Status::Ok();
}

Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes, mode_t* mode) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::IOError("cannot stat " + path + ": " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(path + " is not a regular file");
  }
  if (mode) *mode = st.st_mode;
  std::string out;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return Status::IOError("cannot read " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      ::close(fd);
      return Status::InvalidArgument(path + " is larger than " + std::to_string(max_bytes) +
                                     " bytes: not a file of the expected kind");
    }
  }
  ::close(fd);
  return out;
}

}  // namespace caseledger::util
