// The coverage plugin against a brute-force recomputation, on generated ledgers
// (tools/caseledger/gen, seeds 1..3). The recomputation below reads the raw events of the
// ledger, applies voids and corrections, walks each children's place through its own,
// deliberately plain, implementation of the spaces, enrolment and attendance machines, and
// computes every figure of DOMAIN.md's appendix ("Exact definitions of the figures",
// Coverage) from that. It shares no code with the plugin or with the SDK's case reducer:
// only the schema's generated readers (to decode payloads) and the projector's table type
// and CSV printing (to compare).
//
// The ledger is built, read back and projected by tests/support/generated_ledger.h (as in
// projection_bruteforce_test); this file keeps its recomputation, its tail and its questions.
//
// Each ledger holds 15,000 generated lines, then a short tail of hand-picked events the
// generator does not write (see AppendTail): a void of a ChildEnrolled, a void of a
// SpaceClosed, corrections of a SpaceOpened changing its services and of another changing
// its community, a correction of an AttendanceRecorded naming another space, a correction
// of a CommunityRegistered changing its population, a void of a ConsentRecorded, a void of
// a SpaceOpened and a void of that void, a ConsentRecorded before its case's CaseOpened, and
// communities registered twice, then corrected. The plugin is asked without as_of (T =
// recorded-at of the last position) and with as_of_position = 7,500 (before the tail);
// `enrolment` is asked again at both positions with as_of = the latest occurred-at up to
// there (the simulated "now"), because the recorded-at of a generated ledger is the wall
// clock of the test run, long after every attendance date, which leaves `regular` at zero.
// GeneratedDataAndTailAreNotVacuous checks that the figures compared are not empty and
// that each tail event changes what it should.
//
// The rules followed (DOMAIN.md, and where it is silent the plugin's documented decisions,
// docs/projections.md):
// - "As of" a position P: the events at positions <= P; T = the recorded-at of P unless
//   as_of gives it.
// - Voids: an EntryVoided (not itself voided; latest first, so that a void of a void
//   restores what the first withdrew) withdraws the earlier event it names, and every
//   correction of it.
// - Corrections: a correction names an earlier position holding an event of the same type
//   (the stream is not compared: the tail's corrections stay in their original's stream;
//   coverage_plugin_test checks that one in another stream is refused),
//   an original or a valid correction of one (then it corrects that original); the latest
//   valid one's payload is in effect at the original's place in the order. A correction of
//   a space event (SpaceOpened, SpaceClosed, ChildEnrolled, AttendanceRecorded) that names
//   another space id than its original's is refused; one that names nothing it may correct
//   is refused; refused corrections of space events are anomalies (at the correction's
//   position), those of other types are ignored.
// - Spaces, per space id, in position order, with the data in effect: SpaceOpened on an
//   open space is an anomaly, otherwise it opens the space with its community and
//   services; SpaceClosed on a space not open is an anomaly; ChildEnrolled on a space not
//   open, or of a child already enrolled there (ever: closing does not clear it), is an
//   anomaly; AttendanceRecorded on a space not open is an anomaly, otherwise each child ref
//   enrolled there is present on that date, each other one is an anomaly. An anomaly's
//   position is that of the data in effect (the correction's, for a corrected event).
// - communities: registered = codes with a CommunityRegistered in effect (a correction may
//   change the code; of two in effect with one code, the data at the higher position gives
//   the population); covered = at least one open space whose community is that code;
//   meets_target = covered * 10 >= registered * 9.
// - enrolment: each child once, from their valid enrolment at the lowest original position
//   (the space's community then; sex, age band, left_behind of the payload); regular = present
//   on >= 4 distinct dates D, date(T) - 30 days < D <= date(T), in any space.
// - services_offered: the open spaces per area, and the share offering each service.
// - vulnerable_per_1000: per case stream, the first CaseOpened in effect gives the community
//   and whether any vulnerability flag is set; such a case counts if the latest
//   ConsentRecorded in effect after that CaseOpened has consent_for_reporting, else it is
//   excluded_no_consent (a ConsentRecorded before the first CaseOpened is ignored). Only
//   registered communities with a child population > 0 count.
// - anomalies: compared as (position, stream, machine), the machine being the rule's first
//   word ("spaces", "enrolment", "attendance"); the rest of the rule is the plugin's wording.
// - Table shapes (columns, row order, which rows exist) are the plugin's presentation, read
//   from plugins/coverage/coverage_queries.cpp and docs/projections.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "caseledger/case_events.h"
#include "caseledger/ledger.h"
#include "caseledger/time.h"
#include "generated_ledger.h"
#include "query_table.h"
#include "scenario_ledger.h"
#include "schema/case_events.capnp.h"

