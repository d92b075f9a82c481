// The head of the ledger's Merkle tree (RFC 9162): its size and root hash, and the proofs
// over it.
//
//   caseledger::TreeHead head = ledger->GetTreeHead();
//   std::string hex = caseledger::HashToHex(head.root);
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

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

// RFC 9162 proofs, as a ledger or a Client hands them out; caseledger/proof.h (ledger
// library) verifies them.
// The audit path of leaf `leaf_index` (position - 1) in the tree of `tree_size` leaves,
// from the leaf's sibling up to the root's child.
struct InclusionProof {
  uint64_t leaf_index = 0;
  uint64_t tree_size = 0;
  std::vector<Hash256> path;
};

// The nodes that prove the tree of `first_size` leaves is a prefix of the tree of
// `second_size` leaves (0 < first_size <= second_size; empty when they are equal).
struct ConsistencyProof {
  uint64_t first_size = 0;
  uint64_t second_size = 0;
  std::vector<Hash256> path;
};

}  // namespace v1
}  // namespace caseledger
