// Ingest and fold: keeps each consumed event under its group and derives the group's
// records again, honouring corrections and voids the way the SDK's case reducer does.
#include "coverage_state.h"

#include <schema/case_events.capnp.h>

#include <cstdio>
#include <functional>
#include <map>
#include <utility>

namespace coverage {
namespace {

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

// An original event that counts, with the data in effect (its latest valid correction's,
// else its own).
struct InEffect {
  const Stored* original;
  const Stored* data;
};

struct Anomaly {
  uint64_t position;
  std::string stream;
  std::string code;
  std::string rule;
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

std::string At(uint64_t position) { return "position " + std::to_string(position); }

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

// The group of an original (not a correction, not a void) of `type`.
std::string GroupOf(const Event& e) {
  const std::string_view type = e.type();
  if (IsSpaceType(type)) return "s/" + SpaceIdOf(type, e.payload());
  if (type == "CommunityRegistered")
    return "c/" + Text(Payload<schema::CommunityRegistered>(e.payload())->getCode());
  return "k/" + std::string(e.stream());  // CaseOpened, ConsentRecorded
}

// Decides which data is in effect, as ReduceCase does: voids latest first (a void of a
// void restores what the first withdrew), then corrections oldest first, each naming its
// original directly or through an earlier valid correction. `check` may refuse a
// correction (returns the rule broken, "" to accept). Refused corrections of space events
// are reported through `anomaly`; those of other types are ignored silently (caseload and
// the community registry are not coverage's state machines).
std::vector<InEffect> Resolve(const std::vector<Stored>& events,
                              const std::function<std::string(const Stored&)>& check,
                              std::vector<Anomaly>& anomalies) {
  std::map<uint64_t, const Stored*> by_position;
  for (const Stored& e : events) by_position[e.position] = &e;
  std::set<uint64_t> withdrawn;
  for (auto it = events.rbegin(); it != events.rend(); ++it)
    if (it->type == "EntryVoided" && !withdrawn.count(it->position))
      withdrawn.insert(VoidTarget(it->payload));

  auto refuse = [&](const Stored& e, const std::string& why) {
    const std::string machine = Machine(e.type);
    if (!machine.empty())
      anomalies.push_back({e.position, e.stream, "", machine + ": the " + e.type + " " + why});
  };
  std::map<uint64_t, uint64_t> root_of;           // correction -> original
  std::map<uint64_t, const Stored*> replacement;  // original -> latest correction
  for (const Stored& e : events) {
    if (e.corrects == 0 || e.type == "EntryVoided" || withdrawn.count(e.position)) continue;
    auto found = e.corrects < e.position ? by_position.find(e.corrects) : by_position.end();
    if (found == by_position.end()) {
      refuse(e, "corrects " + At(e.corrects) + ", which holds no event it may correct");
      continue;
    }
    const Stored& target = *found->second;
    if (target.type != e.type) {
      refuse(e, "corrects " + At(e.corrects) + ", which holds a " + target.type);
      continue;
    }
    if (withdrawn.count(target.position)) {  // withdrawn with what it corrects
      withdrawn.insert(e.position);
      continue;
    }
    uint64_t root = target.position;
    if (target.corrects != 0) {
      auto r = root_of.find(target.position);
      if (r == root_of.end()) {
        refuse(e, "corrects " + At(e.corrects) + ", an ignored correction");
        continue;
      }
      root = r->second;
    }
    if (const std::string why = check(e); !why.empty()) {
      refuse(e, why);
      continue;
    }
    root_of[e.position] = root;
    replacement[root] = &e;
  }

  std::vector<InEffect> in_effect;
  for (const Stored& e : events) {
    if (e.corrects != 0 || e.type == "EntryVoided" || withdrawn.count(e.position)) continue;
    auto r = replacement.find(e.position);
    in_effect.push_back({&e, r == replacement.end() ? &e : r->second});
  }
  return in_effect;
}

using Records = std::vector<std::pair<std::string, std::string>>;

std::string DayKey(int32_t days_since_epoch) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%010lld",
                static_cast<long long>(days_since_epoch) + (1LL << 31));
  return buffer;
}

// The spaces, enrolment and attendance state machines of one space: closed (or never
// opened) -> open -> closed -> open ...; a child enrols once per space while it is open;
// attendance counts for children enrolled there, while it is open.
void FoldSpace(const std::string& space_id, const std::vector<Stored>& events, Records& out,
               std::vector<Anomaly>& anomalies) {
  auto same_space = [&](const Stored& correction) -> std::string {
    const std::string id = SpaceIdOf(correction.type, correction.payload);
    return id == space_id ? "" : "names space " + id + " instead of " + space_id;
  };
  const std::vector<InEffect> in_effect = Resolve(events, same_space, anomalies);
  bool open = false;
  bool ever_opened = false;
  std::string code;
  std::string services;
  std::set<std::string> enrolled;
  auto not_open = [&] {
    return space_id + (ever_opened ? ", which is closed" : ", which never opened");
  };
  for (const InEffect& ie : in_effect) {
    const Stored& d = *ie.data;
    auto flag = [&](std::string rule) {
      anomalies.push_back({d.position, d.stream, code, std::move(rule)});
    };
    if (d.type == "SpaceOpened") {
      Payload<schema::SpaceOpened> opened(d.payload);
      if (open) {
        flag("spaces: SpaceOpened of " + space_id + ", which is already open");
        continue;
      }
      open = ever_opened = true;
      code = Text(opened->getCommunityCode());
      services = "0000";
      for (schema::SpaceService s : opened->getServices()) {
        const auto index = static_cast<size_t>(s);
        if (index < services.size()) services[index] = '1';
      }
    } else if (d.type == "SpaceClosed") {
      if (!open) {
        flag("spaces: SpaceClosed of " + not_open());
        continue;
      }
      open = false;
    } else if (d.type == "ChildEnrolled") {
      Payload<schema::ChildEnrolled> enrolment(d.payload);
      const std::string child = Text(enrolment->getChildRef());
      if (!open) {
        flag("enrolment: ChildEnrolled of " + child + " in " + not_open());
      } else if (!enrolled.insert(child).second) {
        flag("enrolment: " + child + " is already enrolled in " + space_id);
      } else {
        out.emplace_back("E/" + child + kSep + PositionKey(ie.original->position),
                         code + kSep + std::string(SexName(static_cast<int>(enrolment->getSex()))) +
                             kSep +
                             std::string(AgeBandName(static_cast<int>(enrolment->getAgeBand()))) +
                             kSep + (enrolment->getLeftBehind() ? "1" : "0"));
      }
    } else if (d.type == "AttendanceRecorded") {
      Payload<schema::AttendanceRecorded> attendance(d.payload);
      if (!open) {
        flag("attendance: AttendanceRecorded in " + not_open());
        continue;
      }
      const std::string day = DayKey(attendance->getDate().getDaysSinceEpoch());
      for (capnp::Text::Reader ref : attendance->getChildRefs()) {
        const std::string child = Text(ref);
        if (!enrolled.count(child))
          flag("attendance: " + child + " is not enrolled in " + space_id);
        else
          out.emplace_back("A/" + child + kSep + day + kSep + space_id, "");
      }
    }
  }
  if (open) out.emplace_back("S/" + code + kSep + space_id, services);
}

// A community's registration: the latest one in effect gives its code and population.
void FoldCommunity(const std::string& group, const std::vector<Stored>& events, Records& out,
                   std::vector<Anomaly>& anomalies) {
  const std::vector<InEffect> in_effect = Resolve(
      events, [](const Stored&) { return std::string(); }, anomalies);
  if (in_effect.empty()) return;
  const InEffect& latest = in_effect.back();
  Payload<schema::CommunityRegistered> registered(latest.data->payload);
  out.emplace_back(
      "C/" + Text(registered->getCode()) + kSep + group,
      PositionKey(latest.data->position) + kSep + std::to_string(registered->getChildPopulation()));
}

// A case: its first CaseOpened in effect gives the community and the vulnerability flags;
// its latest ConsentRecorded in effect (either subject) decides reporting.
void FoldCase(const std::string& stream, const std::vector<Stored>& events, Records& out,
              std::vector<Anomaly>& anomalies) {
  const std::vector<InEffect> in_effect = Resolve(
      events, [](const Stored&) { return std::string(); }, anomalies);
  std::string code;
  bool opened = false;
  bool vulnerable = false;
  bool reporting = false;
  for (const InEffect& ie : in_effect) {
    if (ie.data->type == "CaseOpened" && !opened) {
      Payload<schema::CaseOpened> case_opened(ie.data->payload);
      opened = true;
      code = Text(case_opened->getCommunityCode());
      vulnerable = case_opened->getVulnerabilities().size() > 0;
    } else if (ie.data->type == "ConsentRecorded") {
      reporting = Payload<schema::ConsentRecorded>(ie.data->payload)->getConsentForReporting();
    }
  }
  if (opened && vulnerable) out.emplace_back("V/" + code + kSep + stream, reporting ? "1" : "0");
}

}  // namespace

