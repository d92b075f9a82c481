// The referrals plugin on a hand-built ledger whose every figure is worked out below.
#include <gtest/gtest.h>

#include "scenario_ledger.h"
#include "temp_dir.h"

namespace caseledger {
namespace {

using testing::ScenarioLedger;
using testing::TempDir;

// Cases ("d" = days before the ledger was written); all consent to reporting but case-c:
//   case-a 130111200201 female, left behind, opened 30 d:
//     r-1 education -> school-1/p-1 made 29 d, accepted 12 h later, completed 20 d (216 h)
//     r-2 health -> clinic-1/p-2 made 10 d, consent overridden, in progress
//     r-3 legal -> legal-1/p-3 made 9 d, rejected 24 h later
//   case-b 130111200202 male, no flag, opened 20 d:
//     r-4 psychosocial -> clinic-1/p-2 made 19 d, revoked 18 d
//     r-5 education -> school-1/p-1 made 18 d, "accepted" by p-9 (an anomaly): in progress
//   case-c 130112000101 female, left behind, opened 15 d, no consent to reporting: r-6
//   case-d 130111200201 male, left behind, opened 10 d, no referral
//   case-e 130111200201 female, left behind, opened 3 d (too recent for the 7-day share)
class ReferralsPlugin : public ::testing::Test {
 protected:
  void SetUp() override {
    Open("case-a", "130111200201", "female", true, 30);
    Consent("case-a", true, 30);
    Make("case-a", "r-1", "education", "school-1", "p-1", 29, false);
    s_.Append("case-a", "ReferralAccepted", s_.DaysAgo(29 - 0.5), "p-1", R"({"referralId":"r-1"})",
              "service_provider");
    s_.Append("case-a", "ReferralCompleted", s_.DaysAgo(20), "p-1", R"({"referralId":"r-1"})",
              "service_provider");
    Make("case-a", "r-2", "health", "clinic-1", "p-2", 10, true);
    Make("case-a", "r-3", "legal", "legal-1", "p-3", 9, false);
    s_.Append("case-a", "ReferralRejected", s_.DaysAgo(8), "p-3", R"({"referralId":"r-3"})",
              "service_provider");

    Open("case-b", "130111200202", "male", false, 20);
    Consent("case-b", true, 20);
    Make("case-b", "r-4", "psychosocial", "clinic-1", "p-2", 19, false);
    s_.Append("case-b", "ReferralRevoked", s_.DaysAgo(18), "w-1", R"({"referralId":"r-4"})");
    Make("case-b", "r-5", "education", "school-1", "p-1", 18, false);
    wrong_recipient_ = s_.Append("case-b", "ReferralAccepted", s_.DaysAgo(17), "p-9",
                                 R"({"referralId":"r-5"})", "service_provider");

    Open("case-c", "130112000101", "female", true, 15);
    Consent("case-c", false, 15);
    Make("case-c", "r-6", "education", "school-2", "p-4", 14, false);
    Open("case-d", "130111200201", "male", true, 10);
    Consent("case-d", true, 10);
    Open("case-e", "130111200201", "female", true, 3);
    Consent("case-e", true, 3);
  }

  void Open(const std::string& stream, const std::string& community, const std::string& sex,
            bool left_behind, double days_ago) {
    s_.Append(stream, "CaseOpened", s_.DaysAgo(days_ago), "w-1",
              R"({"childRef":"c-)" + stream + R"(","name":"A Child","sex":")" + sex +
                  R"(","ageBand":"6-11","communityCode":")" + community +
                  R"(","identificationChannel":"school","agency":"county","owner":"w-1")" +
                  (left_behind ? R"(,"vulnerabilities":["left_behind"]})" : "}"));
  }
  Position Consent(const std::string& stream, bool reporting, double days_ago) {
    return s_.Append(stream, "ConsentRecorded", s_.DaysAgo(days_ago), "w-1",
                     std::string(R"({"subject":"caregiver","consentForServices":true,)"
                                 R"("disclosureToOtherOrgs":true,"consentForReporting":)") +
                         (reporting ? "true" : "false") + "}");
  }
  void Make(const std::string& stream, const std::string& id, const std::string& service,
            const std::string& agency, const std::string& user, double days_ago, bool overridden) {
    s_.Append(stream, "ReferralMade", s_.DaysAgo(days_ago), "w-1",
              R"({"referralId":")" + id + R"(","serviceType":")" + service + R"(","toAgency":")" +
                  agency + R"(","toUser":")" + user + R"(","consentOverridden":)" +
                  (overridden ? "true" : "false") + "}");
  }
  std::string Csv(const std::string& query,
                  std::vector<std::pair<std::string, std::string>> params = {}) {
    params.emplace_back("level", "county");
    return s_.QueryCsv("referrals", query, params);
  }

  TempDir tmp_;
  ScenarioLedger s_{tmp_.Sub("ledger")};
  Position wrong_recipient_ = 0;
};

