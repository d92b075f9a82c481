// DOMAIN.md's roles x operations table, cell by cell, over loopback through the remote
// caseledger::Client: every role tries every row, in its own scope and outside it. An
// allowed cell answers OK and writes what it asked for; a denied one answers
// kPermissionDenied, names the worker, and writes nothing (not even the record of a read).
// Then the edges of a scope in time: a provider's referral that ends, and a role changed
// in the ledger while the worker's connection stays open.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "caseledger/client.h"
#include "server_fixture.h"

namespace caseledger {
namespace {

using testing::CaseOpenedJson;
using testing::kChild;
using testing::ScenarioLedger;
using testing::ServerFixture;
using testing::WorkerSpec;

// The table's columns: a worker of each role in the scope of case-1 (a case opened in
// community 130111200201, township 130111200, by agency county-a, with referral r-1 open
// to sp-1), and one of the same role outside it.
const std::vector<WorkerSpec> kWorkers = {
    {"dir-1", "children_director", "130111200201", ""},  // case-1's community
    {"dir-2", "children_director", "130111200305", ""},  // another community
    {"sup-1", "supervisor", "130111200", ""},            // case-1's township
    {"sup-2", "supervisor", "130111201", ""},            // another township
    {"cw-1", "caseworker", "130111200", "county-a"},     // case-1's agency
    {"cw-2", "caseworker", "130111201", "ngo-b"},        // another agency (and township)
    {"sp-1", "service_provider", "", "school-3"},        // r-1 is open to them
    {"sp-2", "service_provider", "", "clinic-9"},        // nothing referred to them
    {"aud-1", "auditor", "", "inspectorate"},           {"adm", "admin", "", "county-office"},
};
constexpr size_t kColumns = 10;

// What one worker's try of a row came to, and what it writes when it is allowed.
struct Try {
  std::string what;  // e.g. "NoteAdded to case-1"
  Status status;
  uint64_t writes = 0;         // events appended when allowed (a recorded read counts)
  int64_t recorded_reads = 0;  // CaseHistoryRead in access-case-1 when allowed
};

class Roles : public ServerFixture {
 public:
  void SetUp() override {
    ::unsetenv("CASELEDGER_MASTER_KEY_FILE");
    CreateLedger(kWorkers, [](ScenarioLedger& s) {
      s.Append("case-1", "CaseOpened", s.DaysAgo(5), "cw-1", kChild);
      s.Append("case-1", "ConsentRecorded", s.DaysAgo(5), "cw-1",
               R"({"subject":"caregiver","consentForServices":true,)"
               R"("disclosureToOtherOrgs":true,"consentForReporting":true})");
      s.Append("case-1", "ReferralMade", s.DaysAgo(4), "cw-1",
               R"({"referralId":"r-1","serviceType":"education","toAgency":"school-3",)"
               R"("toUser":"sp-1"})");
      // A closed case to reopen, and a case per worker to close: closing case-1 would
      // change what the rows after it mean.
      s.Append("case-closed", "CaseOpened", s.DaysAgo(20), "cw-1", CaseOpenedJson("c-2"));
      s.Append("case-closed", "CaseClosed", s.DaysAgo(10), "cw-1",
               R"({"reason":"formal_closing"})");
      for (const WorkerSpec& w : kWorkers)
        s.Append("case-to-close-" + w.id, "CaseOpened", s.DaysAgo(3), "cw-1",
                 CaseOpenedJson("c-close-" + w.id));
      s.Append("case-to-erase", "CaseOpened", s.DaysAgo(3), "cw-1", CaseOpenedJson("c-erase"));
      s.Append("space-s1", "SpaceOpened", s.DaysAgo(60), "dir-1",
               R"({"spaceId":"s1","communityCode":"130111200201",)"
               R"("services":["recreation","referral"]})",
               "children_director");
    });
  }

  // An append of one fresh event of `type` to `stream`, as `client`.
  static Try AppendOne(Client& client, const std::string& stream, const std::string& type,
                       const std::string& data_json,
                       ExpectedVersion expected = ExpectedVersion::Any()) {
    AppendRequest request = Request(stream, {Event(type, data_json)});
    request.expected_version = expected;
    auto appended = client.Append(request);
    return {type + " to " + stream, appended.status(), 1, 0};
  }

