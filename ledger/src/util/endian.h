// Fixed-width integers in little-endian (segment files) and big-endian (index keys, so
// that byte order sorts like numbers) byte order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace caseledger {

inline void StoreLE32(std::byte* p, uint32_t v) { std::memcpy(p, &v, 4); }  // x86-64 only
inline void StoreLE64(std::byte* p, uint64_t v) { std::memcpy(p, &v, 8); }
inline uint32_t LoadLE32(const std::byte* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
inline uint64_t LoadLE64(const std::byte* p) { uint64_t v; std::memcpy(&v, p, 8); return v; }

inline void AppendBE64(std::string& out, uint64_t v) {
  v = __builtin_bswap64(v);
  out.append(reinterpret_cast<const char*>(&v), 8);
}
inline uint64_t LoadBE64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "segment files are little-endian");

}  // namespace caseledger
