// The case-state reducer (caseledger/case_state.h): DOMAIN.md's case status, stage, owner,
// risk, referral, transfer, approval and follow-up machines; events that break them are
// listed as anomalies and ignored; as_of, corrections and voids decide which data counts.
#include "caseledger/case_state.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "caseledger/case_events.h"

namespace caseledger {
namespace {

Timestamp T(std::string_view text) {
  Result<Timestamp> t = ParseTimestamp(text);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? *t : Timestamp{};
}

constexpr const char* kOpened = R"({"childRef":"child-0042","name":"Li Xiaoyu","sex":"female",
    "ageBand":"6-11","communityCode":"130111200201",
    "vulnerabilities":["left_behind","out_of_school"],"identificationChannel":"home_visit",
    "owner":"w-17","agency":"county-civil-affairs"})";
constexpr const char* kOpenedWithoutOwner = R"({"childRef":"child-0042","name":"Li Xiaoyu",
    "sex":"male","ageBand":"0-5","communityCode":"130111200201","identificationChannel":"school",
    "agency":"county-civil-affairs"})";
constexpr const char* kReferral = R"({"referralId":"ref-7","serviceType":"targeted_protection",
    "toAgency":"county-legal-aid","toUser":"p-05","consentOverridden":true})";

// One case stream being written: events at positions 1, 2, 3, ... (unless told otherwise),
// occurring one hour apart from 2026-03-01T00:00Z (unless told otherwise).
class CaseStream {
 public:
  struct Options {
    std::string occurred_at;  // RFC 3339; "" = one hour after the previous event
    std::string actor = "w-17";
    Position corrects = 0;
  };

  // Appends an event; returns its position.
  Position Add(std::string type, std::string json, Options options) {
    Stored& e = stored_.emplace_back();
    e.position = ++last_position_;
    e.occurred_at = options.occurred_at.empty()
                        ? T("2026-03-01T00:00:00Z") + std::chrono::hours(stored_.size() - 1)
                        : T(options.occurred_at);
    e.type = std::move(type);
    e.actor = options.actor;
    e.corrects = options.corrects;
    const EventType* event_type = FindEventType(e.type);
    if (event_type == nullptr) {
      ADD_FAILURE() << "no event type " << e.type;
      return e.position;
    }
    Result<std::string> payload = PayloadFromJson(*event_type, json);
    EXPECT_TRUE(payload.ok()) << e.type << ": " << payload.status().ToString();
    if (payload.ok()) e.payload = *payload;
    return e.position;
  }
  Position Add(std::string type, std::string json) { return Add(type, json, Options{}); }
  Position AddAt(std::string type, std::string json, std::string occurred_at) {
    Options options;
    options.occurred_at = std::move(occurred_at);
    return Add(type, json, options);
  }
  Position AddBy(std::string type, std::string json, std::string actor) {
    Options options;
    options.actor = std::move(actor);
    return Add(type, json, options);
  }
  Position Correct(Position original, std::string type, std::string json) {
    Options options;
    options.corrects = original;
    return Add(type, json, options);
  }
  // Appends raw bytes as the payload, whatever they are.
  Position AddRaw(std::string type, std::string payload) {
    Stored& e = stored_.emplace_back();
    e.position = ++last_position_;
    e.type = std::move(type);
    e.payload = std::move(payload);
    return e.position;
  }
  // The next event gets `position` (other streams wrote in between).
  void SkipTo(Position position) { last_position_ = position - 1; }

  // The events as the reducer reads them: views into this stream.
  std::vector<CaseEventInput> Inputs() const {
    std::vector<CaseEventInput> inputs;
    for (const Stored& e : stored_) {
      CaseEventInput& in = inputs.emplace_back();
      in.position = e.position;
      in.recorded_at = e.occurred_at;
      in.occurred_at = e.occurred_at;
      in.type = e.type;
      in.actor_user = e.actor;
      in.corrects = e.corrects;
      in.payload = e.payload;
    }
    return inputs;
  }

  CaseState Reduce(Position as_of = 0, std::vector<Position> voided = {}) const {
    std::vector<CaseEventInput> inputs = Inputs();
    Result<CaseState> state = ReduceCase(inputs, as_of, voided);
    EXPECT_TRUE(state.ok()) << state.status().ToString();
    return state.ok() ? *state : CaseState{};
  }

