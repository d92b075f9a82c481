// Record framing in a segment file (docs/format.md, "Frame"):
//
//   offset  size  field
//   0       4     length    little-endian u32: bytes of the record, > 0, a multiple of 8
//   4       4     magic     little-endian u32 kFrameMagic ("CLRF")
//   8       8     checksum  little-endian u64: XXH3-64 of the record, seeded with length
//   16      n     record    the envelope, an unpacked single-segment Cap'n Proto message
//   16+n    4     length    again, so that a reader can walk backwards
//   20+n    4     magic     again
//
// Every frame is a multiple of 8 bytes, so records stay word-aligned for Cap'n Proto.
// A header of eight zero bytes marks the end of the written part of a segment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace caseledger::log {

inline constexpr size_t kFrameHeaderBytes = 16;
inline constexpr size_t kFrameTrailerBytes = 8;
inline constexpr size_t kFrameOverheadBytes = kFrameHeaderBytes + kFrameTrailerBytes;
inline constexpr uint32_t kFrameMagic = 0x46524c43;  // "CLRF" in little-endian

inline size_t FramedSize(size_t record_bytes) { return record_bytes + kFrameOverheadBytes; }

// Writes the frame of `record` (length a multiple of 8) to `out`, which has room for
// FramedSize(record.size()) bytes.
void EncodeFrame(std::span<const std::byte> record, std::byte* out);

struct FrameParse {
  enum class Outcome {
    kRecord,    // a whole, checksummed frame: `record` and `framed_size` are set
    kEnd,       // zero header: nothing was written here
    kBadFrame,  // header or trailer malformed, or the frame runs past the segment
    kBadChecksum,
  };
  Outcome outcome = Outcome::kEnd;
  std::span<const std::byte> record;
  size_t framed_size = 0;
  std::string error;  // for kBadFrame and kBadChecksum: what is wrong
};

// Parses the frame at `at`, of which `available` bytes (to the end of the segment) may be
// read. Never reads outside [at, at + available).
FrameParse ParseFrame(const std::byte* at, size_t available);

// Whether the `available` bytes at `at` hold no frame: the end of a segment's written part.
bool IsEnd(const std::byte* at, size_t available);

// The checksum stored in a frame header.
uint64_t FrameChecksum(std::span<const std::byte> record);

}  // namespace caseledger::log