namespace caseledger {
namespace {

using projector::QueryTable;
using testing::DecodePayload;
using testing::NewTable;
using testing::RawEvent;
using testing::TextOf;
using Type = QueryTable::Type;
using Params = std::vector<std::pair<std::string, std::string>>;

constexpr int64_t kHour = 3'600'000'000;  // microseconds
constexpr int64_t kDay = 24 * kHour;
constexpr uint64_t kEvents = 15'000;

// ---------------------------------------------------------------------------------------
// The schema's enums, named as the plugins name them.

std::string AgeBandName(schema::AgeBand b) {
  switch (b) {
    case schema::AgeBand::AGE0TO5:
      return "0-5";
    case schema::AgeBand::AGE6TO11:
      return "6-11";
    case schema::AgeBand::AGE12TO17:
      return "12-17";
    default:
      return "18+";
  }
}

// Services in the order of the plugin's columns (recreation, non_formal_education,
// psychosocial_support, referral), and their JSON names.
constexpr const char* kServiceNames[] = {"recreation", "non_formal_education",
                                         "psychosocial_support", "referral"};
size_t ServiceIndex(schema::SpaceService s) {
  switch (s) {
    case schema::SpaceService::RECREATION:
      return 0;
    case schema::SpaceService::NON_FORMAL_EDUCATION:
      return 1;
    case schema::SpaceService::PSYCHOSOCIAL_SUPPORT:
      return 2;
    default:
      return 3;
  }
}

bool IsSpaceType(const std::string& type) {
  return type == "SpaceOpened" || type == "SpaceClosed" || type == "ChildEnrolled" ||
         type == "AttendanceRecorded";
}

// The machine a space event belongs to: the first word of the plugin's anomaly rules.
std::string MachineOf(const std::string& type) {
  if (type == "ChildEnrolled") return "enrolment";
  if (type == "AttendanceRecorded") return "attendance";
  return "spaces";
}

std::string SpaceIdOf(const RawEvent& e) {
  std::string id;
  if (e.type == "SpaceOpened")
    DecodePayload<schema::SpaceOpened>(e.payload, [&](auto p) { id = TextOf(p.getSpaceId()); });
  else if (e.type == "SpaceClosed")
    DecodePayload<schema::SpaceClosed>(e.payload, [&](auto p) { id = TextOf(p.getSpaceId()); });
  else if (e.type == "ChildEnrolled")
    DecodePayload<schema::ChildEnrolled>(e.payload, [&](auto p) { id = TextOf(p.getSpaceId()); });
  else
    DecodePayload<schema::AttendanceRecorded>(e.payload,
                                              [&](auto p) { id = TextOf(p.getSpaceId()); });
  return id;
}

// ---------------------------------------------------------------------------------------
// Voids and corrections: which data stands at each original's place.

struct Anomaly {
  Position position = 0;
  std::string stream, machine;
};

struct Standing {
  const RawEvent* original = nullptr;
  const RawEvent* data = nullptr;  // the original, or its latest valid correction
};

struct Resolution {
  std::vector<Standing> standing;  // in the originals' position order
  std::vector<Anomaly> refused;    // corrections of space events that could not apply
};

// `events` holds positions 1..n in order.
Resolution Resolve(const std::vector<RawEvent>& events) {
  Resolution out;
  std::set<Position> withdrawn;
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->type != "EntryVoided" || withdrawn.count(it->position)) continue;
    DecodePayload<schema::EntryVoided>(it->payload, [&](auto v) {
      if (v.getPosition() < it->position) withdrawn.insert(v.getPosition());
    });
  }
  std::map<Position, Position> original_of;    // valid correction -> the original it replaces
  std::map<Position, const RawEvent*> latest;  // original -> its latest valid correction
  for (const RawEvent& e : events) {
    if (e.corrects == 0 || e.type == "EntryVoided" || withdrawn.count(e.position)) continue;
    auto refuse = [&] {
      if (IsSpaceType(e.type)) out.refused.push_back({e.position, e.stream, MachineOf(e.type)});
    };
    if (e.corrects >= e.position || events[e.corrects - 1].type != e.type) {
      refuse();
      continue;
    }
    const RawEvent& target = events[e.corrects - 1];
    if (withdrawn.count(target.position)) {
      withdrawn.insert(e.position);  // goes with what it corrects
      continue;
    }
    Position original = target.position;
    if (target.corrects != 0) {
      const auto found = original_of.find(target.position);
      if (found == original_of.end()) {  // corrects a refused or ignored correction
        refuse();
        continue;
      }
      original = found->second;
    }
    if (IsSpaceType(e.type) && SpaceIdOf(e) != SpaceIdOf(events[original - 1])) {
      refuse();
      continue;
    }
    original_of[e.position] = original;
    latest[original] = &e;
  }
  for (const RawEvent& e : events) {
    if (e.corrects != 0 || e.type == "EntryVoided" || withdrawn.count(e.position)) continue;
    const auto found = latest.find(e.position);
    out.standing.push_back({&e, found == latest.end() ? &e : found->second});
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Spaces, children, communities and cases, as of P.

struct Space {
  bool open = false;
  std::string code;
  std::array<bool, 4> services{};
  std::set<std::string> enrolled;  // ever, in any opening
};

struct Child {
  std::string code, sex, age_band;  // of the first valid enrolment
  bool left_behind = false;
};

struct CaseFacts {
  Position opened = 0;  // the first CaseOpened in effect; 0 = none
  std::string code;
  bool vulnerable = false;
  std::optional<bool> reporting;  // the latest ConsentRecorded in effect after the opening
};

struct World {
  int64_t t = 0;  // T
  std::map<std::string, std::pair<Position, int64_t>>
      communities;                                   // code -> data position, population
  std::map<std::string, Space> spaces;               // by space id
  std::map<std::string, Child> children;             // by child ref
  std::map<std::string, std::set<int32_t>> present;  // child ref -> dates (days)
  std::map<std::string, CaseFacts> cases;            // by stream
  std::vector<Anomaly> anomalies;                    // by position
};

void StepSpace(World& w, const Standing& s) {
  const RawEvent& d = *s.data;
  Space& space = w.spaces[SpaceIdOf(*s.original)];
  auto flag = [&] { w.anomalies.push_back({d.position, d.stream, MachineOf(d.type)}); };
  if (d.type == "SpaceOpened") {
    if (space.open) return flag();
    DecodePayload<schema::SpaceOpened>(d.payload, [&](auto o) {
      space.open = true;
      space.code = TextOf(o.getCommunityCode());
      space.services = {};
      for (schema::SpaceService service : o.getServices())
        space.services[ServiceIndex(service)] = true;
    });
  } else if (d.type == "SpaceClosed") {
    if (!space.open) return flag();
    space.open = false;
  } else if (d.type == "ChildEnrolled") {
    if (!space.open) return flag();
    DecodePayload<schema::ChildEnrolled>(d.payload, [&](auto e) {
      const std::string child = TextOf(e.getChildRef());
      if (!space.enrolled.insert(child).second) return flag();
      // Originals come in position order: the first valid enrolment seen is the earliest.
      w.children.try_emplace(child, Child{space.code, testing::SexName(e.getSex()),
                                          AgeBandName(e.getAgeBand()), e.getLeftBehind()});
    });
  } else {
    if (!space.open) return flag();
    DecodePayload<schema::AttendanceRecorded>(d.payload, [&](auto a) {
      const int32_t day = a.getDate().getDaysSinceEpoch();
      for (capnp::Text::Reader ref : a.getChildRefs()) {
        const std::string child = TextOf(ref);
        if (space.enrolled.count(child))
          w.present[child].insert(day);
        else
          flag();
      }
    });
  }
}

// `events` holds positions 1..P; T is the recorded-at of P unless `t` gives it.
World Recompute(const std::vector<RawEvent>& events, std::optional<int64_t> t = std::nullopt) {
  World w;
  w.t = t ? *t : events.back().recorded;
  Resolution r = Resolve(events);
  w.anomalies = std::move(r.refused);
  for (const Standing& s : r.standing) {
    const RawEvent& d = *s.data;
    if (d.type == "CommunityRegistered") {
      DecodePayload<schema::CommunityRegistered>(d.payload, [&](auto c) {
        const std::string code = TextOf(c.getCode());
        auto [slot, inserted] = w.communities.try_emplace(code, d.position, 0);
        if (inserted || d.position > slot->second.first)
          slot->second = {d.position, c.getChildPopulation()};
      });
    } else if (IsSpaceType(d.type)) {
      StepSpace(w, s);
    } else if (d.type == "CaseOpened") {
      CaseFacts& c = w.cases[s.original->stream];
      if (c.opened) continue;
      c.opened = s.original->position;
      DecodePayload<schema::CaseOpened>(d.payload, [&](auto o) {
        c.code = TextOf(o.getCommunityCode());
        c.vulnerable = o.getVulnerabilities().size() > 0;
      });
    } else if (d.type == "ConsentRecorded") {
      CaseFacts& c = w.cases[s.original->stream];
      if (!c.opened) continue;  // before the first CaseOpened: ignored
      DecodePayload<schema::ConsentRecorded>(
          d.payload, [&](auto r) { c.reporting = r.getConsentForReporting(); });
    }
  }
  std::stable_sort(w.anomalies.begin(), w.anomalies.end(),
                   [](const Anomaly& a, const Anomaly& b) { return a.position < b.position; });
  return w;
}

// ---------------------------------------------------------------------------------------
// The figures, as tables shaped like the plugin's answers.

struct Scope {
  size_t digits = 6;   // the level: 6 county, 9 township
  std::string prefix;  // "" = everywhere
  bool Contains(const std::string& code) const { return code.starts_with(prefix); }
  std::string Area(const std::string& code) const {
    return code.substr(0, std::min(code.size(), digits));
  }
};

double Ratio(int64_t part, int64_t whole) {
  return static_cast<double>(part) / static_cast<double>(whole);
}

// The communities with at least one open space.
std::set<std::string> CoveredCodes(const World& w) {
  std::set<std::string> covered;
  for (const auto& [id, space] : w.spaces)
    if (space.open) covered.insert(space.code);
  return covered;
}

QueryTable Communities(const World& w, const Scope& scope) {
  const std::set<std::string> covered = CoveredCodes(w);
  std::map<std::string, std::pair<int64_t, int64_t>> n;  // registered, covered
  for (const auto& [code, registration] : w.communities) {
    if (!scope.Contains(code)) continue;
    auto& [registered, with_space] = n[scope.Area(code)];
    ++registered;
    if (covered.count(code)) ++with_space;
  }
  QueryTable t = NewTable({{"area", Type::kText},
                           {"registered", Type::kInt},
                           {"covered", Type::kInt},
                           {"share", Type::kReal},
                           {"meets_target", Type::kInt}});
  for (const auto& [area, r] : n)
    t.rows.push_back(
        {area, r.first, r.second, Ratio(r.second, r.first), int64_t{r.second * 10 >= r.first * 9}});
  return t;
}

int SexOrder(const std::string& sex) { return sex == "female" ? 0 : sex == "male" ? 1 : 2; }
int AgeBandOrder(const std::string& band) {
  return band == "0-5" ? 0 : band == "6-11" ? 1 : band == "12-17" ? 2 : 3;
}

// Whether `child` was present on >= 4 distinct dates D, date(T) - 30 < D <= date(T).
bool Regular(const World& w, const std::string& child) {
  const auto found = w.present.find(child);
  if (found == w.present.end()) return false;
  const int64_t today = w.t / kDay;  // T is after 1970: division rounds down
  int dates = 0;
  for (int32_t day : found->second)
    if (day > today - 30 && day <= today) ++dates;
  return dates >= 4;
}

QueryTable Enrolment(const World& w, const Scope& scope) {
  // area, left_behind first, sex order, age band order -> (sex, age band), (enrolled, regular)
  std::map<std::tuple<std::string, int, int, int>,
           std::pair<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>>>
      n;
  for (const auto& [ref, child] : w.children) {
    if (!scope.Contains(child.code)) continue;
    auto& [names, counts] = n[{scope.Area(child.code), child.left_behind ? 0 : 1,
                               SexOrder(child.sex), AgeBandOrder(child.age_band)}];
    names = {child.sex, child.age_band};
    ++counts.first;
    if (Regular(w, ref)) ++counts.second;
  }
  QueryTable t = NewTable({{"area", Type::kText},
                           {"left_behind", Type::kInt},
                           {"sex", Type::kText},
                           {"age_band", Type::kText},
                           {"enrolled", Type::kInt},
                           {"regular", Type::kInt}});
  for (const auto& [key, row] : n)
    t.rows.push_back({std::get<0>(key), int64_t{std::get<1>(key) == 0}, row.first.first,
                      row.first.second, row.second.first, row.second.second});
  return t;
}

QueryTable ServicesOffered(const World& w, const Scope& scope) {
  std::map<std::string, std::array<int64_t, 5>> n;  // open spaces, then one per service
  for (const auto& [id, space] : w.spaces) {
    if (!space.open || !scope.Contains(space.code)) continue;
    auto& r = n[scope.Area(space.code)];
    ++r[0];
    for (size_t i = 0; i < 4; ++i)
      if (space.services[i]) ++r[i + 1];
  }
  QueryTable t = NewTable({{"area", Type::kText},
                           {"open_spaces", Type::kInt},
                           {"recreation", Type::kReal},
                           {"non_formal_education", Type::kReal},
                           {"psychosocial_support", Type::kReal},
                           {"referral", Type::kReal}});
  for (const auto& [area, r] : n)
    t.rows.push_back(
        {area, r[0], Ratio(r[1], r[0]), Ratio(r[2], r[0]), Ratio(r[3], r[0]), Ratio(r[4], r[0])});
  return t;
}

QueryTable VulnerablePer1000(const World& w, const Scope& scope) {
  // communities, child population, counted cases, excluded cases
  std::map<std::string, std::array<int64_t, 4>> n;
  for (const auto& [code, registration] : w.communities) {
    if (!scope.Contains(code) || registration.second <= 0) continue;
    auto& r = n[scope.Area(code)];
    ++r[0];
    r[1] += registration.second;
  }
  for (const auto& [stream, c] : w.cases) {
    if (!c.opened || !c.vulnerable || !scope.Contains(c.code)) continue;
    const auto community = w.communities.find(c.code);
    if (community == w.communities.end() || community->second.second <= 0) continue;
    ++n[scope.Area(c.code)][c.reporting.value_or(false) ? 2 : 3];
  }
  QueryTable t = NewTable({{"area", Type::kText},
                           {"communities", Type::kInt},
                           {"child_population", Type::kInt},
                           {"vulnerable_cases", Type::kInt},
                           {"excluded_no_consent", Type::kInt},
                           {"per_1000", Type::kReal}});
  for (const auto& [area, r] : n)
    t.rows.push_back({area, r[0], r[1], r[2], r[3], Ratio(r[2] * 1000, r[1])});
  return t;
}

QueryTable AnomalyTable() {
  return NewTable({{"position", Type::kInt}, {"stream", Type::kText}, {"machine", Type::kText}});
}

QueryTable Anomalies(const World& w) {
  QueryTable t = AnomalyTable();
  for (const Anomaly& a : w.anomalies)
    t.rows.push_back({static_cast<int64_t>(a.position), a.stream, a.machine});
  return t;
}

// The plugin's anomalies with each rule cut to its machine (the text before the first ':').
QueryTable MachinesOnly(const QueryTable& answer) {
  QueryTable t = AnomalyTable();
  for (const auto& row : answer.rows) {
    if (row.size() != 3 || !std::holds_alternative<std::string>(row[2])) {
      t.rows.push_back({std::string("malformed row")});
      continue;
    }
    const std::string& rule = std::get<std::string>(row[2]);
    t.rows.push_back({row[0], row[1], rule.substr(0, rule.find(':'))});
  }
  return t;
}

// ---------------------------------------------------------------------------------------
// The generated ledgers, one per seed, built once for all the tests of that seed.

// Appends `json` as a `type` event to `stream` (a correction of `corrects` if non-zero; an
// epoch `when` gives no occurred-at) and returns its position, 0 on a failure (in `error`).
Position AppendOne(Ledger& ledger, const std::string& stream, const std::string& type,
                   Timestamp when, const std::string& json, Position corrects, std::string& error) {
  return testing::AppendJsonEvent(ledger, stream, type, when,
                                  Actor{"u-brute", "supervisor", "agency-brute"}, json, corrects,
                                  error);
}

// What AppendTail did, for the checks that the tail is not vacuous.
struct Tail {
  std::string error;                     // "" when every pick and append succeeded
  std::string unenrolled_child;          // its only ChildEnrolled voided
  std::string reopened_space;            // its SpaceClosed voided
  Position reopening = 0;                // that void
  std::string services_space;            // SpaceOpened corrected: other services
  std::string moved_space, moved_to;     // SpaceOpened corrected: another community
  Position refused = 0;                  // the correction naming another space
  std::string repopulated;               // CommunityRegistered corrected: other population
  std::string unconsented_case;          // its only ConsentRecorded voided
  std::string restored_space;            // SpaceOpened voided, then that void voided
  std::string early_consent_case;        // ConsentRecorded, then CaseOpened
  std::string reregistered, moved_code;  // registered again, that moved to another code
  std::string recensused;                // registered again, then the first one corrected
  int64_t recensused_population = 0;     // by that correction
};

std::string DateOf(int32_t days) { return FormatTimestamp(FromMicros(days * kDay)).substr(0, 10); }

std::string VoidJson(Position p) {
  return R"({"position":)" + std::to_string(p) + R"(,"reason":"brute-force test"})";
}

// After the generated lines, the events the generator does not write but the rules define,
// on generated spaces, communities and cases chosen from `generated` (seen only by the
// "latest" moment); see Tail for what each one is.
Tail AppendTail(Ledger& ledger, const std::vector<RawEvent>& generated) {
  Tail tail;
  std::string& error = tail.error;
  struct SpaceInfo {
    std::string stream, code;
    const RawEvent* opened = nullptr;
    const RawEvent* closed = nullptr;
    std::vector<const RawEvent*> enrolments, attendances;
  };
  std::map<std::string, SpaceInfo> spaces;
  std::map<std::string, const RawEvent*> registrations;  // code -> its (first) CommunityRegistered
  struct CaseInfo {
    const RawEvent* opened = nullptr;
    std::string code;
    bool vulnerable = false;
    std::vector<const RawEvent*> consents;
  };
  std::map<std::string, CaseInfo> cases;
  std::set<Position> corrected;  // originals some generated event corrects
  int64_t last_occurred = 0;
  for (const RawEvent& e : generated) {
    last_occurred = std::max(last_occurred, e.occurred);
    if (e.corrects) {
      corrected.insert(e.corrects);
      continue;
    }
    if (IsSpaceType(e.type)) {
      SpaceInfo& s = spaces[SpaceIdOf(e)];
      s.stream = e.stream;
      if (e.type == "SpaceOpened" && !s.opened) {
        s.opened = &e;
        DecodePayload<schema::SpaceOpened>(e.payload,
                                           [&](auto o) { s.code = TextOf(o.getCommunityCode()); });
      }
      if (e.type == "SpaceClosed") s.closed = &e;
      if (e.type == "ChildEnrolled") s.enrolments.push_back(&e);
      if (e.type == "AttendanceRecorded") s.attendances.push_back(&e);
    } else if (e.type == "CommunityRegistered") {
      DecodePayload<schema::CommunityRegistered>(
          e.payload, [&](auto c) { registrations.try_emplace(TextOf(c.getCode()), &e); });
    } else if (e.type == "CaseOpened") {
      CaseInfo& c = cases[e.stream];
      if (c.opened) continue;
      c.opened = &e;
      DecodePayload<schema::CaseOpened>(e.payload, [&](auto o) {
        c.code = TextOf(o.getCommunityCode());
        c.vulnerable = o.getVulnerabilities().size() > 0;
      });
    } else if (e.type == "ConsentRecorded") {
      cases[e.stream].consents.push_back(&e);
    }
  }
  std::map<std::string, int64_t> population;  // generated codes, population as first written
  for (const auto& [code, r] : registrations)
    DecodePayload<schema::CommunityRegistered>(
        r->payload, [&, code = code](auto c) { population[code] = c.getChildPopulation(); });
  std::set<std::string> covered;  // roughly: communities of the spaces never closed
  for (const auto& [id, s] : spaces)
    if (s.opened && !s.closed) covered.insert(s.code);

  const Timestamp later = FromMicros(last_occurred + kHour);
  std::set<std::string> used;
  auto pick_space = [&](const char* what, auto&& fits) -> std::pair<std::string, const SpaceInfo*> {
    for (const auto& [id, s] : spaces)
      if (!used.count(id) && s.opened && fits(s)) {
        used.insert(id);
        return {id, &s};
      }
    error +=
        std::string("no space fits ") + what + " (" + std::to_string(spaces.size()) + " spaces); ";
    return {"", nullptr};
  };
  auto open_with_children = [](const SpaceInfo& s) {
    return !s.closed && s.enrolments.size() >= 2 && !s.attendances.empty();
  };
  auto opened_json = [](const std::string& id, const std::string& code,
                        const std::vector<std::string>& services) {
    std::string list;
    for (const std::string& s : services) list += (list.empty() ? "\"" : ",\"") + s + "\"";
    return R"({"spaceId":")" + id + R"(","communityCode":")" + code + R"(","services":[)" + list +
           "]}";
  };
  auto services_of = [](const RawEvent& opened) {
    std::array<bool, 4> offered{};
    DecodePayload<schema::SpaceOpened>(opened.payload, [&](auto o) {
      for (schema::SpaceService s : o.getServices()) offered[ServiceIndex(s)] = true;
    });
    return offered;
  };

  // A void of a ChildEnrolled (not corrected) of a child who attended there: they are no
  // longer enrolled, and their attendance there becomes anomalies.
  if (auto [id, s] = pick_space("a void of a ChildEnrolled", open_with_children); s) {
    for (const RawEvent* e : s->enrolments) {
      if (corrected.count(e->position)) continue;
      std::string child;
      DecodePayload<schema::ChildEnrolled>(e->payload,
                                           [&](auto c) { child = TextOf(c.getChildRef()); });
      bool attended = false;
      for (const RawEvent* a : s->attendances)
        attended = attended || a->payload.find(child) != std::string::npos;
      if (!attended) continue;
      tail.unenrolled_child = child;
      AppendOne(ledger, s->stream, "EntryVoided", later, VoidJson(e->position), 0, error);
      break;
    }
    if (tail.unenrolled_child.empty()) error += "no enrolment to void; ";
  }
  // A void of a SpaceClosed: the space is open again. When no generated space closed
  // (seed 2), the tail closes one first.
  if (std::any_of(spaces.begin(), spaces.end(), [](const auto& s) { return s.second.closed; })) {
    if (auto [id, s] = pick_space("a void of a SpaceClosed",
                                  [](const SpaceInfo& s) { return s.closed != nullptr; });
        s) {
      tail.reopened_space = id;
      tail.reopening = AppendOne(ledger, s->stream, "EntryVoided", later,
                                 VoidJson(s->closed->position), 0, error);
    }
  } else if (auto [id, s] = pick_space("a SpaceClosed and its void", open_with_children); s) {
    tail.reopened_space = id;
    const Position closed = AppendOne(ledger, s->stream, "SpaceClosed", later,
                                      R"({"spaceId":")" + id + R"("})", 0, error);
    tail.reopening = AppendOne(ledger, s->stream, "EntryVoided", later, VoidJson(closed), 0, error);
  }
  // A correction of a SpaceOpened offering the services it did not (recreation alone if it
  // offered all four).
  if (auto [id, s] = pick_space("other services", open_with_children); s) {
    tail.services_space = id;
    const std::array<bool, 4> offered = services_of(*s->opened);
    std::vector<std::string> other;
    for (size_t i = 0; i < 4; ++i)
      if (!offered[i]) other.push_back(kServiceNames[i]);
    if (other.empty()) other.push_back(kServiceNames[0]);
    AppendOne(ledger, s->stream, "SpaceOpened", FromMicros(s->opened->occurred),
              opened_json(id, s->code, other), s->opened->position, error);
  }
  // A correction of a SpaceOpened moving it to another community: preferably a registered
  // one without an open space, in another county.
  if (auto [id, s] = pick_space("another community", open_with_children); s) {
    tail.moved_space = id;
    std::string to;
    for (int pass = 0; pass < 3 && to.empty(); ++pass)
      for (const auto& [code, r] : registrations)
        if (code != s->code && (pass > 1 || code.substr(0, 6) != s->code.substr(0, 6)) &&
            (pass > 0 || !covered.count(code))) {
          to = code;
          break;
        }
    tail.moved_to = to;
    const std::array<bool, 4> offered = services_of(*s->opened);
    std::vector<std::string> same;
    for (size_t i = 0; i < 4; ++i)
      if (offered[i]) same.push_back(kServiceNames[i]);
    AppendOne(ledger, s->stream, "SpaceOpened", FromMicros(s->opened->occurred),
              opened_json(id, to, same), s->opened->position, error);
  }
  // A correction of an AttendanceRecorded naming another space (the first space's): refused.
  if (auto [id, s] = pick_space("another space id", open_with_children); s) {
    const RawEvent& a = *s->attendances.front();
    std::string json;
    DecodePayload<schema::AttendanceRecorded>(a.payload, [&](auto r) {
      std::string refs;
      for (capnp::Text::Reader ref : r.getChildRefs())
        refs += (refs.empty() ? "\"" : ",\"") + TextOf(ref) + "\"";
      json = R"({"spaceId":")" + spaces.begin()->first + R"(","date":")" +
             DateOf(r.getDate().getDaysSinceEpoch()) + R"(","childRefs":[)" + refs + "]}";
    });
    if (spaces.begin()->first == id) error += "the first space is the refused one's; ";
    tail.refused = AppendOne(ledger, s->stream, "AttendanceRecorded", FromMicros(a.occurred), json,
                             a.position, error);
  }
  // A void of a SpaceOpened, then a void of that void: the space stands as before.
  if (auto [id, s] = pick_space("a void of a void", open_with_children); s) {
    tail.restored_space = id;
    const Position v =
        AppendOne(ledger, s->stream, "EntryVoided", later, VoidJson(s->opened->position), 0, error);
    AppendOne(ledger, s->stream, "EntryVoided", later, VoidJson(v), 0, error);
  }

  // Vulnerable cases in registered communities with a child population, by stream.
  std::vector<std::pair<std::string, const CaseInfo*>> counted;
  for (const auto& [stream, c] : cases)
    if (c.opened && c.vulnerable && population.count(c.code) && population.at(c.code) > 0)
      counted.emplace_back(stream, &c);
  if (counted.size() < 2) {
    error += "fewer than 2 vulnerable cases; ";
    return tail;
  }
  // A void of a case's only ConsentRecorded (consent to reporting given): excluded now.
  for (const auto& [stream, c] : counted) {
    if (c->consents.size() != 1 || corrected.count(c->consents[0]->position) ||
        c->consents[0]->position < c->opened->position)
      continue;
    bool reporting = false;
    DecodePayload<schema::ConsentRecorded>(c->consents[0]->payload,
                                           [&](auto r) { reporting = r.getConsentForReporting(); });
    if (!reporting) continue;
    tail.unconsented_case = stream;
    AppendOne(ledger, stream, "EntryVoided", later, VoidJson(c->consents[0]->position), 0, error);
    break;
  }
  if (tail.unconsented_case.empty()) error += "no consent to void; ";
  // A correction of the CommunityRegistered of a vulnerable case's community: 1,000 more
  // children.
  auto registered_json = [&](const std::string& code, const RawEvent& original, int64_t children) {
    std::string name, setting;
    DecodePayload<schema::CommunityRegistered>(original.payload, [&](auto c) {
      name = TextOf(c.getName());
      setting = c.getSetting() == schema::Setting::URBAN ? "urban" : "rural";
    });
    return R"({"code":")" + code + R"(","name":")" + name + R"(","setting":")" + setting +
           R"(","childPopulation":)" + std::to_string(children) + "}";
  };
  {
    const std::string code = counted.front().second->code;
    const RawEvent& original = *registrations.at(code);
    tail.repopulated = code;
    AppendOne(ledger, original.stream, "CommunityRegistered", FromMicros(original.occurred),
              registered_json(code, original, population.at(code) + 1000), original.position,
              error);
  }
  // A case whose ConsentRecorded (consent to reporting) comes before its CaseOpened
  // (vulnerable, in the same community): the consent is ignored, the case excluded.
  {
    const std::string stream = "case-brute-early";
    const std::string code = counted.front().second->code;
    tail.early_consent_case = stream;
    AppendOne(ledger, stream, "ConsentRecorded", later,
              R"({"subject":"caregiver","consentForServices":true,"disclosureToOtherOrgs":true,)"
              R"("consentForReporting":true})",
              0, error);
    AppendOne(
        ledger, stream, "CaseOpened", later,
        R"({"childRef":"ch-brute-early","name":"A Child","sex":"female","ageBand":"6-11",)"
        R"("communityCode":")" +
            code +
            R"(","identificationChannel":"school","agency":"county","vulnerabilities":["left_behind"]})",
        0, error);
  }
  // Two registrations of one code, then corrections, for the rule "of two registrations in
  // effect with one code, the data at the higher position gives the population":
  // - another community registered a second time (200 more children), and that second
  //   registration then moved by a correction to a code no one registered: the first
  //   registration still stands for the community, the second registers the new code;
  // - a third community registered a second time (200 more children), then its first
  //   registration corrected (500 more children): that correction is the data at the
  //   highest position, so its population is the community's.
  for (const auto& [code, original] : registrations) {
    if (code == tail.repopulated || population.at(code) <= 0 || code.size() != 12 ||
        corrected.count(original->position))
      continue;
    if (tail.reregistered.empty()) {
      const std::string moved = code.substr(0, 9) + "999";
      if (registrations.count(moved)) continue;
      tail.reregistered = code;
      tail.moved_code = moved;
      const Position again =
          AppendOne(ledger, original->stream, "CommunityRegistered", later,
                    registered_json(code, *original, population.at(code) + 200), 0, error);
      AppendOne(ledger, original->stream, "CommunityRegistered", later,
                registered_json(moved, *original, population.at(code) + 200), again, error);
    } else {
      tail.recensused = code;
      tail.recensused_population = population.at(code) + 500;
      AppendOne(ledger, original->stream, "CommunityRegistered", later,
                registered_json(code, *original, population.at(code) + 200), 0, error);
      AppendOne(ledger, original->stream, "CommunityRegistered", FromMicros(original->occurred),
                registered_json(code, *original, tail.recensused_population), original->position,
                error);
      break;
    }
  }
  if (tail.recensused.empty()) error += "no two communities to register again; ";
  return tail;
}

