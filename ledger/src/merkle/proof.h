// Building RFC 9162 proofs (section 2.1.3.1 PATH, 2.1.4.1 PROOF/SUBPROOF) from the hashes
// of subtrees, which the ledger answers from its stored nodes and records. Verification
// is public: caseledger/proof.h.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "caseledger/proof.h"

namespace caseledger::merkle {

// MTH(D[begin:end]): the root of the tree over leaves begin..end-1 (end > begin).
using SubtreeHashFn = std::function<Result<Hash256>(uint64_t begin, uint64_t end)>;

// The audit path of leaf `index` in the tree of `size` leaves (index < size).
Result<std::vector<Hash256>> InclusionPath(uint64_t index, uint64_t size,
                                           const SubtreeHashFn& subtree);

// The consistency proof between sizes `first` and `second` (0 < first <= second).
Result<std::vector<Hash256>> ConsistencyPath(uint64_t first, uint64_t second,
                                             const SubtreeHashFn& subtree);

// The largest power of two smaller than n (n >= 2): RFC 9162's k.
uint64_t SplitPoint(uint64_t n);

}  // namespace caseledger::merkle