 private:
  struct Stored {
    Position position = 0;
    Timestamp occurred_at{};
    std::string type, actor, payload;
    Position corrects = 0;
  };
  std::vector<Stored> stored_;
  Position last_position_ = 0;
};

// The rules of the anomalies, "position: rule", for readable failures.
std::vector<std::string> Anomalies(const CaseState& state) {
  std::vector<std::string> out;
  for (const CaseAnomaly& a : state.anomalies)
    out.push_back(std::to_string(a.position) + ": " + a.rule);
  return out;
}

// ---- status, stage, owner, risk ----

TEST(CaseState, WithoutEventsThereIsNoCase) {
  CaseStream stream;
  CaseState state = stream.Reduce();
  EXPECT_FALSE(state.opened);
  EXPECT_EQ(state.status, "");
  EXPECT_EQ(state.stage, "");
  EXPECT_EQ(state.risk, "unassessed");
}

TEST(CaseState, AnOpenedCaseIsOpenNewUnassessedAndOwnedByTheOwnerItNames) {
  CaseStream stream;
  stream.AddAt("CaseOpened", kOpened, "2026-03-01T08:00:00Z");
  CaseState state = stream.Reduce();
  EXPECT_TRUE(state.opened);
  EXPECT_EQ(state.status, "open");
  EXPECT_EQ(state.stage, "new");
  EXPECT_EQ(state.risk, "unassessed");
  EXPECT_EQ(state.owner, "w-17");
  EXPECT_EQ(state.child_ref, "child-0042");
  EXPECT_EQ(state.community_code, "130111200201");
  EXPECT_EQ(state.agency, "county-civil-affairs");
  EXPECT_EQ(state.sex, "female");
  EXPECT_EQ(state.age_band, "6-11");
  EXPECT_EQ(state.vulnerabilities, (std::vector<std::string>{"left_behind", "out_of_school"}));
  EXPECT_EQ(state.opened_at, T("2026-03-01T08:00:00Z"));
  EXPECT_EQ(state.last_opened_at, T("2026-03-01T08:00:00Z"));
  EXPECT_EQ(state.owner_since, T("2026-03-01T08:00:00Z"));
  EXPECT_TRUE(state.anomalies.empty());
}

TEST(CaseState, ACaseOpenedWithoutOwnerAwaitsAssignmentUntilAssigned) {
  CaseStream stream;
  stream.AddAt("CaseOpened", kOpenedWithoutOwner, "2026-03-01T08:00:00Z");
  EXPECT_EQ(stream.Reduce().owner, "");
  stream.AddAt("CaseAssigned", R"({"newOwner":"w-23"})", "2026-03-01T13:00:00Z");
  CaseState state = stream.Reduce();
  EXPECT_EQ(state.owner, "w-23");
  EXPECT_EQ(state.owner_since, T("2026-03-01T13:00:00Z"));
}

TEST(CaseState, AnAssignmentToTheCurrentOwnerIsAnAssignmentAnomalyAndChangesNothing) {
  CaseStream stream;
  stream.AddAt("CaseOpened", kOpenedWithoutOwner, "2026-03-01T08:00:00Z");
  stream.AddAt("CaseAssigned", R"({"newOwner":"w-23"})", "2026-03-01T13:00:00Z");
  const Position again =
      stream.AddAt("CaseAssigned", R"({"newOwner":"w-23"})", "2026-03-02T13:00:00Z");
  CaseState state = stream.Reduce();
  EXPECT_EQ(state.owner, "w-23");
  EXPECT_EQ(state.owner_since, T("2026-03-01T13:00:00Z"));  // not restarted
  ASSERT_EQ(state.anomalies.size(), 1u);
  EXPECT_EQ(state.anomalies[0].position, again);
  EXPECT_EQ(state.anomalies[0].rule, "assignment: CaseAssigned to w-23, who already owns the case");
}

