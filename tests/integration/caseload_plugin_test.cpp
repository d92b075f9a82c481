// The caseload plugin on a hand-built ledger whose every figure is worked out below, then
// changed by a correction and a void exactly as DOMAIN.md's appendix says.
#include <gtest/gtest.h>

#include <filesystem>

#include "scenario_ledger.h"
#include "temp_dir.h"

namespace caseledger {
namespace {

using testing::ScenarioLedger;
using testing::TempDir;

// Workers: w-1 caseworker and w-2 children's director in county 130111, w-3 supervisor.
// Cases (T = now, when the ledger is written; "d" = days before T):
//   case-a  130111200201  opened 40 d by w-1; risk high (later corrected to medium);
//           assessment due 10 d ago (overdue); case plan due in 3 d (upcoming) and its
//           approval requested (pending); service 1d planned 5 d ago (overdue; later
//           voided); follow-up needed in 10 d (neither); a CaseReopened while open
//           (an anomaly, ignored)
//   case-b  130111200202  opened 20 d ago without owner: awaiting assignment
//   case-c  130112000101  opened 100 d ago by w-1, closed 50 d ago (31-90 days open)
//   case-d  130111200201  opened 2 h ago without owner, risk high: awaiting (> 1 h)
//   case-e  130111200201  opened 2 h ago without owner: not yet awaiting (< 3 h)
class CaseloadPlugin : public ::testing::Test {
 protected:
  void SetUp() override {
    s_.Append("worker-w-1", "WorkerRegistered", s_.DaysAgo(400), "admin",
              R"({"workerId":"w-1","role":"caseworker","locationCode":"130111200201"})", "admin");
    s_.Append("worker-w-2", "WorkerRegistered", s_.DaysAgo(400), "admin",
              R"({"workerId":"w-2","role":"children_director","locationCode":"130111200202"})",
              "admin");
    s_.Append("worker-w-3", "WorkerRegistered", s_.DaysAgo(400), "admin",
              R"({"workerId":"w-3","role":"supervisor","locationCode":"130111200"})", "admin");

    Open("case-a", "130111200201", "w-1", 40);
    risk_ = s_.Append("case-a", "RiskAssessed", s_.DaysAgo(39), "w-1", R"({"level":"high"})");
    s_.Append("case-a", "AssessmentRequested", s_.DaysAgo(30), "w-1",
              R"({"due":")" + s_.DaysAgo(10) + R"("})");
    s_.Append("case-a", "CasePlanSet", s_.DaysAgo(8), "w-1",
              R"({"interventions":["school"],"due":")" + s_.DaysAgo(-3) + R"("})");
    s_.Append("case-a", "ApprovalRequested", s_.DaysAgo(8), "w-1", R"({"kind":"case_plan"})");
    service_ =
        s_.Append("case-a", "ServicePlanned", s_.DaysAgo(5), "w-1",
                  R"({"serviceId":"s-1","serviceType":"education","responseTimeframe":"1d"})");
    s_.Append(
        "case-a", "FollowUpScheduled", s_.DaysAgo(4), "w-1",
        R"({"followUpId":"f-1","kind":"home_visit","neededBy":")" + s_.DaysAgo(-10) + R"("})");
    reopened_ = s_.Append("case-a", "CaseReopened", s_.DaysAgo(3), "w-1", "{}");

    Open("case-b", "130111200202", "", 20);
    Open("case-c", "130112000101", "w-1", 100);
    s_.Append("case-c", "RiskAssessed", s_.DaysAgo(99), "w-1", R"({"level":"low"})");
    s_.Append("case-c", "CaseClosed", s_.DaysAgo(50), "w-1", R"({"reason":"formal_closing"})");
    Open("case-d", "130111200201", "", 2.0 / 24);
    s_.Append("case-d", "RiskAssessed", s_.DaysAgo(1.5 / 24), "w-1", R"({"level":"high"})");
    Open("case-e", "130111200201", "", 2.0 / 24);
  }

  void Open(const std::string& stream, const std::string& community, const std::string& owner,
            double days_ago) {
    std::string data = R"({"childRef":"c-)" + stream +
                       R"(","name":"A Child","sex":"female",)"
                       R"("ageBand":"6-11","communityCode":")" +
                       community + R"(","identificationChannel":"home_visit","agency":"county")";
    if (!owner.empty()) data += R"(,"owner":")" + owner + "\"";
    s_.Append(stream, "CaseOpened", s_.DaysAgo(days_ago), "w-2", data + "}", "children_director");
  }

  std::string Csv(const std::string& query,
                  std::vector<std::pair<std::string, std::string>> params = {}) {
    params.emplace_back("level", "county");
    return s_.QueryCsv("caseload", query, params);
  }

  TempDir tmp_;
  ScenarioLedger s_{tmp_.Sub("ledger")};
  Position risk_ = 0, service_ = 0, reopened_ = 0;
};