  // The tree size and the length of case-1's record of reads, as the auditor sees them.
  struct Counts {
    uint64_t tree_size = 0;
    StreamVersion access_version = kNoStream;
  };
  Counts CountsNow(Client& auditor) {
    Counts counts;
    auto head = auditor.GetTreeHead();
    EXPECT_TRUE(head.ok()) << head.status().ToString();
    if (head.ok()) counts.tree_size = head->size;
    auto version = auditor.GetStreamVersion("access-case-1");
    EXPECT_TRUE(version.ok()) << version.status().ToString();
    if (version.ok()) counts.access_version = *version;
    return counts;
  }
};

// The rows of DOMAIN.md's roles x operations table.
enum class Operation {
  kRecordCaseWork,
  kManageCase,
  kSuperviseCase,
  kServeReferral,
  kRunSpaces,
  kReadCaseHistory,
  kReadFigures,
  kManageWorkers,
  kErase,
};

struct Row {
  Operation operation;
  const char* wording;  // DOMAIN.md's
  std::array<bool, kColumns> allowed;
};

constexpr bool Y = true;
constexpr bool N = false;

// DOMAIN.md's table, for the workers of kWorkers: "own" scopes are case-1's (its
// community, township, agency; r-1 open to sp-1), the other worker of each role is outside.
// clang-format off
const Row kTable[] = {
//                                                                                dir-1 dir-2 sup-1 sup-2 cw-1 cw-2 sp-1 sp-2 aud-1 adm
{Operation::kRecordCaseWork,  "open a case, record consent, concerns, follow-ups, notes",           {Y,    N,    Y,    N,    Y,   N,   N,   N,   N,    N}},
{Operation::kManageCase,      "assess risk, set a case plan, make referrals, plan services, close", {N,    N,    Y,    N,    Y,   N,   N,   N,   N,    N}},
{Operation::kSuperviseCase,   "approve, assign, reopen, override consent",                          {N,    N,    Y,    N,    N,   N,   N,   N,   N,    N}},
{Operation::kServeReferral,   "accept / reject / complete a referral, record a service delivered",  {N,    N,    N,    N,    N,   N,   Y,   N,   N,    N}},
{Operation::kRunSpaces,       "register spaces, enrolment, attendance, activities",                 {Y,    N,    Y,    N,    N,   N,   N,   N,   N,    N}},
{Operation::kReadCaseHistory, "read a case's history (personal fields in clear)",                   {Y,    N,    Y,    N,    Y,   N,   Y,   N,   Y,    N}},
{Operation::kReadFigures,     "read the projections' figures",                                      {Y,    N,    Y,    N,    Y,   N,   N,   N,   Y,    N}},
{Operation::kManageWorkers,   "register workers, issue and revoke tokens",                          {N,    N,    N,    N,    N,   N,   N,   N,   N,    Y}},
{Operation::kErase,           "erase a child's personal data",                                      {N,    N,    N,    N,    N,   N,   N,   N,   N,    Y}},
};
// clang-format on

// What `worker` tries for `operation`: representative appends of the row's event types
// (each its own request, fresh event ids), or the row's read. Appends that change a case
// for the rows after them (closing, reopening) go to cases of their own.
std::vector<Try> Attempt(Operation operation, Client& c, const std::string& w,
                         const std::string& as_of) {
  using R = Roles;
  switch (operation) {
    case Operation::kRecordCaseWork:
      return {R::AppendOne(c, "case-new-" + w, "CaseOpened", CaseOpenedJson("c-new-" + w),
                           ExpectedVersion::NoStream()),
              R::AppendOne(c, "case-1", "ConsentRecorded",
                           R"({"subject":"child","consentForServices":true,)"
                           R"("disclosureToOtherOrgs":true,"consentForReporting":true})"),
              R::AppendOne(c, "case-1", "ProtectionConcernsRecorded",
                           R"({"concerns":["neglect"],"urgent":false})"),
              R::AppendOne(c, "case-1", "FollowUpScheduled",
                           R"({"followUpId":"f-)" + w +
                               R"(","kind":"home_visit",)"
                               R"("neededBy":"2030-01-01T00:00:00Z"})"),
              R::AppendOne(c, "case-1", "NoteAdded", R"({"text":"Visited the grandparents."})")};
    case Operation::kManageCase:
      return {
          R::AppendOne(c, "case-1", "RiskAssessed", R"({"level":"medium"})"),
          R::AppendOne(c, "case-1", "CasePlanSet",
                       R"({"interventions":["school"],"due":"2030-01-01T00:00:00Z"})"),
          // To an agency no provider of kWorkers belongs to: sp-2's scope stays empty.
          R::AppendOne(c, "case-1", "ReferralMade",
                       R"({"referralId":"r-)" + w +
                           R"(","serviceType":"health",)"
                           R"("toAgency":"clinic-7","toUser":"doc-7"})"),
          R::AppendOne(c, "case-1", "ServicePlanned",
                       R"({"serviceId":"svc-)" + w +
                           R"(","serviceType":"education",)"
                           R"("responseTimeframe":"3d"})"),
          R::AppendOne(c, "case-to-close-" + w, "CaseClosed", R"({"reason":"formal_closing"})")};
    case Operation::kSuperviseCase:
      return {
          R::AppendOne(c, "case-1", "ApprovalDecided",
                       R"({"kind":"case_plan","decision":"approved"})"),
          R::AppendOne(c, "case-1", "CaseAssigned", R"({"newOwner":"cw-1"})"),
          R::AppendOne(c, "case-closed", "CaseReopened", R"({"reason":"new concerns"})"),
          R::AppendOne(c, "case-1", "ReferralMade",
                       R"({"referralId":"ro-)" + w +
                           R"(","serviceType":"legal",)"
                           R"("toAgency":"legal-aid","toUser":"law-1","consentOverridden":true})")};
    case Operation::kServeReferral:
      return {R::AppendOne(c, "case-1", "ReferralAccepted", R"({"referralId":"r-1"})"),
              R::AppendOne(c, "case-1", "ServiceDelivered",
                           R"({"serviceId":"svc-r-1","deliveredAt":"2026-01-01T00:00:00Z"})")};
    case Operation::kRunSpaces:
      return {R::AppendOne(c, "space-" + w, "SpaceOpened",
                           R"({"spaceId":")" + w +
                               R"(","communityCode":"130111200201",)"
                               R"("services":["recreation"]})",
                           ExpectedVersion::NoStream()),
              R::AppendOne(c, "space-s1", "ChildEnrolled",
                           R"({"spaceId":"s1","childRef":"c-)" + w +
                               R"(","sex":"male",)"
                               R"("ageBand":"6-11","leftBehind":true})"),
              R::AppendOne(c, "space-s1", "AttendanceRecorded",
                           R"({"spaceId":"s1","date":"2026-01-05","childRefs":["c-1"]})"),
              R::AppendOne(c, "space-s1", "ActivityHeld", R"({"spaceId":"s1","kind":"games"})")};
    case Operation::kReadCaseHistory: {
      auto history = c.ReadStream("case-1", 0, Direction::kForward, 1000, "monthly review");
      if (history.ok()) {
        EXPECT_FALSE(history->empty());
        EXPECT_NE(history->front().event.payload.find("Li Mei"), std::string::npos)
            << "the child's name is not in clear";
      }
      return {{"ReadStream case-1", history.status(), 1, 1}};
    }
    case Operation::kReadFigures: {
      auto table =
          c.Query("caseload", "open_cases", {{"as_of", as_of}, {"prefix", "130111200201"}});
      if (table.ok()) {
        EXPECT_FALSE(table->columns.empty());
      }
      return {{"caseload open_cases under 130111200201", table.status(), 0, 0}};
    }
    case Operation::kManageWorkers:
      return {R::AppendOne(c, "worker-new-" + w, "WorkerRegistered",
                           R"({"workerId":"new-)" + w +
                               R"(","role":"caseworker",)"
                               R"("locationCode":"130111200","agency":"county-a"})",
                           ExpectedVersion::NoStream())};
    case Operation::kErase:
      // Through eraseChild: the request and its completion in the child's one case.
      return {
          {"erase child c-erase", c.EraseChild("c-erase", "the guardian asked").status(), 2, 0}};
  }
  return {};
}

