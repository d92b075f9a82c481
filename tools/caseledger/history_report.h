// What `caseledger history` shows of one case as of one position: the timeline (each event
// with the corrections and voids that affect it), the case's state from the SDK's reducer
// (caseledger/case_state.h, the one the caseload plugin uses, so both agree), the earlier
// reads recorded in the case's access stream, and the reducer's anomalies.
//
//   HistoryInput input{*history, purpose};  // from ReadCaseHistory (ledger or Client)
//   Result<HistoryReport> report = BuildHistoryReport(std::move(input));
//   if (!report.ok()) Fail("history", report.status());
//   std::cout << HistoryTable(*report);  // or HistoryJson(*report)
//
// Nothing here reads the ledger or writes anywhere: the command gathers the events, this
// file derives and renders, so the whole output exists before a byte of it is printed.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "caseledger/case_state.h"
#include "caseledger/event.h"
#include "caseledger/history_as_of.h"
#include "caseledger/status.h"
#include "caseledger/time.h"

namespace caseledger::cli {

// What the command gathered: the case's history as of the moment (caseledger/history_as_of.h;
// personal fields opened where the reader may see them, the reducer reads the rest), and
// the purpose this read was recorded with.
struct HistoryInput {
  CaseHistoryAsOf history;
  std::string purpose;
};

// What happened to one event, as of the moment.
enum class EventEffect {
  kInEffect,    // its data counts (an original, a correction that replaced one, a void)
  kCorrected,   // an original whose data a correction replaced
  kSuperseded,  // a correction that a later correction replaced
  kVoided,      // withdrawn by an EntryVoided (directly, or with the event it corrects)
  kIgnored,     // a correction that cannot apply (listed among the anomalies)
};
const char* EffectName(EventEffect effect);  // "in effect", "corrected", ...

struct TimelineLine {
  size_t event = 0;       // index into HistoryInput::history.events
  std::string data_json;  // the shown payload as its JSON "data" object
  EventEffect effect = EventEffect::kInEffect;
  std::vector<Position> corrected_by;  // corrections naming this event (not ignored ones)
  Position data_in_effect = 0;         // for kCorrected: the correction whose data counts
  std::vector<Position> voided_by;     // EntryVoided events naming this event
  Position voids = 0;                  // for an EntryVoided: the position it names
  bool anomaly = false;                // the reducer lists an anomaly at this position
};

struct ReadLine {
  size_t event = 0;  // index into HistoryInput::history.reads
  std::string purpose;
};

struct HistoryReport {
  HistoryInput input;  // the lines refer to its events by index
  CaseState state;
  std::vector<TimelineLine> timeline;
  std::vector<ReadLine> reads;
};

// Derives the report. kCorruption naming the position if a stored payload does not decode.
Result<HistoryReport> BuildHistoryReport(HistoryInput input);

// For a person at a terminal: a heading, then the sections state, timeline, who looked and
// anomalies, each an aligned table.
std::string HistoryTable(const HistoryReport& report);
// One JSON document: {"stream","asOf","thisRead","state","timeline","reads","anomalies"}.
std::string HistoryJson(const HistoryReport& report);

}  // namespace caseledger::cli