TEST_F(CaseloadPlugin, OpenCasesPerOwnerByRiskRollUpByTheCasesCommunity) {
  EXPECT_EQ(Csv("open_cases"),
            "area,owner,open,high,medium,low,unassessed\n"
            "130111,,3,1,0,0,2\n"
            "130111,w-1,1,1,0,0,0\n");
  // The same owner in a finer roll-up, and only one township's cases.
  EXPECT_EQ(
      s_.QueryCsv("caseload", "open_cases", {{"level", "community"}, {"prefix", "130111200201"}}),
      "area,owner,open,high,medium,low,unassessed\n"
      "130111200201,,2,1,0,0,1\n"
      "130111200201,w-1,1,1,0,0,0\n");
}

TEST_F(CaseloadPlugin, PerAreaFiguresAddUpTheOwners) {
  EXPECT_EQ(Csv("open_cases", {{"per", "area"}}),
            "area,open,high,medium,low,unassessed\n"
            "130111,4,2,0,0,2\n");
  EXPECT_EQ(Csv("overdue", {{"per", "area"}}),
            "area,overdue_assessments,overdue_case_plans,overdue_services,overdue_follow_ups,"
            "upcoming_assessments,upcoming_case_plans,upcoming_services,upcoming_follow_ups\n"
            "130111,1,0,1,0,0,1,0,0\n");
}

TEST_F(CaseloadPlugin, CaseloadBandsCountCaseworkersAndDirectorsIncludingThoseWithNoCases) {
  EXPECT_EQ(Csv("caseload_bands"),
            "area,band,workers\n"
            "130111,0-9,2\n"
            "130111,10-19,0\n"
            "130111,20-29,0\n"
            "130111,30+,0\n");
}

TEST_F(CaseloadPlugin, ABandCountsAllAWorkersOpenCasesWhereverTheyAre) {
  // w-1 (of community 130111200201) takes 10 more cases in another county: 11 open cases,
  // all of which count, even when the prefix selects only w-1's own community.
  for (int i = 0; i < 10; ++i) Open("case-x" + std::to_string(i), "130112000101", "w-1", 5);
  EXPECT_EQ(s_.QueryCsv("caseload", "caseload_bands",
                        {{"level", "community"}, {"prefix", "130111200201"}}),
            "area,band,workers\n"
            "130111200201,0-9,0\n"
            "130111200201,10-19,1\n"
            "130111200201,20-29,0\n"
            "130111200201,30+,0\n");
}

TEST_F(CaseloadPlugin, WorkerRegistrationsFollowTheirCorrectionsAndVoids) {
  // w-2 was registered as a director by mistake: corrected to supervisor, out of the bands.
  const Position registered = 2;
  s_.Correct(registered, "worker-w-2", "WorkerRegistered", s_.DaysAgo(400), "admin",
             R"({"workerId":"w-2","role":"supervisor","locationCode":"130111200202"})");
  EXPECT_NE(Csv("caseload_bands").find("130111,0-9,1\n"), std::string::npos)
      << Csv("caseload_bands");
  // w-3 becomes a caseworker; voiding that change puts the supervisor back.
  const Position changed =
      s_.Append("worker-w-3", "WorkerRoleChanged", s_.DaysAgo(1), "admin",
                R"({"workerId":"w-3","role":"caseworker","locationCode":"130111200"})", "admin");
  EXPECT_NE(Csv("caseload_bands").find("130111,0-9,2\n"), std::string::npos)
      << Csv("caseload_bands");
  s_.Append("worker-w-3", "EntryVoided", s_.DaysAgo(0), "admin",
            R"({"position":)" + std::to_string(changed) + R"(,"reason":"wrong worker"})", "admin");
  EXPECT_NE(Csv("caseload_bands").find("130111,0-9,1\n"), std::string::npos)
      << Csv("caseload_bands");
}

TEST_F(CaseloadPlugin, OverdueAndUpcomingWorkPerOwnerOfOpenCases) {
  EXPECT_EQ(Csv("overdue"),
            "area,owner,overdue_assessments,overdue_case_plans,overdue_services,overdue_follow_ups,"
            "upcoming_assessments,upcoming_case_plans,upcoming_services,upcoming_follow_ups\n"
            "130111,w-1,1,0,1,0,0,1,0,0\n");
}

