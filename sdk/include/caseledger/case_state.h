// The state of one child's case, folded from the events of its stream: the one reducer
// the caseload projection and the `history` command share, so that both read DOMAIN.md's
// state machines ("State machines", "Case state as of T") the same way.
//
//   std::vector<caseledger::CaseEventInput> events = ...;  // the case stream, by position
//   caseledger::Result<caseledger::CaseState> state = caseledger::ReduceCase(events, as_of);
//   if (!state.ok()) return state.status();  // kCorruption: a stored payload is damaged
//   if (state->status == "open" && state->owner.empty()) { /* awaiting assignment */ }
//   for (const caseledger::CaseAnomaly& a : state->anomalies) list(a.position, a.rule);
//
// Events that break a state machine do not change the state: they are listed in
// `anomalies` (position, rule) and otherwise ignored, as every figure ignores them.
// Times are the events' occurred-at (due dates and durations use it); an event that does
// not give one counts at its recorded-at.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "caseledger/event.h"
#include "caseledger/status.h"
#include "caseledger/time.h"

namespace caseledger {
inline namespace v1 {

// One stored event of a case stream, as the reducer reads it. The views are the caller's:
// the bytes must stay alive during the call (the state returned holds copies).
struct CaseEventInput {
  Position position = 0;
  Timestamp recorded_at{};
  Timestamp occurred_at{};      // epoch = not given
  std::string_view type;        // e.g. "ReferralMade"
  std::string_view actor_user;  // who did it, as the source system states it
  Position corrects = 0;        // the position this event corrects; 0 = none
  // The stored payload: an unpacked capnp message (segment table first) whose root is the
  // type's struct. Need not be aligned: the reducer reads an aligned copy.
  std::string_view payload;
};

// One referral made on the case. Enum values are their JSON names (snake_case).
struct ReferralState {
  std::string referral_id;
  std::string service_type;  // e.g. "targeted_protection"
  std::string to_agency;
  std::string to_user;  // "" = any user of to_agency may accept or reject
  std::string state;    // in_progress | accepted | rejected | completed | revoked
  bool consent_overridden = false;
  Position made_position = 0;
  Timestamp made_at{};
  Timestamp responded_at{};  // accepted or rejected; epoch = not yet
  Timestamp completed_at{};  // epoch = not completed
};

// An event that broke a state machine and was ignored. `rule` starts with the machine:
// "case: ", "approval: ", "follow-up: ", "assignment: ", "referral: ", "transfer: " or
// "service: " (DOMAIN.md: caseload lists case, approval, follow-up and assignment;
// referrals lists referral and transfer). `position` is that of the data in effect: a
// correction's own position when a correction replaced the event.
struct CaseAnomaly {
  Position position = 0;
  std::string rule;  // e.g. "referral: ReferralCompleted of ref-7, which is in_progress"
};

// AssessmentRequested; completed by any later AssessmentCompleted.
struct AssessmentRequest {
  Position position = 0;
  Timestamp requested_at{};
  Timestamp due{};
  bool completed = false;
  Timestamp completed_at{};
};

// CasePlanSet; approved by a later ApprovalDecided(case_plan, approved).
struct CasePlan {
  Position position = 0;
  Timestamp set_at{};
  Timestamp due{};
  std::vector<std::string> interventions;
  bool approved = false;
};

// ServicePlanned and its ServiceDelivered.
struct PlannedService {
  std::string service_id;
  std::string service_type;  // e.g. "psychosocial"
  std::string timeframe;     // 1h | 3h | 1d | 3d | other
  std::string provider;
  Position position = 0;
  Timestamp planned_at{};
  Timestamp due{};  // planned_at + timeframe; epoch for "other" (never overdue)
  bool delivered = false;
  Timestamp delivered_at{};  // ServiceDelivered.deliveredAt
};

// FollowUpScheduled and its FollowUpCompleted.
struct FollowUp {
  std::string follow_up_id;
  std::string kind;  // home_visit | after_reunification | for_service | for_assessment
  Position position = 0;
  Timestamp needed_by{};
  bool completed = false;
  Timestamp done_at{};  // FollowUpCompleted.doneAt
};

// The TransferInitiated awaiting acceptance, rejection or revocation.
struct TransferInProgress {
  std::string to_agency;
  std::string to_user;
  bool consent_overridden = false;
  Position position = 0;
  Timestamp initiated_at{};
};

// One CaseClosed, for time-to-close.
struct Closure {
  Position position = 0;
  Timestamp closed_at{};
  std::string reason;    // e.g. "formal_closing"
  double days_open = 0;  // days (86,400 s, real) since the latest CaseOpened/CaseReopened
};

// The latest ConsentRecorded, of either subject.
struct Consent {
  std::string subject;  // child | caregiver
  bool for_services = false;
  bool disclosure_to_other_orgs = false;
  bool for_reporting = false;
};

struct CaseState {
  bool opened = false;  // a CaseOpened was seen
  // "open" | "closed"; "" before CaseOpened. Open unless the last CaseOpened, CaseClosed or
  // CaseReopened is CaseClosed: a CaseOpened on a closed case opens it again.
  std::string status;
  // reopened | services_implemented | service_provision | case_plan | assessment | new,
  // the first that applies (DOMAIN.md); "" before CaseOpened.
  std::string stage;
  std::string owner;                // worker id; "" = awaiting assignment
  std::string risk = "unassessed";  // low | medium | high | unassessed
  // From the first CaseOpened, except `agency`, which a TransferAccepted moves to the
  // transfer's agency. The community never moves.
  std::string child_ref, community_code, agency, sex, age_band;
  std::vector<std::string> vulnerabilities;  // JSON names, e.g. "left_behind"
  Timestamp opened_at{};                     // the first CaseOpened
  Timestamp last_opened_at{};                // the latest CaseOpened or CaseReopened
  // When the current ownership began: the CaseOpened, CaseAssigned or TransferAccepted that
  // set the owner, or the latest CaseReopened (awaiting assignment counts from there).
  Timestamp owner_since{};

  std::vector<ReferralState> referrals;  // every referral made, in order
  // The kinds (assessment | case_plan | closure) requested and not yet decided, in order.
  std::vector<std::string> pending_approvals;
  std::vector<AssessmentRequest> assessments;  // in order
  std::vector<CasePlan> case_plans;            // in order
  std::vector<PlannedService> services;        // in order
  std::vector<FollowUp> follow_ups;            // in order
  std::optional<TransferInProgress> transfer;  // none when no transfer is in progress
  std::vector<Closure> closures;               // every CaseClosed, in order
  std::optional<Consent> consent;              // none before the first ConsentRecorded
  std::vector<CaseAnomaly> anomalies;          // by position of the event that broke a machine
};

// Folds the events of one case stream into its state as of `as_of`: only events with
// position <= as_of count, corrections and voids included (0 = all). DOMAIN.md's "as of T"
// is by recorded-at: the caller turns T into the last position recorded at or before T.
//
// `events` must be in increasing position order. `voided` holds the positions withdrawn by
// EntryVoided events the caller collected (from any stream, already limited to `as_of`);
// EntryVoided events inside `events` count too, unless voided themselves. A voided event
// is withdrawn with its corrections; a voided correction gives way to what it corrected.
//
// A correction (corrects = P, same type) replaces the event at P; of several, the latest
// wins, whether it names P or an earlier correction of P. Its payload, occurred-at (P's when
// it gives none) and actor take P's place in the order.
// A correction of a position that holds no event in `events`, or an event of another
// type, is a "case: " anomaly and ignored. The `corrects` of an EntryVoided is not read.
//
// Errors: kInvalidArgument if `events` is not in increasing position order; kCorruption
// naming the position if a payload in effect (not voided, not replaced) does not decode as
// its type with every required field. Nothing else fails: broken rules are anomalies.
Result<CaseState> ReduceCase(std::span<const CaseEventInput> events, Position as_of = 0,
                             std::span<const Position> voided = {});

// The data in effect at one place of a stream, after corrections and voids.
struct EffectiveEvent {
  const CaseEventInput* original;  // whose place in the order it takes
  const CaseEventInput* data;      // the original, or the latest correction that replaced it
  Timestamp when;  // the data's occurred-at, else the original's, else its recorded-at
};
// An event that could not count: a correction of nothing or of another type.
struct CorrectionProblem {
  Position position = 0;
  std::string what;  // e.g. "the RiskAssessed corrects position 12, which holds a NoteAdded"
};

// What counts of a stream's `events` (in position order, all of them counting), by the
// rules ReduceCase states above: EntryVoided withdraws (latest first, so a void of a void
// restores), corrections replace their original at its place (the latest wins). Any stream
// may use it, not only cases (e.g. worker registrations). Problems are appended to
// `problems`. `refuse`, if given, is asked about each correction that would otherwise
// count and returns why it may not ("" = it may; e.g. "names space B instead of A"): a
// refused correction is a problem ("the <type> <why>") and replaces nothing.
// kCorruption if an EntryVoided does not decode.
using CorrectionCheck = std::function<std::string(const CaseEventInput& correction)>;
Result<std::vector<EffectiveEvent>> ResolveCorrections(
    std::span<const CaseEventInput* const> events, std::span<const Position> voided,
    std::vector<CorrectionProblem>& problems, const CorrectionCheck& refuse = nullptr);

// The open referrals of `state` (in_progress or accepted), in order. The pointers are into
// `state` and valid while it is alive and unchanged.
std::vector<const ReferralState*> OpenReferrals(const CaseState& state);

}  // namespace v1
}  // namespace caseledger
