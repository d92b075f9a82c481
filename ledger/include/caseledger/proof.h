// RFC 9162 proofs over the ledger's Merkle tree (leaf i = position i + 1): what
// `caseledger prove` prints and what an auditor checks offline, trusting only the roots.
//
//   auto proof = ledger->ProveInclusion(position, checkpoint.size);
//   Status ok = caseledger::VerifyInclusion(caseledger::RecordLeafHash(record), *proof,
//                                           checkpoint.root);
//   auto grown = ledger->ProveConsistency(old.size, now.size);
//   Status same = caseledger::VerifyConsistency(*grown, old.root, now.root);
//
// Verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2 exactly; an OK status means
// the leaf is in the tree with that root (inclusion), or that the tree with the first root
// is a prefix of the tree with the second (consistency: nothing before first_size was
// altered, removed, inserted or reordered).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "caseledger/status.h"
#include "caseledger/tree_head.h"

namespace caseledger {
inline namespace v1 {

// SHA-256(0x00 || record): the leaf hash of a stored record (its envelope bytes).
Hash256 RecordLeafHash(std::span<const std::byte> record);

// OK if `leaf_hash` is leaf `proof.leaf_index` of the tree whose root is `root`;
// kCorruption ("the inclusion proof does not ...") if not, kInvalidArgument if the proof is
// malformed (index beyond the size, a path of the wrong length).
Status VerifyInclusion(const Hash256& leaf_hash, const InclusionProof& proof, const Hash256& root);

// OK if the tree with `first_root` (first_size leaves) is a prefix of the tree with
// `second_root`; kCorruption if not, kInvalidArgument if malformed (first_size 0 or greater
// than second_size, a path of the wrong length).
Status VerifyConsistency(const ConsistencyProof& proof, const Hash256& first_root,
                         const Hash256& second_root);

// A proof as a file: what `caseledger prove` writes and `caseledger verify --proof` checks
// against a checkpoint the auditor holds (docs/format.md, "Proofs"). One JSON object:
//   {"format":"caseledger-proof-v1","kind":"inclusion","ledger_id":"<32 hex>",
//    "position":P,"tree_size":N,"record":"<hex: the stored record>","path":["<64 hex>",..],
//    "root":"<64 hex>"}
//   {"format":"caseledger-proof-v1","kind":"consistency","ledger_id":"<32 hex>",
//    "first_size":M,"second_size":N,"first_root":"<64 hex>","second_root":"<64 hex>",
//    "path":[...]}
// The roots are what the ledger said; an auditor trusts only a checkpoint's.
struct ProofDocument {
  enum class Kind { kInclusion, kConsistency };
  Kind kind = Kind::kInclusion;
  std::array<uint8_t, 16> ledger_id{};
  // kInclusion: the proof, the record whose leaf hash it proves, and the tree's root.
  InclusionProof inclusion;
  std::vector<std::byte> record;
  Hash256 root{};
  // kConsistency: the proof and the two roots.
  ConsistencyProof consistency;
  Hash256 first_root{};
  Hash256 second_root{};
};

std::string ProofToJson(const ProofDocument& proof);  // one line, no newline
// kInvalidArgument naming the field for anything malformed (unknown, missing or repeated
// fields, bad hex, sizes out of range, a path of more than 64 nodes).
Result<ProofDocument> ProofFromJson(std::string_view json);

}  // namespace v1
}  // namespace caseledger
