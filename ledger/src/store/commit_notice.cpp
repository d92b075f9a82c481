#include "store/commit_notice.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>

namespace caseledger::store {
namespace {

constexpr size_t kBytes = 16;

void Encode(Position position, unsigned char out[kBytes]) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(position >> (8 * i));
  const uint64_t check = XXH3_64bits(out, 8);
  for (int i = 0; i < 8; ++i) out[8 + i] = static_cast<unsigned char>(check >> (8 * i));
}

}  // namespace

Result<std::unique_ptr<CommitNotice>> CommitNotice::OpenForWriter(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  return std::unique_ptr<CommitNotice>(new CommitNotice(fd));
}

CommitNotice::~CommitNotice() { ::close(fd_); }

void CommitNotice::Announce(Position position) {
  unsigned char bytes[kBytes];
  Encode(position, bytes);
  (void)::pwrite(fd_, bytes, kBytes, 0);
}

Position CommitNotice::Read(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  unsigned char bytes[kBytes];
  const ssize_t n = ::pread(fd, bytes, kBytes, 0);
  ::close(fd);
  if (n != static_cast<ssize_t>(kBytes)) return 0;
  Position position = 0;
  for (int i = 7; i >= 0; --i) position = (position << 8) | bytes[i];
  unsigned char expected[kBytes];
  Encode(position, expected);
  return std::memcmp(bytes, expected, kBytes) == 0 ? position : 0;
}

}  // namespace caseledger::store
