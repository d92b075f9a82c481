// A case's history as a projection plugin keeps it in its State: the case stream's events
// in position order, appended as they arrive, and reduced to the case's state on demand.
//
//   std::string history = state.Get("case\x1f" + stream).value_or("");
//   caseledger::AppendToCaseHistory(history, event);
//   state.Put("case\x1f" + stream, history);
//   caseledger::CaseState now =
//   caseledger::ReduceCaseHistory(caseledger::DecodeCaseHistory(history));
//
// The whole history is kept, not a running summary, because a correction or a void can
// change any earlier event: the case is reduced again (ReduceCase) when a figure needs it.
//
// Encoding (little-endian), one entry per event:
//   position u64, recorded-at i64, occurred-at i64 (micros), corrects u64,
//   type, actor user, payload: each a u32 length then the bytes.
#pragma once

#include "caseledger/case_state.h"
#include "caseledger/projection.h"

#include <string>
#include <string_view>
#include <vector>

namespace caseledger {
inline namespace v1 {

struct StoredCaseEvent {
  uint64_t position = 0;
  int64_t recorded_at = 0;
  int64_t occurred_at = 0;
  uint64_t corrects = 0;
  std::string type, actor_user, payload;
};

// Appends the encoding of `event` to `history`.
void AppendToCaseHistory(std::string& history, const Event& event);

// Decodes what AppendToCaseHistory wrote. Throws PluginError on damaged bytes.
std::vector<StoredCaseEvent> DecodeCaseHistory(std::string_view history);

// The case's state from its history (every event counts: the projector's state holds only
// the events up to the moment asked for). Throws PluginError naming the position of an
// event that does not decode.
CaseState ReduceCaseHistory(const std::vector<StoredCaseEvent>& events);

}  // namespace v1
}  // namespace caseledger
