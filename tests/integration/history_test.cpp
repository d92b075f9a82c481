// `caseledger history`, driven as an auditor would: the read is recorded before anything is
// shown, the case as of a time or a position, corrections and voids against the events they
// affect, personal fields only with the master key, and requests refused without a trace.
#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <kj/exception.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "caseledger/case_events.h"
#include "files.h"
#include "json_document.h"
#include "run_program.h"
#include "scenario_ledger.h"
#include "temp_dir.h"

extern char** environ;

namespace caseledger {
namespace {

using testing::Contains;
using testing::Describe;
using testing::Get;
using testing::Has;
using testing::JsonDocument;
using testing::JsonValue;
using testing::Num;
using testing::Nums;
using testing::ProgramRun;
using testing::ScenarioLedger;
using testing::Str;
using testing::TempDir;

std::string LocalPrincipal() {
  const passwd* pw = ::getpwuid(::geteuid());
  return std::string("local:") + (pw && pw->pw_name ? pw->pw_name : std::to_string(::geteuid()));
}

// The timeline entry at `position`; a null value if there is none.
JsonValue::Reader Entry(JsonValue::Reader doc, Position position) {
  for (auto e : Get(doc, "timeline").getArray())
    if (Num(Get(e, "position")) == static_cast<int64_t>(position)) return e;
  return Get(doc, "no such entry");
}

// The value on the row `field` of the table's State section ("" if there is none).
std::string StateRow(const std::string& table, const std::string& field) {
  std::istringstream in(table.substr(table.find("\nState\n") + 1));
  for (std::string line; std::getline(in, line) && !line.empty();) {
    if (line.compare(0, field.size() + 1, field + " ") != 0) continue;
    const size_t value = line.find_first_not_of(' ', field.size());
    return value == std::string::npos ? "" : line.substr(value);
  }
  return "";
}

const char* kChild = R"({"childRef":"c-1","name":"Li Mei","sex":"female","ageBand":"6-11",)"
                     R"("communityCode":"130111200201","identificationChannel":"home_visit",)"
                     R"("owner":"w-1","agency":"county"})";

class History : public ::testing::Test {
 protected:
  void SetUp() override { ::unsetenv("CASELEDGER_MASTER_KEY_FILE"); }

  // Runs `caseledger history DIR args...`.
  ProgramRun Run(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"history", s_.dir()};
    all.insert(all.end(), args.begin(), args.end());
    return testing::RunProgram(CASELEDGER_BIN, all);
  }
  ProgramRun RunWithKey(std::vector<std::string> args) {
    args.insert(args.end(), {"--master-key-file", key_});
    return Run(args);
  }

  // The ledger as the test sees it after the CLI ran (the scenario's writer closed).
  std::unique_ptr<Ledger> Reopen() {
    s_.Close();
    auto ledger = Ledger::Open(s_.dir(), LedgerOptions{});
    EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
    return ledger.ok() ? std::move(*ledger) : nullptr;
  }

  // The events of access-<stream>, each as its JSON line.
  std::vector<std::string> AccessLog(const std::string& stream) {
    auto ledger = Reopen();
    if (!ledger) return {};
    auto events = ledger->ReadStream("access-" + stream, 0, Direction::kForward, 100);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    std::vector<std::string> lines;
    if (events.ok())
      for (const RecordedEvent& e : *events) lines.push_back(RecordedEventToJson(e).value());
    return lines;
  }

  Position Committed() { return Reopen()->CommittedPosition(); }

