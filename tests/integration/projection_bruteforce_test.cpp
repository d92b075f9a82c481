// The caseload and referrals plugins against a brute-force recomputation, on generated
// ledgers (tools/caseledger/gen, seeds 1..3). The recomputation below reads the raw events
// of the ledger, applies voids and corrections, walks each case stream through its own,
// deliberately plain, implementation of DOMAIN.md's state machines, and computes every
// figure of the appendix ("Exact definitions of the figures") from that. It shares no code
// with the plugins or with the SDK's case reducer: only the schema's generated readers
// (to decode payloads) and the projector's table type and CSV printing (to compare).
//
// The ledger is built, read back and projected by tests/support/generated_ledger.h (as in
// coverage_bruteforce_test); this file keeps its recomputation, its tail and its questions.
//
// Each ledger holds 15,000 generated lines, then a short tail of hand-picked events on
// generated cases (see AppendTail: voids of figure-bearing events, a void of a void, a
// CaseOpened on a closed case, corrections of CaseOpened and ReferralMade, an acceptance by
// someone other than the named recipient), which the generator does not write. The plugins
// are asked without as_of (T = recorded-at of the last position) and with as_of_position =
// 7,500 (before the tail). Both T are the wall clock of the test run, after every generated
// occurred-at, so "upcoming" work and recent-opening limits are mostly empty: the
// hand-built tests (caseload_plugin_test, referrals_plugin_test) cover those boundaries.
//
// Where DOMAIN.md leaves a point open, this follows the decisions documented in
// sdk/include/caseledger/case_state.h and sdk/src/case_state.cpp's comments:
// - "As of" a position P: the events at positions <= P; T = the recorded-at of P (the
//   projector's rule; without as_of, P is the last committed position).
// - Voids: an EntryVoided (not itself voided; latest first, so that a void of a void
//   restores what the first withdrew) withdraws its target, and every correction of it.
// - Corrections: a correction names an earlier position of the same stream holding an event
//   of the same type (else it is ignored); a correction of a correction corrects the same
//   original; the latest valid one replaces the original's payload, occurred-at (the
//   original's when it gives none) and actor, at the original's place in the order. A
//   withdrawn correction gives way to what it corrected.
// - An event's time is its occurred-at, else its recorded-at.
// - Any case event before the first CaseOpened is ignored. A CaseOpened on an open case is
//   ignored; on a closed case it opens the case again and sets the owner from its payload.
//   Community, sex, vulnerabilities and "opened at" are the first CaseOpened's.
// - CaseReopened keeps the owner; awaiting assignment counts from the reopening (and from
//   the CaseOpened, CaseAssigned or TransferAccepted that set the current owner).
// - CaseClosed on a closed case and CaseReopened on an open case are ignored. time_to_close
//   measures from the latest CaseOpened or CaseReopened before the closure.
// - CaseAssigned applies whatever the case's status. TransferAccepted makes the transfer's
//   to-user the owner (and moves the agency); a second TransferInitiated while one is in
//   progress, and TransferAccepted/Rejected/Revoked with none in progress, are ignored.
// - AssessmentCompleted completes every assessment requested before it; an approved
//   ApprovalDecided(case_plan) approves every case plan set before it.
// - Approvals: an ApprovalRequested of a kind already pending, and an ApprovalDecided of a
//   kind not pending, are ignored.
// - Services, follow-ups and referrals: a second planning / scheduling / making of the same
//   id is ignored, as is a delivery / completion of an unknown or already finished id.
//   Accept and reject need the actor to be the referral's toUser (when one is named).
// - Referrals count only cases opened and whose latest ConsentRecorded has
//   consent_for_reporting; the rest are counted as excluded (summary).
// - Table shapes (which rows exist, their order, null cells) are the plugins' presentation,
//   read from plugins/*/figures.cpp: e.g. times, success_rate and summary list every area
//   holding a reportable case, even with no referral; overdue omits owners with nothing due.
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
constexpr int64_t kWeek = 7 * kDay;

// ---------------------------------------------------------------------------------------
// The schema's enums, named as the plugins name them.

std::string RiskName(schema::RiskLevel r) {
  switch (r) {
    case schema::RiskLevel::LOW:
      return "low";
    case schema::RiskLevel::MEDIUM:
      return "medium";
    default:
      return "high";
  }
}

std::string KindName(schema::ApprovalKind k) {
  switch (k) {
    case schema::ApprovalKind::ASSESSMENT:
      return "assessment";
    case schema::ApprovalKind::CASE_PLAN:
      return "case_plan";
    default:
      return "closure";
  }
}

std::string ServiceTypeName(schema::ServiceType t) {
  switch (t) {
    case schema::ServiceType::SOCIAL_ASSISTANCE:
      return "social_assistance";
    case schema::ServiceType::EDUCATION:
      return "education";
    case schema::ServiceType::HEALTH:
      return "health";
    case schema::ServiceType::PSYCHOSOCIAL:
      return "psychosocial";
    case schema::ServiceType::LEGAL:
      return "legal";
    case schema::ServiceType::TARGETED_PROTECTION:
      return "targeted_protection";
    case schema::ServiceType::CAREGIVER_SUPPORT:
      return "caregiver_support";
    default:
      return "other";
  }
}

