// The coverage plugin on hand-built ledgers whose every figure is worked out in the test,
// then changed by corrections and voids exactly as DOMAIN.md's appendix says.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "scenario_ledger.h"
#include "temp_dir.h"

namespace caseledger {
namespace {

using testing::ScenarioLedger;
using testing::TempDir;
using Params = std::vector<std::pair<std::string, std::string>>;

// Township 130111200 (communities 130111200201...) and township 130111201, both in county
// 130111.
class CoveragePlugin : public ::testing::Test {
 protected:
  Position Community(const std::string& code, int population) {
    return s_.Append("community-" + code, "CommunityRegistered", s_.DaysAgo(200), "w-admin",
                     R"({"code":")" + code + R"(","name":"Village )" + code +
                         R"(","setting":"rural","childPopulation":)" + std::to_string(population) +
                         "}");
  }
  static std::string SpaceJson(const std::string& space, const std::string& code,
                               const std::string& services) {
    return R"({"spaceId":")" + space + R"(","communityCode":")" + code + R"(","services":[)" +
           services + "]}";
  }
  Position OpenSpace(const std::string& space, const std::string& code,
                     const std::string& services = R"("recreation")") {
    return s_.Append("space-" + space, "SpaceOpened", s_.DaysAgo(100), "w-2",
                     SpaceJson(space, code, services), "children_director");
  }
  Position CloseSpace(const std::string& space) {
    return s_.Append("space-" + space, "SpaceClosed", s_.DaysAgo(1), "w-2",
                     R"({"spaceId":")" + space + R"("})", "children_director");
  }
  Position Enrol(const std::string& space, const std::string& child, const std::string& sex,
                 const std::string& age_band, bool left_behind) {
    return s_.Append("space-" + space, "ChildEnrolled", s_.DaysAgo(60), "w-2",
                     R"({"spaceId":")" + space + R"(","childRef":")" + child + R"(","sex":")" +
                         sex + R"(","ageBand":")" + age_band + R"(","leftBehind":)" +
                         (left_behind ? "true" : "false") + "}",
                     "children_director");
  }
  // Attendance on the calendar date `days` before T_ (T_ = when the test asks).
  Position Attend(const std::string& space, int days, const std::string& children) {
    return s_.Append("space-" + space, "AttendanceRecorded", s_.DaysAgo(days), "w-2",
                     R"({"spaceId":")" + space + R"(","date":")" + DateBefore(days) +
                         R"(","childRefs":[)" + children + "]}",
                     "children_director");
  }
  Position OpenCase(const std::string& stream, const std::string& code,
                    const std::string& vulnerabilities) {
    return s_.Append(stream, "CaseOpened", s_.DaysAgo(30), "w-1",
                     R"({"childRef":"c-)" + stream +
                         R"(","name":"Wang Xiaoli","sex":"female",)"
                         R"("ageBand":"6-11","communityCode":")" +
                         code + R"(","vulnerabilities":[)" + vulnerabilities +
                         R"(],"identificationChannel":"home_visit","agency":"ca-130111"})");
  }
  Position Consent(const std::string& stream, const std::string& subject, bool reporting) {
    return s_.Append(stream, "ConsentRecorded", s_.DaysAgo(29), "w-1",
                     R"({"subject":")" + subject +
                         R"(","consentForServices":true,"disclosureToOtherOrgs":true,)"
                         R"("consentForReporting":)" +
                         (reporting ? "true" : "false") + "}");
  }
  Position Void(const std::string& stream, Position position) {
    return s_.Append(
        stream, "EntryVoided", s_.DaysAgo(0), "w-3",
        R"({"position":)" + std::to_string(position) + R"(,"reason":"entered by mistake"})",
        "supervisor");
  }

  std::string DateBefore(int days) const {
    return FormatTimestamp(t_ - std::chrono::days(days)).substr(0, 10);
  }
  std::string Csv(const std::string& query, Params params = {}) {
    params.emplace_back("as_of", FormatTimestamp(t_));
    return s_.QueryCsv("coverage", query, params);
  }

  TempDir tmp_;
  ScenarioLedger s_{tmp_.Sub("ledger")};
  // The moment the figures are asked for: after every event of a test is recorded (tests
  // append within seconds), so that "as of T_" sees them all and attendance dates are
  // counted back from date(T_).
  Timestamp t_ = Now() + std::chrono::minutes(10);
};

