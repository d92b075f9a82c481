// Ingest and fold: keeps each consumed event under its group, folds a space's new events on
// top of its saved fold state, and folds a group again from scratch when a correction or a
// void reaches it (corrections and voids resolved by the SDK's ResolveCorrections, the
// rules every built-in plugin shares).
#include "coverage_state.h"

#include <caseledger/case_state.h>
#include <schema/case_events.capnp.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <utility>

namespace coverage {
namespace {

using caseledger::CaseEventInput;
using caseledger::Event;
using caseledger::Payload;
using caseledger::PluginError;
using caseledger::State;
namespace schema = caseledger::schema;

// One stored event of a group.
struct Stored {
  uint64_t position = 0;
  std::string type;
  std::string stream;
  uint64_t corrects = 0;
  std::string payload;
};

bool IsSpaceType(std::string_view type) {
  return type == "SpaceOpened" || type == "SpaceClosed" || type == "ChildEnrolled" ||
         type == "AttendanceRecorded";
}

// The state machine a space event belongs to, as the rules of `anomalies` name it.
std::string Machine(std::string_view type) {
  if (type == "SpaceOpened" || type == "SpaceClosed") return "spaces";
  if (type == "ChildEnrolled") return "enrolment";
  if (type == "AttendanceRecorded") return "attendance";
  return "";
}

std::string Text(capnp::Text::Reader text) { return std::string(text.cStr(), text.size()); }

uint64_t VoidTarget(std::string_view payload) {
  return Payload<schema::EntryVoided>(payload)->getPosition();
}

// The space id a space event's payload names.
std::string SpaceIdOf(std::string_view type, std::string_view payload) {
  if (type == "SpaceOpened") return Text(Payload<schema::SpaceOpened>(payload)->getSpaceId());
  if (type == "SpaceClosed") return Text(Payload<schema::SpaceClosed>(payload)->getSpaceId());
  if (type == "ChildEnrolled") return Text(Payload<schema::ChildEnrolled>(payload)->getSpaceId());
  return Text(Payload<schema::AttendanceRecorded>(payload)->getSpaceId());
}

// The group of an original (not a correction, not a void).
std::string GroupOf(const Event& e) {
  const std::string_view type = e.type();
  if (IsSpaceType(type)) return "s/" + SpaceIdOf(type, e.payload());
  if (type == "CommunityRegistered")
    return "c/" + Text(Payload<schema::CommunityRegistered>(e.payload())->getCode());
  return "k/" + std::string(e.stream());  // CaseOpened, ConsentRecorded
}

// The derived records of one group: each is written with an index entry under d/, so that
// folding the group again can remove exactly what it wrote before.
class Derived {
 public:
  Derived(State& state, const std::string& group) : state_(state), index_("d/" + group + kSep) {}

  State& state() { return state_; }

  void Put(const std::string& key, std::string_view value) {
    state_.Put(key, value);
    state_.Put(index_ + key, "");
  }
  void Delete(const std::string& key) {
    state_.Delete(key);
    state_.Delete(index_ + key);
  }
  // Rule `rule` broken at `position`; several at one position keep their order.
  void Anomaly(uint64_t position, std::string_view stream, std::string_view code,
               std::string_view rule) {
    char seq[16];
    std::snprintf(seq, sizeof seq, "%06d", next_seq_[position]++);
    Put("N/" + PositionKey(position) + kSep + seq,
        std::string(stream) + kSep + std::string(code) + kSep + std::string(rule));
  }
  // Removes every record the group wrote.
  void Clear() {
    std::vector<std::string> keys;
    state_.Scan(index_, [&](std::string_view key, std::string_view) {
      keys.emplace_back(key.substr(index_.size()));
      return true;
    });
    for (const std::string& key : keys) Delete(key);
  }

