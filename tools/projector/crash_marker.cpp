#include "crash_marker.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <utility>

namespace caseledger::projector {

Result<CrashMarker> CrashMarker::Open(const std::string& path, std::optional<Entry>& left_over) {
  left_over.reset();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  CrashMarker marker(fd);
  char buffer[512];
  const ssize_t n = ::pread(fd, buffer, sizeof(buffer), 0);
  if (n > 0) {
    std::istringstream in(std::string(buffer, static_cast<size_t>(n)));
    Entry entry;
    if (in >> entry.plugin >> entry.position) left_over = entry;
  }
  marker.Leave();
  return marker;
}

CrashMarker::CrashMarker(CrashMarker&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

CrashMarker::~CrashMarker() {
  if (fd_ >= 0) ::close(fd_);
}

void CrashMarker::Enter(const std::string& plugin, uint64_t position) {
  const std::string line = plugin + " " + std::to_string(position) + "\n";
  // Best effort: a marker that cannot be written only loses the crash attribution.
  if (::pwrite(fd_, line.data(), line.size(), 0) == static_cast<ssize_t>(line.size()))
    (void)::ftruncate(fd_, static_cast<off_t>(line.size()));
}

void CrashMarker::Leave() { (void)::ftruncate(fd_, 0); }

}  // namespace caseledger::projector