std::string RoleName(schema::Role r) {
  switch (r) {
    case schema::Role::CHILDREN_DIRECTOR:
      return "children_director";
    case schema::Role::SUPERVISOR:
      return "supervisor";
    case schema::Role::CASEWORKER:
      return "caseworker";
    case schema::Role::SERVICE_PROVIDER:
      return "service_provider";
    case schema::Role::AUDITOR:
      return "auditor";
    default:
      return "admin";
  }
}

// The response timeframe in microseconds; nullopt for "other" (no due time).
std::optional<int64_t> TimeframeLength(schema::ResponseTimeframe t) {
  switch (t) {
    case schema::ResponseTimeframe::ONE_HOUR:
      return kHour;
    case schema::ResponseTimeframe::THREE_HOURS:
      return 3 * kHour;
    case schema::ResponseTimeframe::ONE_DAY:
      return kDay;
    case schema::ResponseTimeframe::THREE_DAYS:
      return 3 * kDay;
    default:
      return std::nullopt;
  }
}

// ---------------------------------------------------------------------------------------
// Voids and corrections: which data stands at each original's place.

struct InEffect {
  const RawEvent* data = nullptr;  // the original, or its latest correction
  int64_t when = 0;  // occurred-at (the data's, else the original's), else recorded-at
};

// `events` holds positions 1..n in order; the answer lists the originals still standing.
std::vector<InEffect> Resolve(const std::vector<RawEvent>& events) {
  std::set<Position> withdrawn;
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->type != "EntryVoided" || withdrawn.count(it->position)) continue;
    DecodePayload<schema::EntryVoided>(it->payload,
                                       [&](auto v) { withdrawn.insert(v.getPosition()); });
  }
  std::map<Position, Position> original_of;    // valid correction -> the original it replaces
  std::map<Position, const RawEvent*> latest;  // original -> its latest valid correction
  for (const RawEvent& e : events) {
    if (e.corrects == 0 || e.type == "EntryVoided" || withdrawn.count(e.position)) continue;
    if (e.corrects >= e.position) continue;
    const RawEvent& target = events[e.corrects - 1];
    if (target.stream != e.stream || target.type != e.type) continue;
    if (withdrawn.count(target.position)) {
      withdrawn.insert(e.position);  // goes with what it corrects
      continue;
    }
    Position original = target.position;
    if (target.corrects != 0) {
      const auto found = original_of.find(target.position);
      if (found == original_of.end()) continue;  // corrects an ignored correction
      original = found->second;
    }
    original_of[e.position] = original;
    latest[original] = &e;
  }
  std::vector<InEffect> standing;
  for (const RawEvent& e : events) {
    if (e.corrects != 0 || e.type == "EntryVoided" || withdrawn.count(e.position)) continue;
    const auto found = latest.find(e.position);
    const RawEvent* data = found == latest.end() ? &e : found->second;
    const int64_t when = data->occurred ? data->occurred : e.occurred ? e.occurred : e.recorded;
    standing.push_back({data, when});
  }
  return standing;
}

// ---------------------------------------------------------------------------------------
// One case, walked through the state machines.

struct Referral {
  std::string id, service_type, to_agency, to_user, state = "in_progress";
  bool consent_overridden = false;
  int64_t made = 0;
  std::optional<int64_t> responded, completed;
};

struct Work {
  std::string id;  // services and follow-ups
  std::optional<int64_t> due;
  bool done = false;
};

struct Case {
  bool opened = false, open = false, vulnerable = false;
  std::string community, sex, owner, risk = "unassessed";
  int64_t first_opened = 0, last_opened = 0, owner_since = 0;
  std::vector<Work> assessments, case_plans, services, follow_ups;
  std::set<std::string> pending_approvals;
  std::optional<std::pair<std::string, std::string>> transfer;  // to agency, to user
  std::vector<double> closed_after_days;
  std::optional<bool> consent_for_reporting;
  std::vector<Referral> referrals;

  Referral* FindReferral(const std::string& id) {
    for (Referral& r : referrals)
      if (r.id == id) return &r;
    return nullptr;
  }
  static Work* Find(std::vector<Work>& list, const std::string& id) {
    for (Work& w : list)
      if (w.id == id) return &w;
    return nullptr;
  }
};