// A generated ledger with the tail, and what the tail did.
struct CoverageLedger {
  std::unique_ptr<testing::GeneratedLedger> generated;
  std::string prefix;  // a county with registered communities, for the prefix questions
  Tail tail;
};

struct Question {
  std::string query;
  Params params;  // besides as_of and as_of_position
  std::function<QueryTable(const World&)> expected;
};

// Every query at county and township level, and per township under `prefix`; anomalies.
std::vector<Question> Questions(const std::string& prefix) {
  using Figure = QueryTable (*)(const World&, const Scope&);
  const std::pair<const char*, Figure> figures[] = {{"communities", Communities},
                                                    {"enrolment", Enrolment},
                                                    {"services_offered", ServicesOffered},
                                                    {"vulnerable_per_1000", VulnerablePer1000}};
  const std::tuple<Params, Scope> scopes[] = {
      {{{"level", "county"}}, Scope{6, ""}},
      {{{"level", "township"}}, Scope{9, ""}},
      {{{"level", "township"}, {"prefix", prefix}}, Scope{9, prefix}}};
  std::vector<Question> q;
  for (const auto& [name, figure] : figures)
    for (const auto& [params, scope] : scopes)
      q.push_back({name, params,
                   [figure = figure, scope = scope](const World& w) { return figure(w, scope); }});
  q.push_back({"anomalies", {}, [](const World& w) { return Anomalies(w); }});
  return q;
}

