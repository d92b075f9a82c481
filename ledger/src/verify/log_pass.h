// Verify's pass 1: the log recomputed from its bytes, on all cores.
//
// One thread walks the frames in order (lengths, magics and trailers only) and cuts the
// log into chunks of kChunkLeaves positions aligned to the Merkle tree; workers check
// each chunk on its own: checksums, envelopes, the position each record holds, the
// recorded-at order and whole appends within it, leaf hashes, the chunk's subtree with
// the stored Merkle nodes inside it, and digests of the index entries its records
// imply. The walking thread then joins the chunks in order: the checks across a chunk
// boundary, and the tree above the chunks' subtrees.
#pragma once

#include <vector>

#include "caseledger/verify.h"
#include "index/ledger_index.h"
#include "log/segment_log.h"
#include "verify/multiset_digest.h"

namespace caseledger::verify {

// 2^13 positions: small enough to keep both cores busy at 100,000 events, large enough
// that joining chunks costs nothing measurable.
inline constexpr uint32_t kChunkLevel = 13;

struct LogPass {
  std::vector<VerifyProblem> problems;  // in position order, at most max_problems
  bool full = false;                    // max_problems reached: checking stopped early
  bool readable = true;                 // every record decoded at its position
  uint64_t events = 0, record_bytes = 0;
  TreeHead recomputed;
  // The index entries the records imply (when options.check_index).
  MultisetDigest streams, ids, positions;
};

// Checks positions 1..stored.size of `log` against the tree head `stored` and the Merkle
// nodes stored in `index`. An error status only when the index cannot be read; whatever is
// wrong with the log is a problem.
Result<LogPass> CheckLog(const log::SegmentLog& log, index::LedgerIndex& index,
                         const TreeHead& stored, const VerifyOptions& options);

}  // namespace caseledger::verify