TEST_F(ReferralsPlugin, ReferralsByStatePerServiceTypeAndPerReceivingAgency) {
  EXPECT_EQ(Csv("by_state"),
            "area,state,service_type,referrals\n"
            "130111,completed,education,1\n"
            "130111,in_progress,education,1\n"
            "130111,in_progress,health,1\n"
            "130111,rejected,legal,1\n"
            "130111,revoked,psychosocial,1\n");
  EXPECT_EQ(Csv("by_state", {{"by", "to_agency"}}),
            "area,state,to_agency,referrals\n"
            "130111,completed,school-1,1\n"
            "130111,in_progress,clinic-1,1\n"
            "130111,in_progress,school-1,1\n"
            "130111,rejected,legal-1,1\n"
            "130111,revoked,clinic-1,1\n");
}

TEST_F(ReferralsPlugin, PendingPerRecipient) {
  EXPECT_EQ(Csv("pending"),
            "area,to_agency,to_user,pending\n"
            "130111,clinic-1,p-2,1\n"
            "130111,school-1,p-1,1\n");
}

TEST_F(ReferralsPlugin, ResponseAndCompletionTimesAreNearestRankPercentilesInHours) {
  EXPECT_EQ(Csv("times"),
            "area,measure,referrals,p50_hours,p90_hours\n"
            "130111,response,2,12,24\n"
            "130111,completion,1,216,216\n");
}

TEST_F(ReferralsPlugin, SuccessRateIsCompletedOverMadeLessRevokedOverallAndBySex) {
  EXPECT_EQ(Csv("success_rate"),
            "area,sex,made,revoked,completed,success_rate\n"
            "130111,all,5,1,1,0.25\n"
            "130111,female,3,0,1,0.333333\n"
            "130111,male,2,1,0,0\n");
}

TEST_F(ReferralsPlugin, SummaryShowsReferralsPerCaseOverridesAndTheCasesExcludedForConsent) {
  EXPECT_EQ(Csv("summary"),
            "area,cases_opened,referrals_made,per_case,consent_overridden,excluded_no_consent\n"
            "130111,4,5,1.25,1,0\n"
            "130112,0,0,,0,1\n");
}

TEST_F(ReferralsPlugin, ShareOfVulnerableChildrenReferredWithinSevenDaysOfOpening) {
  EXPECT_EQ(Csv("referred_within_7d"), "area,cases,referred,share\n130111,2,1,0.5\n");
}

TEST_F(ReferralsPlugin, AnAcceptanceByAnyoneButTheRecipientIsAnIgnoredAnomaly) {
  EXPECT_NE(Csv("anomalies").find(std::to_string(wrong_recipient_) + ",case-b,referral: "),
            std::string::npos)
      << Csv("anomalies");
}

TEST_F(ReferralsPlugin, WithdrawnConsentToReportingRemovesTheCaseFromLaterFiguresOnly) {
  const Position before = Consent("case-a", false, 0) - 1;
  EXPECT_EQ(Csv("summary"),
            "area,cases_opened,referrals_made,per_case,consent_overridden,excluded_no_consent\n"
            "130111,3,2,0.666667,0,1\n"
            "130112,0,0,,0,1\n");
  EXPECT_EQ(Csv("summary", {{"as_of_position", std::to_string(before)}}),
            "area,cases_opened,referrals_made,per_case,consent_overridden,excluded_no_consent\n"
            "130111,4,5,1.25,1,0\n"
            "130112,0,0,,0,1\n");
}

TEST_F(ReferralsPlugin, ACorrectedReferralCountsWithItsCorrectedData) {
  // r-2 was made to the clinic for health; the correction says psychosocial.
  const auto table = s_.Query("referrals", "by_state", {{"level", "county"}});
  ASSERT_FALSE(table.rows.empty());
  Position r2 = 0;
  auto events = s_.ledger().ReadStream("case-a", 0, Direction::kForward, 100);
  ASSERT_TRUE(events.ok());
  for (const auto& e : *events)
    if (e.event.type == "ReferralMade" && e.event.payload.find("r-2") != std::string::npos)
      r2 = e.position;
  ASSERT_NE(r2, 0u);
  s_.Correct(
      r2, "case-a", "ReferralMade", s_.DaysAgo(10), "w-1",
      R"({"referralId":"r-2","serviceType":"psychosocial","toAgency":"clinic-1","toUser":"p-2","consentOverridden":true})");
  EXPECT_EQ(Csv("by_state"),
            "area,state,service_type,referrals\n"
            "130111,completed,education,1\n"
            "130111,in_progress,education,1\n"
            "130111,in_progress,psychosocial,1\n"
            "130111,rejected,legal,1\n"
            "130111,revoked,psychosocial,1\n");
}

TEST_F(ReferralsPlugin, BadParametersAreRefused) {
  EXPECT_NE(s_.QueryStatus("referrals", "by_state", {{"by", "colour"}})
                .message()
                .find("is not service_type or to_agency"),
            std::string::npos);
  EXPECT_NE(s_.QueryStatus("referrals", "nothing").message().find("unknown query"),
            std::string::npos);
}

}  // namespace
}  // namespace caseledger