TEST(CaseState, ClosingRecordsTheDaysOpenAndReopeningGivesStageReopenedUntilClosedAgain) {
  CaseStream stream;
  stream.AddAt("CaseOpened", kOpened, "2026-01-01T00:00:00Z");
  stream.AddAt("CaseClosed", R"({"reason":"formal_closing"})", "2026-01-31T12:00:00Z");
  CaseState closed = stream.Reduce();
  EXPECT_EQ(closed.status, "closed");
  ASSERT_EQ(closed.closures.size(), 1u);
  EXPECT_EQ(closed.closures[0].reason, "formal_closing");
  EXPECT_DOUBLE_EQ(closed.closures[0].days_open, 30.5);

  stream.AddAt("CaseReopened", R"({"reason":"Teacher reports absence again."})",
               "2026-04-01T00:00:00Z");
  CaseState reopened = stream.Reduce();
  EXPECT_EQ(reopened.status, "open");
  EXPECT_EQ(reopened.stage, "reopened");
  EXPECT_EQ(reopened.opened_at, T("2026-01-01T00:00:00Z"));
  EXPECT_EQ(reopened.last_opened_at, T("2026-04-01T00:00:00Z"));

  stream.AddAt("CaseClosed", R"({"reason":"aged_out"})", "2026-04-11T00:00:00Z");
  CaseState closed_again = stream.Reduce();
  EXPECT_EQ(closed_again.status, "closed");
  EXPECT_EQ(closed_again.stage, "new");
  ASSERT_EQ(closed_again.closures.size(), 2u);
  EXPECT_DOUBLE_EQ(closed_again.closures[1].days_open, 10.0);  // from the reopening
  EXPECT_TRUE(closed_again.anomalies.empty()) << ::testing::PrintToString(Anomalies(closed_again));
}

TEST(CaseState, StageMovesFromNewThroughAssessmentCasePlanAndServicesToImplemented) {
  CaseStream stream;
  const Position opened = stream.Add("CaseOpened", kOpened);
  const Position requested = stream.Add("AssessmentRequested", R"({"due":"2026-03-05T00:00:00Z"})");
  const Position planned = stream.Add(
      "CasePlanSet", R"({"interventions":["school re-enrolment"],"due":"2026-03-10T00:00:00Z"})");
  const Position service =
      stream.Add("ServicePlanned",
                 R"({"serviceId":"svc-1","serviceType":"education","responseTimeframe":"3d"})");
  const Position delivered = stream.Add(
      "ServiceDelivered", R"({"serviceId":"svc-1","deliveredAt":"2026-03-02T00:00:00Z"})");

  EXPECT_EQ(stream.Reduce(opened).stage, "new");
  EXPECT_EQ(stream.Reduce(requested).stage, "assessment");
  EXPECT_EQ(stream.Reduce(planned).stage, "case_plan");
  EXPECT_EQ(stream.Reduce(service).stage, "service_provision");
  EXPECT_EQ(stream.Reduce(delivered).stage, "services_implemented");

  stream.Add("ServicePlanned",
             R"({"serviceId":"svc-2","serviceType":"health","responseTimeframe":"1d"})");
  EXPECT_EQ(stream.Reduce().stage, "service_provision");  // one of two still to deliver
}

TEST(CaseState, ClosingAClosedCaseReopeningAnOpenOneAndOpeningTwiceAreIgnoredAnomalies) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  const Position second_open = stream.Add("CaseOpened", kOpenedWithoutOwner);
  const Position reopen_open = stream.Add("CaseReopened", "{}");
  stream.Add("CaseClosed", R"({"reason":"formal_closing"})");
  const Position close_closed = stream.Add("CaseClosed", R"({"reason":"other"})");

  CaseState state = stream.Reduce();
  EXPECT_EQ(state.status, "closed");
  EXPECT_EQ(state.owner, "w-17");  // the ignored CaseOpened named no owner
  EXPECT_EQ(state.stage, "new");   // the ignored CaseReopened does not make it "reopened"
  EXPECT_EQ(state.closures.size(), 1u);
  EXPECT_EQ(Anomalies(state),
            (std::vector<std::string>{
                std::to_string(second_open) + ": case: CaseOpened on an open case",
                std::to_string(reopen_open) + ": case: CaseReopened on an open case",
                std::to_string(close_closed) + ": case: CaseClosed on a closed case",
            }));
}

TEST(CaseState, EventsBeforeCaseOpenedAreIgnoredAnomalies) {
  CaseStream stream;
  const Position early = stream.Add("RiskAssessed", R"({"level":"high"})");
  stream.Add("CaseOpened", kOpened);
  CaseState state = stream.Reduce();
  EXPECT_EQ(state.risk, "unassessed");
  EXPECT_EQ(Anomalies(state), (std::vector<std::string>{std::to_string(early) +
                                                        ": case: RiskAssessed before CaseOpened"}));
}

