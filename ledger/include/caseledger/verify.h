// The report of Ledger::Verify, what `caseledger verify DIR` prints.
//
//   auto ledger = caseledger::Ledger::Open(dir, {.read_only = true});
//   auto report = (*ledger)->Verify({});
//   if (report.ok() && !report->ok()) std::cerr << report->problems.front().ToString();
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "caseledger/event.h"
#include "caseledger/tree_head.h"

namespace caseledger {
inline namespace v1 {

struct VerifyProblem {
  // frame: framing of a record in a segment (length, magic, trailer);
  // checksum: the frame's XXH3 checksum disagrees with the record bytes;
  // record: the envelope cannot be decoded, or its fields break a rule of the log
  //         (position not dense, stream version not dense, recorded-at decreasing);
  // index: the RocksDB index disagrees with the log (run `caseledger reindex`);
  // tree: the Merkle tree recomputed from the records disagrees with the stored one.
  enum class Kind { kFrame, kChecksum, kRecord, kIndex, kTree };
  Kind kind;
  Position position = 0;  // the first position affected; 0 when none can be named
  std::string detail;
  std::string ToString() const;  // "position 42: checksum: ..."
};

const char* VerifyProblemKindName(VerifyProblem::Kind kind);

struct VerifyOptions {
  // Called now and then with (events checked, events in all). Default: none.
  std::function<void(uint64_t, uint64_t)> progress;
  // Threads that hash records; 0 = one per core. Default: 0.
  unsigned threads = 0;
  // Also check that the RocksDB index agrees with the log. Without it, verify checks the
  // log alone: frames, checksums, records and the Merkle tree. Default: true.
  bool check_index = true;
  // Stop after this many problems. Default: 20.
  size_t max_problems = 20;
};

struct VerifyReport {
  uint64_t events = 0;        // records checked
  uint64_t record_bytes = 0;  // envelope bytes hashed
  double seconds = 0;
  TreeHead recomputed;                  // the tree recomputed from the log
  std::vector<VerifyProblem> problems;  // in position order; empty when all is well
  bool ok() const { return problems.empty(); }
};

}  // namespace v1
}  // namespace caseledger