std::string PositionKey(uint64_t position) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(position));
  return hex;
}

uint64_t ParsePosition(std::string_view hex) { return std::stoull(std::string(hex), nullptr, 16); }

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

void Ingest(const Event& e, State& state, std::set<std::string>& touched) {
  const std::string type(e.type());
  std::string group;
  if (type == "EntryVoided" || e.corrects() != 0) {
    // Joins the group of the event it names; a void of nothing we keep changes nothing.
    const uint64_t target = type == "EntryVoided" ? VoidTarget(e.payload()) : e.corrects();
    if (target < e.position())
      if (auto indexed = state.Get("r/" + PositionKey(target))) group = Split(*indexed, 2)[0];
    if (group.empty() && type != "EntryVoided" && IsSpaceType(type))
      group = "o/" + PositionKey(e.position());
  } else {
    group = GroupOf(e);
  }
  const std::string position = PositionKey(e.position());
  state.Put("r/" + position, group + kSep + type);
  if (group.empty()) return;
  state.Put("m/" + group + kSep + position, type + kSep + std::string(e.stream()) + kSep +
                                                std::to_string(e.corrects()) + kSep +
                                                std::string(e.payload()));
  touched.insert(group);
}

void Recompute(const std::string& group, State& state) {
  std::vector<Stored> events;
  state.Scan("m/" + group + kSep, [&](std::string_view key, std::string_view value) {
    std::vector<std::string> f = Split(value, 4);
    events.push_back({ParsePosition(key.substr(key.size() - 16)), std::move(f[0]), std::move(f[1]),
                      std::stoull(f[2]), std::move(f[3])});
    return true;
  });

  Records out;
  std::vector<Anomaly> anomalies;
  const std::string id = group.substr(2);
  if (group.starts_with("s/"))
    FoldSpace(id, events, out, anomalies);
  else if (group.starts_with("c/"))
    FoldCommunity(group, events, out, anomalies);
  else if (group.starts_with("k/"))
    FoldCase(id, events, out, anomalies);
  else  // "o/": corrections of nothing; Resolve lists them unless voided
    Resolve(
        events, [](const Stored&) { return std::string(); }, anomalies);
  int seq = 0;
  for (const Anomaly& a : anomalies) {
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%06d", seq++);
    out.emplace_back("N/" + PositionKey(a.position) + kSep + suffix,
                     a.stream + kSep + a.code + kSep + a.rule);
  }

  const std::string list_key = "d/" + group;
  if (auto previous = state.Get(list_key)) {
    std::string_view rest = *previous;
    while (!rest.empty()) {
      const size_t at = rest.find(kListSep);
      state.Delete(rest.substr(0, at));
      rest.remove_prefix(at == std::string_view::npos ? rest.size() : at + 1);
    }
  }
  std::string list;
  for (const auto& [key, value] : out) {
    state.Put(key, value);
    list += (list.empty() ? "" : std::string(1, kListSep)) + key;
  }
  if (list.empty())
    state.Delete(list_key);
  else
    state.Put(list_key, list);
}

}  // namespace coverage
