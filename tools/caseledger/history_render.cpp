// HistoryTable and HistoryJson: the report as a person at a terminal reads it, and as one
// JSON document for programs.
#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <kj/exception.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "caseledger/json.h"
#include "history_report.h"
#include "output.h"

namespace caseledger::cli {
namespace {

std::string At(Position p) { return "position " + std::to_string(p); }

// Values of the table's `data` column that need quotes to read unambiguously.
bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  for (unsigned char c : s)
    if (c <= ' ' || std::strchr("\"=,[]{}", c) != nullptr) return true;
  return false;
}

void AppendValue(capnp::JsonValue::Reader v, std::string& out) {
  switch (v.which()) {
    case capnp::JsonValue::BOOLEAN:
      out += v.getBoolean() ? "true" : "false";
      return;
    case capnp::JsonValue::NUMBER: {
      const double d = v.getNumber();
      if (d == std::floor(d) && std::fabs(d) < 1e15) {
        out += std::to_string(static_cast<long long>(d));
      } else {
        std::ostringstream text;
        text << d;
        out += text.str();
      }
      return;
    }
    case capnp::JsonValue::STRING: {
      const std::string s = v.getString().cStr();
      out += NeedsQuotes(s) ? JsonString(s) : s;
      return;
    }
    case capnp::JsonValue::ARRAY: {
      out += "[";
      bool first = true;
      for (capnp::JsonValue::Reader item : v.getArray()) {
        if (!first) out += ",";
        first = false;
        AppendValue(item, out);
      }
      out += "]";
      return;
    }
    case capnp::JsonValue::OBJECT: {
      auto fields = v.getObject();
      // A personal field the master key did not open: {"sealed": "<key id>"}; one the
      // reader may not see: {"redacted": ...}; one whose child was erased: {"erased": ...}.
      if (fields.size() == 1) {
        const std::string_view name = fields[0].getName().cStr();
        if (name == "sealed" || name == "redacted" || name == "erased") {
          out += "[" + std::string(name) + "]";
          return;
        }
      }
      out += "{";
      for (unsigned i = 0; i < fields.size(); ++i) {
        if (i) out += " ";
        out += fields[i].getName().cStr();
        out += "=";
        AppendValue(fields[i].getValue(), out);
      }
      out += "}";
      return;
    }
    default:
      out += "null";
      return;
  }
}

// The data as `name=value` pairs for a terminal: {"level":"high","rationale":{"sealed":..}}
// -> level=high rationale=[sealed]. Not JSON: --format json gives the data as is.
std::string KeyFields(const std::string& data_json) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<capnp::JsonValue>();
  capnp::JsonCodec codec;
  if (kj::runCatchingExceptions([&] {
        codec.decodeRaw(kj::ArrayPtr<const char>(data_json.data(), data_json.size()), root);
      }) != nullptr) {
    return data_json;
  }
  std::string out;
  if (root.asReader().isObject()) {
    for (auto field : root.asReader().getObject()) {
      if (!out.empty()) out += " ";
      out += field.getName().cStr();
      out += "=";
      AppendValue(field.getValue(), out);
    }
  } else {
    AppendValue(root.asReader(), out);
  }
  return out;
}

std::string Time(Timestamp t) { return ToMicros(t) == 0 ? "" : FormatTimestamp(t); }
std::string JsonTime(Timestamp t) {
  return ToMicros(t) == 0 ? "null" : JsonString(FormatTimestamp(t));
}
std::string JsonPosition(Position p) { return p == 0 ? "null" : std::to_string(p); }

std::string Join(const std::vector<Position>& positions, const char* separator) {
  std::string out;
  for (Position p : positions) out += (out.empty() ? "" : separator) + std::to_string(p);
  return out;
}

std::string JsonStrings(const std::vector<std::string>& values) {
  std::string out = "[";
  for (const std::string& v : values) out += (out.size() > 1 ? ", " : "") + JsonString(v);
  return out + "]";
}

// The JSON key of an effect: its name with '_' for ' ' ("in_effect").
std::string EffectKey(EventEffect effect) {
  std::string key = EffectName(effect);
  std::replace(key.begin(), key.end(), ' ', '_');
  return key;
}

