// The hashes of the RFC 9162 Merkle tree over the log.
//   leaf     = SHA-256(0x00 || record bytes)
//   interior = SHA-256(0x01 || left || right)
#pragma once

#include <cstddef>
#include <span>

#include "caseledger/tree_head.h"

namespace caseledger::merkle {

Hash256 LeafHash(std::span<const std::byte> record);
Hash256 NodeHash(const Hash256& left, const Hash256& right);
Hash256 EmptyTreeRoot();  // SHA-256 of the empty string

}  // namespace caseledger::merkle
