// One segment file of the log: its 64-byte header and a read-only mapping of the file.
//
// Segment header (docs/format.md, "Segment"), little-endian:
//   0   8   magic "CLSEG\0\0\1"
//   8   4   format version (1)
//   12  4   segment index (0, 1, 2, ... matching the file name NNNNNNNN.seg)
//   16  8   segment size in bytes (the whole file, header included)
//   24  16  ledger id
//   40  16  zero
//   56  8   XXH3-64 of bytes 0..55
// Frames follow from offset 64; the file is zero-filled to its full size when created.
#pragma once

#include <atomic>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "caseledger/status.h"

namespace caseledger::log {

inline constexpr size_t kSegmentHeaderBytes = 64;
inline constexpr uint32_t kSegmentFormatVersion = 1;
using LedgerId = std::array<uint8_t, 16>;

// Where a frame starts: which segment, and the byte offset within it.
struct Location {
  uint32_t segment = 0;
  uint32_t offset = kSegmentHeaderBytes;
  uint64_t Pack() const { return (uint64_t{segment} << 32) | offset; }
  static Location Unpack(uint64_t packed) {
    return {static_cast<uint32_t>(packed >> 32), static_cast<uint32_t>(packed)};
  }
  auto operator<=>(const Location&) const = default;
};

std::vector<std::byte> EncodeSegmentHeader(uint32_t index, uint64_t segment_bytes,
                                           const LedgerId& ledger_id);

// "DIR/log/00000012.seg"
std::string SegmentPath(const std::string& log_dir, uint32_t index);

// A whole segment file mapped read-only. The mapping is shared with the page cache, so a
// frame written by the writer (in this process or another) is visible once written.
class MappedSegment {
 public:
  // Maps `path` after checking its size and header (magic, version, index, ledger id).
  // Corruption names the file and what is wrong; NotFound if it does not exist.
  static Result<std::shared_ptr<const MappedSegment>> Open(const std::string& path, uint32_t index,
                                                           uint64_t segment_bytes,
                                                           const LedgerId& ledger_id);
  ~MappedSegment();
  MappedSegment(const MappedSegment&) = delete;
  MappedSegment& operator=(const MappedSegment&) = delete;

  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Releases the mapping's pages in [offset, offset + length) from this process's resident
  // set (the page cache keeps them). Used behind long sequential scans.
  void ReleasePages(size_t offset, size_t length) const;

  // A fault maps more than the page read: the 64 KiB around it (fault-around), or a whole
  // 2 MiB folio of the page cache. MarkRandomRead notes the 2 MiB windows a random read of
  // [offset, offset + length) lies in and returns how many were not noted yet;
  // ReleaseRandomReads releases the windows noted.
  static constexpr size_t kReadWindowBytes = 2 << 20;
  size_t MarkRandomRead(size_t offset, size_t length) const;
  void ReleaseRandomReads() const;

 private:
  MappedSegment(std::string path, const std::byte* data, size_t size)
      : path_(std::move(path)),
        data_(data),
        size_(size),
        read_windows_(size / kReadWindowBytes / 64 + 1) {}
  std::string path_;
  const std::byte* data_;
  size_t size_;
  mutable std::vector<std::atomic<uint64_t>> read_windows_;  // one bit per window
};

}  // namespace caseledger::log
