#include "log/frame.h"

#include <xxhash.h>

#include <cstring>

#include "util/endian.h"

namespace caseledger::log {

uint64_t FrameChecksum(std::span<const std::byte> record) {
  return XXH3_64bits_withSeed(record.data(), record.size(), record.size());
}

void EncodeFrame(std::span<const std::byte> record, std::byte* out) {
  const auto length = static_cast<uint32_t>(record.size());
  StoreLE32(out, length);
  StoreLE32(out + 4, kFrameMagic);
  StoreLE64(out + 8, FrameChecksum(record));
  std::memcpy(out + kFrameHeaderBytes, record.data(), record.size());
  std::byte* trailer = out + kFrameHeaderBytes + record.size();
  StoreLE32(trailer, length);
  StoreLE32(trailer + 4, kFrameMagic);
}

bool IsEnd(const std::byte* at, size_t available) {
  return available < kFrameHeaderBytes || (LoadLE32(at) == 0 && LoadLE32(at + 4) == 0);
}

FrameParse ParseFrame(const std::byte* at, size_t available) {
  FrameParse p;
  if (IsEnd(at, available)) {
    p.outcome = FrameParse::Outcome::kEnd;
    return p;
  }
  const uint32_t length = LoadLE32(at);
  const uint32_t magic = LoadLE32(at + 4);
  auto bad = [&](FrameParse::Outcome outcome, std::string why) {
    p.outcome = outcome;
    p.error = std::move(why);
    return p;
  };
  if (magic != kFrameMagic) return bad(FrameParse::Outcome::kBadFrame, "bad frame magic");
  if (length == 0 || length % 8 != 0)
    return bad(FrameParse::Outcome::kBadFrame,
               "record length " + std::to_string(length) + " is not a positive multiple of 8");
  if (FramedSize(length) > available)
    return bad(FrameParse::Outcome::kBadFrame,
               "record length " + std::to_string(length) + " runs past the end of the segment");
  const std::byte* trailer = at + kFrameHeaderBytes + length;
  if (LoadLE32(trailer) != length || LoadLE32(trailer + 4) != kFrameMagic)
    return bad(FrameParse::Outcome::kBadFrame, "frame trailer does not match its header");
  std::span<const std::byte> record(at + kFrameHeaderBytes, length);
  if (LoadLE64(at + 8) != FrameChecksum(record))
    return bad(FrameParse::Outcome::kBadChecksum, "checksum mismatch");
  p.outcome = FrameParse::Outcome::kRecord;
  p.record = record;
  p.framed_size = FramedSize(length);
  return p;
}

}  // namespace caseledger::log