void Step(Case& c, const RawEvent& e, int64_t when) {
  const std::string& t = e.type;
  const std::string& p = e.payload;
  if (!c.opened && t != "CaseOpened") return;
  if (t == "CaseOpened") {
    if (c.open) return;
    DecodePayload<schema::CaseOpened>(p, [&](auto o) {
      if (!c.opened) {
        c.opened = true;
        c.community = TextOf(o.getCommunityCode());
        c.sex = testing::SexName(o.getSex());
        c.vulnerable = o.getVulnerabilities().size() > 0;
        c.first_opened = when;
      }
      c.owner = TextOf(o.getOwner());
    });
    c.open = true;
    c.last_opened = c.owner_since = when;
  } else if (t == "CaseClosed") {
    if (!c.open) return;
    c.open = false;
    c.closed_after_days.push_back(static_cast<double>(when - c.last_opened) /
                                  static_cast<double>(kDay));
  } else if (t == "CaseReopened") {
    if (c.open) return;
    c.open = true;
    c.last_opened = c.owner_since = when;
  } else if (t == "CaseAssigned") {
    DecodePayload<schema::CaseAssigned>(p, [&](auto a) { c.owner = TextOf(a.getNewOwner()); });
    c.owner_since = when;
  } else if (t == "ConsentRecorded") {
    DecodePayload<schema::ConsentRecorded>(
        p, [&](auto r) { c.consent_for_reporting = r.getConsentForReporting(); });
  } else if (t == "RiskAssessed") {
    DecodePayload<schema::RiskAssessed>(p, [&](auto r) { c.risk = RiskName(r.getLevel()); });
  } else if (t == "AssessmentRequested") {
    DecodePayload<schema::AssessmentRequested>(p, [&](auto r) {
      c.assessments.push_back({"", r.getDue().getMicros(), false});
    });
  } else if (t == "AssessmentCompleted") {
    for (Work& a : c.assessments) a.done = true;
  } else if (t == "CasePlanSet") {
    DecodePayload<schema::CasePlanSet>(p, [&](auto r) {
      c.case_plans.push_back({"", r.getDue().getMicros(), false});
    });
  } else if (t == "ApprovalRequested") {
    DecodePayload<schema::ApprovalRequested>(
        p, [&](auto r) { c.pending_approvals.insert(KindName(r.getKind())); });
  } else if (t == "ApprovalDecided") {
    DecodePayload<schema::ApprovalDecided>(p, [&](auto r) {
      const std::string kind = KindName(r.getKind());
      if (c.pending_approvals.erase(kind) == 0) return;  // nothing to decide
      if (kind == "case_plan" && r.getDecision() == schema::Decision::APPROVED)
        for (Work& plan : c.case_plans) plan.done = true;
    });
  } else if (t == "ServicePlanned") {
    DecodePayload<schema::ServicePlanned>(p, [&](auto s) {
      const std::string id = TextOf(s.getServiceId());
      if (Case::Find(c.services, id)) return;
      std::optional<int64_t> due;
      if (auto length = TimeframeLength(s.getResponseTimeframe())) due = when + *length;
      c.services.push_back({id, due, false});
    });
  } else if (t == "ServiceDelivered") {
    DecodePayload<schema::ServiceDelivered>(p, [&](auto s) {
      if (Work* w = Case::Find(c.services, TextOf(s.getServiceId()))) w->done = true;
    });
  } else if (t == "FollowUpScheduled") {
    DecodePayload<schema::FollowUpScheduled>(p, [&](auto f) {
      const std::string id = TextOf(f.getFollowUpId());
      if (Case::Find(c.follow_ups, id)) return;
      c.follow_ups.push_back({id, f.getNeededBy().getMicros(), false});
    });
  } else if (t == "FollowUpCompleted") {
    DecodePayload<schema::FollowUpCompleted>(p, [&](auto f) {
      if (Work* w = Case::Find(c.follow_ups, TextOf(f.getFollowUpId()))) w->done = true;
    });
  } else if (t == "ReferralMade") {
    DecodePayload<schema::ReferralMade>(p, [&](auto m) {
      Referral r;
      r.id = TextOf(m.getReferralId());
      if (c.FindReferral(r.id)) return;
      r.service_type = ServiceTypeName(m.getServiceType());
      r.to_agency = TextOf(m.getToAgency());
      r.to_user = TextOf(m.getToUser());
      r.consent_overridden = m.getConsentOverridden();
      r.made = when;
      c.referrals.push_back(std::move(r));
    });
  } else if (t == "ReferralAccepted" || t == "ReferralRejected") {
    std::string id;
    if (t == "ReferralAccepted")
      DecodePayload<schema::ReferralAccepted>(p, [&](auto m) { id = TextOf(m.getReferralId()); });
    else
      DecodePayload<schema::ReferralRejected>(p, [&](auto m) { id = TextOf(m.getReferralId()); });
    Referral* r = c.FindReferral(id);
    if (!r || r->state != "in_progress") return;
    if (!r->to_user.empty() && e.actor != r->to_user) return;  // only the named recipient
    r->state = t == "ReferralAccepted" ? "accepted" : "rejected";
    r->responded = when;
  } else if (t == "ReferralCompleted") {
    std::string id;
    DecodePayload<schema::ReferralCompleted>(p, [&](auto m) { id = TextOf(m.getReferralId()); });
    Referral* r = c.FindReferral(id);
    if (!r || r->state != "accepted") return;
    r->state = "completed";
    r->completed = when;
  } else if (t == "ReferralRevoked") {
    std::string id;
    DecodePayload<schema::ReferralRevoked>(p, [&](auto m) { id = TextOf(m.getReferralId()); });
    Referral* r = c.FindReferral(id);
    if (!r || (r->state != "in_progress" && r->state != "accepted")) return;
    r->state = "revoked";
  } else if (t == "TransferInitiated") {
    if (c.transfer) return;
    DecodePayload<schema::TransferInitiated>(p, [&](auto m) {
      c.transfer = std::make_pair(TextOf(m.getToAgency()), TextOf(m.getToUser()));
    });
  } else if (t == "TransferAccepted") {
    if (!c.transfer) return;
    c.owner = c.transfer->second;
    c.owner_since = when;
    c.transfer.reset();
  } else if (t == "TransferRejected" || t == "TransferRevoked") {
    c.transfer.reset();
  }
}