// The corrections, voids and anomaly that concern one line, for the table.
std::string Notes(const TimelineLine& line, const RecordedEvent& e) {
  std::vector<std::string> notes;
  if (line.voids != 0) {
    notes.push_back("voids " + std::to_string(line.voids));
  } else if (e.event.corrects != 0) {
    notes.push_back("corrects " + std::to_string(e.event.corrects) +
                    (e.event.correction_reason.empty() ? "" : ": " + e.event.correction_reason));
  }
  if (!line.corrected_by.empty()) {
    std::string note = "corrected by " + Join(line.corrected_by, ", ");
    if (line.data_in_effect != 0 &&
        (line.corrected_by.size() > 1 || line.corrected_by.front() != line.data_in_effect))
      note += " (in effect: " + std::to_string(line.data_in_effect) + ")";
    notes.push_back(note);
  }
  if (!line.voided_by.empty()) notes.push_back("voided by " + Join(line.voided_by, ", "));
  if (line.anomaly) notes.push_back("anomaly (below)");
  std::string out;
  for (const std::string& n : notes) out += (out.empty() ? "" : "; ") + n;
  return out;
}

std::string ReferralText(const ReferralState& r) {
  std::string to = r.to_agency + (r.to_user.empty() ? "" : "/" + r.to_user);
  return r.referral_id + ": " + r.service_type + " to " + to + ", " + r.state + " (made at " +
         At(r.made_position) + (r.consent_overridden ? ", consent overridden" : "") + ")";
}

// "as of position 57 (recorded ...), the last recorded at or before --as-of ...; the ledger
// held 60 events" : which events count and why.
std::string MomentText(const CaseHistoryAsOf& m) {
  std::string out = "as of position " + std::to_string(m.position);
  if (m.position != 0) out += " (recorded " + FormatTimestamp(m.recorded_at) + ")";
  switch (m.asked.kind) {
    case AsOf::Kind::kLatest:
      out += ", every committed event";
      break;
    case AsOf::Kind::kTime:
      out += m.position == 0 ? ": nothing was recorded by --as-of " + FormatTimestamp(m.asked.time)
                             : ", the last recorded by --as-of " + FormatTimestamp(m.asked.time);
      break;
    case AsOf::Kind::kPosition:
      out += ", as --at-position asked";
      break;
  }
  return out + "; the ledger held " + std::to_string(m.ledger_position) + " events";
}

}  // namespace

const char* EffectName(EventEffect effect) {
  switch (effect) {
    case EventEffect::kInEffect:
      return "in effect";
    case EventEffect::kCorrected:
      return "corrected";
    case EventEffect::kSuperseded:
      return "superseded";
    case EventEffect::kVoided:
      return "voided";
    case EventEffect::kIgnored:
      return "ignored";
  }
  return "?";
}