 private:
  State& state_;
  const std::string index_;
  std::map<uint64_t, int> next_seq_;
};

// The spaces, enrolment and attendance state machines of one space: closed (or never
// opened) -> open -> closed -> open ...; a child enrols once per space, while it is open;
// attendance counts for children enrolled there, while it is open.
class SpaceFold {
 public:
  // The fold as saved after the space's last event (or a space never seen).
  SpaceFold(std::string space_id, Derived& derived)
      : id_(std::move(space_id)), key_("f/" + id_), derived_(derived) {
    if (auto saved = derived_.state().Get(key_)) {
      std::vector<std::string> f = Split(*saved, 4);
      open_ = f[0] == "1";
      ever_opened_ = f[1] == "1";
      code_ = std::move(f[2]);
      services_ = std::move(f[3]);
    }
  }
  // Forgets everything (before folding the space from its first event again).
  void Reset() {
    changed_ = true;
    open_ = ever_opened_ = false;
    code_.clear();
    services_.clear();
  }

  // Folds `d`, the data in effect at `original`'s place.
  void Apply(const Stored& d, uint64_t original) {
    auto flag = [&](const std::string& rule) {
      derived_.Anomaly(d.position, d.stream, code_, rule);
    };
    if (d.type == "SpaceOpened") {
      Payload<schema::SpaceOpened> opened(d.payload);
      if (open_) return flag("spaces: SpaceOpened of " + id_ + ", which is already open");
      open_ = ever_opened_ = changed_ = true;
      code_ = Text(opened->getCommunityCode());
      services_ = "0000";
      for (schema::SpaceService s : opened->getServices()) {
        const auto index = static_cast<size_t>(s);
        if (index < services_.size()) services_[index] = '1';
      }
      derived_.Put("S/" + code_ + kSep + id_, services_);
    } else if (d.type == "SpaceClosed") {
      if (!open_) return flag("spaces: SpaceClosed of " + NotOpen());
      open_ = false;
      changed_ = true;
      derived_.Delete("S/" + code_ + kSep + id_);
    } else if (d.type == "ChildEnrolled") {
      Payload<schema::ChildEnrolled> enrolment(d.payload);
      const std::string child = Text(enrolment->getChildRef());
      if (!open_) return flag("enrolment: ChildEnrolled of " + child + " in " + NotOpen());
      if (Enrolled(child)) return flag("enrolment: " + child + " is already enrolled in " + id_);
      derived_.Put("e/" + id_ + kSep + child, "");
      derived_.Put("E/" + child + kSep + PositionKey(original),
                   code_ + kSep + std::string(SexName(static_cast<int>(enrolment->getSex()))) +
                       kSep + std::string(AgeBandName(static_cast<int>(enrolment->getAgeBand()))) +
                       kSep + (enrolment->getLeftBehind() ? "1" : "0"));
    } else if (d.type == "AttendanceRecorded") {
      Payload<schema::AttendanceRecorded> attendance(d.payload);
      if (!open_) return flag("attendance: AttendanceRecorded in " + NotOpen());
      std::string present;
      for (capnp::Text::Reader ref : attendance->getChildRefs()) {
        const std::string child = Text(ref);
        if (Enrolled(child))
          present += (present.empty() ? "" : std::string(1, kSep)) + child;
        else
          flag("attendance: " + child + " is not enrolled in " + id_);
      }
      if (!present.empty())
        derived_.Put("A/" + DayKey(attendance->getDate().getDaysSinceEpoch()) + kSep + id_ + kSep +
                         PositionKey(original),
                     present);
    }
  }

  // Writes the fold state if an event changed it (only spaces opening and closing do).
  void Save() {
    if (!changed_) return;
    derived_.state().Put(key_, std::string(open_ ? "1" : "0") + kSep + (ever_opened_ ? "1" : "0") +
                                   kSep + code_ + kSep + services_);
  }

 private:
  bool Enrolled(const std::string& child) const {
    return derived_.state().Get("e/" + id_ + kSep + child).has_value();
  }
  std::string NotOpen() const {
    return id_ + (ever_opened_ ? ", which is closed" : ", which never opened");
  }