TEST(CaseState, RiskIsTheLastAssessedLevel) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  stream.Add("RiskAssessed", R"({"level":"high","rationale":"Alone at home."})");
  stream.Add("RiskAssessed", R"({"level":"medium"})");
  EXPECT_EQ(stream.Reduce().risk, "medium");
}

TEST(CaseState, AnAcceptedTransferMovesOwnershipAndAgencyButNotTheCommunity) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  stream.Add("CaseAssigned", R"({"newOwner":"w-23","reason":"On leave."})");
  const Position initiated =
      stream.Add("TransferInitiated", R"({"toAgency":"ngo-bright-future","toUser":"w-40"})");
  CaseState pending = stream.Reduce();
  EXPECT_EQ(pending.owner, "w-23");
  ASSERT_TRUE(pending.transfer.has_value());
  EXPECT_EQ(pending.transfer->to_user, "w-40");
  EXPECT_EQ(pending.transfer->position, initiated);

  stream.AddAt("TransferAccepted", R"({"note":"Will visit this week."})", "2026-03-09T09:00:00Z");
  CaseState moved = stream.Reduce();
  EXPECT_EQ(moved.owner, "w-40");
  EXPECT_EQ(moved.owner_since, T("2026-03-09T09:00:00Z"));
  EXPECT_EQ(moved.agency, "ngo-bright-future");
  EXPECT_EQ(moved.community_code, "130111200201");
  EXPECT_FALSE(moved.transfer.has_value());
  EXPECT_TRUE(moved.anomalies.empty()) << ::testing::PrintToString(Anomalies(moved));
}

TEST(CaseState, ARejectedOrRevokedTransferLeavesTheOwnerAndEndingNoTransferIsAnAnomaly) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  stream.Add("TransferInitiated", R"({"toAgency":"ngo-a","toUser":"w-40"})");
  const Position second =
      stream.Add("TransferInitiated", R"({"toAgency":"ngo-b","toUser":"w-41"})");
  stream.Add("TransferRejected", R"({"reason":"No caseworker free."})");
  stream.Add("TransferInitiated", R"({"toAgency":"ngo-b","toUser":"w-41"})");
  stream.Add("TransferRevoked", "{}");
  const Position stray = stream.Add("TransferAccepted", "{}");

  CaseState state = stream.Reduce();
  EXPECT_EQ(state.owner, "w-17");
  EXPECT_FALSE(state.transfer.has_value());
  EXPECT_EQ(Anomalies(state),
            (std::vector<std::string>{
                std::to_string(second) +
                    ": transfer: TransferInitiated while the transfer to w-40 is in progress",
                std::to_string(stray) + ": transfer: TransferAccepted with no transfer in progress",
            }));
}

// ---- referrals ----

TEST(CaseState, AReferralGoesFromInProgressToAcceptedToCompletedAndIsOpenUntilCompleted) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  const Position made = stream.AddAt("ReferralMade", kReferral, "2026-03-02T10:00:00Z");
  CaseState in_progress = stream.Reduce();
  ASSERT_EQ(in_progress.referrals.size(), 1u);
  const ReferralState& r = in_progress.referrals[0];
  EXPECT_EQ(r.referral_id, "ref-7");
  EXPECT_EQ(r.service_type, "targeted_protection");
  EXPECT_EQ(r.to_agency, "county-legal-aid");
  EXPECT_EQ(r.to_user, "p-05");
  EXPECT_TRUE(r.consent_overridden);
  EXPECT_EQ(r.state, "in_progress");
  EXPECT_EQ(r.made_position, made);
  EXPECT_EQ(r.made_at, T("2026-03-02T10:00:00Z"));
  EXPECT_EQ(OpenReferrals(in_progress).size(), 1u);

  CaseStream::Options by_recipient;
  by_recipient.actor = "p-05";
  by_recipient.occurred_at = "2026-03-02T16:00:00Z";
  stream.Add("ReferralAccepted", R"({"referralId":"ref-7"})", by_recipient);
  CaseState accepted = stream.Reduce();
  EXPECT_EQ(accepted.referrals[0].state, "accepted");
  EXPECT_EQ(accepted.referrals[0].responded_at, T("2026-03-02T16:00:00Z"));
  EXPECT_EQ(OpenReferrals(accepted).size(), 1u);

  stream.AddAt("ReferralCompleted", R"({"referralId":"ref-7","outcomeNote":"Guardian found."})",
               "2026-03-20T10:00:00Z");
  CaseState completed = stream.Reduce();
  EXPECT_EQ(completed.referrals[0].state, "completed");
  EXPECT_EQ(completed.referrals[0].completed_at, T("2026-03-20T10:00:00Z"));
  EXPECT_TRUE(OpenReferrals(completed).empty());
  EXPECT_TRUE(completed.anomalies.empty()) << ::testing::PrintToString(Anomalies(completed));
}

