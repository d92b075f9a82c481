// Cases (streams case-<id>), internal to tools/caseledger/gen: a CaseSource opens them at
// random times in proportion to the communities' child populations; each case plans its
// whole timeline when it opens (case_plan.cpp) and then writes it one line at a time
// (case_lines.cpp).
//
// The timeline follows DOMAIN.md's state machines by construction: every event is placed
// after the events it depends on (assignment before the owner acts, request before
// decision, referral made before its response, accepted before service and completion,
// service planned before delivered, scheduled before completed, closure approved before
// CaseClosed, closed before reopened). Independent threads (referrals, follow-ups, notes,
// a transfer) overlap in time. Then a few lines are added on purpose:
//   - a labelled anomaly (about 1 case in 10): a line that breaks one rule (model.h Rule),
//     placed where it does break it, and otherwise ignored: the case goes on as if it
//     were not there;
//   - a correction (about 1 case in 8): a RiskAssessed, ServiceDelivered or
//     FollowUpCompleted restated with `corrects` naming the original's line and the
//     original's occurredAt;
//   - a voided note (about 1 case in 30): a NoteAdded, then an EntryVoided naming it;
//   - late lines (about 2% of the other lines): written after lines of other streams
//     that happened later, but never after the next line of their own case.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gen/agent.h"
#include "gen/random.h"

namespace caseledger::gen::cases {

enum class Kind : uint8_t {
  kCaseOpened,
  kCaseAssigned,
  kConsentRecorded,
  kProtectionConcernsRecorded,
  kRiskAssessed,
  kAssessmentRequested,
  kAssessmentCompleted,
  kCasePlanSet,
  kApprovalRequested,
  kApprovalDecided,
  kReferralMade,
  kReferralAccepted,
  kReferralRejected,
  kReferralCompleted,
  kReferralRevoked,
  kServicePlanned,
  kServiceDelivered,
  kFollowUpScheduled,
  kFollowUpCompleted,
  kTransferInitiated,
  kTransferAccepted,
  kTransferRejected,
  kTransferRevoked,
  kCaregiverSupportProvided,
  kNoteAdded,
  kCaseClosed,
  kCaseReopened,
  kEntryVoided,
};

// Actor placeholders, resolved once the timeline is in order.
constexpr uint32_t kOwner = UINT32_MAX;       // whoever owns the case at that moment
constexpr uint32_t kNobody = UINT32_MAX - 1;  // no owner (awaiting assignment)
constexpr uint32_t kNoTarget = UINT32_MAX;

// ConsentRecorded flags.
constexpr uint8_t kCaregiverSubject = 1, kForServices = 2, kDisclosure = 4, kForReporting = 8;

// One planned line.
struct Item {
  int64_t emit = 0;      // when it is written (simulated); a case's lines go in this order
  int64_t occurred = 0;  // its occurredAt: earlier than `emit` for late lines and corrections
  int64_t when = 0;      // due / neededBy / deliveredAt / doneAt
  uint64_t line = 0;     // set when written
  uint32_t actor = 0;
  uint32_t ref = 0;             // referral, service or follow-up index; CaseAssigned: the new owner
  uint32_t target = kNoTarget;  // corrections and EntryVoided: the item they name
  uint32_t order = 0;           // insertion order: breaks ties, identifies items before sorting
  Kind kind = Kind::kCaseOpened;
  uint8_t flag = 0;  // per kind: consent flags, risk level, approval kind | decision << 4, reasons
  Rule rule = Rule::kNone;
  bool pinned = false;  // named by a correction or void: never late
};

struct Referral {
  ServiceType type;
  uint32_t agency, to_user;
  bool overridden;
  int64_t made_at;
  int64_t answered_at;  // accepted, rejected or revoked while in progress; 0 = never answered
};

struct Service {
  ServiceType type;
  Timeframe timeframe;
  uint32_t agency;
  int64_t planned_at;
};

struct FollowUp {
  FollowUpKind kind;
  int64_t scheduled_at;
};

class CaseAgent final : public Agent {
 public:
  // Plans case `number` (its stream is case-<number, 6 digits>), opened at simulated time
  // `open` in `community`.
  CaseAgent(uint32_t number, uint32_t community, int64_t open, const World& world, uint64_t seed);

