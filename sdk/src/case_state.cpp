// ReduceCase: first decides which data is in effect at each position (as_of, voids,
// corrections), then folds it through DOMAIN.md's state machines in position order.
#include "caseledger/case_state.h"
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "caseledger/case_events.h"
#include "caseledger/payload_message.h"
#include "schema/case_events.capnp.h"
#include "schema_annotations.h"

namespace caseledger {
inline namespace v1 {
namespace {

constexpr double kSecondsPerDay = 86'400;

std::string Str(capnp::Text::Reader s) { return std::string(s.begin(), s.end()); }
std::string Str(std::string_view s) { return std::string(s); }
std::string At(Position p) { return "position " + std::to_string(p); }

Timestamp ToTimestamp(schema::Time::Reader t) { return FromMicros(t.getMicros()); }

// An enum value's JSON name ("case_plan", "6-11"), as the JSON codec writes it.
template <typename Enum>
std::string Name(Enum value) {
  auto enumerants = capnp::Schema::from<Enum>().getEnumerants();
  const auto index = static_cast<unsigned>(value);
  KJ_REQUIRE(index < enumerants.size(), "an enum value this schema does not know");
  return schema_annotations::JsonName(enumerants[index]);
}

// The data in effect at one position of the stream: the original event or its latest
// correction, with the time and actor the fold uses.
struct InEffect {
  const CaseEventInput& data;  // the correction's, if one replaced the original
  Timestamp when;              // occurred-at; see Time() in ReduceCase
  std::string_view actor;
  Position position() const { return data.position; }
};

class CaseFold {
 public:
  explicit CaseFold(CaseState& state) : s_(state) {}

  // Folds one event in. Fails only on a payload that does not decode (kCorruption).
  Status Apply(const InEffect& e);
  // Derives what depends on the whole history (the stage).
  void Finish();
  void Anomaly(Position position, std::string rule) {
    s_.anomalies.push_back(CaseAnomaly{position, std::move(rule)});
  }

 private:
  using Handler = void (CaseFold::*)(PayloadMessage&, const InEffect&);

  void CaseOpened(PayloadMessage& m, const InEffect& e);
  void ConsentRecorded(PayloadMessage& m, const InEffect& e);
  void RiskAssessed(PayloadMessage& m, const InEffect& e);
  void AssessmentRequested(PayloadMessage& m, const InEffect& e);
  void AssessmentCompleted(PayloadMessage& m, const InEffect& e);
  void CasePlanSet(PayloadMessage& m, const InEffect& e);
  void ApprovalRequested(PayloadMessage& m, const InEffect& e);
  void ApprovalDecided(PayloadMessage& m, const InEffect& e);
  void CaseAssigned(PayloadMessage& m, const InEffect& e);
  void ReferralMade(PayloadMessage& m, const InEffect& e);
  void ReferralAccepted(PayloadMessage& m, const InEffect& e);
  void ReferralRejected(PayloadMessage& m, const InEffect& e);
  void ReferralCompleted(PayloadMessage& m, const InEffect& e);
  void ReferralRevoked(PayloadMessage& m, const InEffect& e);
  void ServicePlanned(PayloadMessage& m, const InEffect& e);
  void ServiceDelivered(PayloadMessage& m, const InEffect& e);
  void FollowUpScheduled(PayloadMessage& m, const InEffect& e);
  void FollowUpCompleted(PayloadMessage& m, const InEffect& e);
  void TransferInitiated(PayloadMessage& m, const InEffect& e);
  void TransferAccepted(PayloadMessage& m, const InEffect& e);
  void TransferEnded(PayloadMessage& m, const InEffect& e);  // rejected or revoked
  void CaseClosed(PayloadMessage& m, const InEffect& e);
  void CaseReopened(PayloadMessage& m, const InEffect& e);

  ReferralState* FindReferral(const std::string& id);
  // The referral `id` if it may move from one of `from` (and, if `recipient_only`, by its
  // named recipient); otherwise records the anomaly and returns nullptr.
  ReferralState* Transition(const InEffect& e, capnp::Text::Reader id,
                            std::initializer_list<std::string_view> from, bool recipient_only);

  enum class Milestone { kNone, kOpened, kClosed, kReopened };  // the last of the three
  CaseState& s_;
  Milestone last_milestone_ = Milestone::kNone;
};

Status CaseFold::Apply(const InEffect& e) {
  // Every case-stream type; nullptr: recorded, but no part of the case's state.
  static constexpr std::pair<std::string_view, Handler> kCaseTypes[] = {
      {"CaseOpened", &CaseFold::CaseOpened},
      {"ConsentRecorded", &CaseFold::ConsentRecorded},
      {"ProtectionConcernsRecorded", nullptr},
      {"RiskAssessed", &CaseFold::RiskAssessed},
      {"AssessmentRequested", &CaseFold::AssessmentRequested},
      {"AssessmentCompleted", &CaseFold::AssessmentCompleted},
      {"CasePlanSet", &CaseFold::CasePlanSet},
      {"ApprovalRequested", &CaseFold::ApprovalRequested},
      {"ApprovalDecided", &CaseFold::ApprovalDecided},
      {"CaseAssigned", &CaseFold::CaseAssigned},
      {"ReferralMade", &CaseFold::ReferralMade},
      {"ReferralAccepted", &CaseFold::ReferralAccepted},
      {"ReferralRejected", &CaseFold::ReferralRejected},
      {"ReferralCompleted", &CaseFold::ReferralCompleted},
      {"ReferralRevoked", &CaseFold::ReferralRevoked},
      {"ServicePlanned", &CaseFold::ServicePlanned},
      {"ServiceDelivered", &CaseFold::ServiceDelivered},
      {"FollowUpScheduled", &CaseFold::FollowUpScheduled},
      {"FollowUpCompleted", &CaseFold::FollowUpCompleted},
      {"TransferInitiated", &CaseFold::TransferInitiated},
      {"TransferAccepted", &CaseFold::TransferAccepted},
      {"TransferRejected", &CaseFold::TransferEnded},
      {"TransferRevoked", &CaseFold::TransferEnded},
      {"CaregiverSupportProvided", nullptr},
      {"NoteAdded", nullptr},
      {"CaseClosed", &CaseFold::CaseClosed},
      {"CaseReopened", &CaseFold::CaseReopened},
      {"ErasureRequested", nullptr},
      {"ErasureCompleted", nullptr},
  };
  const std::string_view type = e.data.type;
  const EventType* catalogued = FindEventType(type);
  if (catalogued == nullptr) {
    Anomaly(e.position(), "case: " + Str(type) + " is not a type of the catalogue");
    return Status::Ok();
  }
  if (Status valid = ValidatePayload(*catalogued, e.data.payload); !valid.ok())
    return Status::Corruption(At(e.position()) + ": " + valid.message());

  const auto* entry = std::find_if(std::begin(kCaseTypes), std::end(kCaseTypes),
                                   [&](const auto& t) { return t.first == type; });
  if (entry == std::end(kCaseTypes)) {
    Anomaly(e.position(), "case: a " + Str(type) + " does not belong in a case stream");
    return Status::Ok();
  }
  if (!s_.opened && type != "CaseOpened") {
    Anomaly(e.position(), "case: " + Str(type) + " before CaseOpened");
    return Status::Ok();
  }
  if (entry->second == nullptr) return Status::Ok();
  PayloadMessage message(e.data.payload);
  KJ_IF_MAYBE (problem, kj::runCatchingExceptions([&] { (this->*entry->second)(message, e); })) {
    return Status::Corruption(At(e.position()) + ": the payload is not a " + Str(type) + ": " +
                              std::string(problem->getDescription().cStr()));
  }
  return Status::Ok();
}

void CaseFold::Finish() {
  if (!s_.opened) return;
  const bool any_service = !s_.services.empty();
  const bool all_delivered = std::all_of(s_.services.begin(), s_.services.end(),
                                         [](const PlannedService& s) { return s.delivered; });
  if (last_milestone_ == Milestone::kReopened)
    s_.stage = "reopened";
  else if (any_service && all_delivered)
    s_.stage = "services_implemented";
  else if (any_service)
    s_.stage = "service_provision";
  else if (!s_.case_plans.empty())
    s_.stage = "case_plan";
  else if (!s_.assessments.empty())
    s_.stage = "assessment";
  else
    s_.stage = "new";
}

// ---- case status and ownership ----

void CaseFold::CaseOpened(PayloadMessage& m, const InEffect& e) {
  if (s_.status == "open") return Anomaly(e.position(), "case: CaseOpened on an open case");
  auto p = m.Root<schema::CaseOpened>();
  if (!s_.opened) {  // what describes the child and where the case belongs: the first one's
    s_.opened = true;
    s_.child_ref = Str(p.getChildRef());
    s_.community_code = Str(p.getCommunityCode());
    s_.agency = Str(p.getAgency());
    s_.sex = Name(p.getSex());
    s_.age_band = Name(p.getAgeBand());
    for (auto v : p.getVulnerabilities()) s_.vulnerabilities.push_back(Name(v));
    s_.opened_at = e.when;
  }
  s_.status = "open";
  s_.last_opened_at = e.when;
  s_.owner = Str(p.getOwner());
  s_.owner_since = e.when;
  last_milestone_ = Milestone::kOpened;
}

void CaseFold::CaseClosed(PayloadMessage& m, const InEffect& e) {
  if (s_.status == "closed") return Anomaly(e.position(), "case: CaseClosed on a closed case");
  auto p = m.Root<schema::CaseClosed>();
  const auto open_for = std::chrono::duration<double>(e.when - s_.last_opened_at);
  s_.closures.push_back(
      Closure{e.position(), e.when, Name(p.getReason()), open_for.count() / kSecondsPerDay});
  s_.status = "closed";
  last_milestone_ = Milestone::kClosed;
}

void CaseFold::CaseReopened(PayloadMessage&, const InEffect& e) {
  if (s_.status == "open") return Anomaly(e.position(), "case: CaseReopened on an open case");
  s_.status = "open";
  s_.last_opened_at = e.when;
  s_.owner_since = e.when;
  last_milestone_ = Milestone::kReopened;
}

// The assignment state machine: an assignment moves the case to another owner (newOwner
// is required); one to the current owner changes nothing, not even when ownership began.
void CaseFold::CaseAssigned(PayloadMessage& m, const InEffect& e) {
  std::string owner = Str(m.Root<schema::CaseAssigned>().getNewOwner());
  if (owner == s_.owner)
    return Anomaly(e.position(),
                   "assignment: CaseAssigned to " + owner + ", who already owns the case");
  s_.owner = std::move(owner);
  s_.owner_since = e.when;
}

void CaseFold::ConsentRecorded(PayloadMessage& m, const InEffect&) {
  auto p = m.Root<schema::ConsentRecorded>();
  s_.consent = Consent{Name(p.getSubject()), p.getConsentForServices(),
                       p.getDisclosureToOtherOrgs(), p.getConsentForReporting()};
}

void CaseFold::RiskAssessed(PayloadMessage& m, const InEffect&) {
  s_.risk = Name(m.Root<schema::RiskAssessed>().getLevel());
}

// ---- assessment, case plan, approvals ----

void CaseFold::AssessmentRequested(PayloadMessage& m, const InEffect& e) {
  AssessmentRequest& a = s_.assessments.emplace_back();
  a.position = e.position();
  a.requested_at = e.when;
  a.due = ToTimestamp(m.Root<schema::AssessmentRequested>().getDue());
}

void CaseFold::AssessmentCompleted(PayloadMessage&, const InEffect& e) {
  for (AssessmentRequest& a : s_.assessments)
    if (!a.completed) {
      a.completed = true;
      a.completed_at = e.when;
    }
}

void CaseFold::CasePlanSet(PayloadMessage& m, const InEffect& e) {
  auto p = m.Root<schema::CasePlanSet>();
  CasePlan& plan = s_.case_plans.emplace_back();
  plan.position = e.position();
  plan.set_at = e.when;
  plan.due = ToTimestamp(p.getDue());
  for (auto i : p.getInterventions()) plan.interventions.push_back(Str(i));
}

void CaseFold::ApprovalRequested(PayloadMessage& m, const InEffect& e) {
  const std::string kind = Name(m.Root<schema::ApprovalRequested>().getKind());
  auto& pending = s_.pending_approvals;
  if (std::find(pending.begin(), pending.end(), kind) != pending.end())
    return Anomaly(e.position(), "approval: ApprovalRequested(" + kind + ") while one is pending");
  pending.push_back(kind);
}

void CaseFold::ApprovalDecided(PayloadMessage& m, const InEffect& e) {
  auto p = m.Root<schema::ApprovalDecided>();
  const std::string kind = Name(p.getKind());
  auto& pending = s_.pending_approvals;
  auto it = std::find(pending.begin(), pending.end(), kind);
  if (it == pending.end())
    return Anomaly(e.position(), "approval: ApprovalDecided(" + kind + ") with no pending request");
  pending.erase(it);
  if (p.getKind() == schema::ApprovalKind::CASE_PLAN &&
      p.getDecision() == schema::Decision::APPROVED)
    for (CasePlan& plan : s_.case_plans) plan.approved = true;
}

// ---- referrals ----

ReferralState* CaseFold::FindReferral(const std::string& id) {
  for (ReferralState& r : s_.referrals)
    if (r.referral_id == id) return &r;
  return nullptr;
}

void CaseFold::ReferralMade(PayloadMessage& m, const InEffect& e) {
  auto p = m.Root<schema::ReferralMade>();
  const std::string id = Str(p.getReferralId());
  if (FindReferral(id) != nullptr)
    return Anomaly(e.position(), "referral: " + id + " was already made");
  ReferralState& r = s_.referrals.emplace_back();
  r.referral_id = id;
  r.service_type = Name(p.getServiceType());
  r.to_agency = Str(p.getToAgency());
  r.to_user = Str(p.getToUser());
  r.state = "in_progress";
  r.consent_overridden = p.getConsentOverridden();
  r.made_position = e.position();
  r.made_at = e.when;
}

ReferralState* CaseFold::Transition(const InEffect& e, capnp::Text::Reader id_text,
                                    std::initializer_list<std::string_view> from,
                                    bool recipient_only) {
  const std::string id = Str(id_text);
  const std::string what = Str(e.data.type) + " of " + id;
  ReferralState* r = FindReferral(id);
  if (r == nullptr) {
    Anomaly(e.position(), "referral: " + what + ", which was never made");
    return nullptr;
  }
  if (std::find(from.begin(), from.end(), r->state) == from.end()) {
    Anomaly(e.position(), "referral: " + what + ", which is " + r->state);
    return nullptr;
  }
  if (recipient_only && !r->to_user.empty() && e.actor != r->to_user) {
    Anomaly(e.position(),
            "referral: " + what + " by " + Str(e.actor) + ", not its recipient " + r->to_user);
    return nullptr;
  }
  return r;
}

void CaseFold::ReferralAccepted(PayloadMessage& m, const InEffect& e) {
  auto id = m.Root<schema::ReferralAccepted>().getReferralId();
  if (ReferralState* r = Transition(e, id, {"in_progress"}, true)) {
    r->state = "accepted";
    r->responded_at = e.when;
  }
}

void CaseFold::ReferralRejected(PayloadMessage& m, const InEffect& e) {
  auto id = m.Root<schema::ReferralRejected>().getReferralId();
  if (ReferralState* r = Transition(e, id, {"in_progress"}, true)) {
    r->state = "rejected";
    r->responded_at = e.when;
  }
}

void CaseFold::ReferralCompleted(PayloadMessage& m, const InEffect& e) {
  auto id = m.Root<schema::ReferralCompleted>().getReferralId();
  if (ReferralState* r = Transition(e, id, {"accepted"}, false)) {
    r->state = "completed";
    r->completed_at = e.when;
  }
}

void CaseFold::ReferralRevoked(PayloadMessage& m, const InEffect& e) {
  auto id = m.Root<schema::ReferralRevoked>().getReferralId();
  if (ReferralState* r = Transition(e, id, {"in_progress", "accepted"}, false))
    r->state = "revoked";
}

// ---- services and follow-ups ----

void CaseFold::ServicePlanned(PayloadMessage& m, const InEffect& e) {
  auto p = m.Root<schema::ServicePlanned>();
  const std::string id = Str(p.getServiceId());
  for (const PlannedService& s : s_.services)
    if (s.service_id == id) return Anomaly(e.position(), "service: " + id + " was already planned");
  PlannedService& s = s_.services.emplace_back();
  s.service_id = id;
  s.service_type = Name(p.getServiceType());
  s.timeframe = Name(p.getResponseTimeframe());
  s.provider = Str(p.getProvider());
  s.position = e.position();
  s.planned_at = e.when;
  using std::chrono::hours;
  switch (p.getResponseTimeframe()) {
    case schema::ResponseTimeframe::ONE_HOUR:
      s.due = e.when + hours(1);
      break;
    case schema::ResponseTimeframe::THREE_HOURS:
      s.due = e.when + hours(3);
      break;
    case schema::ResponseTimeframe::ONE_DAY:
      s.due = e.when + hours(24);
      break;
    case schema::ResponseTimeframe::THREE_DAYS:
      s.due = e.when + hours(72);
      break;
    default:  // "other": no due time
      break;
  }
}

void CaseFold::ServiceDelivered(PayloadMessage& m, const InEffect& e) {
  auto p = m.Root<schema::ServiceDelivered>();
  const std::string id = Str(p.getServiceId());
  auto it = std::find_if(s_.services.begin(), s_.services.end(),
                         [&](const PlannedService& s) { return s.service_id == id; });
  if (it == s_.services.end())
    return Anomaly(e.position(),
                   "service: ServiceDelivered of " + id + ", which was never planned");
  if (it->delivered)
    return Anomaly(e.position(), "service: ServiceDelivered of " + id + ", already delivered");
  it->delivered = true;
  it->delivered_at = ToTimestamp(p.getDeliveredAt());
}

void CaseFold::FollowUpScheduled(PayloadMessage& m, const InEffect& e) {
  auto p = m.Root<schema::FollowUpScheduled>();
  const std::string id = Str(p.getFollowUpId());
  for (const FollowUp& f : s_.follow_ups)
    if (f.follow_up_id == id)
      return Anomaly(e.position(), "follow-up: " + id + " was already scheduled");
  FollowUp& f = s_.follow_ups.emplace_back();
  f.follow_up_id = id;
  f.kind = Name(p.getKind());
  f.position = e.position();
  f.needed_by = ToTimestamp(p.getNeededBy());
}

void CaseFold::FollowUpCompleted(PayloadMessage& m, const InEffect& e) {
  auto p = m.Root<schema::FollowUpCompleted>();
  const std::string id = Str(p.getFollowUpId());
  auto it = std::find_if(s_.follow_ups.begin(), s_.follow_ups.end(),
                         [&](const FollowUp& f) { return f.follow_up_id == id; });
  if (it == s_.follow_ups.end())
    return Anomaly(e.position(),
                   "follow-up: FollowUpCompleted of " + id + ", which was never scheduled");
  if (it->completed)
    return Anomaly(e.position(), "follow-up: FollowUpCompleted of " + id + ", already completed");
  it->completed = true;
  it->done_at = ToTimestamp(p.getDoneAt());
}

// ---- transfers ----

void CaseFold::TransferInitiated(PayloadMessage& m, const InEffect& e) {
  if (s_.transfer)
    return Anomaly(e.position(), "transfer: TransferInitiated while the transfer to " +
                                     s_.transfer->to_user + " is in progress");
  auto p = m.Root<schema::TransferInitiated>();
  s_.transfer = TransferInProgress{Str(p.getToAgency()), Str(p.getToUser()),
                                   p.getConsentOverridden(), e.position(), e.when};
}

void CaseFold::TransferAccepted(PayloadMessage&, const InEffect& e) {
  if (!s_.transfer)
    return Anomaly(e.position(), "transfer: TransferAccepted with no transfer in progress");
  s_.owner = s_.transfer->to_user;
  s_.agency = s_.transfer->to_agency;
  s_.owner_since = e.when;
  s_.transfer.reset();
}

void CaseFold::TransferEnded(PayloadMessage&, const InEffect& e) {
  if (!s_.transfer)
    return Anomaly(e.position(), "transfer: " + Str(e.data.type) + " with no transfer in progress");
  s_.transfer.reset();
}

// The position the EntryVoided `e` withdraws; kCorruption if its payload does not decode.
Result<Position> VoidedPosition(const CaseEventInput& e) {
  if (Status valid = ValidatePayload(*FindEventType("EntryVoided"), e.payload); !valid.ok())
    return Status::Corruption(At(e.position) + ": " + valid.message());
  PayloadMessage message(e.payload);
  Position voided = 0;
  KJ_IF_MAYBE (problem, kj::runCatchingExceptions(
                            [&] { voided = message.Root<schema::EntryVoided>().getPosition(); })) {
    return Status::Corruption(At(e.position) + ": the payload is not an EntryVoided: " +
                              std::string(problem->getDescription().cStr()));
  }
  return voided;
}

}  // namespace

Result<std::vector<EffectiveEvent>> ResolveCorrections(std::span<const CaseEventInput* const> known,
                                                       std::span<const Position> voided,
                                                       std::vector<CorrectionProblem>& problems,
                                                       const CorrectionCheck& refuse) {
  auto find = [&](Position p) -> const CaseEventInput* {
    auto it = std::lower_bound(known.begin(), known.end(), p,
                               [](const CaseEventInput* e, Position q) { return e->position < q; });
    return it != known.end() && (*it)->position == p ? *it : nullptr;
  };

  // Withdrawn: voided by the caller or by a (not itself voided) EntryVoided of the stream.
  // Latest first, so that a void of a void restores what the first one withdrew.
  std::set<Position> withdrawn(voided.begin(), voided.end());
  for (auto it = known.rbegin(); it != known.rend(); ++it) {
    const CaseEventInput& e = **it;
    if (e.type != "EntryVoided" || withdrawn.count(e.position)) continue;
    CASELEDGER_ASSIGN_OR_RETURN(Position target, VoidedPosition(e));
    withdrawn.insert(target);
  }

  // Corrections, oldest first: each one names its original (`root`), directly or through
  // an earlier correction; the latest valid correction of a root is the data in effect.
  std::map<Position, Position> root_of;                   // correction -> original
  std::map<Position, const CaseEventInput*> replacement;  // original -> latest correction
  for (const CaseEventInput* e : known) {
    if (e->corrects == 0 || e->type == "EntryVoided" || withdrawn.count(e->position)) continue;
    const CaseEventInput* target = e->corrects < e->position ? find(e->corrects) : nullptr;
    if (target == nullptr) {
      problems.push_back({e->position, "the " + Str(e->type) + " corrects " + At(e->corrects) +
                                           ", which holds no event of this stream"});
      continue;
    }
    if (target->type != e->type) {
      problems.push_back({e->position, "the " + Str(e->type) + " corrects " + At(e->corrects) +
                                           ", which holds a " + Str(target->type)});
      continue;
    }
    if (withdrawn.count(target->position)) {  // withdrawn with what it corrects
      withdrawn.insert(e->position);
      continue;
    }
    Position root = target->position;
    if (target->corrects != 0) {
      auto r = root_of.find(target->position);
      if (r == root_of.end()) {  // the target is itself an ignored correction
        problems.push_back({e->position, "the " + Str(e->type) + " corrects " + At(e->corrects) +
                                             ", an ignored correction"});
        continue;
      }
      root = r->second;
    }
    if (refuse) {
      if (const std::string why = refuse(*e); !why.empty()) {
        problems.push_back({e->position, "the " + Str(e->type) + " " + why});
        continue;
      }
    }
    root_of[e->position] = root;
    replacement[root] = e;
  }

  // The data in effect, at the originals' places.
  std::vector<EffectiveEvent> effective;
  for (const CaseEventInput* original : known) {
    if (original->corrects != 0 || original->type == "EntryVoided") continue;
    if (withdrawn.count(original->position)) continue;
    auto r = replacement.find(original->position);
    const CaseEventInput* data = r == replacement.end() ? original : r->second;
    // Occurred-at: the data's, else the original's, else when the original was recorded.
    const Timestamp epoch{};
    const Timestamp when = data->occurred_at != epoch       ? data->occurred_at
                           : original->occurred_at != epoch ? original->occurred_at
                                                            : original->recorded_at;
    effective.push_back({original, data, when});
  }
  return effective;
}

Result<CaseState> ReduceCase(std::span<const CaseEventInput> events, Position as_of,
                             std::span<const Position> voided) {
  // The events that count as of `as_of`, in position order.
  std::vector<const CaseEventInput*> known;
  for (const CaseEventInput& e : events) {
    if (!known.empty() && e.position <= known.back()->position)
      return Status::InvalidArgument("case events out of position order: " + At(e.position) +
                                     " after " + At(known.back()->position));
    if (as_of == 0 || e.position <= as_of) known.push_back(&e);
  }

  std::vector<CorrectionProblem> problems;
  CASELEDGER_ASSIGN_OR_RETURN(auto effective, ResolveCorrections(known, voided, problems));
  CaseState state;
  CaseFold fold(state);
  for (const CorrectionProblem& p : problems) fold.Anomaly(p.position, "case: " + p.what);
  for (const EffectiveEvent& e : effective)
    CASELEDGER_RETURN_IF_ERROR(fold.Apply(InEffect{*e.data, e.when, e.data->actor_user}));
  fold.Finish();
  std::stable_sort(
      state.anomalies.begin(), state.anomalies.end(),
      [](const CaseAnomaly& a, const CaseAnomaly& b) { return a.position < b.position; });
  return state;
}

std::vector<const ReferralState*> OpenReferrals(const CaseState& state) {
  std::vector<const ReferralState*> open;
  for (const ReferralState& r : state.referrals)
    if (r.state == "in_progress" || r.state == "accepted") open.push_back(&r);
  return open;
}

}  // namespace v1
}  // namespace caseledger