TEST_F(CoveragePlugin, ShareOfCoveredCommunitiesPerTownshipAndCountyAgainstTheNinetyPercentTarget) {
  for (int i = 1; i <= 10; ++i) Community("1301112002" + std::to_string(10 + i), 100);  // 211..220
  Community("130111201001", 100);
  Community("130111201002", 100);
  for (int i = 1; i <= 9; ++i)  // 9 of the 10 communities of township 130111200
    OpenSpace("sp-" + std::to_string(i), "1301112002" + std::to_string(10 + i));
  OpenSpace("sp-10", "130111200211");  // a second space in a covered community
  OpenSpace("sp-b", "130111201001");
  OpenSpace("sp-x", "130111200299");  // not registered: counts nowhere
  const Position last_opened = OpenSpace("sp-y", "130111200211");

  // Township: 9/10 = 0.9 meets the target; county: 10/12.
  EXPECT_EQ(Csv("communities", {{"level", "township"}}),
            "area,registered,covered,share,meets_target\n"
            "130111200,10,9,0.9,1\n"
            "130111201,2,1,0.5,0\n");
  EXPECT_EQ(Csv("communities"),
            "area,registered,covered,share,meets_target\n"
            "130111,12,10,0.833333,0\n");

  CloseSpace("sp-9");  // community 219 loses its only space: 8/10
  CloseSpace("sp-1");  // community 211 keeps sp-10 and sp-y
  EXPECT_EQ(Csv("communities", {{"level", "township"}, {"prefix", "130111200"}}),
            "area,registered,covered,share,meets_target\n"
            "130111200,10,8,0.8,0\n");
  EXPECT_EQ(Csv("communities", {{"level", "community"}, {"prefix", "13011120021"}}),
            "area,registered,covered,share,meets_target\n"
            "130111200211,1,1,1,1\n"
            "130111200212,1,1,1,1\n"
            "130111200213,1,1,1,1\n"
            "130111200214,1,1,1,1\n"
            "130111200215,1,1,1,1\n"
            "130111200216,1,1,1,1\n"
            "130111200217,1,1,1,1\n"
            "130111200218,1,1,1,1\n"
            "130111200219,1,0,0,0\n");
  EXPECT_EQ(Csv("communities", {{"level", "province"}}),
            "area,registered,covered,share,meets_target\n"
            "13,12,9,0.75,0\n");

  // As of the last opening, before the closures: the earlier figure.
  EXPECT_EQ(s_.QueryCsv("coverage", "communities",
                        {{"level", "township"}, {"as_of_position", std::to_string(last_opened)}}),
            "area,registered,covered,share,meets_target\n"
            "130111200,10,9,0.9,1\n"
            "130111201,2,1,0.5,0\n");
}