struct Worker {
  std::string role, location;
};

// Everything the figures need, as of position P (= events.size()).
struct World {
  int64_t t = 0;                          // T: recorded-at of P
  std::map<std::string, Case> cases;      // by stream
  std::map<std::string, Worker> workers;  // by worker id
};

World Recompute(const std::vector<RawEvent>& events) {
  World w;
  w.t = events.back().recorded;
  for (const InEffect& e : Resolve(events)) {
    const RawEvent& d = *e.data;
    if (d.type == "WorkerRegistered") {
      DecodePayload<schema::WorkerRegistered>(d.payload, [&](auto r) {
        w.workers[TextOf(r.getWorkerId())] = {RoleName(r.getRole()), TextOf(r.getLocationCode())};
      });
    } else if (d.type == "WorkerRoleChanged") {
      DecodePayload<schema::WorkerRoleChanged>(d.payload, [&](auto r) {
        w.workers[TextOf(r.getWorkerId())] = {RoleName(r.getRole()), TextOf(r.getLocationCode())};
      });
    } else if (d.stream.starts_with("case-")) {
      Step(w.cases[d.stream], d, e.when);
    }
  }
  return w;
}

// ---------------------------------------------------------------------------------------
// The figures, as tables shaped like the plugins' answers.

std::string Area(const std::string& code, size_t digits) {
  return code.substr(0, std::min(code.size(), digits));
}

QueryTable::Cell Share(int64_t part, int64_t whole) {
  if (whole <= 0) return std::monostate{};
  return static_cast<double>(part) / static_cast<double>(whole);
}

// Nearest rank: the value at rank ceil(p * n), p = percent / 100, of the sorted values.
QueryTable::Cell NearestRank(std::vector<double> values, int percent) {
  if (values.empty()) return std::monostate{};
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  size_t rank = (static_cast<size_t>(percent) * n + 99) / 100;
  rank = std::clamp<size_t>(rank, 1, n);
  return values[rank - 1];
}

QueryTable OpenCases(const World& w, size_t digits) {
  std::map<std::pair<std::string, std::string>, std::array<int64_t, 4>> n;
  for (const auto& [stream, c] : w.cases) {
    if (!c.open) continue;
    const int risk = c.risk == "high" ? 0 : c.risk == "medium" ? 1 : c.risk == "low" ? 2 : 3;
    ++n[{Area(c.community, digits), c.owner}][risk];
  }
  QueryTable t = NewTable({{"area", Type::kText},
                           {"owner", Type::kText},
                           {"open", Type::kInt},
                           {"high", Type::kInt},
                           {"medium", Type::kInt},
                           {"low", Type::kInt},
                           {"unassessed", Type::kInt}});
  for (const auto& [key, r] : n)
    t.rows.push_back({key.first, key.second, r[0] + r[1] + r[2] + r[3], r[0], r[1], r[2], r[3]});
  return t;
}

QueryTable CaseloadBands(const World& w, size_t digits) {
  std::map<std::string, int64_t> open_by_owner;
  for (const auto& [stream, c] : w.cases)
    if (c.open && !c.owner.empty()) ++open_by_owner[c.owner];
  std::map<std::string, std::array<int64_t, 4>> n;
  for (const auto& [id, worker] : w.workers) {
    if (worker.role != "caseworker" && worker.role != "children_director") continue;
    const int64_t open = open_by_owner.count(id) ? open_by_owner.at(id) : 0;
    const int band = open < 10 ? 0 : open < 20 ? 1 : open < 30 ? 2 : 3;
    ++n[Area(worker.location, digits)][band];
  }
  QueryTable t = NewTable({{"area", Type::kText}, {"band", Type::kText}, {"workers", Type::kInt}});
  const char* bands[] = {"0-9", "10-19", "20-29", "30+"};
  for (const auto& [area, r] : n)
    for (int b = 0; b < 4; ++b) t.rows.push_back({area, std::string(bands[b]), r[b]});
  return t;
}

