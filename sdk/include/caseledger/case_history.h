// Case histories as a projection plugin keeps them in its State: every event of a case
// stream under its own key, so that recording an event is one write whatever the case's
// length, and a scan gives each case's events in position order, to be reduced to the
// case's state (caseledger/case_state.h) when a figure needs it.
//
//   caseledger::RecordCaseEvent(state, "case", event);          // in Apply
//   caseledger::ForEachCaseHistory(state, "case", [&](std::string_view stream, const auto& events)
//   {
//     caseledger::CaseState now = caseledger::ReduceCaseHistory(events);
//   });
//
// The whole history is kept, not a running summary, because a correction or a void can
// change any earlier event.
//
// Keys: <prefix> 0x1F <stream> 0x1F <position, 8 bytes big-endian> (0x1F cannot occur in
// a stream id, and big-endian positions sort in order). Value (little-endian):
//   recorded-at i64, occurred-at i64 (micros), corrects u64, then type, actor user and
//   payload, each a u32 length then the bytes.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "caseledger/case_state.h"
#include "caseledger/projection.h"

namespace caseledger {
inline namespace v1 {

struct StoredCaseEvent {
  uint64_t position = 0;
  int64_t recorded_at = 0;
  int64_t occurred_at = 0;
  uint64_t corrects = 0;
  std::string type, actor_user, payload;
};

// Records `event` (of a case stream) under `prefix`.
void RecordCaseEvent(State& state, std::string_view prefix, const Event& event);

// Calls `visit` for each case recorded under `prefix` (whose stream starts with
// `stream_prefix`), in stream order, with its events in position order. Throws PluginError
// on damaged bytes.
void ForEachCaseHistory(
    const State& state, std::string_view prefix,
    const std::function<void(std::string_view stream, const std::vector<StoredCaseEvent>& events)>&
        visit,
    std::string_view stream_prefix = {});

// Views of `events` as the reducer reads them (valid while `events` is alive, unchanged).
std::vector<CaseEventInput> AsReducerInputs(const std::vector<StoredCaseEvent>& events);

// The case's state from its events (every event counts: the projector's state holds only
// the events up to the moment asked for). Throws PluginError naming the position of an
// event that does not decode.
CaseState ReduceCaseHistory(const std::vector<StoredCaseEvent>& events);

}  // namespace v1
}  // namespace caseledger