// Children (T = when asked; attendance dates are days before date(T); the window is the
// 30 dates date(T)-29 .. date(T)):
//   c-1 female 6-11 left behind, sp-1: days 0, 5, 10, 29          -> regular
//       (also enrolled later in sp-2: still counted once, in sp-1's township)
//   c-2 male 6-11 left behind, sp-1: days 0, 5, 10, 30 (30 is out) -> not regular
//   c-3 female 6-11, sp-1: days 0, 5, 5 (twice), 10               -> not regular (3 dates)
//   c-4 female 12-17, sp-1: days 1, 2, 3, 4                        -> regular
//   c-5 male 0-5, sp-2 in township 130111201: no attendance
//   c-9 is listed present in sp-1 but never enrolled: an anomaly, counted nowhere
TEST_F(CoveragePlugin, EnrolmentCountsDistinctChildrenLeftBehindFirstAndRegularAttendance) {
  OpenSpace("sp-1", "130111200201");
  OpenSpace("sp-2", "130111201001");
  Enrol("sp-1", "c-1", "female", "6-11", true);
  Enrol("sp-1", "c-2", "male", "6-11", true);
  Enrol("sp-1", "c-3", "female", "6-11", false);
  Enrol("sp-1", "c-4", "female", "12-17", false);
  Enrol("sp-2", "c-5", "male", "0-5", false);
  Enrol("sp-2", "c-1", "female", "6-11", true);
  Attend("sp-1", 30, R"("c-2")");
  Attend("sp-1", 29, R"("c-1")");
  Attend("sp-1", 10, R"("c-1","c-2","c-3")");
  Attend("sp-1", 5, R"("c-1","c-2","c-3")");
  Attend("sp-1", 5, R"("c-3")");
  for (int day = 4; day >= 1; --day) Attend("sp-1", day, R"("c-4")");
  const Position unenrolled = Attend("sp-1", 0, R"("c-1","c-2","c-3","c-9")");

  EXPECT_EQ(Csv("enrolment", {{"level", "township"}}),
            "area,left_behind,sex,age_band,enrolled,regular\n"
            "130111200,1,female,6-11,1,1\n"
            "130111200,1,male,6-11,1,0\n"
            "130111200,0,female,6-11,1,0\n"
            "130111200,0,female,12-17,1,1\n"
            "130111201,0,male,0-5,1,0\n");
  EXPECT_EQ(Csv("enrolment", {{"prefix", "130111201"}}),
            "area,left_behind,sex,age_band,enrolled,regular\n"
            "130111,0,male,0-5,1,0\n");
  EXPECT_EQ(Csv("anomalies"), "position,stream,rule\n" + std::to_string(unenrolled) +
                                  ",space-sp-1,attendance: c-9 is not enrolled in sp-1\n");

  // Asked as of 20 days later, the window is days -20 .. 9: c-1 keeps days 0 and 5 only,
  // c-4 keeps all four.
  Params later = {{"level", "county"}, {"as_of", FormatTimestamp(t_ + std::chrono::days(20))}};
  EXPECT_EQ(s_.QueryCsv("coverage", "enrolment", later),
            "area,left_behind,sex,age_band,enrolled,regular\n"
            "130111,1,female,6-11,1,0\n"
            "130111,1,male,6-11,1,0\n"
            "130111,0,female,6-11,1,0\n"
            "130111,0,female,12-17,1,1\n"
            "130111,0,male,0-5,1,0\n");
}

TEST_F(CoveragePlugin, ServicesOfferedAreSharesOfTheOpenSpaces) {
  OpenSpace("sp-1", "130111200201", R"("recreation","psychosocial_support")");
  OpenSpace("sp-2", "130111200202", R"("recreation","non_formal_education","referral")");
  OpenSpace("sp-3", "130111200203", R"("recreation")");
  OpenSpace("sp-4", "130111200204", R"("psychosocial_support","referral")");
  OpenSpace("sp-5", "130111201001", R"("non_formal_education")");
  CloseSpace("sp-3");  // closed: no longer counted

  // Township 130111200: 3 open; recreation 2/3, non-formal education 1/3, psychosocial
  // support 2/3, referral 2/3.
  EXPECT_EQ(Csv("services_offered", {{"level", "township"}}),
            "area,open_spaces,recreation,non_formal_education,psychosocial_support,referral\n"
            "130111200,3,0.666667,0.333333,0.666667,0.666667\n"
            "130111201,1,0,1,0,0\n");
  EXPECT_EQ(Csv("services_offered"),
            "area,open_spaces,recreation,non_formal_education,psychosocial_support,referral\n"
            "130111,4,0.5,0.5,0.5,0.5\n");
}