QueryTable Overdue(const World& w, size_t digits) {
  // [0..3] overdue assessments, case plans, services, follow-ups; [4..7] upcoming.
  std::map<std::pair<std::string, std::string>, std::array<int64_t, 8>> n;
  for (const auto& [stream, c] : w.cases) {
    if (!c.open) continue;
    auto& r = n[{Area(c.community, digits), c.owner}];
    const std::vector<Work>* kinds[] = {&c.assessments, &c.case_plans, &c.services, &c.follow_ups};
    for (int k = 0; k < 4; ++k) {
      for (const Work& work : *kinds[k]) {
        if (work.done || !work.due) continue;
        if (*work.due < w.t) ++r[k];
        if (*work.due > w.t && *work.due <= w.t + kWeek) ++r[4 + k];
      }
    }
  }
  QueryTable t = NewTable({{"area", Type::kText},
                           {"owner", Type::kText},
                           {"overdue_assessments", Type::kInt},
                           {"overdue_case_plans", Type::kInt},
                           {"overdue_services", Type::kInt},
                           {"overdue_follow_ups", Type::kInt},
                           {"upcoming_assessments", Type::kInt},
                           {"upcoming_case_plans", Type::kInt},
                           {"upcoming_services", Type::kInt},
                           {"upcoming_follow_ups", Type::kInt}});
  for (const auto& [key, r] : n) {
    int64_t any = 0;
    for (int64_t x : r) any += x;
    if (any == 0) continue;
    std::vector<QueryTable::Cell> row = {key.first, key.second};
    for (int64_t x : r) row.push_back(x);
    t.rows.push_back(std::move(row));
  }
  return t;
}

QueryTable AwaitingAssignment(const World& w, size_t digits) {
  std::map<std::string, int64_t> n;
  for (const auto& [stream, c] : w.cases) {
    if (!c.open || !c.owner.empty()) continue;
    const int64_t limit = c.risk == "high" ? kHour : 3 * kHour;
    if (w.t - c.owner_since > limit) ++n[Area(c.community, digits)];
  }
  QueryTable t = NewTable({{"area", Type::kText}, {"awaiting", Type::kInt}});
  for (const auto& [area, count] : n) t.rows.push_back({area, count});
  return t;
}

QueryTable ApprovalsPending(const World& w, size_t digits) {
  std::map<std::pair<std::string, std::string>, int64_t> n;
  for (const auto& [stream, c] : w.cases)
    if (c.open)
      for (const std::string& kind : c.pending_approvals) ++n[{Area(c.community, digits), kind}];
  QueryTable t = NewTable({{"area", Type::kText}, {"kind", Type::kText}, {"pending", Type::kInt}});
  for (const auto& [key, count] : n) t.rows.push_back({key.first, key.second, count});
  return t;
}

QueryTable TimeToClose(const World& w, size_t digits) {
  std::map<std::string, std::array<int64_t, 4>> n;
  for (const auto& [stream, c] : w.cases) {
    for (double d : c.closed_after_days) {
      const int bin = d <= 30 ? 0 : d <= 90 ? 1 : d <= 180 ? 2 : 3;
      ++n[Area(c.community, digits)][bin];
    }
  }
  QueryTable t =
      NewTable({{"area", Type::kText}, {"days_open", Type::kText}, {"closures", Type::kInt}});
  const char* bins[] = {"<=30", "31-90", "91-180", "181+"};
  for (const auto& [area, r] : n)
    for (int b = 0; b < 4; ++b) t.rows.push_back({area, std::string(bins[b]), r[b]});
  return t;
}

bool Reportable(const Case& c) { return c.opened && c.consent_for_reporting.value_or(false); }

QueryTable ByState(const World& w, size_t digits, const std::string& by) {
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> n;
  for (const auto& [stream, c] : w.cases) {
    if (!Reportable(c)) continue;
    for (const Referral& r : c.referrals)
      ++n[{Area(c.community, digits), r.state, by == "to_agency" ? r.to_agency : r.service_type}];
  }
  QueryTable t = NewTable({{"area", Type::kText},
                           {"state", Type::kText},
                           {by.c_str(), Type::kText},
                           {"referrals", Type::kInt}});
  for (const auto& [key, count] : n)
    t.rows.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), count});
  return t;
}

QueryTable Pending(const World& w, size_t digits) {
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> n;
  for (const auto& [stream, c] : w.cases) {
    if (!Reportable(c)) continue;
    for (const Referral& r : c.referrals)
      if (r.state == "in_progress") ++n[{Area(c.community, digits), r.to_agency, r.to_user}];
  }
  QueryTable t = NewTable({{"area", Type::kText},
                           {"to_agency", Type::kText},
                           {"to_user", Type::kText},
                           {"pending", Type::kInt}});
  for (const auto& [key, count] : n)
    t.rows.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), count});
  return t;
}

double Hours(int64_t from, int64_t to) {
  return static_cast<double>(to - from) / static_cast<double>(kHour);
}

QueryTable Times(const World& w, size_t digits) {
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> n;
  for (const auto& [stream, c] : w.cases) {
    if (!Reportable(c)) continue;
    auto& [response, completion] = n[Area(c.community, digits)];
    for (const Referral& r : c.referrals) {
      if (r.responded) response.push_back(Hours(r.made, *r.responded));
      if (r.state == "completed") completion.push_back(Hours(r.made, *r.completed));
    }
  }
  QueryTable t = NewTable({{"area", Type::kText},
                           {"measure", Type::kText},
                           {"referrals", Type::kInt},
                           {"p50_hours", Type::kReal},
                           {"p90_hours", Type::kReal}});
  for (const auto& [area, v] : n) {
    t.rows.push_back({area, std::string("response"), static_cast<int64_t>(v.first.size()),
                      NearestRank(v.first, 50), NearestRank(v.first, 90)});
    t.rows.push_back({area, std::string("completion"), static_cast<int64_t>(v.second.size()),
                      NearestRank(v.second, 50), NearestRank(v.second, 90)});
  }
  return t;
}