TEST(CaseState, OnlyTheNamedRecipientAcceptsOrRejectsAReferral) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  stream.Add("ReferralMade", kReferral);
  const Position wrong = stream.AddBy("ReferralAccepted", R"({"referralId":"ref-7"})", "p-99");
  CaseState after_wrong = stream.Reduce();
  EXPECT_EQ(after_wrong.referrals[0].state, "in_progress");
  EXPECT_EQ(Anomalies(after_wrong),
            (std::vector<std::string>{std::to_string(wrong) +
                                      ": referral: ReferralAccepted of ref-7 by p-99, not its "
                                      "recipient p-05"}));

  stream.AddBy("ReferralRejected", R"({"referralId":"ref-7","reason":"Outside our county."})",
               "p-05");
  EXPECT_EQ(stream.Reduce().referrals[0].state, "rejected");
}

TEST(CaseState, AReferralWithoutNamedRecipientMayBeAcceptedByAnyone) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  stream.Add("ReferralMade",
             R"({"referralId":"ref-8","serviceType":"health","toAgency":"clinic-3"})");
  stream.AddBy("ReferralAccepted", R"({"referralId":"ref-8"})", "p-31");
  EXPECT_EQ(stream.Reduce().referrals[0].state, "accepted");
}

TEST(CaseState, CompletingAReferralBeforeItIsAcceptedIsAnIgnoredAnomaly) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  stream.Add("ReferralMade", kReferral);
  const Position early = stream.Add("ReferralCompleted", R"({"referralId":"ref-7"})");
  CaseState state = stream.Reduce();
  EXPECT_EQ(state.referrals[0].state, "in_progress");
  EXPECT_EQ(Anomalies(state),
            (std::vector<std::string>{std::to_string(early) +
                                      ": referral: ReferralCompleted of ref-7, which is "
                                      "in_progress"}));
}

TEST(CaseState, ARevokedReferralIsClosedAndCannotBeAcceptedAfterwards) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  stream.Add("ReferralMade", kReferral);
  stream.Add("ReferralRevoked", R"({"referralId":"ref-7","reason":"Family moved."})");
  const Position late = stream.AddBy("ReferralAccepted", R"({"referralId":"ref-7"})", "p-05");
  CaseState state = stream.Reduce();
  EXPECT_EQ(state.referrals[0].state, "revoked");
  EXPECT_TRUE(OpenReferrals(state).empty());
  EXPECT_EQ(Anomalies(state),
            (std::vector<std::string>{std::to_string(late) +
                                      ": referral: ReferralAccepted of ref-7, which is revoked"}));
}

TEST(CaseState, AnUnknownOrDuplicateReferralIdIsAnIgnoredAnomaly) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  stream.Add("ReferralMade", kReferral);
  const Position duplicate = stream.Add("ReferralMade", kReferral);
  const Position unknown = stream.AddBy("ReferralAccepted", R"({"referralId":"ref-9"})", "p-05");
  CaseState state = stream.Reduce();
  EXPECT_EQ(state.referrals.size(), 1u);
  EXPECT_EQ(Anomalies(state),
            (std::vector<std::string>{
                std::to_string(duplicate) + ": referral: ref-7 was already made",
                std::to_string(unknown) + ": referral: ReferralAccepted of ref-9, which was never "
                                          "made",
            }));
}

// ---- approvals, services, follow-ups ----

TEST(CaseState, AnApprovalIsPendingFromItsRequestUntilItsDecision) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  stream.Add("CasePlanSet", R"({"interventions":["weekly visit"],"due":"2026-03-10T00:00:00Z"})");
  stream.Add("ApprovalRequested", R"({"kind":"case_plan"})");
  stream.Add("ApprovalRequested", R"({"kind":"closure"})");
  CaseState requested = stream.Reduce();
  EXPECT_EQ(requested.pending_approvals, (std::vector<std::string>{"case_plan", "closure"}));
  EXPECT_FALSE(requested.case_plans[0].approved);

  stream.Add("ApprovalDecided", R"({"kind":"case_plan","decision":"approved"})");
  CaseState decided = stream.Reduce();
  EXPECT_EQ(decided.pending_approvals, (std::vector<std::string>{"closure"}));
  EXPECT_TRUE(decided.case_plans[0].approved);
}

