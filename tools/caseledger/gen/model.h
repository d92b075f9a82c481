// The domain vocabulary the generator draws from: the catalogue's enums with the JSON
// names of sdk/schema/case_events.capnp, and the rules a labelled anomaly breaks.
#pragma once

#include <cstdint>
#include <string_view>

namespace caseledger::gen {

enum class Sex : uint8_t { kFemale, kMale, kUnknown };
inline constexpr std::string_view kSexNames[] = {"female", "male", "unknown"};

enum class AgeBand : uint8_t { k0to5, k6to11, k12to17, k18plus };
inline constexpr std::string_view kAgeBandNames[] = {"0-5", "6-11", "12-17", "18+"};
constexpr AgeBand BandOfAge(int years) {
  return years <= 5    ? AgeBand::k0to5
         : years <= 11 ? AgeBand::k6to11
         : years <= 17 ? AgeBand::k12to17
                       : AgeBand::k18plus;
}

// Vulnerability flags, one bit each in the order of the schema's enum.
enum Vulnerability : uint8_t {
  kLeftBehind = 1 << 0,
  kDisability = 1 << 1,
  kNoHouseholdRegistration = 1 << 2,
  kOutOfSchool = 1 << 3,
  kMissingGuardianship = 1 << 4,
  kOtherVulnerability = 1 << 5,
};
inline constexpr std::string_view kVulnerabilityNames[] = {
    "left_behind",   "disability",           "no_household_registration",
    "out_of_school", "missing_guardianship", "other"};

enum class Channel : uint8_t { kHomeVisit, kSpace, kSchool, kHotline, kPolice, kOther };
inline constexpr std::string_view kChannelNames[] = {"home_visit", "space",  "school",
                                                     "hotline",    "police", "other"};

enum class RiskLevel : uint8_t { kLow, kMedium, kHigh };
inline constexpr std::string_view kRiskNames[] = {"low", "medium", "high"};

enum class ApprovalKind : uint8_t { kAssessment, kCasePlan, kClosure };
inline constexpr std::string_view kApprovalKindNames[] = {"assessment", "case_plan", "closure"};

enum class ServiceType : uint8_t {
  kSocialAssistance,
  kEducation,
  kHealth,
  kPsychosocial,
  kLegal,
  kTargetedProtection,
  kCaregiverSupport,
  kOther,
};
inline constexpr int kServiceTypeCount = 8;
inline constexpr std::string_view kServiceTypeNames[] = {
    "social_assistance",   "education",         "health", "psychosocial", "legal",
    "targeted_protection", "caregiver_support", "other"};

enum class Timeframe : uint8_t { k1h, k3h, k1d, k3d, kOther };
inline constexpr std::string_view kTimeframeNames[] = {"1h", "3h", "1d", "3d", "other"};
inline constexpr int64_t kTimeframeSeconds[] = {3600, 3 * 3600, 86400, 3 * 86400, 0};

enum class FollowUpKind : uint8_t { kHomeVisit, kAfterReunification, kForService, kForAssessment };
inline constexpr std::string_view kFollowUpKindNames[] = {"home_visit", "after_reunification",
                                                          "for_service", "for_assessment"};

inline constexpr std::string_view kCaregiverSupportNames[] = {"parenting", "cash_transfer_link",
                                                              "counselling", "other"};

enum class CloseReason : uint8_t {
  kFormalClosing,
  kTransferred,
  kRepatriated,
  kNotSeen,
  kDeathOfChild,
  kAgedOut,
  kOther,
};
inline constexpr std::string_view kCloseReasonNames[] = {
    "formal_closing", "transferred", "repatriated", "not_seen_during_verification",
    "death_of_child", "aged_out",    "other"};

// Services a children's place offers, one bit each in the order of the schema's enum.
inline constexpr std::string_view kSpaceServiceNames[] = {"recreation", "non_formal_education",
                                                          "psychosocial_support", "referral"};

enum class Role : uint8_t {
  kChildrenDirector,
  kSupervisor,
  kCaseworker,
  kServiceProvider,
  kAuditor,
  kAdmin
};
inline constexpr std::string_view kRoleNames[] = {"children_director", "supervisor", "caseworker",
                                                  "service_provider",  "auditor",    "admin"};

// The rules of DOMAIN.md's state machines that labelled anomalies break on purpose. Every
// other line of the output keeps every one of them (the unit test checks both ways).
enum class Rule : uint8_t {
  kNone,
  kCaseClosedTwice,
  kCaseReopenedWhileOpen,
  kReferralUnknown,
  kReferralNotRecipient,
  kReferralCompletedBeforeAccepted,
  kServiceDeliveredUnplanned,
  kFollowUpCompletedUnscheduled,
  kApprovalDecidedWithoutRequest,
  kTransferAcceptedWithoutTransfer,
  kAttendanceChildNotEnrolled,
  kSpaceEventAfterClose,
};
inline constexpr int kRuleCount = 12;

struct RuleInfo {
  std::string_view id;           // stable, e.g. "referral.not_recipient"
  std::string_view description;  // what the line does wrong
};
inline constexpr RuleInfo kRules[kRuleCount] = {
    {"", ""},
    {"case.closed_twice", "CaseClosed on a case that is already closed"},
    {"case.reopened_while_open", "CaseReopened on a case that is open"},
    {"referral.unknown", "a referral response naming a referral id never made in this case"},
    {"referral.not_recipient", "ReferralAccepted by someone other than the referral's toUser"},
    {"referral.completed_before_accepted",
     "ReferralCompleted on a referral still in progress (never accepted)"},
    {"service.delivered_unplanned", "ServiceDelivered for a service id never planned in this case"},
    {"follow_up.completed_unscheduled",
     "FollowUpCompleted for a follow-up id never scheduled in this case"},
    {"approval.decided_without_request",
     "ApprovalDecided for a kind with no pending ApprovalRequested"},
    {"transfer.accepted_without_transfer", "TransferAccepted with no transfer in progress"},
    {"attendance.child_not_enrolled",
     "AttendanceRecorded naming a child not enrolled in the space"},
    {"space.event_after_close", "an activity recorded in a space after its SpaceClosed"},
};
inline const RuleInfo& Describe(Rule rule) { return kRules[static_cast<int>(rule)]; }

}  // namespace caseledger::gen
