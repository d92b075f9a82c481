// `caseledger import` as an integrator uses it: a file with a bad line writes nothing, a
// failure midway names the line to resume from, and an import killed midway and run
// again leaves every event in the ledger exactly once, in file order.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "caseledger/case_events.h"
#include "caseledger/ledger.h"
#include "files.h"
#include "run_program.h"
#include "temp_dir.h"

extern char** environ;

namespace caseledger {
namespace {

using testing::Contains;
namespace fs = std::filesystem;
using testing::Describe;
using testing::ProgramRun;
using testing::TempDir;

ProgramRun Cli(const std::vector<std::string>& args) {
  return testing::RunProgram(CASELEDGER_BIN, args, 120);
}

std::string Id(uint64_t n) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%032llx", static_cast<unsigned long long>(n + 1));
  return buf;
}

// Line n (from 0) of a realistic file: each case opened, then assessed, then noted.
std::string Line(uint64_t n) {
  const uint64_t c = n / 3;
  const std::string stream = "case-" + std::to_string(c);
  const std::string head = R"({"stream":")" + stream + R"(","eventId":")" + Id(n) +
                           R"(","occurredAt":"2026-03-01T10:00:00Z",)";
  switch (n % 3) {
    case 0:
      return head + R"("type":"CaseOpened","expectedVersion":"no_stream","data":{"childRef":"c-)" +
             std::to_string(c) + R"(","name":"Child )" + std::to_string(c) +
             R"(","sex":"female","ageBand":"6-11","communityCode":"130111200201","identificationChannel":"school","agency":"ca"}})";
    case 1:
      return head +
             R"("type":"RiskAssessed","expectedVersion":0,"data":{"level":"medium","rationale":"r"}})";
    default:
      return head + R"("type":"NoteAdded","expectedVersion":1,"data":{"text":"visited"}})";
  }
}

class Import : public ::testing::Test {
 protected:
  void SetUp() override {
    ProgramRun init = Cli({"init", ledger_, "--master-key-file", key_, "--segment-size", "4MiB"});
    ASSERT_EQ(init.exit_code, 0) << Describe(init);
  }
  void WriteFile(const std::vector<std::string>& lines) {
    std::ofstream out(file_);
    for (const auto& l : lines) out << l << "\n";
  }
  std::vector<std::string> Lines(uint64_t n) {
    std::vector<std::string> lines;
    for (uint64_t i = 0; i < n; ++i) lines.push_back(Line(i));
    return lines;
  }
  std::unique_ptr<Ledger> OpenLedger() {
    LedgerOptions options;
    options.read_only = true;
    options.master_key_file = key_;
    auto ledger = Ledger::Open(ledger_, options);
    EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
    return ledger.ok() ? std::move(*ledger) : nullptr;
  }
  std::vector<std::string> ImportArgs(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"import", ledger_, file_, "--master-key-file", key_};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  TempDir dir_;
  const std::string ledger_ = dir_.Sub("ledger"), key_ = dir_.Sub("master.key"),
                    file_ = dir_.Sub("events.ndjson");
};

TEST_F(Import, AFileWithInvalidLinesWritesNothingAndNamesEachLineAndField) {
  auto lines = Lines(900);  // the lines replaced below are notes, which nothing after them needs
  lines[500] =
      R"({"stream":"case-x","type":"CaseOpened","eventId":")" + Id(5000) +
      R"(","data":{"childRef":"c","name":"n","sex":"boy","ageBand":"6-11","communityCode":"130111200201","identificationChannel":"school","agency":"a"}})";
  lines[701] = R"({"stream":"case-y","type":"NoteAdded","eventId":")" + Id(5001) +
               R"(","data":{"txt":"x"}})";
  lines[800] = "{ not json";
  lines[851] = R"({"stream":"case-y","type":"ErasureCompleted","eventId":")" + Id(5002) +
               R"(","data":{"childRef":"c"}})";
  WriteFile(lines);
  ProgramRun run = Cli(ImportArgs());
  EXPECT_EQ(run.exit_code, 1) << Describe(run);
  EXPECT_TRUE(Contains(run.err, "line 501: data.sex: \"boy\" is not one of female, male, unknown"))
      << Describe(run);
  EXPECT_TRUE(Contains(run.err, "line 702: data.txt: unknown field")) << Describe(run);
  EXPECT_TRUE(Contains(run.err, "line 801: the line is not valid JSON")) << Describe(run);
  EXPECT_TRUE(Contains(run.err, "line 852: ErasureCompleted is written only by an erasure"))
      << Describe(run);
  EXPECT_TRUE(Contains(run.err, "4 of 900 lines")) << Describe(run);
  EXPECT_TRUE(Contains(run.err, "nothing was written")) << Describe(run);
  EXPECT_EQ(OpenLedger()->CommittedPosition(), 0u);

  // --skip-invalid writes the rest and hands the rejects back with their reasons.
  const std::string rejects = dir_.Sub("rejects.tsv");
  run = Cli(ImportArgs({"--skip-invalid", rejects}));
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_TRUE(Contains(run.out, "896 appended")) << Describe(run);
  std::ifstream in(rejects);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first.rfind("501\tdata.sex: ", 0), 0u) << first;
  EXPECT_TRUE(Contains(first, "\t" + lines[500])) << first;
  EXPECT_EQ(OpenLedger()->CommittedPosition(), 896u);
}