TEST(CaseState, ADecisionWithoutPendingRequestAndARepeatedRequestAreIgnoredAnomalies) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  stream.Add("CasePlanSet", R"({"interventions":["weekly visit"],"due":"2026-03-10T00:00:00Z"})");
  const Position unasked =
      stream.Add("ApprovalDecided", R"({"kind":"case_plan","decision":"approved"})");
  stream.Add("ApprovalRequested", R"({"kind":"assessment"})");
  const Position repeated = stream.Add("ApprovalRequested", R"({"kind":"assessment"})");
  CaseState state = stream.Reduce();
  EXPECT_FALSE(state.case_plans[0].approved);
  EXPECT_EQ(state.pending_approvals, (std::vector<std::string>{"assessment"}));
  EXPECT_EQ(Anomalies(state),
            (std::vector<std::string>{
                std::to_string(unasked) +
                    ": approval: ApprovalDecided(case_plan) with no pending request",
                std::to_string(repeated) +
                    ": approval: ApprovalRequested(assessment) while one is pending",
            }));
}

TEST(CaseState, AnAssessmentIsOutstandingUntilALaterAssessmentCompleted) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  stream.Add("AssessmentRequested", R"({"due":"2026-03-05T00:00:00Z"})");
  ASSERT_EQ(stream.Reduce().assessments.size(), 1u);
  EXPECT_EQ(stream.Reduce().assessments[0].due, T("2026-03-05T00:00:00Z"));
  EXPECT_FALSE(stream.Reduce().assessments[0].completed);
  stream.AddAt("AssessmentCompleted", R"({"findings":"Needs a daily meal."})",
               "2026-03-04T00:00:00Z");
  EXPECT_TRUE(stream.Reduce().assessments[0].completed);
  EXPECT_EQ(stream.Reduce().assessments[0].completed_at, T("2026-03-04T00:00:00Z"));
}

TEST(CaseState, APlannedServiceIsDueAfterItsTimeframeAndDeliveredByItsId) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  stream.AddAt("ServicePlanned",
               R"({"serviceId":"svc-1","serviceType":"psychosocial","responseTimeframe":"3h",
                   "provider":"p-09"})",
               "2026-03-02T10:00:00Z");
  stream.Add("ServicePlanned",
             R"({"serviceId":"svc-2","serviceType":"other","responseTimeframe":"other"})");
  stream.Add("ServiceDelivered", R"({"serviceId":"svc-1","deliveredAt":"2026-03-02T12:00:00Z"})");
  const Position unknown = stream.Add(
      "ServiceDelivered", R"({"serviceId":"svc-9","deliveredAt":"2026-03-02T12:00:00Z"})");
  CaseState state = stream.Reduce();
  ASSERT_EQ(state.services.size(), 2u);
  EXPECT_EQ(state.services[0].timeframe, "3h");
  EXPECT_EQ(state.services[0].provider, "p-09");
  EXPECT_EQ(state.services[0].due, T("2026-03-02T13:00:00Z"));
  EXPECT_TRUE(state.services[0].delivered);
  EXPECT_EQ(state.services[0].delivered_at, T("2026-03-02T12:00:00Z"));
  EXPECT_EQ(state.services[1].due, Timestamp{});  // "other": never overdue
  EXPECT_FALSE(state.services[1].delivered);
  EXPECT_EQ(Anomalies(state),
            (std::vector<std::string>{std::to_string(unknown) +
                                      ": service: ServiceDelivered of svc-9, which was never "
                                      "planned"}));
}

