// The head of the ledger's Merkle tree (RFC 9162): its size and root hash.
//
//   caseledger::TreeHead head = ledger->GetTreeHead();
//   std::string hex = caseledger::HashToHex(head.root);
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace caseledger {
inline namespace v1 {

using Hash256 = std::array<uint8_t, 32>;

// The tree over positions 1..size: leaf i is position i + 1, leaf hash
// SHA-256(0x00 || record bytes), interior SHA-256(0x01 || left || right). An empty tree's
// root is SHA-256 of the empty string.
struct TreeHead {
  uint64_t size = 0;
  Hash256 root{};
  bool operator==(const TreeHead&) const = default;
};

std::string HashToHex(const Hash256& hash);  // 64 lowercase hexadecimal digits

}  // namespace v1
}  // namespace caseledger