TEST_F(CaseloadPlugin, AwaitingAssignmentAfterThreeHoursOrOneIfHighRisk) {
  EXPECT_EQ(Csv("awaiting_assignment"), "area,awaiting\n130111,2\n");
  // The limits are parameters: with 1 h for everyone, case-e waits too.
  EXPECT_EQ(Csv("awaiting_assignment", {{"hours", "1"}}), "area,awaiting\n130111,3\n");
  // A late assignment takes the case off the list.
  s_.Append("case-b", "CaseAssigned", s_.DaysAgo(0), "w-3", R"({"newOwner":"w-1"})", "supervisor");
  EXPECT_EQ(Csv("awaiting_assignment"), "area,awaiting\n130111,1\n");
}

TEST_F(CaseloadPlugin, ApprovalsPendingAndTimeToClose) {
  EXPECT_EQ(Csv("approvals_pending"), "area,kind,pending\n130111,case_plan,1\n");
  EXPECT_EQ(Csv("time_to_close"),
            "area,days_open,closures\n"
            "130112,<=30,0\n"
            "130112,31-90,1\n"
            "130112,91-180,0\n"
            "130112,181+,0\n");
}

TEST_F(CaseloadPlugin, AnomaliesNameThePositionAndTheRuleAndAreIgnored) {
  const std::string csv = Csv("anomalies");
  EXPECT_NE(csv.find(std::to_string(reopened_) + ",case-a,case: CaseReopened"), std::string::npos)
      << csv;
  // The ignored CaseReopened does not make case-a's stage or status change: still open.
  EXPECT_NE(Csv("open_cases").find("130111,w-1,1,"), std::string::npos);
}

TEST_F(CaseloadPlugin, ACorrectionReplacesTheOriginalAndAVoidWithdrawsIt) {
  const Position before =
      s_.Correct(risk_, "case-a", "RiskAssessed", s_.DaysAgo(39), "w-1", R"({"level":"medium"})") -
      1;
  EXPECT_EQ(Csv("open_cases"),
            "area,owner,open,high,medium,low,unassessed\n"
            "130111,,3,1,0,0,2\n"
            "130111,w-1,1,0,1,0,0\n");
  s_.Append("case-a", "EntryVoided", s_.DaysAgo(0), "w-3",
            R"({"position":)" + std::to_string(service_) + R"(,"reason":"entered twice"})",
            "supervisor");
  EXPECT_NE(Csv("overdue").find("130111,w-1,1,0,0,0,0,1,0,0"), std::string::npos) << Csv("overdue");
  // As of the moment before the correction, the figure is what it was then.
  EXPECT_EQ(Csv("open_cases", {{"as_of_position", std::to_string(before)}}),
            "area,owner,open,high,medium,low,unassessed\n"
            "130111,,3,1,0,0,2\n"
            "130111,w-1,1,1,0,0,0\n");
}

TEST_F(CaseloadPlugin, IncrementalViewEqualsAFullRebuild) {
  const char* queries[] = {"open_cases",        "caseload_bands", "overdue",  "awaiting_assignment",
                           "approvals_pending", "time_to_close",  "anomalies"};
  std::vector<std::string> incremental;
  for (const char* q : queries) incremental.push_back(Csv(q));
  s_.Correct(risk_, "case-a", "RiskAssessed", s_.DaysAgo(39), "w-1", R"({"level":"low"})");
  for (const char* q : queries) incremental.push_back(Csv(q));
  std::filesystem::remove_all(s_.dir() + "/views");
  std::vector<std::string> rebuilt;
  for (const char* q : queries) rebuilt.push_back(Csv(q));
  // The rebuild sees the final ledger: compare with the second half.
  EXPECT_EQ(std::vector<std::string>(incremental.begin() + std::size(queries), incremental.end()),
            rebuilt);
}

TEST_F(CaseloadPlugin, BadParametersAreRefusedWithTheReason) {
  EXPECT_NE(s_.QueryStatus("caseload", "open_cases", {{"level", "village"}})
                .message()
                .find("level \"village\" is not one of"),
            std::string::npos);
  EXPECT_NE(s_.QueryStatus("caseload", "open_cases", {{"prefix", "13a"}})
                .message()
                .find("is not the start of a location code"),
            std::string::npos);
  EXPECT_NE(s_.QueryStatus("caseload", "awaiting_assignment", {{"hours", "-2"}})
                .message()
                .find("is not a number of hours"),
            std::string::npos);
  EXPECT_NE(s_.QueryStatus("caseload", "open_cases", {{"owner", "w-1"}})
                .message()
                .find("unknown parameter \"owner\""),
            std::string::npos);
}

}  // namespace
}  // namespace caseledger