TEST_F(Roles, EveryRoleMayDoExactlyWhatTheRolesTimesOperationsTableSays) {
  const std::string plugins = BUILTIN_PLUGIN_DIR;
  StartServer({"--plugin-dir", plugins});
  ASSERT_FALSE(HasFatalFailure());
  std::map<std::string, std::unique_ptr<Client>> clients;
  for (const WorkerSpec& w : kWorkers) {
    clients[w.id] = Connect(w.id);
    ASSERT_NE(clients[w.id], nullptr) << w.id;
  }
  Client& auditor = *clients.at("aud-1");
  const std::string as_of = FormatTimestamp(Now() + std::chrono::hours(1));

  for (const Row& row : kTable) {
    for (size_t column = 0; column < kColumns; ++column) {
      const std::string& worker = kWorkers[column].id;
      const bool allowed = row.allowed[column];
      SCOPED_TRACE(worker + " (" + kWorkers[column].role + ") may " + (allowed ? "" : "not ") +
                   row.wording);
      const Counts before = CountsNow(auditor);
      const std::vector<Try> tries = Attempt(row.operation, *clients.at(worker), worker, as_of);
      uint64_t writes = 0;
      int64_t reads = 0;
      for (const Try& t : tries) {
        if (allowed) {
          EXPECT_TRUE(t.status.ok()) << t.what << ": " << t.status.ToString();
          writes += t.writes;
          reads += t.recorded_reads;
        } else {
          EXPECT_EQ(t.status.code(), StatusCode::kPermissionDenied)
              << t.what << ": " << t.status.ToString();
          EXPECT_NE(t.status.message().find(worker), std::string::npos)
              << "the refusal does not name the worker: " << t.status.message();
        }
      }
      // A refusal writes nothing, not even the record of a refused read.
      const Counts after = CountsNow(auditor);
      EXPECT_EQ(after.tree_size, before.tree_size + writes);
      EXPECT_EQ(after.access_version, before.access_version + reads);
    }
  }

  // Figures are cut to the asker's own place: a director asking for another community,
  // or for their whole township, is refused; asking for no place gives their own.
  auto elsewhere = clients.at("dir-2")->Query("caseload", "open_cases",
                                              {{"as_of", as_of}, {"prefix", "130111200201"}});
  EXPECT_EQ(elsewhere.status().code(), StatusCode::kPermissionDenied)
      << elsewhere.status().ToString();
  auto township = clients.at("dir-1")->Query("caseload", "open_cases",
                                             {{"as_of", as_of}, {"prefix", "130111200"}});
  EXPECT_EQ(township.status().code(), StatusCode::kPermissionDenied)
      << township.status().ToString();
  auto own = clients.at("dir-2")->Query("caseload", "open_cases", {{"as_of", as_of}});
  EXPECT_TRUE(own.ok()) << own.status().ToString();
}

