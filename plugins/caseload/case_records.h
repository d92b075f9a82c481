// CaseRecords: the events of one case stream as the caseload plugin keeps them in its
// state (key "case\x1f<stream>"), in position order, and their reduction to a CaseState.
//
// The whole history is kept, not a running summary, because a correction or a void can
// change any earlier event: the case is reduced again (caseledger::ReduceCase) whenever a
// figure needs it.
//
// Encoding (little-endian), one entry per event:
//   position u64, recorded-at i64, occurred-at i64 (micros), corrects u64,
//   type, actor user, payload: each a u32 length then the bytes.
#pragma once

#include <caseledger/case_state.h>
#include <caseledger/projection.h>

#include <string>
#include <string_view>
#include <vector>

namespace caseload {

struct CaseRecord {
  uint64_t position = 0;
  int64_t recorded_at = 0;
  int64_t occurred_at = 0;
  uint64_t corrects = 0;
  std::string type, actor_user, payload;
};

// Appends the encoding of `event` to `records`.
void AppendRecord(std::string& records, const caseledger::Event& event);

// Decodes what AppendRecord wrote. Throws caseledger::PluginError on damaged bytes.
std::vector<CaseRecord> DecodeRecords(std::string_view records);

// The case's state from its records (every one counts: the projector's state holds only
// the events up to the moment asked for). Throws caseledger::PluginError naming the
// position of an event that does not decode.
caseledger::CaseState Reduce(const std::vector<CaseRecord>& records);

}  // namespace caseload
