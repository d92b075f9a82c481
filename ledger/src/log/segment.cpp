#include "log/segment.h"

#include <bit>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util/endian.h"

namespace caseledger::log {
namespace {
constexpr char kSegmentMagic[8] = {'C', 'L', 'S', 'E', 'G', 0, 0, 1};
}

std::vector<std::byte> EncodeSegmentHeader(uint32_t index, uint64_t segment_bytes,
                                           const LedgerId& ledger_id) {
  std::vector<std::byte> h(kSegmentHeaderBytes, std::byte{0});
  std::memcpy(h.data(), kSegmentMagic, 8);
  StoreLE32(h.data() + 8, kSegmentFormatVersion);
  StoreLE32(h.data() + 12, index);
  StoreLE64(h.data() + 16, segment_bytes);
  std::memcpy(h.data() + 24, ledger_id.data(), 16);
  StoreLE64(h.data() + 56, XXH3_64bits(h.data(), 56));
  return h;
}

std::string SegmentPath(const std::string& log_dir, uint32_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "/%08u.seg", index);
  return log_dir + name;
}

Result<std::shared_ptr<const MappedSegment>> MappedSegment::Open(const std::string& path,
                                                                 uint32_t index,
                                                                 uint64_t segment_bytes,
                                                                 const LedgerId& ledger_id) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("segment file " + path + " does not exist");
    return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Status::IOError("cannot stat " + path + ": " + std::strerror(err));
  }
  if (static_cast<uint64_t>(st.st_size) != segment_bytes) {
    ::close(fd);
    return Status::Corruption("segment file " + path + " is " + std::to_string(st.st_size) +
                              " bytes; this ledger's segments are " +
                              std::to_string(segment_bytes));
  }
  void* p = ::mmap(nullptr, segment_bytes, PROT_READ, MAP_SHARED, fd, 0);
  int err = errno;
  ::close(fd);  // the mapping keeps the file
  if (p == MAP_FAILED) return Status::IOError("cannot map " + path + ": " + std::strerror(err));
  std::shared_ptr<const MappedSegment> seg(
      new MappedSegment(path, static_cast<const std::byte*>(p), segment_bytes));
  const std::byte* h = seg->data();
  auto corrupt = [&](const std::string& why) {
    return Status::Corruption("segment file " + path + ": " + why);
  };
  if (std::memcmp(h, kSegmentMagic, 8) != 0) return corrupt("bad header magic");
  if (LoadLE64(h + 56) != XXH3_64bits(h, 56)) return corrupt("header checksum mismatch");
  if (LoadLE32(h + 8) != kSegmentFormatVersion)
    return corrupt("unsupported segment format version " + std::to_string(LoadLE32(h + 8)));
  if (LoadLE32(h + 12) != index)
    return corrupt("header says segment " + std::to_string(LoadLE32(h + 12)) + ", expected " +
                   std::to_string(index));
  if (LoadLE64(h + 16) != segment_bytes) return corrupt("header segment size disagrees with meta");
  if (std::memcmp(h + 24, ledger_id.data(), 16) != 0)
    return corrupt("belongs to another ledger (ledger id differs)");
  return seg;
}

MappedSegment::~MappedSegment() { ::munmap(const_cast<std::byte*>(data_), size_); }

size_t MappedSegment::MarkRandomRead(size_t offset, size_t length) const {
  size_t added = 0;
  for (size_t w = offset / kReadWindowBytes;
       w <= (offset + length - 1) / kReadWindowBytes && w / 64 < read_windows_.size(); ++w) {
    const uint64_t bit = uint64_t{1} << (w % 64);
    if (!(read_windows_[w / 64].fetch_or(bit) & bit)) ++added;
  }
  return added;
}

void MappedSegment::ReleaseRandomReads() const {
  for (size_t i = 0; i < read_windows_.size(); ++i) {
    uint64_t bits = read_windows_[i].exchange(0);
    for (; bits != 0; bits &= bits - 1) {
      const size_t w = i * 64 + static_cast<size_t>(std::countr_zero(bits));
      ReleasePages(w * kReadWindowBytes, kReadWindowBytes);
    }
  }
}

void MappedSegment::ReleasePages(size_t offset, size_t length) const {
  const size_t page = 4096;
  size_t begin = (offset + page - 1) / page * page;
  size_t end = std::min(size_, offset + length) / page * page;
  if (end > begin) ::madvise(const_cast<std::byte*>(data_) + begin, end - begin, MADV_DONTNEED);
}

}  // namespace caseledger::log