// Communities 201 (400 children), 202 (100), 203 (population not registered).
//   case-1 201 left_behind, child consents to reporting                -> counted
//   case-2 201 disability, caregiver consents, then the child refuses  -> excluded
//   case-3 202 out_of_school, no consent recorded                      -> excluded
//   case-4 202 no vulnerability                                        -> not vulnerable
//   case-5 203 other: population not registered                        -> outside the figure
//   case-6 202 missing_guardianship and left_behind, consent           -> counted
TEST_F(CoveragePlugin, VulnerablePerThousandCountsOnlyCasesWithConsentForReporting) {
  Community("130111200201", 400);
  Community("130111200202", 100);
  Community("130111200203", 0);
  OpenCase("case-1", "130111200201", R"("left_behind")");
  Consent("case-1", "child", true);
  OpenCase("case-2", "130111200201", R"("disability")");
  Consent("case-2", "caregiver", true);
  Consent("case-2", "child", false);
  OpenCase("case-3", "130111200202", R"("out_of_school")");
  OpenCase("case-4", "130111200202", "");
  Consent("case-4", "child", true);
  OpenCase("case-5", "130111200203", R"("other")");
  Consent("case-5", "child", true);
  OpenCase("case-6", "130111200202", R"("missing_guardianship","left_behind")");
  Consent("case-6", "caregiver", true);

  // 2 cases / 500 children * 1,000 = 4; 2 excluded for want of consent.
  EXPECT_EQ(Csv("vulnerable_per_1000", {{"level", "township"}}),
            "area,communities,child_population,vulnerable_cases,excluded_no_consent,per_1000\n"
            "130111200,2,500,2,2,4\n");
  EXPECT_EQ(Csv("vulnerable_per_1000", {{"level", "community"}}),
            "area,communities,child_population,vulnerable_cases,excluded_no_consent,per_1000\n"
            "130111200201,1,400,1,1,2.5\n"
            "130111200202,1,100,1,1,10\n");
}

TEST_F(CoveragePlugin, CorrectedSpaceOpenedMovesItsCoverageAndServicesToTheCorrectedCommunity) {
  Community("130111200201", 100);
  Community("130111200202", 100);
  const Position opened = OpenSpace("sp-1", "130111200201", R"("recreation")");
  const Position enrolled = Enrol("sp-1", "c-1", "female", "6-11", false);
  EXPECT_EQ(Csv("communities", {{"level", "community"}}),
            "area,registered,covered,share,meets_target\n"
            "130111200201,1,1,1,1\n"
            "130111200202,1,0,0,0\n");

  s_.Correct(opened, "space-sp-1", "SpaceOpened", s_.DaysAgo(100), "w-3",
             SpaceJson("sp-1", "130111200202", R"("recreation","referral")"));
  EXPECT_EQ(Csv("communities", {{"level", "community"}}),
            "area,registered,covered,share,meets_target\n"
            "130111200201,1,0,0,0\n"
            "130111200202,1,1,1,1\n");
  EXPECT_EQ(Csv("services_offered", {{"level", "community"}}),
            "area,open_spaces,recreation,non_formal_education,psychosocial_support,referral\n"
            "130111200202,1,1,0,0,1\n");
  // The enrolment follows its space to the corrected community.
  EXPECT_EQ(Csv("enrolment", {{"level", "community"}}),
            "area,left_behind,sex,age_band,enrolled,regular\n"
            "130111200202,0,female,6-11,1,0\n");
  // As of the enrolment, before the correction: the original community.
  EXPECT_EQ(s_.QueryCsv("coverage", "communities",
                        {{"level", "community"}, {"as_of_position", std::to_string(enrolled)}}),
            "area,registered,covered,share,meets_target\n"
            "130111200201,1,1,1,1\n"
            "130111200202,1,0,0,0\n");
}