TEST_F(Roles, AProviderWhoseReferralIsCompletedNoLongerSeesTheCase) {
  StartServer();
  ASSERT_FALSE(HasFatalFailure());
  auto provider = Connect("sp-1");
  auto auditor = Connect("aud-1");
  ASSERT_NE(provider, nullptr);
  ASSERT_NE(auditor, nullptr);
  ASSERT_TRUE(provider->ReadStream("case-1", 0, Direction::kForward, 100, "planning").ok());
  ASSERT_TRUE(
      AppendOne(*provider, "case-1", "ReferralAccepted", R"({"referralId":"r-1"})").status.ok());
  // Accepted is still open: the provider reads on.
  ASSERT_TRUE(provider->ReadStream("case-1", 0, Direction::kForward, 100, "lesson plan").ok());
  const Try completed = AppendOne(*provider, "case-1", "ReferralCompleted",
                                  R"({"referralId":"r-1","outcomeNote":"back in class"})");
  ASSERT_TRUE(completed.status.ok()) << completed.status.ToString();

  const Counts before = CountsNow(*auditor);
  auto history = provider->ReadStream("case-1", 0, Direction::kForward, 100, "one more look");
  ASSERT_FALSE(history.ok());
  EXPECT_EQ(history.status().code(), StatusCode::kPermissionDenied) << history.status().ToString();
  const Try service = AppendOne(*provider, "case-1", "ServiceDelivered",
                                R"({"serviceId":"svc-late","deliveredAt":"2026-01-02T00:00:00Z"})");
  EXPECT_EQ(service.status.code(), StatusCode::kPermissionDenied) << service.status.ToString();
  const Counts after = CountsNow(*auditor);
  EXPECT_EQ(after.tree_size, before.tree_size);
  EXPECT_EQ(after.access_version, before.access_version);
}

TEST_F(Roles, ARoleChangedInTheLedgerAppliesToTheNextCallOnAnOpenConnection) {
  StartServer();
  ASSERT_FALSE(HasFatalFailure());
  auto admin = Connect("adm");
  auto moved = Connect("cw-2");    // ngo-b: not case-1's agency
  auto demoted = Connect("cw-1");  // county-a: case-1's agency
  ASSERT_NE(admin, nullptr);
  ASSERT_NE(moved, nullptr);
  ASSERT_NE(demoted, nullptr);
  auto before = moved->ReadStream("case-1", 0, Direction::kForward, 100, "handover");
  ASSERT_EQ(before.status().code(), StatusCode::kPermissionDenied) << before.status().ToString();
  ASSERT_TRUE(AppendOne(*demoted, "case-1", "NoteAdded", R"({"text":"still mine"})").status.ok());

  ASSERT_TRUE(AppendOne(*admin, "worker-cw-2", "WorkerRoleChanged",
                        R"({"workerId":"cw-2","role":"caseworker","locationCode":"130111200",)"
                        R"("agency":"county-a"})")
                  .status.ok());
  ASSERT_TRUE(AppendOne(*admin, "worker-cw-1", "WorkerRoleChanged",
                        R"({"workerId":"cw-1","role":"auditor","agency":"inspectorate"})")
                  .status.ok());

  // The same connections, the next call: the ledger's word now.
  auto after = moved->ReadStream("case-1", 0, Direction::kForward, 100, "handover");
  EXPECT_TRUE(after.ok()) << after.status().ToString();
  auto me = demoted->WhoAmI();
  ASSERT_TRUE(me.ok()) << me.status().ToString();
  EXPECT_EQ(me->role, "auditor");
  const Try note = AppendOne(*demoted, "case-1", "NoteAdded", R"({"text":"no longer mine"})");
  EXPECT_EQ(note.status.code(), StatusCode::kPermissionDenied) << note.status.ToString();
}

}  // namespace
}  // namespace caseledger