class CoverageBruteForce : public ::testing::TestWithParam<uint64_t> {
 protected:
  static void TearDownTestSuite() { ledgers().clear(); }

  static std::map<uint64_t, CoverageLedger>& ledgers() {
    static std::map<uint64_t, CoverageLedger> built;
    return built;
  }

  CoverageLedger& Generated() {
    CoverageLedger& slot = ledgers()[GetParam()];
    if (slot.generated) return slot;
    auto tail = [&slot](Ledger& ledger, const std::vector<RawEvent>& generated) {
      for (const RawEvent& e : generated)
        if (e.type == "CommunityRegistered" && slot.prefix.empty())
          DecodePayload<schema::CommunityRegistered>(
              e.payload, [&](auto c) { slot.prefix = TextOf(c.getCode()).substr(0, 6); });
      slot.tail = AppendTail(ledger, generated);
      return slot.tail.error;
    };
    // Only the coverage plugin: the others would cost time and are checked elsewhere.
    slot.generated =
        testing::BuildGeneratedLedger(GetParam(), kEvents, tail, {"coverage"}, {"coverage"});
    return slot;
  }

  static std::vector<RawEvent> Known(const testing::GeneratedLedger& g, Position p) {
    return {g.events.begin(), g.events.begin() + static_cast<ptrdiff_t>(p)};
  }

