// Key and value layouts of the RocksDB index (docs/format.md, "Index"). Keys are
// big-endian so that they sort like the numbers they hold.
//
//   column family  key                              value
//   streams        stream 0x00 version:be64         position:be64 location:be64
//   heads          stream                           version:be64
//   ids            event id (16 bytes)              position:be64 version:be64 digest(16)
//   positions      position:be64 (every 64th: 1, 65, 129, ...)   location:be64
//   merkle         level:u8 index:be64              hash (32 bytes), levels >= 4 only
//   default        "state"                          IndexState (index/index.h)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/endian.h"

namespace caseledger::index {

// Every kPositionStride-th position (1, 1 + stride, ...) has a `positions` entry; reading
// from any other position scans forward at most stride - 1 frames.
inline constexpr uint64_t kPositionStride = 64;
// Merkle nodes below this level are recomputed from records when needed (a level-4 node
// covers 16 leaves); storing them would cost more than reading 16 records.
inline constexpr uint32_t kStoredMerkleLevel = 4;

inline std::string StreamKey(std::string_view stream, int64_t version) {
  std::string k;
  k.reserve(stream.size() + 9);
  k.append(stream);
  k.push_back('\0');
  AppendBE64(k, static_cast<uint64_t>(version));
  return k;
}

inline std::string PositionKey(uint64_t position) {
  std::string k;
  AppendBE64(k, position);
  return k;
}

inline std::string MerkleKey(uint32_t level, uint64_t index) {
  std::string k(1, static_cast<char>(level));
  AppendBE64(k, index);
  return k;
}

inline bool IsIndexedPosition(uint64_t position) { return (position - 1) % kPositionStride == 0; }

}  // namespace caseledger::index