std::string HistoryTable(const HistoryReport& report) {
  const CaseHistoryAsOf& in = report.input.history;
  const CaseState& s = report.state;
  std::ostringstream out;
  out << "Case " << in.stream << " " << MomentText(in) << ".\n";
  const RecordedEvent& read = in.this_read;
  const std::string& purpose = report.input.purpose;
  out << "This read is recorded at position " << read.position << " of " << read.stream << ", "
      << FormatTimestamp(read.recorded_at) << ", by " << read.recorded_by << ", purpose "
      << JsonString(purpose) << ".\n";

  out << "\nState\n";
  Table state{{{"field", false}, {"value", false}}, {}};
  auto row = [&](const std::string& field, const std::string& value) {
    state.rows.push_back({field, value});
  };
  if (!s.opened) {
    row("status", "not opened (no CaseOpened in effect as of this moment)");
  } else {
    row("status", s.status);
    row("stage", s.stage);
    row("owner", s.owner.empty() ? "none (awaiting assignment)" : s.owner);
    row("risk", s.risk);
    row("child", s.child_ref + " (" + s.sex + ", " + s.age_band + ")");
    row("community", s.community_code);
    row("agency", s.agency);
    row("opened", Time(s.opened_at));
    const auto open = OpenReferrals(s);
    if (open.empty()) row("open referrals", "none");
    for (size_t i = 0; i < open.size(); ++i)
      row(i == 0 ? "open referrals" : "", ReferralText(*open[i]));
    std::string pending;
    for (const std::string& kind : s.pending_approvals)
      pending += (pending.empty() ? "" : ", ") + kind;
    row("pending approvals", pending.empty() ? "none" : pending);
    if (s.transfer)
      row("transfer", "to " + s.transfer->to_agency +
                          (s.transfer->to_user.empty() ? "" : "/" + s.transfer->to_user) +
                          ", in progress since " + At(s.transfer->position));
  }
  PrintTable(state, OutputFormat::kTable, out);

  out << "\nTimeline (" << in.events.size() << " events of " << in.stream << ")\n";
  Table timeline{{{"position", true},
                  {"recorded_at", false},
                  {"occurred_at", false},
                  {"actor", false},
                  {"role", false},
                  {"recorded_by", false},
                  {"type", false},
                  {"effect", false},
                  {"corrections_and_voids", false},
                  {"data", false}},
                 {}};
  for (const TimelineLine& line : report.timeline) {
    const RecordedEvent& e = in.events[line.event];
    timeline.rows.push_back({std::to_string(e.position), FormatTimestamp(e.recorded_at),
                             Time(e.event.occurred_at), e.event.actor.user, e.event.actor.role,
                             e.recorded_by, e.event.type, EffectName(line.effect), Notes(line, e),
                             KeyFields(line.data_json)});
  }
  PrintTable(timeline, OutputFormat::kTable, out);

  out << "\nWho looked (earlier reads recorded in " << read.stream << ", as of position "
      << in.position << ")\n";
  if (report.reads.empty()) {
    out << "none\n";
  } else {
    Table reads{{{"position", true},
                 {"recorded_at", false},
                 {"recorded_by", false},
                 {"actor", false},
                 {"role", false},
                 {"purpose", false}},
                {}};
    for (const ReadLine& r : report.reads) {
      const RecordedEvent& e = in.reads[r.event];
      reads.rows.push_back({std::to_string(e.position), FormatTimestamp(e.recorded_at),
                            e.recorded_by, e.event.actor.user, e.event.actor.role, r.purpose});
    }
    PrintTable(reads, OutputFormat::kTable, out);
  }

  out << "\nAnomalies (events that break a state machine or cannot apply; they change nothing)\n";
  if (s.anomalies.empty()) {
    out << "none\n";
  } else {
    Table anomalies{{{"position", true}, {"rule", false}}, {}};
    for (const CaseAnomaly& a : s.anomalies)
      anomalies.rows.push_back({std::to_string(a.position), a.rule});
    PrintTable(anomalies, OutputFormat::kTable, out);
  }
  return out.str();
}