  // The lines of its timeline.
  size_t size() const { return items_.size(); }

  // Writes the next line of the timeline.
  std::optional<int64_t> Step(int64_t now, Emitter& out) override;

 private:
  // ---- planning (case_plan.cpp) ----

  // Adds a line of `kind` at simulated time `at` (Item has the meaning of the fields);
  // returns its insertion order.
  uint32_t Add(Kind kind, int64_t at, uint32_t actor, uint32_t ref = 0, uint8_t flag = 0,
               int64_t when = 0);
  // Draws the child and the case, and plans every line (see the file comment).
  void Build(const World& world, int64_t open, uint64_t seed);
  // Requests approval of `kind` at `requested`; the supervisor decides. A rejection is
  // followed by a new request that is approved. Returns the time of the approval.
  int64_t Approval(ApprovalKind kind, int64_t requested, double approve);
  // One request and its decision (approved with probability `approve`, recorded in
  // last_approved_); returns the time of the decision.
  int64_t Decide(ApprovalKind kind, int64_t requested, double approve);
  // Schedules a follow-up at `scheduled`, usually completed (some after needed-by).
  // Returns the time of the last line it added.
  int64_t AddFollowUp(int64_t scheduled, uint32_t actor, int64_t window);
  // One labelled anomaly, of a kind this case can hold, placed where it breaks its rule.
  void AddAnomaly(const World& world, int64_t open, int64_t end);
  // A RiskAssessed, ServiceDelivered or FollowUpCompleted restated with the right data.
  void AddCorrection();
  // Orders the timeline, resolves the owner placeholders and the targets of corrections
  // and voids, and makes a few lines late.
  void Finish();

  // Choices drawn while planning.
  uint32_t PickCaseworker(const County& county);
  ServiceType PickServiceType();
  uint32_t ProviderAgency(const World& world, ServiceType type);
  Timeframe PickTimeframe();
  CloseReason PickCloseReason();
  // A provider other than the referral's recipient: a colleague, else one of another agency.
  uint32_t OtherProvider(const World& world, const Referral& r);
  // A caseworker of another agency: the county's NGO or civil-affairs bureau, else a
  // neighbouring county's bureau. kNobody if the province has no such caseworker.
  uint32_t TransferTarget(const World& world, uint32_t owner);

  // ---- writing (case_lines.cpp) ----

  // Writes items_[index]; personal and free-text fields are drawn now, from the case's
  // own random stream, so a case's lines do not depend on how it interleaves with others.
  void Write(size_t index, Emitter& out);
  std::string ReferralId(uint32_t i) const { return "ref-" + id_ + "-" + std::to_string(i + 1); }
  std::string ServiceId(uint32_t i) const { return "svc-" + id_ + "-" + std::to_string(i + 1); }
  std::string FollowUpId(uint32_t i) const { return "fu-" + id_ + "-" + std::to_string(i + 1); }

  uint32_t number_, community_, county_ = 0;
  Random rng_;
  uint64_t seed_ = 0;
  std::string id_, stream_;
  // The child and the case as opened.
  Sex sex_ = Sex::kUnknown;
  int age_ = 0;
  int64_t birth_day_ = 0;
  bool birth_known_ = false;
  uint8_t vulnerabilities_ = 0;
  Channel channel_ = Channel::kOther;
  RiskLevel risk_ = RiskLevel::kLow;
  uint32_t opener_ = 0, owner_ = kNobody, agency_ = 0, director_ = 0, supervisor_ = 0;
  // What the timeline holds.
  std::vector<Item> items_;
  std::vector<Referral> referrals_;
  std::vector<Service> services_;
  std::vector<FollowUp> follow_ups_;
  uint32_t transfer_to_ = kNobody;
  bool transfer_overridden_ = false, last_approved_ = false;
  int64_t transfer_at_ = 0, first_closure_request_ = 0, closed_at_ = 0, reopened_at_ = 0;
  size_t next_ = 0;
};

}  // namespace caseledger::gen::cases