  TempDir tmp_;
  ScenarioLedger s_{tmp_.Sub("ledger")};
  const std::string key_ = s_.dir() + ".key";
};

TEST_F(History, TheReadIsRecordedBeforeOutputEvenWhenNobodyCanReceiveIt) {
  s_.Append("case-1", "CaseOpened", s_.DaysAgo(10), "w-2", kChild, "children_director");
  s_.Close();

  // stdout is a pipe whose reading end is already closed: no byte of output can be
  // delivered, and SIGPIPE has its default action.
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ::close(fds[0]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &pipe_signal);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> args = {CASELEDGER_BIN, "history",
                                   s_.dir(),       "case-1",
                                   "--purpose",    "audit of case-1 into a closed pipe"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, CASELEDGER_BIN, &actions, &attributes, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(fds[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the output could not be delivered, yet history reported success";

  const std::vector<std::string> reads = AccessLog("case-1");
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_TRUE(Contains(reads[0], R"("type":"CaseHistoryRead")")) << reads[0];
  EXPECT_TRUE(Contains(reads[0], R"("caseStream":"case-1")")) << reads[0];
  EXPECT_TRUE(Contains(reads[0], R"("purpose":"audit of case-1 into a closed pipe")")) << reads[0];
  EXPECT_TRUE(Contains(reads[0], R"("recordedBy":")" + LocalPrincipal() + "\"")) << reads[0];
}

TEST_F(History, ASecondReadListsTheFirstUnderWhoLooked) {
  s_.Append("case-1", "CaseOpened", s_.DaysAgo(10), "w-2", kChild, "children_director");
  s_.Close();
  ProgramRun first = Run({"case-1", "--purpose", "first look", "--actor",
                          R"({"user":"a-1","role":"auditor","agency":"inspectorate"})"});
  ASSERT_EQ(first.exit_code, 0) << Describe(first);
  EXPECT_TRUE(Contains(first.out, "Who looked")) << first.out;
  EXPECT_TRUE(Contains(first.out, "This read is recorded at position 2 of access-case-1"))
      << first.out;

  ProgramRun second = Run({"case-1", "--purpose", "second look", "--format", "JSON"});
  ASSERT_EQ(second.exit_code, 0) << Describe(second);
  JsonDocument doc(second.out);
  ASSERT_TRUE(doc.ok()) << second.out;
  auto reads = Get(doc.root(), "reads");
  ASSERT_TRUE(reads.isArray()) << second.out;
  ASSERT_EQ(reads.getArray().size(), 1u) << "only the earlier read, not this one: " << second.out;
  auto read = reads.getArray()[0];
  EXPECT_EQ(Num(Get(read, "position")), 2);
  EXPECT_EQ(Str(Get(read, "purpose")), "first look");
  EXPECT_EQ(Str(Get(read, "recordedBy")), LocalPrincipal());
  EXPECT_EQ(Str(Get(Get(read, "actor"), "user")), "a-1");
  EXPECT_EQ(Str(Get(Get(read, "actor"), "role")), "auditor");
  EXPECT_FALSE(Str(Get(read, "recordedAt")).empty());
  EXPECT_EQ(Num(Get(Get(doc.root(), "thisRead"), "position")), 3);
  EXPECT_EQ(Str(Get(Get(doc.root(), "thisRead"), "purpose")), "second look");

  // The table shows the same; as of position 2 the second read is not yet there, and as of
  // position 1 neither is the first.
  ProgramRun table = Run({"case-1", "--purpose", "third look"});
  ASSERT_EQ(table.exit_code, 0) << Describe(table);
  EXPECT_TRUE(Contains(table.out, "first look")) << table.out;
  EXPECT_TRUE(Contains(table.out, "second look")) << table.out;
  ProgramRun earlier = Run({"case-1", "--purpose", "fourth look", "--at-position", "1"});
  ASSERT_EQ(earlier.exit_code, 0) << Describe(earlier);
  EXPECT_FALSE(Contains(earlier.out, "first look")) << earlier.out;
  EXPECT_EQ(AccessLog("case-1").size(), 4u);
}

// A case whose owner and risk change after position `before_`.
class HistoryAsOf : public History {
 protected:
  void SetUp() override {
    History::SetUp();
    s_.Append("case-1", "CaseOpened", s_.DaysAgo(10), "w-2", kChild, "children_director");
    before_ = s_.Append("case-1", "RiskAssessed", s_.DaysAgo(9), "w-1", R"({"level":"low"})");
    before_time_ = FormatTimestamp(s_.ledger().ReadAll(before_, 1).value().front().recorded_at);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a later recorded-at
    s_.Append("case-1", "CaseAssigned", s_.DaysAgo(8), "sup-1",
              R"({"newOwner":"w-7","reason":"w-1 left"})", "supervisor");
    s_.Append("case-1", "RiskAssessed", s_.DaysAgo(7), "w-7", R"({"level":"high"})");
    s_.Close();
  }
  Position before_ = 0;
  std::string before_time_;
};

TEST_F(HistoryAsOf, APositionShowsTheEarlierOwnerAndRisk) {
  ProgramRun now = Run({"case-1", "--purpose", "audit", "--format", "json"});
  ASSERT_EQ(now.exit_code, 0) << Describe(now);
  JsonDocument latest(now.out);
  ASSERT_TRUE(latest.ok()) << now.out;
  for (const char* key : {"stream", "asOf", "thisRead", "state", "timeline", "reads", "anomalies"})
    EXPECT_TRUE(Has(latest.root(), key)) << key << " missing: " << now.out;
  EXPECT_EQ(Str(Get(latest.root(), "stream")), "case-1");
  EXPECT_EQ(Str(Get(Get(latest.root(), "state"), "owner")), "w-7");
  EXPECT_EQ(Str(Get(Get(latest.root(), "state"), "risk")), "high");
  EXPECT_EQ(Get(latest.root(), "timeline").getArray().size(), 4u);

  ProgramRun then = Run({"case-1", "--purpose", "audit", "--at-position", std::to_string(before_),
                         "--format", "json"});
  ASSERT_EQ(then.exit_code, 0) << Describe(then);
  JsonDocument earlier(then.out);
  ASSERT_TRUE(earlier.ok()) << then.out;
  EXPECT_EQ(Str(Get(Get(earlier.root(), "state"), "owner")), "w-1");
  EXPECT_EQ(Str(Get(Get(earlier.root(), "state"), "risk")), "low");
  EXPECT_EQ(Str(Get(Get(earlier.root(), "state"), "status")), "open");
  EXPECT_EQ(Num(Get(Get(earlier.root(), "asOf"), "position")), static_cast<int64_t>(before_));
  EXPECT_EQ(Str(Get(Get(earlier.root(), "asOf"), "asked")), "position");
  EXPECT_EQ(Get(earlier.root(), "timeline").getArray().size(), 2u);

  ProgramRun table =
      Run({"case-1", "--purpose", "audit", "--at-position", std::to_string(before_)});
  ASSERT_EQ(table.exit_code, 0) << Describe(table);
  EXPECT_EQ(StateRow(table.out, "owner"), "w-1") << table.out;
  EXPECT_EQ(StateRow(table.out, "risk"), "low") << table.out;
  EXPECT_FALSE(Contains(table.out, "CaseAssigned")) << table.out;
}

TEST_F(HistoryAsOf, ATimeShowsWhatTheLedgerKnewThen) {
  ProgramRun then =
      Run({"case-1", "--purpose", "audit", "--as-of", before_time_, "--format", "json"});
  ASSERT_EQ(then.exit_code, 0) << Describe(then);
  JsonDocument doc(then.out);
  ASSERT_TRUE(doc.ok()) << then.out;
  EXPECT_EQ(Num(Get(Get(doc.root(), "asOf"), "position")), static_cast<int64_t>(before_));
  EXPECT_EQ(Str(Get(Get(doc.root(), "asOf"), "asked")), "time");
  EXPECT_EQ(Str(Get(Get(doc.root(), "asOf"), "recordedAt")), before_time_);
  EXPECT_EQ(Str(Get(Get(doc.root(), "state"), "owner")), "w-1");
  EXPECT_EQ(Str(Get(Get(doc.root(), "state"), "risk")), "low");

  // Before the first event: nothing was known yet.
  ProgramRun before_all =
      Run({"case-1", "--purpose", "audit", "--as-of", "2000-01-01T00:00:00Z", "--format", "json"});
  ASSERT_EQ(before_all.exit_code, 0) << Describe(before_all);
  JsonDocument empty(before_all.out);
  ASSERT_TRUE(empty.ok()) << before_all.out;
  EXPECT_EQ(Num(Get(Get(empty.root(), "asOf"), "position")), 0);
  EXPECT_EQ(Get(empty.root(), "timeline").getArray().size(), 0u);
  EXPECT_FALSE(Get(Get(empty.root(), "state"), "opened").getBoolean());
}

TEST_F(HistoryAsOf, TheStateAgreesWithTheCaseloadFigures) {
  // The shared reducer: caseload's open_cases as of the same position names the same owner
  // and risk as history does.
  ProgramRun then = Run({"case-1", "--purpose", "audit", "--at-position", std::to_string(before_),
                         "--format", "json"});
  ASSERT_EQ(then.exit_code, 0) << Describe(then);
  JsonDocument doc(then.out);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(s_.QueryCsv("caseload", "open_cases",
                        {{"level", "community"}, {"as_of_position", std::to_string(before_)}}),
            "area,owner,open,high,medium,low,unassessed\n"
            "130111200201," +
                Str(Get(Get(doc.root(), "state"), "owner")) + ",1,0,0,1,0\n");
}

TEST_F(History, CorrectionsAndVoidsShowAgainstTheEventsTheyAffectAndTheStateFollowsThem) {
  s_.Append("case-1", "CaseOpened", s_.DaysAgo(10), "w-2", kChild, "children_director");
  const Position risk =
      s_.Append("case-1", "RiskAssessed", s_.DaysAgo(9), "w-1", R"({"level":"low"})");
  const Position assigned = s_.Append("case-1", "CaseAssigned", s_.DaysAgo(8), "sup-1",
                                      R"({"newOwner":"w-9"})", "supervisor");
  const Position correction =
      s_.Correct(risk, "case-1", "RiskAssessed", s_.DaysAgo(9), "w-1", R"({"level":"high"})");
  const Position voiding = s_.Append(
      "case-1", "EntryVoided", s_.DaysAgo(7), "sup-1",
      R"({"position":)" + std::to_string(assigned) + R"(,"reason":"wrong case"})", "supervisor");
  const Position reopened_while_open =
      s_.Append("case-1", "CaseReopened", s_.DaysAgo(6), "sup-1", "{}", "supervisor");
  s_.Close();

  ProgramRun run = Run({"case-1", "--purpose", "audit", "--format", "json"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  JsonDocument doc(run.out);
  ASSERT_TRUE(doc.ok()) << run.out;
  auto original = Entry(doc.root(), risk);
  EXPECT_EQ(Str(Get(original, "effect")), "corrected");
  EXPECT_EQ(Nums(Get(original, "correctedBy")), std::vector<int64_t>{int64_t(correction)});
  auto fix = Entry(doc.root(), correction);
  EXPECT_EQ(Str(Get(fix, "effect")), "in_effect");
  EXPECT_EQ(Num(Get(fix, "corrects")), static_cast<int64_t>(risk));
  EXPECT_EQ(Str(Get(fix, "correctionReason")), "test correction");
  auto withdrawn = Entry(doc.root(), assigned);
  EXPECT_EQ(Str(Get(withdrawn, "effect")), "voided");
  EXPECT_EQ(Nums(Get(withdrawn, "voidedBy")), std::vector<int64_t>{int64_t(voiding)});
  EXPECT_EQ(Num(Get(Entry(doc.root(), voiding), "voids")), static_cast<int64_t>(assigned));
  // The state follows them: the corrected risk, the owner from before the voided assignment.
  auto state = Get(doc.root(), "state");
  EXPECT_EQ(Str(Get(state, "risk")), "high");
  EXPECT_EQ(Str(Get(state, "owner")), "w-1");
  // A reopening of an open case breaks the case machine: listed, and marked on its line.
  auto anomalies = Get(doc.root(), "anomalies");
  ASSERT_EQ(anomalies.getArray().size(), 1u) << run.out;
  EXPECT_EQ(Num(Get(anomalies.getArray()[0], "position")),
            static_cast<int64_t>(reopened_while_open));
  EXPECT_TRUE(Contains(Str(Get(anomalies.getArray()[0], "rule")), "case: ")) << run.out;
  EXPECT_TRUE(Get(Entry(doc.root(), reopened_while_open), "anomaly").getBoolean());

  // The table says the same on the lines of the events affected.
  ProgramRun table = Run({"case-1", "--purpose", "audit"});
  ASSERT_EQ(table.exit_code, 0) << Describe(table);
  EXPECT_TRUE(Contains(table.out, "corrected by " + std::to_string(correction))) << table.out;
  EXPECT_TRUE(Contains(table.out, "voided by " + std::to_string(voiding))) << table.out;
  EXPECT_TRUE(Contains(table.out, "corrects " + std::to_string(risk) + ": test correction"))
      << table.out;

  // As of before the correction and the void, the original data is in effect.
  ProgramRun before = Run({"case-1", "--purpose", "audit", "--at-position",
                           std::to_string(assigned), "--format", "json"});
  ASSERT_EQ(before.exit_code, 0) << Describe(before);
  JsonDocument earlier(before.out);
  ASSERT_TRUE(earlier.ok()) << before.out;
  EXPECT_EQ(Str(Get(Entry(earlier.root(), risk), "effect")), "in_effect");
  EXPECT_TRUE(Nums(Get(Entry(earlier.root(), risk), "correctedBy")).empty());
  EXPECT_EQ(Str(Get(Get(earlier.root(), "state"), "risk")), "low");
  EXPECT_EQ(Str(Get(Get(earlier.root(), "state"), "owner")), "w-9");
}

TEST_F(History, AChainOfCorrectionsAVoidedCorrectionAndAMisdirectedOneEachSayWhatTheyDid) {
  s_.Append("case-1", "CaseOpened", s_.DaysAgo(10), "w-2", kChild, "children_director");
  const Position low =
      s_.Append("case-1", "RiskAssessed", s_.DaysAgo(9), "w-1", R"({"level":"low"})");
  const Position medium =
      s_.Correct(low, "case-1", "RiskAssessed", s_.DaysAgo(9), "w-1", R"({"level":"medium"})");
  const Position high =
      s_.Correct(medium, "case-1", "RiskAssessed", s_.DaysAgo(9), "w-1", R"({"level":"high"})");
  const Position note = s_.Append("case-1", "NoteAdded", s_.DaysAgo(8), "w-1", R"({"text":"x"})");
  // A RiskAssessed that names a NoteAdded cannot apply.
  const Position misdirected =
      s_.Correct(note, "case-1", "RiskAssessed", s_.DaysAgo(8), "w-1", R"({"level":"low"})");
  s_.Close();

  ProgramRun before_void = Run({"case-1", "--purpose", "audit", "--format", "json"});
  ASSERT_EQ(before_void.exit_code, 0) << Describe(before_void);
  JsonDocument chain(before_void.out);
  ASSERT_TRUE(chain.ok()) << before_void.out;
  EXPECT_EQ(Str(Get(Entry(chain.root(), low), "effect")), "corrected");
  EXPECT_EQ(Num(Get(Entry(chain.root(), low), "dataInEffect")), static_cast<int64_t>(high));
  EXPECT_EQ(Str(Get(Entry(chain.root(), medium), "effect")), "superseded");
  EXPECT_EQ(Nums(Get(Entry(chain.root(), medium), "correctedBy")),
            std::vector<int64_t>{int64_t(high)});
  EXPECT_EQ(Str(Get(Entry(chain.root(), high), "effect")), "in_effect");
  EXPECT_EQ(Str(Get(Entry(chain.root(), misdirected), "effect")), "ignored");
  EXPECT_TRUE(Get(Entry(chain.root(), misdirected), "anomaly").getBoolean());
  EXPECT_EQ(Str(Get(Entry(chain.root(), note), "effect")), "in_effect");
  EXPECT_TRUE(Nums(Get(Entry(chain.root(), note), "correctedBy")).empty())
      << "an ignored correction corrects nothing";
  EXPECT_EQ(Str(Get(Get(chain.root(), "state"), "risk")), "high");

  // Voiding the last correction gives way to the one it corrected.
  auto ledger = Reopen();
  ASSERT_TRUE(ledger);
  AppendRequest request;
  request.stream = "case-1";
  ProposedEvent& e = request.events.emplace_back();
  e.id = EventId::Random();
  e.type = "EntryVoided";
  e.payload = PayloadFromJson(**LookupEventType("EntryVoided"),
                              R"({"position":)" + std::to_string(high) + R"(,"reason":"wrong"})")
                  .value();
  auto voided = ledger->Append(request);
  ASSERT_TRUE(voided.ok()) << voided.status().ToString();
  ledger.reset();

  ProgramRun after_void = Run({"case-1", "--purpose", "audit", "--format", "json"});
  ASSERT_EQ(after_void.exit_code, 0) << Describe(after_void);
  JsonDocument doc(after_void.out);
  ASSERT_TRUE(doc.ok()) << after_void.out;
  EXPECT_EQ(Str(Get(Entry(doc.root(), high), "effect")), "voided");
  EXPECT_EQ(Nums(Get(Entry(doc.root(), high), "voidedBy")),
            std::vector<int64_t>{int64_t(voided->first_position)});
  EXPECT_EQ(Str(Get(Entry(doc.root(), medium), "effect")), "in_effect");
  EXPECT_EQ(Num(Get(Entry(doc.root(), low), "dataInEffect")), static_cast<int64_t>(medium));
  EXPECT_EQ(Str(Get(Get(doc.root(), "state"), "risk")), "medium");
}

TEST_F(History, PersonalFieldsAreInClearOnlyWithTheMasterKey) {
  s_.Append("case-1", "CaseOpened", s_.DaysAgo(10), "w-2", kChild, "children_director");
  s_.Append("case-1", "NoteAdded", s_.DaysAgo(9), "w-1", R"({"text":"Grandmother is 81."})");
  s_.Close();
  for (const char* format : {"table", "json"}) {
    ProgramRun sealed = Run({"case-1", "--purpose", "audit", "--format", format});
    ASSERT_EQ(sealed.exit_code, 0) << format << ": " << Describe(sealed);
    EXPECT_FALSE(Contains(sealed.out, "Li Mei")) << sealed.out;
    EXPECT_FALSE(Contains(sealed.out, "Grandmother")) << sealed.out;
    EXPECT_TRUE(Contains(sealed.out, std::string(format) == "json" ? "{\"sealed\"" : "[sealed]"))
        << sealed.out;
    EXPECT_TRUE(Contains(sealed.out, "c-1")) << "clear fields stay readable: " << sealed.out;

    ProgramRun clear = RunWithKey({"case-1", "--purpose", "audit", "--format", format});
    ASSERT_EQ(clear.exit_code, 0) << format << ": " << Describe(clear);
    EXPECT_TRUE(Contains(clear.out, "Li Mei")) << clear.out;
    EXPECT_TRUE(Contains(clear.out, "Grandmother is 81.")) << clear.out;
  }
}

TEST_F(History, RefusedRequestsAreClearErrorsAndRecordNothing) {
  s_.Append("case-1", "CaseOpened", s_.DaysAgo(10), "w-2", kChild, "children_director");
  s_.Append("worker-w-1", "WorkerRegistered", s_.DaysAgo(20), "adm",
            R"({"workerId":"w-1","role":"caseworker"})", "admin");
  s_.Close();
  const Position committed = Committed();
  struct Refusal {
    std::vector<std::string> args;
    std::string names;  // what the error message must say
  };
  const std::vector<Refusal> refusals = {
      {{"case-1"}, "--purpose"},
      {{"case-1", "--purpose", ""}, "--purpose"},
      {{"case-1", "--purpose", "   "}, "--purpose"},
      {{"case-404", "--purpose", "audit"}, "no stream \"case-404\""},
      {{"worker-w-1", "--purpose", "audit"}, "not a case stream"},
      {{"case-1", "--purpose", "audit", "--as-of", "yesterday"}, "--as-of"},
      {{"case-1", "--purpose", "audit", "--as-of", "2026-03-01 10:00"}, "--as-of"},
      {{"case-1", "--purpose", "audit", "--at-position", std::to_string(committed + 1)},
       "--at-position: position " + std::to_string(committed + 1) + " is beyond the ledger"},
      {{"case-1", "--purpose", "audit", "--at-position", "1", "--as-of", "2026-01-01"},
       "--at-position"},
      {{"case-1", "--purpose", "audit", "--format", "csv"}, "--format"},
      {{"case-1", "--purpose", "audit", "--actor", "w-1"}, "--actor"},
  };
  for (const Refusal& r : refusals) {
    ProgramRun run = Run(r.args);
    std::string what;
    for (const std::string& a : r.args) what += a + " ";
    EXPECT_NE(run.exit_code, 0) << what << Describe(run);
    EXPECT_TRUE(run.out.empty()) << what << Describe(run);
    EXPECT_TRUE(Contains(run.err, r.names)) << what << "should say " << r.names << "\n"
                                            << Describe(run);
  }
  ProgramRun no_ledger = testing::RunProgram(
      CASELEDGER_BIN, {"history", tmp_.Sub("none"), "case-1", "--purpose", "x"});
  EXPECT_NE(no_ledger.exit_code, 0) << Describe(no_ledger);
  EXPECT_TRUE(no_ledger.out.empty()) << Describe(no_ledger);
  EXPECT_EQ(Committed(), committed) << "a refused request appended something";
}

TEST_F(History, HelpSaysWhatItRecordsTheMomentAndGivesAnExample) {
  ProgramRun help = testing::RunProgram(CASELEDGER_BIN, {"history", "--help"});
  ASSERT_EQ(help.exit_code, 0) << Describe(help);
  for (const char* what : {"CaseHistoryRead", "access-STREAM", "--purpose", "--as-of",
                           "--at-position", "recorded at or before", "Example", "--format"})
    EXPECT_TRUE(Contains(help.out, what)) << what << "\n" << help.out;
  ProgramRun top = testing::RunProgram(CASELEDGER_BIN, {"--help"});
  EXPECT_TRUE(Contains(top.out, "history")) << top.out;
}

}  // namespace
}  // namespace caseledger