TEST(CaseState, AFollowUpIsCompletedOnceAndOnlyIfScheduled) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  stream.Add("FollowUpScheduled",
             R"({"followUpId":"fu-1","kind":"home_visit","neededBy":"2026-03-08T00:00:00Z"})");
  stream.Add("FollowUpCompleted", R"({"followUpId":"fu-1","doneAt":"2026-03-07T15:00:00Z"})");
  const Position twice =
      stream.Add("FollowUpCompleted", R"({"followUpId":"fu-1","doneAt":"2026-03-07T16:00:00Z"})");
  const Position unknown =
      stream.Add("FollowUpCompleted", R"({"followUpId":"fu-2","doneAt":"2026-03-07T16:00:00Z"})");
  CaseState state = stream.Reduce();
  ASSERT_EQ(state.follow_ups.size(), 1u);
  EXPECT_EQ(state.follow_ups[0].kind, "home_visit");
  EXPECT_EQ(state.follow_ups[0].needed_by, T("2026-03-08T00:00:00Z"));
  EXPECT_TRUE(state.follow_ups[0].completed);
  EXPECT_EQ(state.follow_ups[0].done_at, T("2026-03-07T15:00:00Z"));
  EXPECT_EQ(Anomalies(state),
            (std::vector<std::string>{
                std::to_string(twice) + ": follow-up: FollowUpCompleted of fu-1, already completed",
                std::to_string(unknown) +
                    ": follow-up: FollowUpCompleted of fu-2, which was never scheduled",
            }));
}

// ---- as of, corrections, voids ----

TEST(CaseState, AsOfCountsOnlyTheEventsUpToThatPosition) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  const Position assessed = stream.Add("RiskAssessed", R"({"level":"low"})");
  stream.Add("CaseAssigned", R"({"newOwner":"w-23"})");
  stream.Add("RiskAssessed", R"({"level":"high"})");
  stream.Add("CaseClosed", R"({"reason":"formal_closing"})");

  CaseState then = stream.Reduce(assessed);
  EXPECT_EQ(then.status, "open");
  EXPECT_EQ(then.owner, "w-17");
  EXPECT_EQ(then.risk, "low");
  CaseState now = stream.Reduce();
  EXPECT_EQ(now.status, "closed");
  EXPECT_EQ(now.owner, "w-23");
  EXPECT_EQ(now.risk, "high");
}

TEST(CaseState, ACorrectionReplacesTheOriginalInTheOriginalsPlace) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  const Position wrong = stream.Add("RiskAssessed", R"({"level":"low"})");
  stream.Add("RiskAssessed", R"({"level":"medium"})");
  stream.Correct(wrong, "RiskAssessed", R"({"level":"high"})");
  // The correction takes the place of position 2, before the "medium" of position 3.
  EXPECT_EQ(stream.Reduce().risk, "medium");

  CaseStream assigned;
  assigned.Add("CaseOpened", kOpened);
  const Position mistake = assigned.Add("CaseAssigned", R"({"newOwner":"w-32"})");
  assigned.Correct(mistake, "CaseAssigned", R"({"newOwner":"w-23"})");
  EXPECT_EQ(assigned.Reduce().owner, "w-23");
  EXPECT_TRUE(assigned.Reduce().anomalies.empty());
}

TEST(CaseState, TheLatestOfSeveralCorrectionsWinsWhetherItNamesTheOriginalOrACorrection) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  const Position original = stream.Add("CaseAssigned", R"({"newOwner":"w-1"})");
  const Position first = stream.Correct(original, "CaseAssigned", R"({"newOwner":"w-2"})");
  stream.Correct(first, "CaseAssigned", R"({"newOwner":"w-3"})");
  EXPECT_EQ(stream.Reduce().owner, "w-3");
  stream.Correct(original, "CaseAssigned", R"({"newOwner":"w-4"})");
  EXPECT_EQ(stream.Reduce().owner, "w-4");
}

TEST(CaseState, ACorrectionRecordedAfterAsOfDoesNotApply) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  const Position assessed = stream.Add("RiskAssessed", R"({"level":"low"})");
  const Position later = stream.Add("NoteAdded", R"({"text":"Visited."})");
  stream.Correct(assessed, "RiskAssessed", R"({"level":"high"})");
  EXPECT_EQ(stream.Reduce(later).risk, "low");
  EXPECT_EQ(stream.Reduce().risk, "high");
}