  // The latest occurred-at up to `p`: the simulated "now" at that position.
  static int64_t SimulatedNow(const testing::GeneratedLedger& g, Position p) {
    int64_t now = 0;
    for (Position i = 0; i < p; ++i) now = std::max(now, g.events[i].occurred);
    return now;
  }
};

// Every figure at the latest position and as of half the ledger, and `enrolment` again at
// both positions measured at the simulated time, equals the brute force's whole table.
TEST_P(CoverageBruteForce, EveryFigureEqualsABruteForceRecomputation) {
  CoverageLedger& built = Generated();
  const testing::GeneratedLedger& g = *built.generated;
  ASSERT_TRUE(g.error.empty()) << "seed " << GetParam() << ": " << g.error;
  struct Moment {
    std::string name;
    Position position;
    bool as_of_position;
    std::optional<int64_t> as_of;  // T, when not the recorded-at of the position
  };
  const Position n = g.events.size();
  const int64_t now = SimulatedNow(g, n), half_now = SimulatedNow(g, g.half);
  const Moment moments[] = {
      {"latest (no as_of)", n, false, std::nullopt},
      {"as_of_position=half", g.half, true, std::nullopt},
      {"as_of_position=last, as_of=" + FormatTimestamp(FromMicros(now)), n, true, now},
      {"as_of_position=half, as_of=" + FormatTimestamp(FromMicros(half_now)), g.half, true,
       half_now}};
  int64_t regular = 0;
  for (const Moment& m : moments) {
    const World world = Recompute(Known(g, m.position), m.as_of);
    for (const Question& q : Questions(built.prefix)) {
      // Only enrolment depends on T; the others were asked at the position already.
      if (m.as_of && q.query != "enrolment") continue;
      Params params = q.params;
      if (m.as_of_position) params.emplace_back("as_of_position", std::to_string(m.position));
      if (m.as_of) params.emplace_back("as_of", FormatTimestamp(FromMicros(*m.as_of)));
      std::string what = "seed " + std::to_string(GetParam()) + ", " + m.name + ", " + q.query;
      for (const auto& [k, v] : q.params) what += " " + k + "=" + v;
      auto answer = g.projector->Query("coverage", q.query, params);
      ASSERT_TRUE(answer.ok()) << what << ": " << answer.status().ToString();
      const QueryTable expected_table = q.expected(world);
      if (q.query == "enrolment")
        for (const auto& row : expected_table.rows) regular += std::get<int64_t>(row[5]);
      const std::string expected = testing::ToCsv(expected_table);
      const std::string actual =
          testing::ToCsv(q.query == "anomalies" ? MachinesOnly(*answer) : *answer);
      EXPECT_EQ(expected, actual) << what << " differs from the brute force:\n"
                                  << testing::LineDiff(expected, actual);
    }
  }
  // Regular attendance is not all zero somewhere, or the window would go unchecked.
  EXPECT_GT(regular, 0) << "no child attends regularly in any question";
}