  std::string id_;
  std::string key_;
  Derived& derived_;
  bool changed_ = false;
  bool open_ = false;
  bool ever_opened_ = false;
  std::string code_;
  std::string services_;
};

std::vector<Stored> LoadGroup(const std::string& group, const State& state) {
  std::vector<Stored> events;
  state.Scan("m/" + group + kSep, [&](std::string_view key, std::string_view value) {
    std::vector<std::string> f = Split(value, 4);
    events.push_back({ParsePosition(key.substr(key.size() - 16)), std::move(f[0]), std::move(f[1]),
                      std::stoull(f[2]), std::move(f[3])});
    return true;
  });
  return events;
}

// Folds `group` again from all its events and replaces its derived records.
void Refold(const std::string& group, State& state) {
  const std::vector<Stored> events = LoadGroup(group, state);
  std::vector<CaseEventInput> inputs(events.size());
  std::vector<const CaseEventInput*> known;
  for (size_t i = 0; i < events.size(); ++i) {
    inputs[i].position = events[i].position;
    inputs[i].type = events[i].type;
    inputs[i].corrects = events[i].corrects;
    inputs[i].payload = events[i].payload;
    known.push_back(&inputs[i]);
  }
  auto stored = [&](const CaseEventInput* input) -> const Stored& {
    return events[static_cast<size_t>(input - inputs.data())];
  };

  const std::string id = group.substr(2);
  // A correction stays in the stream of what it corrects (docs/events.md section 5), and a
  // correction of a space event may not move it to another space.
  std::map<uint64_t, const Stored*> by_position;
  for (const Stored& e : events) by_position[e.position] = &e;
  const caseledger::CorrectionCheck check = [&](const CaseEventInput& input) -> std::string {
    const Stored& correction = stored(&input);
    auto target = by_position.find(correction.corrects);
    if (target != by_position.end() && target->second->stream != correction.stream)
      return "is in stream " + correction.stream + ", not in " + target->second->stream +
             " where position " + std::to_string(correction.corrects) + " is";
    if (!group.starts_with("s/")) return "";
    const std::string named = SpaceIdOf(correction.type, correction.payload);
    return named == id ? "" : "names space " + named + " instead of " + id;
  };
  std::vector<caseledger::CorrectionProblem> problems;
  auto effective = caseledger::ResolveCorrections(known, {}, problems, check);
  if (!effective.ok()) throw PluginError("coverage: " + effective.status().message());

  Derived derived(state, group);
  derived.Clear();
  // Refused corrections break a coverage state machine only for space events; the case and
  // community registries are other plugins' state machines.
  for (const caseledger::CorrectionProblem& p : problems) {
    const Stored& e = stored(*std::find_if(known.begin(), known.end(),
                                           [&](auto* k) { return k->position == p.position; }));
    if (const std::string machine = Machine(e.type); !machine.empty())
      derived.Anomaly(p.position, e.stream, "", machine + ": " + p.what);
  }

  if (group.starts_with("s/")) {
    SpaceFold fold(id, derived);
    fold.Reset();
    for (const caseledger::EffectiveEvent& e : *effective)
      fold.Apply(stored(e.data), e.original->position);
    fold.Save();
  } else if (group.starts_with("c/")) {
    // Each registration in effect registers its (possibly corrected) code; where several
    // name one code, the query takes the population of the data at the highest position.
    for (const caseledger::EffectiveEvent& e : *effective) {
      const Stored& data = stored(e.data);
      Payload<schema::CommunityRegistered> registered(data.payload);
      derived.Put(
          "C/" + Text(registered->getCode()) + kSep + group + kSep +
              PositionKey(e.original->position),
          PositionKey(data.position) + kSep + std::to_string(registered->getChildPopulation()));
    }
  } else if (group.starts_with("k/")) {
    // A case: its first CaseOpened in effect gives the community and the vulnerability
    // flags; its latest ConsentRecorded in effect after that (either subject) decides
    // reporting, as the SDK's case reducer ignores case events before CaseOpened.
    std::string code;
    bool opened = false;
    bool vulnerable = false;
    bool reporting = false;
    for (const caseledger::EffectiveEvent& e : *effective) {
      const Stored& d = stored(e.data);
      if (d.type == "CaseOpened" && !opened) {
        Payload<schema::CaseOpened> case_opened(d.payload);
        opened = true;
        code = Text(case_opened->getCommunityCode());
        vulnerable = case_opened->getVulnerabilities().size() > 0;
      } else if (d.type == "ConsentRecorded" && opened) {
        reporting = Payload<schema::ConsentRecorded>(d.payload)->getConsentForReporting();
      }
    }
    if (opened && vulnerable) derived.Put("V/" + code + kSep + id, reporting ? "1" : "0");
  }
  // "o/": a correction of nothing; its problem above is all it gives (none once voided).
}

}  // namespace

std::string PositionKey(uint64_t position) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(position));
  return hex;
}