TEST_F(CoveragePlugin, VoidedSpaceClosedReopensTheSpaceAndValidatesTheEnrolmentAfterIt) {
  Community("130111200201", 100);
  OpenSpace("sp-1", "130111200201");
  const Position closed = CloseSpace("sp-1");
  const Position enrolled = Enrol("sp-1", "c-1", "male", "12-17", true);
  EXPECT_EQ(Csv("communities"),
            "area,registered,covered,share,meets_target\n"
            "130111,1,0,0,0\n");
  EXPECT_EQ(Csv("enrolment"), "area,left_behind,sex,age_band,enrolled,regular\n");
  EXPECT_EQ(Csv("anomalies"), "position,stream,rule\n" + std::to_string(enrolled) +
                                  ",space-sp-1,enrolment: ChildEnrolled of c-1 in sp-1, which is "
                                  "closed\n");

  const Position voided = Void("space-sp-1", closed);
  EXPECT_EQ(Csv("communities"),
            "area,registered,covered,share,meets_target\n"
            "130111,1,1,1,1\n");
  EXPECT_EQ(Csv("enrolment"),
            "area,left_behind,sex,age_band,enrolled,regular\n"
            "130111,1,male,12-17,1,0\n");
  EXPECT_EQ(Csv("anomalies"), "position,stream,rule\n");

  // A void of the void restores the closure.
  Void("space-sp-1", voided);
  EXPECT_EQ(Csv("communities"),
            "area,registered,covered,share,meets_target\n"
            "130111,1,0,0,0\n");
  EXPECT_EQ(s_.QueryCsv("coverage", "communities", {{"as_of_position", std::to_string(voided)}}),
            "area,registered,covered,share,meets_target\n"
            "130111,1,1,1,1\n");
}

TEST_F(CoveragePlugin, AnomaliesListEventsThatBreakTheSpaceEnrolmentAndAttendanceMachines) {
  Community("130111200201", 100);
  const Position closed_unknown = CloseSpace("sp-9");
  const Position opened = OpenSpace("sp-1", "130111200201");
  const Position opened_again = OpenSpace("sp-1", "130111200202");
  const Position enrolled_nowhere = Enrol("sp-8", "c-1", "female", "0-5", false);
  Enrol("sp-1", "c-1", "female", "0-5", false);
  const Position enrolled_twice = Enrol("sp-1", "c-1", "female", "0-5", false);
  const Position not_enrolled = Attend("sp-1", 1, R"("c-1","c-2")");
  const Position closed_space = Attend("sp-9", 1, R"("c-1")");
  const Position wrong_type =
      s_.Correct(opened, "space-sp-1", "ChildEnrolled", s_.DaysAgo(1), "w-3",
                 R"({"spaceId":"sp-1","childRef":"c-7","sex":"male",)"
                 R"("ageBand":"6-11"})");
  const Position other_space = s_.Correct(opened, "space-sp-1", "SpaceOpened", s_.DaysAgo(1), "w-3",
                                          SpaceJson("sp-2", "130111200201", R"("referral")"));
  const Position other_stream =
      s_.Correct(opened, "space-sp-7", "SpaceOpened", s_.DaysAgo(1), "w-3",
                 SpaceJson("sp-1", "130111200201", R"("referral")"));

  auto row = [](Position p, const std::string& stream, const std::string& rule) {
    return std::to_string(p) + "," + stream + "," + rule + "\n";
  };
  EXPECT_EQ(
      Csv("anomalies"),
      "position,stream,rule\n" +
          row(closed_unknown, "space-sp-9", "spaces: SpaceClosed of sp-9, which never opened") +
          row(opened_again, "space-sp-1", "spaces: SpaceOpened of sp-1, which is already open") +
          row(enrolled_nowhere, "space-sp-8",
              "enrolment: ChildEnrolled of c-1 in sp-8, which never opened") +
          row(enrolled_twice, "space-sp-1", "enrolment: c-1 is already enrolled in sp-1") +
          row(not_enrolled, "space-sp-1", "attendance: c-2 is not enrolled in sp-1") +
          row(closed_space, "space-sp-9",
              "attendance: AttendanceRecorded in sp-9, which never opened") +
          row(wrong_type, "space-sp-1",
              "enrolment: the ChildEnrolled corrects position " + std::to_string(opened) +
                  ", which holds a SpaceOpened") +
          row(other_space, "space-sp-1",
              "spaces: the SpaceOpened names space sp-2 instead of sp-1") +
          row(other_stream, "space-sp-7",
              "spaces: the SpaceOpened is in stream space-sp-7, not in space-sp-1 where position " +
                  std::to_string(opened) + " is"));
  // The figures ignore them: one covered community, one child enrolled once, with
  // recreation only (the refused correction changed nothing).
  EXPECT_EQ(Csv("communities"),
            "area,registered,covered,share,meets_target\n"
            "130111,1,1,1,1\n");
  EXPECT_EQ(Csv("enrolment"),
            "area,left_behind,sex,age_band,enrolled,regular\n"
            "130111,0,female,0-5,1,0\n");
  EXPECT_EQ(Csv("services_offered"),
            "area,open_spaces,recreation,non_formal_education,psychosocial_support,referral\n"
            "130111,1,1,0,0,0\n");
}