// The generated data fills every figure, and each event of the tail changes what it should:
// without this, the comparison above could pass on empty or unchanged tables.
TEST_P(CoverageBruteForce, GeneratedDataAndTailAreNotVacuous) {
  CoverageLedger& built = Generated();
  const testing::GeneratedLedger& g = *built.generated;
  ASSERT_TRUE(g.error.empty()) << "seed " << GetParam() << ": " << g.error;
  const World before = Recompute(Known(g, kEvents));
  const World after = Recompute(g.events);
  const Tail& tail = built.tail;

  // The generated figures.
  EXPECT_GE(before.communities.size(), 4u);
  EXPECT_FALSE(CoveredCodes(before).empty());
  EXPECT_GE(before.children.size(), 50u);
  EXPECT_FALSE(before.anomalies.empty());
  int64_t counted = 0, excluded = 0;
  for (const auto& row : VulnerablePer1000(before, Scope{2, ""}).rows) {
    counted += std::get<int64_t>(row[3]);
    excluded += std::get<int64_t>(row[4]);
  }
  EXPECT_GT(counted, 0);
  EXPECT_GT(excluded, 0);
  EXPECT_FALSE(Communities(before, Scope{9, built.prefix}).rows.empty())
      << "prefix " << built.prefix;

  // Each tail event, as the brute force sees it.
  EXPECT_TRUE(before.children.count(tail.unenrolled_child));
  EXPECT_FALSE(after.children.count(tail.unenrolled_child)) << tail.unenrolled_child;
  EXPECT_FALSE(Recompute(Known(g, tail.reopening - 1)).spaces.at(tail.reopened_space).open);
  EXPECT_TRUE(after.spaces.at(tail.reopened_space).open) << tail.reopened_space;
  EXPECT_NE(before.spaces.at(tail.services_space).services,
            after.spaces.at(tail.services_space).services);
  EXPECT_EQ(after.spaces.at(tail.moved_space).code, tail.moved_to);
  EXPECT_NE(before.spaces.at(tail.moved_space).code, tail.moved_to);
  EXPECT_TRUE(std::any_of(after.anomalies.begin(), after.anomalies.end(),
                          [&](const Anomaly& a) { return a.position == tail.refused; }))
      << "the correction naming another space, at " << tail.refused;
  EXPECT_NE(before.communities.at(tail.repopulated).second,
            after.communities.at(tail.repopulated).second);
  EXPECT_EQ(before.cases.at(tail.unconsented_case).reporting, std::optional<bool>(true));
  EXPECT_EQ(after.cases.at(tail.unconsented_case).reporting, std::nullopt);
  EXPECT_TRUE(after.spaces.at(tail.restored_space).open);
  EXPECT_EQ(after.spaces.at(tail.restored_space).enrolled,
            before.spaces.at(tail.restored_space).enrolled);
  EXPECT_TRUE(after.cases.at(tail.early_consent_case).opened);
  EXPECT_EQ(after.cases.at(tail.early_consent_case).reporting, std::nullopt);
  EXPECT_TRUE(after.communities.count(tail.reregistered));
  EXPECT_TRUE(after.communities.count(tail.moved_code));
  EXPECT_FALSE(before.communities.count(tail.moved_code));
  EXPECT_EQ(after.communities.at(tail.recensused).second, tail.recensused_population);

  // And so every figure changes.
  for (const Question& q : Questions(built.prefix)) {
    if (q.params.size() != 1 && q.query != "anomalies") continue;
    EXPECT_NE(testing::ToCsv(q.expected(before)), testing::ToCsv(q.expected(after)))
        << q.query << " " << (q.params.empty() ? "" : q.params[0].second)
        << ": the tail changes nothing";
  }
}

INSTANTIATE_TEST_SUITE_P(GeneratedSeeds, CoverageBruteForce, ::testing::Values(1, 2, 3),
                         [](const auto& info) { return "Seed" + std::to_string(info.param); });

}  // namespace
}  // namespace caseledger
