// The lines of a case (case_agent.h): one item of the planned timeline at a time.
#include <iterator>
#include <string_view>

#include "gen/case_agent.h"
#include "gen/texts.h"

namespace caseledger::gen::cases {
namespace {

constexpr std::string_view kKindNames[] = {
    "CaseOpened",        "CaseAssigned",        "ConsentRecorded",     "ProtectionConcernsRecorded",
    "RiskAssessed",      "AssessmentRequested", "AssessmentCompleted", "CasePlanSet",
    "ApprovalRequested", "ApprovalDecided",     "ReferralMade",        "ReferralAccepted",
    "ReferralRejected",  "ReferralCompleted",   "ReferralRevoked",     "ServicePlanned",
    "ServiceDelivered",  "FollowUpScheduled",   "FollowUpCompleted",   "TransferInitiated",
    "TransferAccepted",  "TransferRejected",    "TransferRevoked",     "CaregiverSupportProvided",
    "NoteAdded",         "CaseClosed",          "CaseReopened",        "EntryVoided"};
static_assert(std::size(kKindNames) == static_cast<size_t>(Kind::kEntryVoided) + 1);

}  // namespace

std::optional<int64_t> CaseAgent::Step(int64_t, Emitter& out) {
  Write(next_, out);
  if (++next_ >= items_.size()) return std::nullopt;
  return items_[next_].emit;
}

void CaseAgent::Write(size_t index, Emitter& out) {
  Item& item = items_[index];
  const World& world = out.world;
  const uint64_t corrects =
      item.target != kNoTarget && item.kind != Kind::kEntryVoided ? items_[item.target].line : 0;
  std::string_view reason;
  if (corrects) {
    reason = item.kind == Kind::kRiskAssessed       ? "risk level entered wrongly"
             : item.kind == Kind::kServiceDelivered ? "delivery time entered wrongly"
                                                    : "completion date entered wrongly";
  }
  LineWriter& line =
      out.Begin(stream_, kKindNames[static_cast<int>(item.kind)], static_cast<int64_t>(index) - 1,
                item.occurred, item.actor, corrects, reason);
  if (item.rule != Rule::kNone) out.Label(item.rule);
  item.line = out.line_number();
  std::string& text = out.scratch;
  text.clear();
  switch (item.kind) {
    case Kind::kCaseOpened: {
      const Community& community = world.communities[community_];
      AppendChildRef(text, seed_, kCaseChild, number_);
      line.Text("childRef", text);
      text.clear();
      AppendPersonName(text, rng_, sex_);
      line.Text("name", text);
      line.Text("sex", kSexNames[static_cast<int>(sex_)]);
      if (birth_known_) {
        text.clear();
        AppendDate(text, birth_day_);
        line.Text("birthDate", text);
      } else {
        line.Number("estimatedAgeYears", static_cast<uint64_t>(age_));
      }
      line.Text("ageBand", kAgeBandNames[static_cast<int>(BandOfAge(age_))]);
      line.Text("communityCode", community.code);
      if (vulnerabilities_) {
        line.OpenList("vulnerabilities");
        for (int b = 0; b < 6; ++b)
          if (vulnerabilities_ & (1 << b)) line.ListText(kVulnerabilityNames[b]);
        line.CloseList();
      }
      line.Text("identificationChannel", kChannelNames[static_cast<int>(channel_)]);
      if (owner_ != kNobody) line.Text("owner", world.workers[owner_].id);
      line.Text("agency", world.agencies[agency_].id);
      text.clear();
      AppendAddress(text, rng_, community.urban, community.name);
      line.Text("address", text);
      break;
    }
    case Kind::kCaseAssigned:
      line.Text("newOwner", world.workers[item.ref].id);
      AppendAssignmentReason(text, rng_);
      line.Text("reason", text);
      break;
    case Kind::kConsentRecorded:
      line.Text("subject", item.flag & kCaregiverSubject ? "caregiver" : "child");
      line.Bool("consentForServices", item.flag & kForServices);
      line.Bool("disclosureToOtherOrgs", item.flag & kDisclosure);
      line.Bool("consentForReporting", item.flag & kForReporting);
      break;
    case Kind::kProtectionConcernsRecorded: {
      line.OpenList("concerns");
      const uint32_t first = rng_.Below(kConcernCount), n = 1 + rng_.Below(3);
      for (uint32_t c = 0; c < n; ++c) line.ListText(ConcernName(first + c * 5));
      line.CloseList();
      line.Bool("urgent", item.flag != 0);
      break;
    }
    case Kind::kRiskAssessed:
      line.Text("level", kRiskNames[item.flag]);
      AppendRiskRationale(text, rng_, static_cast<RiskLevel>(item.flag), vulnerabilities_);
      line.Text("rationale", text);
      break;
    case Kind::kAssessmentRequested:
      line.Time("due", item.when);
      break;
    case Kind::kAssessmentCompleted:
      AppendAssessmentFindings(text, rng_, vulnerabilities_);
      line.Text("findings", text);
      break;
    case Kind::kCasePlanSet: {
      line.OpenList("interventions");
      const uint32_t n = 2 + rng_.Below(3);
      for (uint32_t i = 0; i < n; ++i)
        line.ListText(InterventionFor(
            static_cast<ServiceType>((i * 3 + rng_.Below(3)) % kServiceTypeCount), rng_));
      line.CloseList();
      line.Time("due", item.when);
      break;
    }
    case Kind::kApprovalRequested:
      line.Text("kind", kApprovalKindNames[item.flag]);
      break;
    case Kind::kApprovalDecided: {
      const auto kind = static_cast<ApprovalKind>(item.flag & 15);
      const bool approved = (item.flag >> 4) == 0;
      line.Text("kind", kApprovalKindNames[static_cast<int>(kind)]);
      line.Text("decision", approved ? "approved" : "rejected");
      AppendApprovalComment(text, rng_, kind, approved);
      line.Text("comment", text);
      break;
    }
    case Kind::kReferralMade: {
      const Referral& r = referrals_[item.ref];
      line.Text("referralId", ReferralId(item.ref));
      line.Text("serviceType", kServiceTypeNames[static_cast<int>(r.type)]);
      line.Text("toAgency", world.agencies[r.agency].id);
      line.Text("toUser", world.workers[r.to_user].id);
      line.Bool("consentOverridden", r.overridden);
      break;
    }
    case Kind::kReferralAccepted:
      line.Text("referralId", ReferralId(item.ref));
      break;
    case Kind::kReferralRejected:
      line.Text("referralId", ReferralId(item.ref));
      AppendReferralRejection(text, rng_);
      line.Text("reason", text);
      break;
    case Kind::kReferralCompleted:
      line.Text("referralId", ReferralId(item.ref));
      AppendReferralOutcome(text, rng_, referrals_[item.ref].type);
      line.Text("outcomeNote", text);
      break;
    case Kind::kReferralRevoked:
      line.Text("referralId", ReferralId(item.ref));
      AppendRevocationReason(text, rng_);
      line.Text("reason", text);
      break;
    case Kind::kServicePlanned: {
      const Service& s = services_[item.ref];
      line.Text("serviceId", ServiceId(item.ref));
      line.Text("serviceType", kServiceTypeNames[static_cast<int>(s.type)]);
      line.Text("responseTimeframe", kTimeframeNames[static_cast<int>(s.timeframe)]);
      line.Text("provider", world.agencies[s.agency].id);
      break;
    }
    case Kind::kServiceDelivered:
      line.Text("serviceId", ServiceId(item.ref));
      line.Time("deliveredAt", item.when);
      line.Text("provider", world.agencies[world.workers[item.actor].agency].id);
      break;
    case Kind::kFollowUpScheduled:
      line.Text("followUpId", FollowUpId(item.ref));
      line.Text("kind", kFollowUpKindNames[item.flag]);
      line.Time("neededBy", item.when);
      AppendFollowUpNote(text, rng_, false);
      line.Text("note", text);
      break;
    case Kind::kFollowUpCompleted:
      line.Text("followUpId", FollowUpId(item.ref));
      line.Time("doneAt", item.when);
      AppendFollowUpNote(text, rng_, true);
      line.Text("note", text);
      break;
    case Kind::kTransferInitiated:
      line.Text("toAgency", world.agencies[world.workers[transfer_to_].agency].id);
      line.Text("toUser", world.workers[transfer_to_].id);
      line.Bool("consentOverridden", transfer_overridden_);
      break;
    case Kind::kTransferAccepted:
      AppendTransferNote(text, rng_, true);
      line.Text("note", text);
      break;
    case Kind::kTransferRejected:
      AppendTransferNote(text, rng_, false);
      line.Text("reason", text);
      break;
    case Kind::kTransferRevoked:
      AppendRevocationReason(text, rng_);
      line.Text("reason", text);
      break;
    case Kind::kCaregiverSupportProvided:
      line.Text("kind", kCaregiverSupportNames[item.flag]);
      break;
    case Kind::kNoteAdded:
      AppendCaseNote(text, rng_);
      line.Text("text", text);
      break;
    case Kind::kCaseClosed:
      line.Text("reason", kCloseReasonNames[item.flag]);
      break;
    case Kind::kCaseReopened:
      AppendReopenReason(text, rng_);
      line.Text("reason", text);
      break;
    case Kind::kEntryVoided:
      line.Number("position", items_[item.target].line);
      line.Text("reason", "note entered in the wrong case");
      break;
  }
  line.End();
}

}  // namespace caseledger::gen::cases