TEST_F(CoveragePlugin, RefusesUnknownParametersLevelsPrefixesAndQueries) {
  Community("130111200201", 100);
  Status unknown = s_.QueryStatus("coverage", "communities", {{"region", "13"}});
  EXPECT_FALSE(unknown.ok());
  EXPECT_NE(unknown.ToString().find("unknown parameter \"region\""), std::string::npos)
      << unknown.ToString();
  Status level = s_.QueryStatus("coverage", "services_offered", {{"level", "village"}});
  EXPECT_NE(level.ToString().find("level \"village\" is not one of"), std::string::npos)
      << level.ToString();
  Status prefix = s_.QueryStatus("coverage", "vulnerable_per_1000", {{"prefix", "13a"}});
  EXPECT_NE(prefix.ToString().find("prefix \"13a\""), std::string::npos) << prefix.ToString();
  EXPECT_FALSE(s_.QueryStatus("coverage", "anomalies", {{"level", "county"}}).ok());
  Status query = s_.QueryStatus("coverage", "nosuch");
  EXPECT_NE(query.ToString().find("unknown query \"nosuch\""), std::string::npos)
      << query.ToString();
}

TEST_F(CoveragePlugin, IncrementalViewEqualsAFullRebuild) {
  const std::vector<std::pair<std::string, Params>> queries = {
      {"communities", {{"level", "township"}}},
      {"enrolment", {{"level", "township"}}},
      {"services_offered", {{"level", "county"}}},
      {"vulnerable_per_1000", {{"level", "community"}}},
      {"anomalies", {}}};
  auto ask_all = [&] {
    std::string all;
    for (const auto& [query, params] : queries) all += Csv(query, params);
    return all;
  };
  // Applied in several batches: a query catches up between groups of events.
  Community("130111200201", 300);
  Community("130111200202", 200);
  const Position opened = OpenSpace("sp-1", "130111200201", R"("recreation","referral")");
  Enrol("sp-1", "c-1", "female", "6-11", true);
  OpenCase("case-1", "130111200201", R"("left_behind")");
  ask_all();
  Consent("case-1", "child", true);
  OpenSpace("sp-2", "130111200202", R"("psychosocial_support")");
  Enrol("sp-2", "c-2", "male", "12-17", false);
  for (int day = 1; day <= 4; ++day) Attend("sp-1", day, R"("c-1","c-2")");
  ask_all();
  s_.Correct(opened, "space-sp-1", "SpaceOpened", s_.DaysAgo(100), "w-3",
             SpaceJson("sp-1", "130111200202", R"("recreation")"));
  const Position closed = CloseSpace("sp-2");
  Enrol("sp-2", "c-3", "male", "0-5", false);
  ask_all();
  Void("space-sp-2", closed);
  const std::string incremental = ask_all();
  EXPECT_NE(incremental.find("130111200,2,1,0.5,0"), std::string::npos) << incremental;

  std::filesystem::remove_all(s_.dir() + "/views");
  EXPECT_EQ(ask_all(), incremental);
}

}  // namespace
}  // namespace caseledger
