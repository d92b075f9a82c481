// Who may do what: DOMAIN.md's roles x operations table, cell by cell and scope by scope;
// where a worker's role comes from (their stream in the ledger); which operation appending
// each event type is.
#include "access_policy.h"

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <optional>

#include "caseledger/case_events.h"
#include "event_samples.h"
#include "temp_dir.h"

namespace caseledger::server {
namespace {

using testing::TempDir;

// ---------------------------------------------------------------------------------------
// The table, as DOMAIN.md writes it ("Roles x operations"). Columns in DOMAIN.md's order.

constexpr std::array<Role, 6> kColumns = {Role::kChildrenDirector, Role::kSupervisor,
                                          Role::kCaseworker,       Role::kServiceProvider,
                                          Role::kAuditor,          Role::kAdmin};

struct TableRow {
  Operation op;
  std::array<std::string_view, 6> cells;
};

// clang-format off
const TableRow kRolesByOperations[] = {
//  operation                     children_director  supervisor      caseworker    service_provider                auditor           admin
  {Operation::kRecordCaseWork,   {"own community",   "own township", "own agency", "-",                            "-",              "-"}},
  {Operation::kManageCase,       {"-",               "own township", "own agency", "-",                            "-",              "-"}},
  {Operation::kSuperviseCase,    {"-",               "own township", "-",          "-",                            "-",              "-"}},
  {Operation::kServeReferral,    {"-",               "-",            "-",          "referred to them, while open", "-",              "-"}},
  {Operation::kRunSpaces,        {"own community",   "own township", "-",          "-",                            "-",              "-"}},
  {Operation::kReadCaseHistory,  {"own community",   "own township", "own agency", "referred to them, while open", "all, read-only", "-"}},
  {Operation::kReadFigures,      {"own community",   "own township", "own agency", "-",                            "all",            "-"}},
  {Operation::kManageWorkers,    {"-",               "-",            "-",          "-",                            "-",              "yes"}},
  {Operation::kErase,            {"-",               "-",            "-",          "-",                            "-",              "yes, with a reason"}},
};
// clang-format on

// One worker per role, each with a scope of their own.
Principal Worker(Role role) {
  switch (role) {
    case Role::kChildrenDirector:
      return {"w-dir", role, "130111200201", "Xinzhuang villagers' committee"};
    case Role::kSupervisor:
      return {"w-sup", role, "130111200", "Xinzhuang township office"};
    // A caseworker's figures are those under their location code (here: their county).
    case Role::kCaseworker:
      return {"w-cw", role, "130111", "CA-01"};
    case Role::kServiceProvider:
      return {"w-sp", role, "", "SCH-3"};
    case Role::kAuditor:
      return {"w-aud", role, "", "inspectorate"};
    case Role::kAdmin:
      return {"w-adm", role, "", "county office"};
  }
  return {};
}

ReferralState Referral(std::string id, std::string to_agency, std::string to_user,
                       std::string state) {
  ReferralState r;
  r.referral_id = std::move(id);
  r.service_type = "education";
  r.to_agency = std::move(to_agency);
  r.to_user = std::move(to_user);
  r.state = std::move(state);
  return r;
}

// A case every place-bound worker above would reach: the director's community (in the
// supervisor's township and the caseworker's county), the caseworker's agency, an open
// referral r-1 to the provider by name. A "-" cell must refuse even this.
Scope CaseInEveryonesScope() {
  Scope s;
  s.community_code = "130111200201";
  s.agency = "CA-01";
  s.open_referrals = {Referral("r-1", "SCH-3", "w-sp", "in_progress")};
  s.referral_id = "r-1";
  s.figure_prefix = "130111200201";
  return s;
}

struct Probe {
  std::string what;
  Scope where;
  bool allowed;
};

Scope CaseOf(std::string community, std::string agency = "CA-01") {
  Scope s;
  s.community_code = std::move(community);
  s.agency = std::move(agency);
  return s;
}

Scope CaseWithReferrals(std::vector<ReferralState> referrals, std::string referral_id = "") {
  Scope s = CaseOf("130111200201");
  s.open_referrals = std::move(referrals);
  s.referral_id = std::move(referral_id);
  return s;
}

Scope Figures(std::string prefix) {
  Scope s;
  s.figure_prefix = std::move(prefix);
  return s;
}

// What each kind of cell means, as scopes that must be allowed or refused.
std::vector<Probe> ProbesOf(std::string_view cell, Operation op) {
  if (cell == "-") return {{"a case in every place-bound scope", CaseInEveryonesScope(), false}};
  if (cell == "all" || cell == "all, read-only")
    return {{"a case in no one's scope", CaseOf("410100100100", "other"), true},
            {"everything (no place)", Scope{}, true},
            {"figures of one province", Figures("41"), true}};
  if (cell == "yes" || cell == "yes, with a reason") return {{"no case at all", Scope{}, true}};
  if (op == Operation::kReadFigures) {
    if (cell == "own community")
      return {{"their community", Figures("130111200201"), true},
              {"their community's township", Figures("130111200"), false},
              {"another community", Figures("130111200202"), false},
              {"everywhere", Figures(""), false}};
    if (cell == "own township")
      return {{"their township", Figures("130111200"), true},
              {"a community of their township", Figures("130111200202"), true},
              {"their county", Figures("130111"), false},
              {"another township", Figures("130111201"), false},
              {"everywhere", Figures(""), false}};
    if (cell == "own agency")  // no agency dimension: under their location code
      return {{"their county", Figures("130111"), true},
              {"a township of their county", Figures("130111200"), true},
              {"their prefecture", Figures("1301"), false},
              {"another county", Figures("130112"), false},
              {"everywhere", Figures(""), false}};
  }
  if (cell == "own community")
    return {{"a case of their community", CaseOf("130111200201"), true},
            {"a case of another community of the same township", CaseOf("130111200202"), false},
            {"a case with no community code", CaseOf(""), false}};
  if (cell == "own township")
    return {{"a case of their township's community", CaseOf("130111200202"), true},
            {"a case of another township", CaseOf("130111201001"), false},
            {"a case with a township code only", CaseOf("130111200"), false},
            {"a case with no community code", CaseOf(""), false}};
  if (cell == "own agency")
    return {{"a case of their agency", CaseOf("410100100100", "CA-01"), true},
            {"a case of another agency, in their county", CaseOf("130111200201", "CA-02"), false},
            {"a case with no agency", CaseOf("130111200201", ""), false}};
  if (cell == "referred to them, while open") {
    std::vector<Probe> probes = {
        {"a referral in progress to them by name",
         CaseWithReferrals({Referral("r-1", "SCH-3", "w-sp", "in_progress")}), true},
        {"a referral they accepted",
         CaseWithReferrals({Referral("r-1", "SCH-3", "w-sp", "accepted")}), true},
        {"a referral to their agency naming no one",
         CaseWithReferrals({Referral("r-1", "SCH-3", "", "in_progress")}), true},
        {"a referral to another user of their agency",
         CaseWithReferrals({Referral("r-1", "SCH-3", "w-other", "in_progress")}), false},
        {"a referral to another agency",
         CaseWithReferrals({Referral("r-1", "CLINIC-1", "", "accepted")}), false},
        {"a referral completed", CaseWithReferrals({Referral("r-1", "SCH-3", "w-sp", "completed")}),
         false},
        {"a referral rejected", CaseWithReferrals({Referral("r-1", "SCH-3", "w-sp", "rejected")}),
         false},
        {"a referral revoked", CaseWithReferrals({Referral("r-1", "SCH-3", "w-sp", "revoked")}),
         false},
        {"no referral", CaseWithReferrals({}), false},
    };
    if (op == Operation::kServeReferral) {
      const std::vector<ReferralState> open = {Referral("r-1", "SCH-3", "w-sp", "accepted"),
                                               Referral("r-2", "CLINIC-1", "", "in_progress")};
      probes.push_back(
          {"the named referral is the one open to them", CaseWithReferrals(open, "r-1"), true});
      probes.push_back({"the named referral is another one (open, but not to them)",
                        CaseWithReferrals(open, "r-2"), false});
      probes.push_back(
          {"the named referral is not on the case", CaseWithReferrals(open, "r-9"), false});
    }
    return probes;
  }
  ADD_FAILURE() << "a cell this test does not know: \"" << cell << "\"";
  return {};
}

TEST(AccessPolicyTable, HasEveryOperationOnceAndEveryRole) {
  std::map<Operation, int> rows;
  for (const TableRow& row : kRolesByOperations) ++rows[row.op];
  EXPECT_EQ(rows.size(), 9u);
  for (const auto& [op, count] : rows) EXPECT_EQ(count, 1) << OperationName(op);
  for (size_t c = 0; c < kColumns.size(); ++c) EXPECT_EQ(Worker(kColumns[c]).role, kColumns[c]);
}

TEST(AccessPolicyTable, EveryRoleAndOperationIsDecidedAsDomainSays) {
  int checked = 0;
  for (const TableRow& row : kRolesByOperations) {
    for (size_t c = 0; c < kColumns.size(); ++c) {
      const Principal who = Worker(kColumns[c]);
      for (const Probe& probe : ProbesOf(row.cells[c], row.op)) {
        SCOPED_TRACE(std::string(RoleName(who.role)) + " / " + std::string(OperationName(row.op)) +
                     " (\"" + std::string(row.cells[c]) + "\"): " + probe.what);
        const Status decided = Authorize(who, row.op, probe.where);
        EXPECT_EQ(decided.ok(), probe.allowed) << decided.ToString();
        if (!decided.ok()) {
          EXPECT_EQ(decided.code(), StatusCode::kPermissionDenied);
          EXPECT_EQ(decided.message().rfind(
                        "worker " + who.worker_id + " (" + std::string(RoleName(who.role)), 0),
                    0u)
              << decided.message();
          EXPECT_NE(decided.message().find("may not " + std::string(OperationName(row.op))),
                    std::string::npos)
              << decided.message();
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 100);
}

TEST(AccessPolicyRefusal, NamesWorkerRoleOperationAndTheScopeMissed) {
  EXPECT_EQ(
      Authorize(Worker(Role::kChildrenDirector), Operation::kManageCase, CaseInEveryonesScope())
          .message(),
      "worker w-dir (children_director of 130111200201) may not assess risk, set a case "
      "plan, make referrals, plan services, close");
  EXPECT_EQ(Authorize(Worker(Role::kChildrenDirector), Operation::kReadCaseHistory,
                      CaseOf("130111200305"))
                .message(),
            "worker w-dir (children_director of 130111200201) may not read a case's history of "
            "community 130111200305");
  EXPECT_EQ(
      Authorize(Worker(Role::kCaseworker), Operation::kManageCase, CaseOf("130111200201", "CA-02"))
          .message(),
      "worker w-cw (caseworker of agency CA-01) may not assess risk, set a case plan, make "
      "referrals, plan services, close of agency CA-02");
  EXPECT_EQ(Authorize(Worker(Role::kServiceProvider), Operation::kServeReferral,
                      CaseWithReferrals({Referral("r-1", "SCH-3", "w-sp", "completed")}, "r-1"))
                .message(),
            "worker w-sp (service_provider of agency SCH-3) may not accept / reject / complete a "
            "referral, record a service delivered for referral r-1, which is not open to them");
  EXPECT_EQ(Authorize(Worker(Role::kSupervisor), Operation::kReadFigures, Figures("")).message(),
            "worker w-sup (supervisor of 130111200) may not read the projections' figures of every "
            "location");
  EXPECT_EQ(Authorize(Worker(Role::kAdmin), Operation::kReadCaseHistory, CaseInEveryonesScope())
                .message(),
            "worker w-adm (admin) may not read a case's history");
}

TEST(AccessPolicyRefusal, AnEmptyScopeNeverMatchesAnEmptyOne) {
  Principal director{"w-1", Role::kChildrenDirector, "", ""};
  EXPECT_EQ(Authorize(director, Operation::kRecordCaseWork, CaseOf("", "")).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(FigurePrefixFor(director, "").status().code(), StatusCode::kPermissionDenied);
  Principal caseworker{"w-2", Role::kCaseworker, "", ""};
  EXPECT_EQ(Authorize(caseworker, Operation::kManageCase, CaseOf("130111200201", "")).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(FigurePrefixFor(caseworker, "").status().code(), StatusCode::kPermissionDenied);
  Principal provider{"w-3", Role::kServiceProvider, "", ""};
  EXPECT_EQ(Authorize(provider, Operation::kReadCaseHistory,
                      CaseWithReferrals({Referral("r-1", "", "", "in_progress")}))
                .code(),
            StatusCode::kPermissionDenied);
}

TEST(AccessPolicyRefusal, APlaceCodeMustBeOfItsRolesLevel) {
  // A supervisor registered with a county code does not get the county; a director with a
  // township code does not get the township.
  Principal county_supervisor{"w-4", Role::kSupervisor, "130111", ""};
  EXPECT_FALSE(Authorize(county_supervisor, Operation::kManageCase, CaseOf("130111200201")).ok());
  Principal township_director{"w-5", Role::kChildrenDirector, "130111200", ""};
  EXPECT_FALSE(
      Authorize(township_director, Operation::kRecordCaseWork, CaseOf("130111200201")).ok());
  EXPECT_FALSE(FigurePrefixFor(township_director, "130111200").ok());
}

TEST(ScopeOfCase, TakesCommunityAgencyAndOnlyTheOpenReferrals) {
  CaseState state;
  state.community_code = "130111200201";
  state.agency = "CA-02";  // moved by a transfer
  state.referrals = {
      Referral("r-1", "SCH-3", "w-sp", "completed"), Referral("r-2", "SCH-3", "w-sp", "accepted"),
      Referral("r-3", "CLINIC-1", "", "in_progress"), Referral("r-4", "CLINIC-1", "", "revoked")};
  const Scope scope = ScopeOfCase(state);
  EXPECT_EQ(scope.community_code, "130111200201");
  EXPECT_EQ(scope.agency, "CA-02");
  ASSERT_EQ(scope.open_referrals.size(), 2u);
  EXPECT_EQ(scope.open_referrals[0].referral_id, "r-2");
  EXPECT_EQ(scope.open_referrals[1].referral_id, "r-3");
  EXPECT_TRUE(scope.referral_id.empty());
  EXPECT_TRUE(Authorize(Worker(Role::kServiceProvider), Operation::kReadCaseHistory, scope).ok());
}

TEST(FigurePrefixFor, AnEmptyPrefixBecomesTheirOwnPlaceAndAnythingOutsideIsRefused) {
  EXPECT_EQ(*FigurePrefixFor(Worker(Role::kChildrenDirector), ""), "130111200201");
  EXPECT_EQ(*FigurePrefixFor(Worker(Role::kSupervisor), ""), "130111200");
  EXPECT_EQ(*FigurePrefixFor(Worker(Role::kSupervisor), "130111200202"), "130111200202");
  EXPECT_EQ(*FigurePrefixFor(Worker(Role::kCaseworker), ""), "130111");
  EXPECT_EQ(*FigurePrefixFor(Worker(Role::kAuditor), ""), "");
  EXPECT_EQ(*FigurePrefixFor(Worker(Role::kAuditor), "41"), "41");

  auto outside = FigurePrefixFor(Worker(Role::kSupervisor), "1301");
  EXPECT_EQ(outside.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(outside.status().message(),
            "worker w-sup (supervisor of 130111200) may not read the projections' figures under "
            "1301");
  EXPECT_EQ(FigurePrefixFor(Worker(Role::kChildrenDirector), "130111200202").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(FigurePrefixFor(Worker(Role::kServiceProvider), "").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(FigurePrefixFor(Worker(Role::kAdmin), "").status().code(),
            StatusCode::kPermissionDenied);
}

TEST(Roles, RoundTripThroughTheirJsonNames) {
  for (Role role : kColumns) EXPECT_EQ(*ParseRole(RoleName(role)), role);
  EXPECT_EQ(RoleName(Role::kChildrenDirector), "children_director");
  EXPECT_EQ(RoleName(Role::kServiceProvider), "service_provider");
  auto bad = ParseRole("director");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("\"director\""), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// OperationOfEvent

std::string PayloadOf(const std::string& type, const std::string& json) {
  const EventType* t = FindEventType(type);
  if (t == nullptr) {
    ADD_FAILURE() << type;
    return "";
  }
  auto payload = PayloadFromJson(*t, json);
  EXPECT_TRUE(payload.ok()) << type << ": " << payload.status().ToString();
  return payload.ok() ? *payload : "";
}

// The row of each type (the brief of the server); nullopt: refused, with the code below.
struct TypeRow {
  std::optional<Operation> op;
  StatusCode refused = StatusCode::kOk;
};
const std::map<std::string, TypeRow>& ExpectedOperations() {
  using enum Operation;
  static const std::map<std::string, TypeRow> rows = {
      {"CaseOpened", {kRecordCaseWork}},
      {"ConsentRecorded", {kRecordCaseWork}},
      {"ProtectionConcernsRecorded", {kRecordCaseWork}},
      {"FollowUpScheduled", {kRecordCaseWork}},
      {"FollowUpCompleted", {kRecordCaseWork}},
      {"NoteAdded", {kRecordCaseWork}},
      {"CaregiverSupportProvided", {kRecordCaseWork}},
      {"RiskAssessed", {kManageCase}},
      {"AssessmentRequested", {kManageCase}},
      {"AssessmentCompleted", {kManageCase}},
      {"CasePlanSet", {kManageCase}},
      {"ApprovalRequested", {kManageCase}},
      {"ReferralRevoked", {kManageCase}},
      {"ServicePlanned", {kManageCase}},
      {"CaseClosed", {kManageCase}},
      {"TransferRevoked", {kManageCase}},
      {"ApprovalDecided", {kSuperviseCase}},
      {"CaseAssigned", {kSuperviseCase}},
      {"CaseReopened", {kSuperviseCase}},
      {"TransferAccepted", {kSuperviseCase}},
      {"TransferRejected", {kSuperviseCase}},
      {"ReferralAccepted", {kServeReferral}},
      {"ReferralRejected", {kServeReferral}},
      {"ReferralCompleted", {kServeReferral}},
      {"ServiceDelivered", {kServeReferral}},
      {"CommunityRegistered", {kRunSpaces}},
      {"SpaceOpened", {kRunSpaces}},
      {"SpaceClosed", {kRunSpaces}},
      {"ChildEnrolled", {kRunSpaces}},
      {"AttendanceRecorded", {kRunSpaces}},
      {"ActivityHeld", {kRunSpaces}},
      {"WorkerRegistered", {kManageWorkers}},
      {"WorkerRoleChanged", {kManageWorkers}},
      {"ErasureRequested", {kErase}},
      {"ErasureCompleted", {kErase}},
      // The samples override consent in the referral and not in the transfer.
      {"ReferralMade", {kSuperviseCase}},
      {"TransferInitiated", {kManageCase}},
      {"CaseHistoryRead", {std::nullopt, StatusCode::kPermissionDenied}},
      {"LedgerExported", {std::nullopt, StatusCode::kPermissionDenied}},
      {"EntryVoided", {std::nullopt, StatusCode::kInvalidArgument}},
  };
  return rows;
}

TEST(OperationOfEvent, EveryCatalogueTypeHasItsRow) {
  for (const EventType& type : EventCatalogue()) {
    SCOPED_TRACE(type.name);
    auto expected = ExpectedOperations().find(type.name);
    ASSERT_NE(expected, ExpectedOperations().end()) << "decide the row of " << type.name;
    auto sample = testing::EventSamples().find(type.name);
    ASSERT_NE(sample, testing::EventSamples().end());
    auto op = OperationOfEvent(type.name, PayloadOf(type.name, sample->second));
    if (expected->second.op) {
      ASSERT_TRUE(op.ok()) << op.status().ToString();
      EXPECT_EQ(*op, *expected->second.op) << OperationName(*op);
    } else {
      EXPECT_EQ(op.status().code(), expected->second.refused) << op.status().ToString();
    }
  }
  EXPECT_EQ(ExpectedOperations().size(), EventCatalogue().size());
}

TEST(OperationOfEvent, SharingOverConsentIsASupervisorsOverride) {
  const std::string referral =
      R"({"referralId":"r-1","serviceType":"education","toAgency":"SCH-3")";
  EXPECT_EQ(*OperationOfEvent("ReferralMade", PayloadOf("ReferralMade", referral + "}")),
            Operation::kManageCase);
  EXPECT_EQ(
      *OperationOfEvent("ReferralMade",
                        PayloadOf("ReferralMade", referral + R"(,"consentOverridden":false})")),
      Operation::kManageCase);
  EXPECT_EQ(
      *OperationOfEvent("ReferralMade",
                        PayloadOf("ReferralMade", referral + R"(,"consentOverridden":true})")),
      Operation::kSuperviseCase);
  const std::string transfer = R"({"toAgency":"NGO-2","toUser":"w-40")";
  EXPECT_EQ(*OperationOfEvent(
                "TransferInitiated",
                PayloadOf("TransferInitiated", transfer + R"(,"consentOverridden":false})")),
            Operation::kManageCase);
  EXPECT_EQ(
      *OperationOfEvent("TransferInitiated",
                        PayloadOf("TransferInitiated", transfer + R"(,"consentOverridden":true})")),
      Operation::kSuperviseCase);
}

TEST(OperationOfEvent, RefusesWhatOnlyTheLedgerWritesUnknownTypesAndBadPayloads) {
  auto read = OperationOfEvent(
      "CaseHistoryRead", PayloadOf("CaseHistoryRead", R"({"caseStream":"case-1","purpose":"x"})"));
  EXPECT_EQ(read.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(read.status().message().find("written by the ledger itself"), std::string::npos);

  auto voided =
      OperationOfEvent("EntryVoided", PayloadOf("EntryVoided", R"({"position":3,"reason":"x"})"));
  EXPECT_EQ(voided.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(voided.status().message().find("ask about that event's type"), std::string::npos)
      << voided.status().message();

  auto unknown = OperationOfEvent("CaseDeleted", "");
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("CaseDeleted"), std::string::npos);

  for (std::string bad : {std::string(), std::string("not capnp"), std::string(16, '\xff')}) {
    auto damaged = OperationOfEvent("ReferralMade", bad);
    EXPECT_EQ(damaged.status().code(), StatusCode::kInvalidArgument) << damaged.status().ToString();
    EXPECT_NE(damaged.status().message().find("ReferralMade"), std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------
// LoadPrincipal, on a case-event ledger

// A case-event ledger in a temporary directory, filled with catalogue events from JSON.
class WorkerStreams : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string key = tmp_.Sub("master.key");
    ASSERT_TRUE(CreateMasterKeyFile(key).ok());
    CreateOptions create;
    create.segment_bytes = 1 << 20;
    create.master_key_file = key;
    ASSERT_TRUE(Ledger::Create(tmp_.Sub("ledger"), create).ok());
    LedgerOptions options;
    options.master_key_file = key;
    auto opened = Ledger::Open(tmp_.Sub("ledger"), options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    ledger_ = std::move(*opened);
  }

  // Appends events of `type` from `jsons` to `stream` in one append; the last position.
  Position Append(const std::string& stream, const std::string& type,
                  const std::vector<std::string>& jsons, Position corrects = 0) {
    AppendRequest request;
    request.stream = stream;
    for (const std::string& json : jsons) {
      ProposedEvent& e = request.events.emplace_back();
      e.id = EventId::Random();
      e.type = type;
      e.actor = Actor{"w-adm", "admin", "county office"};
      e.corrects = corrects;
      if (corrects != 0) e.correction_reason = "entered wrongly";
      e.payload = PayloadOf(type, json);
    }
    auto appended = ledger_->Append(request);
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    return appended.ok() ? appended->last_position : 0;
  }
  Position Append(const std::string& stream, const std::string& type, const std::string& json,
                  Position corrects = 0) {
    return Append(stream, type, std::vector<std::string>{json}, corrects);
  }

  TempDir tmp_;
  std::unique_ptr<Ledger> ledger_;
};

constexpr const char* kRegistered =
    R"({"workerId":"w-17","role":"children_director","locationCode":"130111200201",)"
    R"("agency":"Xinzhuang villagers' committee"})";
constexpr const char* kPromoted =
    R"({"workerId":"w-17","role":"supervisor","locationCode":"130111200",)"
    R"("agency":"Xinzhuang township office"})";

TEST_F(WorkerStreams, ARegisteredWorkerHasTheRoleAndScopeOfTheRegistration) {
  Append("worker-w-17", "WorkerRegistered", kRegistered);
  auto who = LoadPrincipal(*ledger_, "w-17");
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->worker_id, "w-17");
  EXPECT_EQ(who->role, Role::kChildrenDirector);
  EXPECT_EQ(who->location_code, "130111200201");
  EXPECT_EQ(who->agency, "Xinzhuang villagers' committee");
  EXPECT_EQ(who->RecordedBy(), "worker:w-17");
}

TEST_F(WorkerStreams, TheLastRoleChangeDecides) {
  Append("worker-w-17", "WorkerRegistered", kRegistered);
  Append("worker-w-17", "WorkerRoleChanged", kPromoted);
  auto who = LoadPrincipal(*ledger_, "w-17");
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->role, Role::kSupervisor);
  EXPECT_EQ(who->location_code, "130111200");
  EXPECT_EQ(who->agency, "Xinzhuang township office");
}

TEST_F(WorkerStreams, ACorrectedRoleChangeCountsAsCorrected) {
  Append("worker-w-17", "WorkerRegistered", kRegistered);
  const Position changed = Append("worker-w-17", "WorkerRoleChanged", kPromoted);
  Append("worker-w-17", "WorkerRoleChanged",
         R"({"workerId":"w-17","role":"caseworker","agency":"CA-01"})", changed);
  auto who = LoadPrincipal(*ledger_, "w-17");
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->role, Role::kCaseworker);
  EXPECT_EQ(who->location_code, "");
  EXPECT_EQ(who->agency, "CA-01");
}

TEST_F(WorkerStreams, AVoidedRoleChangeGivesBackTheRoleBefore) {
  Append("worker-w-17", "WorkerRegistered", kRegistered);
  const Position changed = Append("worker-w-17", "WorkerRoleChanged", kPromoted);
  Append("worker-w-17", "EntryVoided",
         R"({"position":)" + std::to_string(changed) + R"(,"reason":"wrong worker"})");
  auto who = LoadPrincipal(*ledger_, "w-17");
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->role, Role::kChildrenDirector);
  EXPECT_EQ(who->location_code, "130111200201");
}

TEST_F(WorkerStreams, AVoidedRegistrationLeavesTheWorkerUnknown) {
  const Position registered = Append("worker-w-17", "WorkerRegistered", kRegistered);
  Append("worker-w-17", "EntryVoided",
         R"({"position":)" + std::to_string(registered) + R"(,"reason":"registered twice"})");
  EXPECT_EQ(LoadPrincipal(*ledger_, "w-17").status().code(), StatusCode::kUnauthenticated);
}

TEST_F(WorkerStreams, AnUnknownOrUnregisteredWorkerIsUnauthenticated) {
  Append("worker-w-17", "WorkerRegistered", kRegistered);
  auto unknown = LoadPrincipal(*ledger_, "w-99");
  EXPECT_EQ(unknown.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(unknown.status().message().find("w-99"), std::string::npos);
  // A role change alone is no registration.
  Append("worker-w-18", "WorkerRoleChanged", R"({"workerId":"w-18","role":"admin"})");
  EXPECT_EQ(LoadPrincipal(*ledger_, "w-18").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(LoadPrincipal(*ledger_, "").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(LoadPrincipal(*ledger_, "has space").status().code(), StatusCode::kUnauthenticated);
}

TEST_F(WorkerStreams, AnEventNamingAnotherWorkerGrantsNothingHere) {
  // Filed in w-17's stream by mistake, it is about w-18 (as the caseload figures read it).
  Append("worker-w-17", "WorkerRegistered",
         R"({"workerId":"w-18","role":"auditor","locationCode":"","agency":"x"})");
  EXPECT_EQ(LoadPrincipal(*ledger_, "w-17").status().code(), StatusCode::kUnauthenticated);
  Append("worker-w-17", "WorkerRegistered", kRegistered);
  Append("worker-w-17", "WorkerRoleChanged", R"({"workerId":"w-18","role":"admin"})");
  auto who = LoadPrincipal(*ledger_, "w-17");
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->role, Role::kChildrenDirector);
}

TEST_F(WorkerStreams, AStreamLongerThanOnePageIsReadToItsEnd) {
  Append("worker-w-17", "WorkerRegistered", kRegistered);
  std::vector<std::string> changes(1500, kPromoted);
  changes.back() = R"({"workerId":"w-17","role":"auditor"})";
  Append("worker-w-17", "WorkerRoleChanged", changes);
  auto who = LoadPrincipal(*ledger_, "w-17");
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->role, Role::kAuditor);
}

}  // namespace
}  // namespace caseledger::server
