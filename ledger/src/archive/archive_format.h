// The byte layout of an audit archive (docs/format.md, "Archives"):
//
//   offset  size  field
//   0       8     magic "CLARCH" 0x00 0x01
//   8       4     format version = 1 (little-endian, like every integer here)
//   12      4     zero
//   16      16    ledger id
//   32      8     events N: the archive holds positions 1..N
//   40      8     C: bytes of the checkpoint section
//   48      8     exported at, microseconds since the epoch
//   56      8     XXH3-64 of bytes 0..55
//   64      C     the checkpoint section: checkpoint JSON lines (docs/format.md,
//                 "Checkpoints"), each ending in "\n"
//                 zeros up to a multiple of 8
//                 N frames, positions 1..N in order, exactly as in a segment (log/frame.h)
//
// Nothing in the header is trusted: the events and checkpoints are checked on their own.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "caseledger/checkpoint.h"
#include "caseledger/status.h"
#include "caseledger/time.h"

namespace caseledger::archive {

inline constexpr size_t kHeaderBytes = 64;
inline constexpr uint32_t kFormatVersion = 1;
// The checkpoint section is read into memory whole; no real ledger comes near this.
inline constexpr uint64_t kMaxCheckpointBytes = 64ull << 20;

struct Header {
  LedgerIdBytes ledger_id{};
  uint64_t events = 0;
  uint64_t checkpoint_bytes = 0;
  Timestamp exported_at{};
};

std::array<std::byte, kHeaderBytes> EncodeHeader(const Header& header);
// kInvalidArgument saying what is wrong: not an archive (magic), another format version,
// a damaged header (checksum, non-zero reserved bytes).
Result<Header> DecodeHeader(std::span<const std::byte, kHeaderBytes> bytes);

// Where the first frame starts: after the header and the padded checkpoint section.
inline uint64_t FramesOffset(uint64_t checkpoint_bytes) {
  return kHeaderBytes + ((checkpoint_bytes + 7) & ~uint64_t{7});
}

}  // namespace caseledger::archive