uint64_t ParsePosition(std::string_view hex) { return std::stoull(std::string(hex), nullptr, 16); }

std::string DayKey(int64_t days_since_epoch) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "%010lld",
                static_cast<long long>(days_since_epoch + (int64_t{1} << 31)));
  return buffer;
}

std::vector<std::string> Split(std::string_view s, size_t fields) {
  std::vector<std::string> parts;
  while (parts.size() + 1 < fields) {
    const size_t at = s.find(kSep);
    if (at == std::string_view::npos) throw PluginError("coverage: a state record is malformed");
    parts.emplace_back(s.substr(0, at));
    s.remove_prefix(at + 1);
  }
  parts.emplace_back(s);
  return parts;
}

std::string_view SexName(int sex) {
  static constexpr std::string_view kNames[] = {"female", "male", "unknown"};
  return sex >= 0 && sex < 3 ? kNames[sex] : "unknown";
}

std::string_view AgeBandName(int age_band) {
  static constexpr std::string_view kNames[] = {"0-5", "6-11", "12-17", "18+"};
  return age_band >= 0 && age_band < 4 ? kNames[age_band] : "unknown";
}

void ApplyBatch(std::span<const Event> events, State& state) {
  std::set<std::string> refold;  // groups to fold again from scratch after the batch
  for (const Event& e : events) {
    const std::string type(e.type());
    const bool original = type != "EntryVoided" && e.corrects() == 0;
    std::string group;
    if (original) {
      group = GroupOf(e);
    } else {
      // Joins the group of the event it names; a void of nothing we keep changes nothing.
      const uint64_t target = type == "EntryVoided" ? VoidTarget(e.payload()) : e.corrects();
      if (target < e.position())
        if (auto indexed = state.Get("r/" + PositionKey(target))) group = Split(*indexed, 2)[0];
      if (group.empty() && type != "EntryVoided" && IsSpaceType(type))
        group = "o/" + PositionKey(e.position());
    }
    const std::string position = PositionKey(e.position());
    state.Put("r/" + position, group + kSep + type);
    if (group.empty()) continue;
    Stored stored{e.position(), type, std::string(e.stream()), e.corrects(),
                  std::string(e.payload())};
    state.Put("m/" + group + kSep + position, stored.type + kSep + stored.stream + kSep +
                                                  std::to_string(stored.corrects) + kSep +
                                                  stored.payload);
    if (original && group.starts_with("s/") && !refold.count(group)) {
      // The space's fold so far is exact: a new original only extends it.
      Derived derived(state, group);
      SpaceFold fold(group.substr(2), derived);
      fold.Apply(stored, stored.position);
      fold.Save();
    } else {
      refold.insert(group);
    }
  }
  for (const std::string& group : refold) Refold(group, state);
}

}  // namespace coverage