std::string HistoryJson(const HistoryReport& report) {
  const CaseHistoryAsOf& in = report.input.history;
  const CaseState& s = report.state;
  std::string out = "{\"stream\": " + JsonString(in.stream) + ",\n";

  const char* asked = in.asked.kind == AsOf::Kind::kTime       ? "time"
                      : in.asked.kind == AsOf::Kind::kPosition ? "position"
                                                               : "latest";
  out += " \"asOf\": {\"asked\": " + JsonString(asked) +
         ", \"time\": " + (in.asked.kind == AsOf::Kind::kTime ? JsonTime(in.asked.time) : "null") +
         ", \"position\": " + std::to_string(in.position) +
         ", \"recordedAt\": " + JsonTime(in.recorded_at) +
         ", \"ledgerPosition\": " + std::to_string(in.ledger_position) + "},\n";

  const RecordedEvent& read = in.this_read;
  const std::string& purpose = report.input.purpose;
  out += " \"thisRead\": {\"stream\": " + JsonString(read.stream) +
         ", \"position\": " + std::to_string(read.position) +
         ", \"recordedAt\": " + JsonTime(read.recorded_at) +
         ", \"recordedBy\": " + JsonString(read.recorded_by) +
         ", \"actor\": " + ActorToJson(read.event.actor) + ", \"purpose\": " + JsonString(purpose) +
         "},\n";

  out += " \"state\": {\"opened\": " + std::string(s.opened ? "true" : "false") +
         ", \"status\": " + JsonString(s.status) + ", \"stage\": " + JsonString(s.stage) +
         ", \"owner\": " + JsonString(s.owner) + ", \"risk\": " + JsonString(s.risk) +
         ", \"childRef\": " + JsonString(s.child_ref) +
         ", \"communityCode\": " + JsonString(s.community_code) +
         ", \"agency\": " + JsonString(s.agency) + ", \"sex\": " + JsonString(s.sex) +
         ", \"ageBand\": " + JsonString(s.age_band) +
         ", \"vulnerabilities\": " + JsonStrings(s.vulnerabilities) +
         ", \"openedAt\": " + JsonTime(s.opened_at) +
         ", \"ownerSince\": " + JsonTime(s.owner_since) + ",\n  \"openReferrals\": [";
  bool first = true;
  for (const ReferralState* r : OpenReferrals(s)) {
    out += std::string(first ? "" : ", ") + "{\"referralId\": " + JsonString(r->referral_id) +
           ", \"serviceType\": " + JsonString(r->service_type) +
           ", \"toAgency\": " + JsonString(r->to_agency) +
           ", \"toUser\": " + JsonString(r->to_user) + ", \"state\": " + JsonString(r->state) +
           ", \"consentOverridden\": " + (r->consent_overridden ? "true" : "false") +
           ", \"madePosition\": " + std::to_string(r->made_position) + "}";
    first = false;
  }
  out += "],\n  \"pendingApprovals\": " + JsonStrings(s.pending_approvals) + ", \"transfer\": ";
  if (s.transfer) {
    out += "{\"toAgency\": " + JsonString(s.transfer->to_agency) +
           ", \"toUser\": " + JsonString(s.transfer->to_user) +
           ", \"consentOverridden\": " + (s.transfer->consent_overridden ? "true" : "false") +
           ", \"position\": " + std::to_string(s.transfer->position) + "}";
  } else {
    out += "null";
  }
  out += "},\n \"timeline\": [";
  first = true;
  for (const TimelineLine& line : report.timeline) {
    const RecordedEvent& e = in.events[line.event];
    out += std::string(first ? "\n  " : ",\n  ") + "{\"position\": " + std::to_string(e.position) +
           ", \"streamVersion\": " + std::to_string(e.stream_version) +
           ", \"recordedAt\": " + JsonTime(e.recorded_at) +
           ", \"occurredAt\": " + JsonTime(e.event.occurred_at) +
           ", \"actor\": " + ActorToJson(e.event.actor) +
           ", \"recordedBy\": " + JsonString(e.recorded_by) +
           ", \"type\": " + JsonString(e.event.type) +
           ", \"eventId\": " + JsonString(e.event.id.ToHex()) +
           ", \"effect\": " + JsonString(EffectKey(line.effect)) +
           ", \"corrects\": " + (line.voids ? "null" : JsonPosition(e.event.corrects)) +
           ", \"correctionReason\": " +
           (e.event.corrects && !line.voids ? JsonString(e.event.correction_reason) : "null") +
           ", \"voids\": " + JsonPosition(line.voids) + ", \"correctedBy\": [" +
           Join(line.corrected_by, ", ") +
           "], \"dataInEffect\": " + JsonPosition(line.data_in_effect) + ", \"voidedBy\": [" +
           Join(line.voided_by, ", ") + "], \"anomaly\": " + (line.anomaly ? "true" : "false") +
           ", \"data\": " + line.data_json + "}";
    first = false;
  }
  out += first ? "],\n" : "\n ],\n";

  out += " \"reads\": [";
  first = true;
  for (const ReadLine& r : report.reads) {
    const RecordedEvent& e = in.reads[r.event];
    out += std::string(first ? "\n  " : ",\n  ") + "{\"position\": " + std::to_string(e.position) +
           ", \"recordedAt\": " + JsonTime(e.recorded_at) +
           ", \"recordedBy\": " + JsonString(e.recorded_by) +
           ", \"actor\": " + ActorToJson(e.event.actor) +
           ", \"purpose\": " + JsonString(r.purpose) + "}";
    first = false;
  }
  out += first ? "],\n" : "\n ],\n";

  out += " \"anomalies\": [";
  first = true;
  for (const CaseAnomaly& a : s.anomalies) {
    out += std::string(first ? "\n  " : ",\n  ") + "{\"position\": " + std::to_string(a.position) +
           ", \"rule\": " + JsonString(a.rule) + "}";
    first = false;
  }
  out += first ? "]\n}\n" : "\n ]\n}\n";
  return out;
}

}  // namespace caseledger::cli