TEST(CaseState, ACorrectionOfAnotherTypeOrOfAPositionNotInTheCaseIsAnIgnoredAnomaly) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  const Position assigned = stream.Add("CaseAssigned", R"({"newOwner":"w-23"})");
  const Position other_type = stream.Correct(assigned, "RiskAssessed", R"({"level":"high"})");
  const Position elsewhere = stream.Correct(40, "RiskAssessed", R"({"level":"high"})");
  CaseState state = stream.Reduce();
  EXPECT_EQ(state.risk, "unassessed");
  EXPECT_EQ(state.owner, "w-23");
  EXPECT_EQ(Anomalies(state),
            (std::vector<std::string>{
                std::to_string(other_type) + ": case: the RiskAssessed corrects position " +
                    std::to_string(assigned) + ", which holds a CaseAssigned",
                std::to_string(elsewhere) +
                    ": case: the RiskAssessed corrects position 40, which holds no event of this "
                    "stream",
            }));
}

TEST(CaseState, AVoidedEventIsRemovedWhetherTheCallerOrTheStreamVoidsIt) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  const Position assigned = stream.Add("CaseAssigned", R"({"newOwner":"w-23"})");
  const Position assessed = stream.Add("RiskAssessed", R"({"level":"high"})");
  EXPECT_EQ(stream.Reduce(0, {assigned}).owner, "w-17");

  stream.Add("EntryVoided",
             R"({"position":)" + std::to_string(assessed) + R"(,"reason":"Wrong case."})");
  CaseState state = stream.Reduce();
  EXPECT_EQ(state.risk, "unassessed");
  EXPECT_EQ(state.owner, "w-23");
  EXPECT_TRUE(state.anomalies.empty());
}

TEST(CaseState, VoidingAVoidRestoresTheEventAndVoidingACorrectionRestoresTheOriginal) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  const Position assessed = stream.Add("RiskAssessed", R"({"level":"low"})");
  const Position correction = stream.Correct(assessed, "RiskAssessed", R"({"level":"high"})");
  const Position void_correction =
      stream.Add("EntryVoided", R"({"position":)" + std::to_string(correction) +
                                    R"(,"reason":"Wrong assessment."})");
  EXPECT_EQ(stream.Reduce().risk, "low");

  stream.Add("EntryVoided", R"({"position":)" + std::to_string(void_correction) +
                                R"(,"reason":"The assessment was right."})");
  EXPECT_EQ(stream.Reduce().risk, "high");
}

TEST(CaseState, AVoidedOriginalIsWithdrawnWithItsCorrections) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  const Position assessed = stream.Add("RiskAssessed", R"({"level":"low"})");
  stream.Correct(assessed, "RiskAssessed", R"({"level":"high"})");
  CaseState state = stream.Reduce(0, {assessed});
  EXPECT_EQ(state.risk, "unassessed");
  EXPECT_TRUE(state.anomalies.empty());
}

TEST(CaseState, AnEventWithoutOccurredAtCountsAtItsRecordedAt) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  std::vector<CaseEventInput> inputs = stream.Inputs();
  inputs[0].occurred_at = Timestamp{};
  inputs[0].recorded_at = T("2026-03-01T09:30:00Z");
  Result<CaseState> state = ReduceCase(inputs);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->opened_at, T("2026-03-01T09:30:00Z"));
}

// ---- errors ----

TEST(CaseState, APayloadThatDoesNotDecodeIsCorruptionNamingItsPosition) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  stream.SkipTo(57);
  stream.AddRaw("RiskAssessed", std::string(16, '\xff'));
  std::vector<CaseEventInput> inputs = stream.Inputs();
  Result<CaseState> state = ReduceCase(inputs);
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), StatusCode::kCorruption);
  EXPECT_NE(state.status().message().find("position 57"), std::string::npos)
      << state.status().ToString();
}

TEST(CaseState, APayloadMissingARequiredFieldIsCorruption) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  // An empty message: a ReferralMade whose referralId is empty.
  stream.AddRaw("ReferralMade", std::string("\0\0\0\0\0\0\0\0", 8));
  Result<CaseState> state = ReduceCase(stream.Inputs());
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), StatusCode::kCorruption);
  EXPECT_NE(state.status().message().find("position 2"), std::string::npos)
      << state.status().ToString();
}

TEST(CaseState, EventsOutOfPositionOrderAreRefused) {
  CaseStream stream;
  stream.Add("CaseOpened", kOpened);
  stream.Add("RiskAssessed", R"({"level":"low"})");
  std::vector<CaseEventInput> inputs = stream.Inputs();
  std::swap(inputs[0], inputs[1]);
  Result<CaseState> state = ReduceCase(inputs);
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace caseledger
