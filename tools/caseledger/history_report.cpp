// BuildHistoryReport: the case's state from the SDK's reducer, and for each event of the
// timeline what the corrections and voids (resolved by the SDK's ResolveCorrections, as the
// reducer resolves them) did to it.
#include "history_report.h"

#include <map>
#include <set>

#include "caseledger/case_events.h"
#include "caseledger/payload_message.h"
#include "output.h"
#include "schema/case_events.capnp.h"

namespace caseledger::cli {
namespace {

std::string At(Position p) { return "position " + std::to_string(p); }

// Reads the root `T` of a stored payload with `read`. kCorruption naming the position if
// the bytes do not decode.
template <typename T, typename Read>
Status DecodeStored(const RecordedEvent& e, Read&& read) {
  Status decoded = DecodePayload<T>(e.event.payload, std::forward<Read>(read));
  if (decoded.ok()) return decoded;
  return Status::Corruption(At(e.position) + ": the payload is not a " + e.event.type + ": " +
                            decoded.message());
}

Result<Position> VoidedPosition(const RecordedEvent& e) {
  Position target = 0;
  CASELEDGER_RETURN_IF_ERROR(DecodeStored<schema::EntryVoided>(
      e, [&](schema::EntryVoided::Reader r) { target = r.getPosition(); }));
  return target;
}

// The "data" object of a shown payload; the bytes as a JSON string for a type the catalogue
// does not know (an opaque ledger's events).
std::string DataJson(const RecordedEvent& e) {
  if (const EventType* type = FindEventType(e.event.type)) {
    if (auto json = PayloadToJson(*type, e.event.payload); json.ok()) return *json;
  }
  return JsonString(e.event.payload);
}

}  // namespace

Result<HistoryReport> BuildHistoryReport(HistoryInput input) {
  HistoryReport report;
  report.input = std::move(input);
  const std::vector<RecordedEvent>& events = report.input.history.events;

  // The state, exactly as the caseload plugin derives it.
  std::vector<CaseEventInput> inputs;
  inputs.reserve(events.size());
  for (const RecordedEvent& r : events) {
    const ProposedEvent& e = r.event;
    inputs.push_back(CaseEventInput{r.position, r.recorded_at, e.occurred_at, e.type, e.actor.user,
                                    e.corrects, e.payload});
  }
  CASELEDGER_ASSIGN_OR_RETURN(report.state, ReduceCase(inputs, report.input.history.position));

  // Which data is in effect where: the SDK's resolution, the one the reducer used.
  std::vector<const CaseEventInput*> known;
  for (const CaseEventInput& e : inputs) known.push_back(&e);
  std::vector<CorrectionProblem> problems;
  CASELEDGER_ASSIGN_OR_RETURN(auto effective, ResolveCorrections(known, {}, problems));
  std::map<Position, Position> data_of;  // original -> the position whose data counts there
  std::set<Position> data_in_effect;
  for (const EffectiveEvent& e : effective) {
    data_of[e.original->position] = e.data->position;
    data_in_effect.insert(e.data->position);
  }
  std::set<Position> ignored;
  for (const CorrectionProblem& p : problems) ignored.insert(p.position);
  std::set<Position> anomalies;
  for (const CaseAnomaly& a : report.state.anomalies) anomalies.insert(a.position);

  // Voids, latest first (a void of a void restores), as ResolveCorrections applies them.
  std::map<Position, size_t> index_of;
  for (size_t i = 0; i < events.size(); ++i) index_of[events[i].position] = i;
  std::map<Position, Position> void_target;  // EntryVoided -> the position it names
  std::set<Position> withdrawn;
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->event.type != "EntryVoided") continue;
    CASELEDGER_ASSIGN_OR_RETURN(Position target, VoidedPosition(*it));
    void_target[it->position] = target;
    if (!withdrawn.count(it->position)) withdrawn.insert(target);
  }

  std::map<Position, std::vector<Position>> corrected_by, voided_by;
  for (const RecordedEvent& r : events) {
    const Position p = r.position;
    if (auto v = void_target.find(p); v != void_target.end()) {
      voided_by[v->second].push_back(p);
    } else if (r.event.corrects != 0 && !ignored.count(p)) {
      corrected_by[r.event.corrects].push_back(p);
    }
  }
  // True if `p`, or an event it corrects (directly or through other corrections), is
  // withdrawn: a correction goes with what it corrects.
  auto withdrawn_with_chain = [&](Position p) {
    for (int hops = 0; p != 0 && hops <= static_cast<int>(events.size()); ++hops) {
      if (withdrawn.count(p)) return true;
      auto i = index_of.find(p);
      if (i == index_of.end()) return false;
      p = events[i->second].event.corrects;
    }
    return false;
  };

  for (size_t i = 0; i < events.size(); ++i) {
    const RecordedEvent& e = events[i];
    const Position p = e.position;
    TimelineLine line;
    line.event = i;
    line.data_json = DataJson(events[i]);
    line.anomaly = anomalies.count(p) > 0;
    if (auto c = corrected_by.find(p); c != corrected_by.end()) line.corrected_by = c->second;
    if (auto v = voided_by.find(p); v != voided_by.end()) line.voided_by = v->second;
    if (auto v = void_target.find(p); v != void_target.end()) {
      line.voids = v->second;
      line.effect = withdrawn.count(p) ? EventEffect::kVoided : EventEffect::kInEffect;
    } else if (ignored.count(p)) {
      line.effect = EventEffect::kIgnored;
    } else if (data_in_effect.count(p)) {
      line.effect = EventEffect::kInEffect;
    } else if (auto d = data_of.find(p); d != data_of.end()) {
      line.effect = EventEffect::kCorrected;  // an original, in effect through a correction
      line.data_in_effect = d->second;
    } else if (e.event.corrects == 0 || withdrawn_with_chain(p)) {
      line.effect = EventEffect::kVoided;
    } else {
      line.effect = EventEffect::kSuperseded;
    }
    report.timeline.push_back(std::move(line));
  }

  // Who looked: the CaseHistoryRead events of the access stream.
  for (size_t i = 0; i < report.input.history.reads.size(); ++i) {
    const RecordedEvent& e = report.input.history.reads[i];
    if (e.event.type != "CaseHistoryRead") continue;
    ReadLine line;
    line.event = i;
    CASELEDGER_RETURN_IF_ERROR(DecodeStored<schema::CaseHistoryRead>(
        e, [&](schema::CaseHistoryRead::Reader r) { line.purpose = r.getPurpose().cStr(); }));
    report.reads.push_back(std::move(line));
  }
  return report;
}

}  // namespace caseledger::cli