QueryTable SuccessRate(const World& w, size_t digits) {
  std::map<std::pair<std::string, std::string>, std::array<int64_t, 3>> n;  // made, revoked, done
  for (const auto& [stream, c] : w.cases) {
    if (!Reportable(c)) continue;
    for (const std::string& sex : {std::string("all"), c.sex}) {
      auto& r = n[{Area(c.community, digits), sex}];
      for (const Referral& ref : c.referrals) {
        ++r[0];
        if (ref.state == "revoked") ++r[1];
        if (ref.state == "completed") ++r[2];
      }
    }
  }
  QueryTable t = NewTable({{"area", Type::kText},
                           {"sex", Type::kText},
                           {"made", Type::kInt},
                           {"revoked", Type::kInt},
                           {"completed", Type::kInt},
                           {"success_rate", Type::kReal}});
  for (const auto& [key, r] : n)
    t.rows.push_back({key.first, key.second, r[0], r[1], r[2], Share(r[2], r[0] - r[1])});
  return t;
}

QueryTable Summary(const World& w, size_t digits) {
  std::map<std::string, std::array<int64_t, 4>> n;  // cases, made, overridden, excluded
  for (const auto& [stream, c] : w.cases) {
    if (!c.opened) continue;
    auto& r = n[Area(c.community, digits)];
    if (!Reportable(c)) {
      ++r[3];
      continue;
    }
    ++r[0];
    for (const Referral& ref : c.referrals) {
      ++r[1];
      if (ref.consent_overridden) ++r[2];
    }
  }
  QueryTable t = NewTable({{"area", Type::kText},
                           {"cases_opened", Type::kInt},
                           {"referrals_made", Type::kInt},
                           {"per_case", Type::kReal},
                           {"consent_overridden", Type::kInt},
                           {"excluded_no_consent", Type::kInt}});
  for (const auto& [area, r] : n)
    t.rows.push_back({area, r[0], r[1], Share(r[1], r[0]), r[2], r[3]});
  return t;
}

QueryTable ReferredWithin7Days(const World& w, size_t digits) {
  std::map<std::string, std::pair<int64_t, int64_t>> n;  // eligible, referred
  for (const auto& [stream, c] : w.cases) {
    if (!Reportable(c) || !c.vulnerable || c.first_opened > w.t - kWeek) continue;
    auto& [eligible, referred] = n[Area(c.community, digits)];
    ++eligible;
    bool soon = false;
    for (const Referral& r : c.referrals)
      soon = soon || (r.made >= c.first_opened && r.made - c.first_opened <= kWeek);
    if (soon) ++referred;
  }
  QueryTable t = NewTable({{"area", Type::kText},
                           {"cases", Type::kInt},
                           {"referred", Type::kInt},
                           {"share", Type::kReal}});
  for (const auto& [area, r] : n)
    t.rows.push_back({area, r.first, r.second, Share(r.second, r.first)});
  return t;
}

// ---------------------------------------------------------------------------------------
// The generated ledgers, one per seed, built once for all the tests of that seed.

constexpr uint64_t kEvents = 15'000;

// Appends `json` as a `type` event to `stream` (a correction of `corrects` if non-zero; an
// epoch `when` gives no occurred-at) and returns its position, 0 on a failure (in `error`).
Position AppendOne(Ledger& ledger, const std::string& stream, const std::string& type,
                   Timestamp when, const std::string& actor, const std::string& json,
                   Position corrects, std::string& error) {
  return testing::AppendJsonEvent(ledger, stream, type, when,
                                  Actor{actor, "caseworker", "agency-of-" + actor}, json, corrects,
                                  error);
}