TEST_F(Import, AConflictMidwayStopsAtItsLineAndTheSameImportFinishesOnceItIsResolved) {
  auto lines = Lines(30);
  // Another writer got to case-5 first: line 16 (its CaseOpened) now conflicts.
  LedgerOptions options;
  options.master_key_file = key_;
  {
    auto writer = Ledger::Open(ledger_, options);
    ASSERT_TRUE(writer.ok());
    auto line = ParseEventLine(R"({"stream":"case-5","type":"RiskAssessed","eventId":")" +
                               Id(9999) + R"(","data":{"level":"low"}})");
    ASSERT_TRUE(line.ok()) << line.status().ToString();
    AppendRequest r{line->stream, line->expected_version, {line->event}};
    ASSERT_TRUE((*writer)->Append(r).ok());
  }
  WriteFile(lines);
  ProgramRun run = Cli(ImportArgs({"--batch", "4"}));
  EXPECT_EQ(run.exit_code, 1) << Describe(run);
  EXPECT_TRUE(Contains(run.err, "stopped at line 16")) << Describe(run);
  EXPECT_TRUE(Contains(run.err, "WrongExpectedVersion")) << Describe(run);
  EXPECT_TRUE(Contains(run.err, "run the same import again")) << Describe(run);
  // Whole batches before the failing one are in; the failing batch (lines 13-16) is not.
  EXPECT_EQ(OpenLedger()->CommittedPosition(), 1u + 12u);

  // Resolving the conflict (here: the line now expects what is there) and running the same
  // import again appends the rest and recognises the first 12 lines.
  lines[15] =
      R"({"stream":"case-5","type":"CaseOpened","expectedVersion":0,"eventId":")" + Id(15) +
      R"(","data":{"childRef":"c-5","name":"Child 5","sex":"female","ageBand":"6-11","communityCode":"130111200201","identificationChannel":"school","agency":"ca"}})";
  for (size_t i = 16; i < 18; ++i)  // the rest of case-5 expects versions one higher now
    lines[i] = lines[i].replace(lines[i].find("\"expectedVersion\":"), 19,
                                "\"expectedVersion\":" + std::to_string(i - 15));
  WriteFile(lines);
  run = Cli(ImportArgs({"--batch", "4"}));
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_TRUE(Contains(run.out, "18 appended")) << Describe(run);
  EXPECT_TRUE(Contains(run.out, "12 already in the ledger")) << Describe(run);
  EXPECT_EQ(OpenLedger()->CommittedPosition(), 31u);
}

TEST_F(Import, AnImportKilledMidwayAndRunAgainHoldsEveryEventOnceInFileOrder) {
  constexpr uint64_t kLines = 30'000;
  WriteFile(Lines(kLines));
  // Start the import and kill it once part of the file is in.
  auto args = ImportArgs({"--batch", "100"});
  std::vector<std::string> storage = {CASELEDGER_BIN};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, CASELEDGER_BIN, nullptr, nullptr, argv.data(), environ), 0);
  Position seen = 0;
  for (int i = 0; i < 6000 && seen < 3000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    LedgerOptions options;
    options.read_only = true;
    if (auto ledger = Ledger::Open(ledger_, options); ledger.ok())
      seen = (*ledger)->CommittedPosition();
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the import finished before it could be interrupted";
  ASSERT_GT(seen, 0u);

  ProgramRun again = Cli(ImportArgs({"--batch", "100"}));
  ASSERT_EQ(again.exit_code, 0) << Describe(again);
  EXPECT_TRUE(Contains(again.out, "imported 30,000 events")) << Describe(again);

  auto ledger = OpenLedger();
  ASSERT_EQ(ledger->CommittedPosition(), kLines);
  std::set<std::string> ids;
  uint64_t n = 0;
  ASSERT_TRUE(
      ledger
          ->ScanAll(1, 0,
                    [&](const EventView& v) {
                      EventId event_id;
                      std::copy(v.event_id.begin(), v.event_id.end(), event_id.bytes.begin());
                      const std::string id = event_id.ToHex();
                      EXPECT_EQ(id, Id(n)) << "position " << v.position << " holds line " << id;
                      ids.insert(id);
                      ++n;
                      return true;
                    })
          .ok());
  EXPECT_EQ(ids.size(), kLines);
}

TEST_F(Import, RunningACompletedImportAgainWritesNothing) {
  WriteFile(Lines(300));
  ASSERT_EQ(Cli(ImportArgs()).exit_code, 0);
  ProgramRun again = Cli(ImportArgs({"--batch", "7"}));  // other batch boundaries too
  ASSERT_EQ(again.exit_code, 0) << Describe(again);
  EXPECT_TRUE(Contains(again.out, "0 appended, 300 already in the ledger")) << Describe(again);
  EXPECT_EQ(OpenLedger()->CommittedPosition(), 300u);
}

TEST_F(Import, PersonalFieldsNeedTheMasterKeyBeforeAnythingIsWritten) {
  WriteFile(Lines(30));
  ::unsetenv("CASELEDGER_MASTER_KEY_FILE");
  ProgramRun run = Cli({"import", ledger_, file_});
  EXPECT_EQ(run.exit_code, 1) << Describe(run);
  EXPECT_TRUE(Contains(run.err, "master key")) << Describe(run);
  EXPECT_EQ(OpenLedger()->CommittedPosition(), 0u);
}

}  // namespace
}  // namespace caseledger
