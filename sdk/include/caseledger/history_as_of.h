// A case's history as of a moment, as one recorded read returns it: what `caseledger
// history` shows and caseledger::Client::ReadCaseHistory gives, embedded or remote.
//
//   auto history = client->ReadCaseHistory("case-00042", "Quarterly audit, county 130111",
//                                           caseledger::AsOf::Time(*ParseTimestamp(
//                                               "2026-03-01T00:00:00Z")));
//   // history->events: the case's events as the ledger knew them then;
//   // history->reads: who had looked by then; history->this_read: this read's own record.
//
// Guarantees: the read is recorded (this_read, a CaseHistoryRead in access-<case stream>)
// durably before anything is returned, once per call however long the case; a refused
// call records nothing. Events and reads are every event of their stream at positions
// 1..position, in order. Remotely one answer carries the whole history, at most 48 MiB
// of it: a longer one is refused (kInvalidArgument, nothing recorded).
#pragma once

#include <string>
#include <vector>

#include "caseledger/event.h"
#include "caseledger/time.h"

namespace caseledger {
inline namespace v1 {

// Which moment a history is read as of.
struct AsOf {
  enum class Kind { kLatest, kTime, kPosition };
  Kind kind = Kind::kLatest;
  Timestamp time{};       // kTime: what the ledger knew at this time (recorded at or before)
  Position position = 0;  // kPosition: the ledger's positions 1..position

  static AsOf Latest() { return {}; }
  static AsOf Time(Timestamp time) { return {Kind::kTime, time, 0}; }
  static AsOf AtPosition(Position position) { return {Kind::kPosition, {}, position}; }
};

struct CaseHistoryAsOf {
  std::string stream;  // the case stream, e.g. case-00042
  AsOf asked;
  // The last ledger position that counts (0: none). For kTime the last position recorded
  // at or before the time: recorded-at never decreases along positions.
  Position position = 0;
  Timestamp recorded_at{};       // recorded-at of `position`; the epoch when it is 0
  Position ledger_position = 0;  // the last committed position before this read was recorded
  RecordedEvent this_read;       // the CaseHistoryRead recorded for this read
  // The case stream's events at positions <= position. Personal fields: in clear where
  // the reader may see them (remote: DOMAIN.md's roles; embedded: with the master key),
  // sealed otherwise.
  std::vector<RecordedEvent> events;
  // The access stream's events at positions <= position: the earlier reads (who looked).
  std::vector<RecordedEvent> reads;
};

}  // namespace v1
}  // namespace caseledger