// After the generated lines, a few events the generator does not write but DOMAIN.md
// defines, on generated cases chosen from `generated` (seen only by the "latest" moment):
// a void of a case's last RiskAssessed and a void of that void (which restores it); a void
// of another case's last RiskAssessed; a CaseOpened (without owner, another community) on
// a closed case; a void of another closed case's CaseClosed; a correction of an open case's
// CaseOpened (other community, vulnerable, no owner); a ReferralAccepted of an in-progress
// referral by someone other than its named recipient, then its ReferralRejected by the
// recipient; a correction of another in-progress ReferralMade (other service type and
// recipient, no occurred-at: the original's counts). Returns "" or what went wrong.
std::string AppendTail(Ledger& ledger, const std::vector<RawEvent>& generated) {
  struct Stream {
    std::vector<const RawEvent*> events;  // its generated events, corrections left out
    const RawEvent* last_milestone = nullptr;
    const RawEvent* first_opened = nullptr;
    const RawEvent* last_risk = nullptr;
  };
  std::map<std::string, Stream> streams;
  int64_t last_occurred = 0;
  std::vector<std::string> communities;
  for (const RawEvent& e : generated) {
    last_occurred = std::max(last_occurred, e.occurred);
    if (!e.stream.starts_with("case-") || e.corrects) continue;
    Stream& st = streams[e.stream];
    st.events.push_back(&e);
    if (e.type == "CaseOpened" || e.type == "CaseClosed" || e.type == "CaseReopened")
      st.last_milestone = &e;
    if (e.type == "CaseOpened" && !st.first_opened) {
      st.first_opened = &e;
      DecodePayload<schema::CaseOpened>(
          e.payload, [&](auto o) { communities.push_back(TextOf(o.getCommunityCode())); });
    }
    if (e.type == "RiskAssessed") st.last_risk = &e;
  }
  std::string error;
  const Timestamp later = FromMicros(last_occurred + kHour);
  std::set<std::string> used;
  auto pick = [&](auto&& fits) -> std::pair<std::string, const Stream*> {
    for (const auto& [name, st] : streams)
      if (!used.count(name) && st.first_opened && fits(st)) {
        used.insert(name);
        return {name, &st};
      }
    error += "no case fits; ";
    return {"", nullptr};
  };
  auto open_with_risk = [](const Stream& st) {
    return st.last_risk && st.last_milestone->type != "CaseClosed";
  };
  auto closed = [](const Stream& st) { return st.last_milestone->type == "CaseClosed"; };
  auto void_of = [](Position p) {
    return R"({"position":)" + std::to_string(p) + R"(,"reason":"brute-force test"})";
  };
  // The community of another county than `code`'s, if there is one.
  auto elsewhere = [&](const std::string& code) {
    for (const std::string& c : communities)
      if (c.substr(0, 6) != code.substr(0, 6)) return c;
    for (const std::string& c : communities)
      if (c != code) return c;
    return code;
  };
  auto opened_json = [&](const RawEvent& original, const std::string& community,
                         const std::string& owner) {
    std::string child;
    DecodePayload<schema::CaseOpened>(original.payload,
                                      [&](auto o) { child = TextOf(o.getChildRef()); });
    return R"({"childRef":")" + child +
           R"(","name":"A Child","sex":"male","ageBand":"6-11","communityCode":")" + community +
           R"(","identificationChannel":"school","agency":"county","vulnerabilities":["disability"])" +
           (owner.empty() ? std::string() : R"(,"owner":")" + owner + "\"") + "}";
  };
  std::string community_of;

  if (auto [name, st] = pick(open_with_risk); st) {
    const Position v = AppendOne(ledger, name, "EntryVoided", later, "u-audit",
                                 void_of(st->last_risk->position), 0, error);
    AppendOne(ledger, name, "EntryVoided", later, "u-audit", void_of(v), 0, error);
  }
  if (auto [name, st] = pick(open_with_risk); st)
    AppendOne(ledger, name, "EntryVoided", later, "u-audit", void_of(st->last_risk->position), 0,
              error);
  if (auto [name, st] = pick(closed); st) {
    DecodePayload<schema::CaseOpened>(st->first_opened->payload,
                                      [&](auto o) { community_of = TextOf(o.getCommunityCode()); });
    AppendOne(ledger, name, "CaseOpened", later, "u-director",
              opened_json(*st->first_opened, elsewhere(community_of), ""), 0, error);
  }
  if (auto [name, st] = pick(closed); st)
    AppendOne(ledger, name, "EntryVoided", later, "u-audit", void_of(st->last_milestone->position),
              0, error);
  if (auto [name, st] =
          pick([](const Stream& s) { return s.last_milestone->type != "CaseClosed"; });
      st) {
    DecodePayload<schema::CaseOpened>(st->first_opened->payload,
                                      [&](auto o) { community_of = TextOf(o.getCommunityCode()); });
    AppendOne(ledger, name, "CaseOpened", FromMicros(st->first_opened->occurred), "u-director",
              opened_json(*st->first_opened, elsewhere(community_of), ""),
              st->first_opened->position, error);
  }
  // Referrals still in progress with a named recipient, by stream: (ReferralMade, id, to user).
  std::vector<std::tuple<std::string, const RawEvent*, std::string, std::string>> in_progress;
  for (const auto& [name, st] : streams) {
    if (used.count(name)) continue;
    for (const RawEvent* e : st.events) {
      if (e->type != "ReferralMade") continue;
      std::string id, to_user;
      DecodePayload<schema::ReferralMade>(e->payload, [&](auto m) {
        id = TextOf(m.getReferralId());
        to_user = TextOf(m.getToUser());
      });
      bool moved = false;
      for (const RawEvent* later_event : st.events)
        if (later_event->position > e->position && later_event->type.starts_with("Referral") &&
            later_event->payload.find(id) != std::string::npos)
          moved = true;
      if (!moved && !to_user.empty()) in_progress.emplace_back(name, e, id, to_user);
    }
  }
  if (in_progress.size() < 2) return error + "fewer than 2 referrals in progress; ";
  {
    const auto& [name, made, id, to_user] = in_progress[0];
    const std::string json = R"({"referralId":")" + id + R"("})";
    AppendOne(ledger, name, "ReferralAccepted", later, "u-not-" + to_user, json, 0, error);
    AppendOne(ledger, name, "ReferralRejected", later, to_user, json, 0, error);
  }
  {
    const auto& [name, made, id, to_user] = in_progress.back();
    std::string agency;
    DecodePayload<schema::ReferralMade>(made->payload,
                                        [&](auto m) { agency = TextOf(m.getToAgency()); });
    AppendOne(ledger, name, "ReferralMade", Timestamp{}, made->actor,
              R"({"referralId":")" + id + R"(","serviceType":"legal","toAgency":")" + agency +
                  R"(","toUser":"u-brute-recipient","consentOverridden":true})",
              made->position, error);
  }
  return error;
}

using Figure = QueryTable (*)(const World&, size_t);

struct Question {
  std::string plugin, query;
  Params params;
  std::function<QueryTable(const World&)> expected;
};

std::vector<Question> CaseloadQuestions() {
  std::vector<Question> q;
  const std::pair<const char*, Figure> figures[] = {{"open_cases", OpenCases},
                                                    {"caseload_bands", CaseloadBands},
                                                    {"overdue", Overdue},
                                                    {"awaiting_assignment", AwaitingAssignment},
                                                    {"approvals_pending", ApprovalsPending},
                                                    {"time_to_close", TimeToClose}};
  for (const auto& [level, digits] : {std::pair<const char*, size_t>{"county", 6}, {"township", 9}})
    for (const auto& [name, figure] : figures)
      q.push_back(
          {"caseload",
           name,
           {{"level", level}},
           [figure = figure, digits = digits](const World& w) { return figure(w, digits); }});
  return q;
}

std::vector<Question> ReferralQuestions() {
  std::vector<Question> q;
  for (const auto& [level, digits] :
       {std::pair<const char*, size_t>{"county", 6}, {"township", 9}}) {
    const size_t d = digits;
    for (const char* by : {"service_type", "to_agency"})
      q.push_back({"referrals",
                   "by_state",
                   {{"level", level}, {"by", by}},
                   [d, by = std::string(by)](const World& w) { return ByState(w, d, by); }});
    const std::pair<const char*, Figure> figures[] = {{"pending", Pending},
                                                      {"times", Times},
                                                      {"success_rate", SuccessRate},
                                                      {"summary", Summary},
                                                      {"referred_within_7d", ReferredWithin7Days}};
    for (const auto& [name, figure] : figures)
      q.push_back({"referrals", name, {{"level", level}}, [figure = figure, d](const World& w) {
                     return figure(w, d);
                   }});
  }
  return q;
}

class ProjectionBruteForce : public ::testing::TestWithParam<uint64_t> {
 protected:
  static void TearDownTestSuite() { ledgers().clear(); }

  static std::map<uint64_t, std::unique_ptr<testing::GeneratedLedger>>& ledgers() {
    static std::map<uint64_t, std::unique_ptr<testing::GeneratedLedger>> built;
    return built;
  }

  testing::GeneratedLedger& Generated() {
    auto& slot = ledgers()[GetParam()];
    if (!slot)
      slot = testing::BuildGeneratedLedger(GetParam(), kEvents, AppendTail, {},
                                           {"caseload", "referrals"});
    return *slot;
  }

  // Asks every question at the latest position (no as_of) and as of about half the ledger,
  // and compares each whole table with the brute force's.
  void CompareAll(const std::vector<Question>& questions) {
    testing::GeneratedLedger& g = Generated();
    ASSERT_TRUE(g.error.empty()) << "seed " << GetParam() << ": " << g.error;
    struct Moment {
      const char* name;
      Position position;
      bool as_of_position;
    };
    const Moment moments[] = {{"latest (no as_of)", g.events.size(), false},
                              {"as_of_position=half", g.half, true}};
    for (const Moment& m : moments) {
      const std::vector<RawEvent> known(g.events.begin(),
                                        g.events.begin() + static_cast<ptrdiff_t>(m.position));
      const World world = Recompute(known);
      if (m.as_of_position) {
        ASSERT_EQ(world.t, ToMicros(g.half_recorded_at)) << "T of the half";
      }
      for (const Question& q : questions) {
        Params params = q.params;
        if (m.as_of_position) params.emplace_back("as_of_position", std::to_string(m.position));
        auto answer = g.projector->Query(q.plugin, q.query, params);
        std::string what =
            "seed " + std::to_string(GetParam()) + ", " + m.name + ", " + q.plugin + " " + q.query;
        for (const auto& [k, v] : q.params) what += " " + k + "=" + v;
        ASSERT_TRUE(answer.ok()) << what << ": " << answer.status().ToString();
        const std::string expected = testing::ToCsv(q.expected(world));
        const std::string actual = testing::ToCsv(*answer);
        EXPECT_EQ(expected, actual) << what << " differs from the brute force:\n"
                                    << testing::LineDiff(expected, actual);
      }
    }
  }
};

TEST_P(ProjectionBruteForce, CaseloadFiguresEqualABruteForceRecomputation) {
  CompareAll(CaseloadQuestions());
}

TEST_P(ProjectionBruteForce, ReferralFiguresEqualABruteForceRecomputation) {
  CompareAll(ReferralQuestions());
}

INSTANTIATE_TEST_SUITE_P(GeneratedSeeds, ProjectionBruteForce, ::testing::Values(1, 2, 3),
                         [](const auto& info) { return "Seed" + std::to_string(info.param); });

}  // namespace
}  // namespace caseledger
