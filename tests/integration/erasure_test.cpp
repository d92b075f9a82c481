// caseledger erase: a child's personal data erased for good by destroying the child's
// keys, while verify, proofs and earlier checkpoints stay valid. The raw files of the
// ledger directory are searched for what must be gone: the child's name and free text,
// the child's key in clear, and the key's sealed record.
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "caseledger/case_events.h"
#include "caseledger/ledger.h"
#include "files.h"
#include "key_evidence.h"
#include "run_program.h"
#include "scenario_ledger.h"
#include "schema/case_events.capnp.h"
#include "temp_dir.h"

namespace caseledger {
namespace {

namespace fs = std::filesystem;
using testing::CaseOpenedJson;
using testing::Describe;
using testing::EventData;
using testing::EvidenceOf;
using testing::FileHolding;
using testing::KeyEvidence;
using testing::OneEvent;
using testing::ProgramRun;
using testing::RunProgram;
using testing::ScenarioLedger;
using testing::TempDir;

constexpr const char* kName = "Li Mei";
constexpr const char* kRationale = "Grandfather Zhang Jianguo drinks at night";
constexpr const char* kOtherName = "Wang Fang";

// Two cases of child c-1 (the second after a re-referral), one of child c-2.
class Erasure : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("CASELEDGER_MASTER_KEY_FILE");
    ScenarioLedger s(dir_);
    s.Append("case-1", "CaseOpened", s.DaysAgo(40), "w-1", CaseOpenedJson("c-1", kName));
    s.Append("case-1", "RiskAssessed", s.DaysAgo(39), "w-1",
             std::string(R"({"level":"high","rationale":")") + kRationale + R"("})");
    s.Append("case-2", "CaseOpened", s.DaysAgo(30), "w-1", CaseOpenedJson("c-2", kOtherName));
    s.Append("case-5", "CaseOpened", s.DaysAgo(10), "w-1", CaseOpenedJson("c-1", kName));
  }

  ProgramRun Cli(std::vector<std::string> args) { return RunProgram(CASELEDGER_BIN, args, 60); }
  ProgramRun Erase(const std::string& child, const std::string& reason) {
    return Cli({"erase", dir_, "--child", child, "--reason", reason, "--master-key-file", key_});
  }

  std::unique_ptr<Ledger> Open(bool read_only = false) {
    LedgerOptions options;
    options.master_key_file = key_;
    options.read_only = read_only;
    auto ledger = Ledger::Open(dir_, options);
    EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
    return ledger.ok() ? std::move(*ledger) : nullptr;
  }

  TempDir tmp_;
  std::string dir_ = tmp_.Sub("ledger");
  std::string key_ = dir_ + ".key";
};

TEST_F(Erasure, TheChildsKeyAndPersonalDataAreGoneFromEveryFileAndEveryProofHolds) {
  const KeyEvidence first = EvidenceOf(dir_, key_, "case-1"),
                    second = EvidenceOf(dir_, key_, "case-5");
  ASSERT_EQ(first.key.size(), 32u);
  ASSERT_EQ(second.key.size(), 32u);
  // Before: the sealed keys are in the key store, and the master key opens the name.
  EXPECT_EQ(FileHolding(dir_, first.sealed_record), dir_ + "/keys/journal");
  EXPECT_EQ(FileHolding(dir_, second.sealed_record), dir_ + "/keys/journal");
  {
    auto ledger = Open();
    ASSERT_NE(ledger, nullptr);
    EXPECT_NE(EventData(*ledger, "case-1", 0).find(kName), std::string::npos);
  }
  // A checkpoint signed before the erasure, held by an auditor.
  const std::string signing = tmp_.Sub("signing.key"), held = tmp_.Sub("held.json");
  ASSERT_EQ(Cli({"keygen", "--out", signing}).exit_code, 0);
  ProgramRun signed_run = Cli({"checkpoint", dir_, "--key", signing});
  ASSERT_EQ(signed_run.exit_code, 0) << Describe(signed_run);
  ASSERT_EQ(Cli({"checkpoint", dir_, "--export", held}).exit_code, 0);

  ProgramRun erased = Erase("c-1", "Guardian's request, ticket 2026-118");
  ASSERT_EQ(erased.exit_code, 0) << Describe(erased);
  EXPECT_NE(erased.out.find("case-1, case-5"), std::string::npos) << erased.out;

  // A backup taken after the erasure holds none of it either.
  ProgramRun backup = Cli({"backup", dir_, tmp_.Sub("backup-after"), "--master-key-file", key_});
  ASSERT_EQ(backup.exit_code, 0) << Describe(backup);

  // Nothing of it is left in any file of the ledger directory, the backup, or beside them.
  for (const std::string& needle :
       {first.key, second.key, first.sealed_record, second.sealed_record, std::string(kName),
        std::string(kRationale)}) {
    EXPECT_EQ(FileHolding(tmp_.path(), needle), "")
        << "still on disk (" << needle.size() << " bytes)";
  }

  auto ledger = Open();
  ASSERT_NE(ledger, nullptr);
  // The child's fields read as erased, with the master key; the other child's are intact.
  const std::string name = EventData(*ledger, "case-1", 0);
  EXPECT_NE(name.find(R"("name":{"erased":")"), std::string::npos) << name;
  EXPECT_NE(EventData(*ledger, "case-1", 1).find(R"("rationale":{"erased":")"), std::string::npos);
  EXPECT_NE(EventData(*ledger, "case-5", 0).find(R"("name":{"erased":")"), std::string::npos);
  EXPECT_NE(EventData(*ledger, "case-2", 0).find(kOtherName), std::string::npos);
  // The request and its completion are recorded in each of the child's cases.
  for (const std::string stream : {"case-1", "case-5"}) {
    auto events = ledger->ReadStream(stream, 0, Direction::kForward, 100);
    ASSERT_TRUE(events.ok());
    ASSERT_GE(events->size(), 3u);
    const RecordedEvent& requested = (*events)[events->size() - 2];
    const RecordedEvent& completed = events->back();
    EXPECT_EQ(requested.event.type, "ErasureRequested") << stream;
    EXPECT_EQ(completed.event.type, "ErasureCompleted") << stream;
    EXPECT_NE(EventData(*ledger, stream, requested.stream_version).find("ticket 2026-118"),
              std::string::npos);
  }
  // No personal field can be added to an erased child's case.
  const AppendRequest more = OneEvent("case-1", "NoteAdded", R"({"text":"new"})");
  auto refused = ledger->Append(more);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("erased"), std::string::npos)
      << refused.status().ToString();
  const uint64_t size = ledger->CommittedPosition();
  ledger.reset();

  // Every hash still holds: verify, and the checkpoint signed before the erasure.
  ProgramRun verify =
      Cli({"verify", dir_, "--trusted-checkpoint", held, "--public-key", signing + ".pub"});
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);

  // The backup taken after the erasure restores a ledger where the child stays erased.
  ProgramRun restore = Cli({"restore", tmp_.Sub("backup-after"), tmp_.Sub("restored")});
  ASSERT_EQ(restore.exit_code, 0) << Describe(restore);
  {
    LedgerOptions options;
    options.master_key_file = key_;
    auto restored = Ledger::Open(tmp_.Sub("restored"), options);
    ASSERT_TRUE(restored.ok()) << restored.status().ToString();
    EXPECT_NE(EventData(**restored, "case-1", 0).find(R"("name":{"erased":")"), std::string::npos);
    EXPECT_NE(EventData(**restored, "case-2", 0).find(kOtherName), std::string::npos);
  }

  // Running it again finds nothing to do and appends nothing.
  ProgramRun again = Erase("c-1", "Guardian's request, ticket 2026-118");
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
  EXPECT_NE(again.out.find("erased already"), std::string::npos) << again.out;
  EXPECT_EQ(Open(true)->CommittedPosition(), size);
}

TEST_F(Erasure, RefusedRequestsChangeNothing) {
  const std::string journal_before = testing::ReadFile(dir_ + "/keys/journal");
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::string wrong_key = tmp_.Sub("wrong.key");
  ASSERT_TRUE(CreateMasterKeyFile(wrong_key).ok());
  const std::vector<Case> cases = {
      {{"erase", dir_, "--child", "c-404", "--reason", "x", "--master-key-file", key_},
       "no personal data of child \"c-404\""},
      {{"erase", dir_, "--child", "c-1", "--reason", "  ", "--master-key-file", key_}, "--reason"},
      {{"erase", dir_, "--child", "c-1", "--reason", "x", "--master-key-file", wrong_key},
       "wrong master key"},
      {{"erase", dir_, "--child", "c-1", "--reason", "x"}, "master key"},
      {{"erase", dir_, "--reason", "x", "--master-key-file", key_}, "--child"},
  };
  for (const Case& c : cases) {
    ProgramRun run = Cli(c.args);
    EXPECT_NE(run.exit_code, 0) << Describe(run);
    EXPECT_NE(run.err.find(c.says), std::string::npos) << c.says << "\n" << Describe(run);
  }
  EXPECT_EQ(testing::ReadFile(dir_ + "/keys/journal"), journal_before);
  EXPECT_FALSE(fs::exists(dir_ + "/keys/erased"));
  auto ledger = Open(true);
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(ledger->CommittedPosition(), 4u);
  EXPECT_NE(EventData(*ledger, "case-1", 0).find(kName), std::string::npos);
}

// A crash after the tombstones were made durable but before the journal was rewritten:
// the old journal, with the key's record, is what the disk holds. The next writer finishes
// the erasure; until then no one uses the key.
TEST_F(Erasure, ACrashBeforeTheJournalIsRewrittenIsFinishedByTheNextWriter) {
  const KeyEvidence evidence = EvidenceOf(dir_, key_, "case-1");
  const std::string journal = dir_ + "/keys/journal";
  const std::string before = testing::ReadFile(journal);
  {
    auto ledger = Open();
    ASSERT_NE(ledger, nullptr);
    auto erased = ledger->EraseChild("c-1", "request", Actor{"adm", "admin", ""});
    ASSERT_TRUE(erased.ok()) << erased.status().ToString();
  }
  testing::WriteFile(journal, before);  // the state the crash left
  ASSERT_EQ(FileHolding(dir_, evidence.sealed_record), journal);
  {
    // A reader does not use it,
    auto reader = Open(/*read_only=*/true);
    ASSERT_NE(reader, nullptr);
    EXPECT_NE(EventData(*reader, "case-1", 0).find(R"({"erased":")"), std::string::npos);
  }
  // and the next writer removes it.
  auto writer = Open();
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(FileHolding(dir_, evidence.sealed_record), "");
  EXPECT_NE(EventData(*writer, "case-1", 0).find(R"({"erased":")"), std::string::npos);
  EXPECT_NE(EventData(*writer, "case-2", 0).find(kOtherName), std::string::npos);
}

// A reader that opened the ledger (and so the child's key) before the erasure stops
// opening the child's fields at once: it looks for new tombstones at every key lookup.
TEST_F(Erasure, AReaderOpenedBeforeTheErasureStopsOpeningTheChildsFields) {
  auto writer = Open();
  ASSERT_NE(writer, nullptr);
  auto reader = Open(/*read_only=*/true);
  ASSERT_NE(reader, nullptr);
  EXPECT_NE(EventData(*reader, "case-1", 0).find(kName), std::string::npos);
  ASSERT_TRUE(writer->EraseChild("c-1", "request", Actor{"adm", "admin", ""}).ok());
  EXPECT_NE(EventData(*reader, "case-1", 0).find(R"({"erased":")"), std::string::npos);
  EXPECT_NE(EventData(*reader, "case-2", 0).find(kOtherName), std::string::npos);
  // A key created after the erasure, in the journal that replaced the one the reader
  // opened, opens too.
  const AppendRequest opening = OneEvent("case-7", "CaseOpened", CaseOpenedJson("c-7", "Zhao Lei"));
  ASSERT_TRUE(writer->Append(opening).ok());
  ASSERT_TRUE(reader->Refresh().ok());
  EXPECT_NE(EventData(*reader, "case-7", 0).find("Zhao Lei"), std::string::npos);
}

// "Erased for everyone": a reader without the master key sees the child's fields as
// erased too (the tombstones are not secret), other children's as sealed. A redacted
// copy (what the server's whole-log readers get) keeps the key id and nothing else.
TEST_F(Erasure, EveryReaderSeesTheErasureAndRedactionLeavesNoCiphertext) {
  ASSERT_TRUE(Open()->EraseChild("c-1", "request", Actor{"adm", "admin", ""}).ok());
  LedgerOptions keyless;
  keyless.read_only = true;
  auto ledger = Ledger::Open(dir_, keyless);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  EXPECT_NE(EventData(**ledger, "case-1", 1).find(R"("rationale":{"erased":")"), std::string::npos);
  EXPECT_NE(EventData(**ledger, "case-2", 0).find(R"("name":{"sealed":")"), std::string::npos);
  ProgramRun read = Cli({"read", dir_, "case-5", "--format", "json"});
  ASSERT_EQ(read.exit_code, 0) << Describe(read);
  EXPECT_NE(read.out.find(R"("name":{"erased":")"), std::string::npos) << read.out;

  // Redacted, with or without the master key: erased stays erased, the rest redacted.
  auto expect_redacted = [](Ledger& reader) {
    auto events = reader.ReadAll(1, 100);
    ASSERT_TRUE(events.ok());
    const std::vector<RecordedEvent> stored = *events;
    ASSERT_TRUE(reader.RedactPersonalFields(*events).ok());
    for (size_t i = 0; i < events->size(); ++i) {
      const RecordedEvent& e = (*events)[i];
      if (e.event.type != "CaseOpened" && e.event.type != "RiskAssessed") continue;
      auto json = PayloadToJson(**LookupEventType(e.event.type), e.event.payload);
      ASSERT_TRUE(json.ok()) << json.status().ToString();
      const bool erased = e.stream != "case-2";
      EXPECT_NE(json->find(erased ? R"({"erased":")" : R"({"redacted":")"), std::string::npos)
          << e.stream << ": " << *json;
      EXPECT_EQ(json->find(kOtherName), std::string::npos);
      // The ciphertext is gone from the bytes, not only from the JSON.
      capnp::FlatArrayMessageReader message(kj::ArrayPtr<const capnp::word>(
          reinterpret_cast<const capnp::word*>(stored[i].event.payload.data()),
          stored[i].event.payload.size() / 8));
      const auto sealed = e.event.type == "CaseOpened"
                              ? message.getRoot<schema::CaseOpened>().getName()
                              : message.getRoot<schema::RiskAssessed>().getRationale();
      ASSERT_TRUE(sealed.isLocked());
      const auto ciphertext = sealed.getLocked().getCiphertext();
      EXPECT_EQ(e.event.payload.find(std::string(reinterpret_cast<const char*>(ciphertext.begin()),
                                                 ciphertext.size())),
                std::string::npos)
          << e.stream;
    }
  };
  expect_redacted(**ledger);
  expect_redacted(*Open(/*read_only=*/true));
}

}  // namespace
}  // namespace caseledger

namespace caseledger {
namespace {

// The figures never used personal data, so an erasure changes none of them.
TEST(ErasureFigures, EveryFigureIsTheSameAfterTheErasure) {
  ::unsetenv("CASELEDGER_MASTER_KEY_FILE");
  TempDir tmp;
  ScenarioLedger s(tmp.Sub("ledger"));
  s.Append("case-1", "CaseOpened", s.DaysAgo(40), "w-1", CaseOpenedJson("c-1", kName));
  s.Append("case-1", "RiskAssessed", s.DaysAgo(39), "w-1",
           std::string(R"({"level":"high","rationale":")") + kRationale + R"("})");
  s.Append("case-2", "CaseOpened", s.DaysAgo(30), "w-1", CaseOpenedJson("c-2", kOtherName));
  s.Append("case-5", "CaseOpened", s.DaysAgo(10), "w-1", CaseOpenedJson("c-1", kName));
  const std::vector<std::pair<std::string, std::string>> queries = {{"caseload", "open_cases"},
                                                                    {"caseload", "overdue"},
                                                                    {"caseload", "caseload_bands"},
                                                                    {"referrals", "by_state"}};
  std::vector<std::string> before;
  for (const auto& [plugin, query] : queries) before.push_back(s.QueryCsv(plugin, query));
  ASSERT_NE(before[0].find("13,w-1,3,1,0,0,2"), std::string::npos) << before[0];

  auto erased = s.ledger().EraseChild("c-1", "request", Actor{"adm", "admin", ""});
  ASSERT_TRUE(erased.ok()) << erased.status().ToString();
  ASSERT_EQ(erased->completed.size(), 2u);
  for (size_t i = 0; i < queries.size(); ++i)
    EXPECT_EQ(s.QueryCsv(queries[i].first, queries[i].second), before[i]) << queries[i].second;
}

}  // namespace
}  // namespace caseledger

namespace caseledger {
namespace {

// caseledger keys rotate: the old master key opens nothing afterwards, here or in a
// backup taken afterwards; a backup taken before still needs the old one.
TEST_F(Erasure, RotatingTheMasterKeyLeavesTheOldOneUseless) {
  const std::string before_backup = tmp_.Sub("backup-before");
  ASSERT_EQ(Cli({"backup", dir_, before_backup, "--master-key-file", key_}).exit_code, 0);
  ASSERT_EQ(Erase("c-1", "request").exit_code, 0);
  const std::string old_journal = testing::ReadFile(dir_ + "/keys/journal");

  const std::string next = tmp_.Sub("next.key");
  ProgramRun rotated =
      Cli({"keys", "rotate", dir_, "--master-key-file", key_, "--new-master-key-file", next});
  ASSERT_EQ(rotated.exit_code, 0) << Describe(rotated);
  EXPECT_TRUE(fs::exists(next));
  EXPECT_NE(testing::ReadFile(dir_ + "/keys/journal"), old_journal);
  EXPECT_FALSE(fs::exists(dir_ + "/keys.new"));
  EXPECT_FALSE(fs::exists(dir_ + "/keys.old"));

  // The old key is refused; the new one opens the live children, the erased stay erased.
  LedgerOptions old_options;
  old_options.master_key_file = key_;
  auto refused = Ledger::Open(dir_, old_options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("wrong master key"), std::string::npos);
  key_ = next;
  {
    auto ledger = Open();
    ASSERT_NE(ledger, nullptr);
    EXPECT_NE(EventData(*ledger, "case-2", 0).find(kOtherName), std::string::npos);
    EXPECT_NE(EventData(*ledger, "case-1", 0).find(R"({"erased":")"), std::string::npos);
    // New children get keys under the new master key too.
    ASSERT_TRUE(
        ledger->Append(OneEvent("case-8", "CaseOpened", CaseOpenedJson("c-8", "Sun Li"))).ok());
    EXPECT_NE(EventData(*ledger, "case-8", 0).find("Sun Li"), std::string::npos);
  }
  ProgramRun verify = Cli({"verify", dir_});
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);

  // The backup taken before the rotation opens with the old key only.
  ASSERT_EQ(Cli({"restore", before_backup, tmp_.Sub("restored-before")}).exit_code, 0);
  LedgerOptions new_options;
  new_options.master_key_file = next;
  auto with_new = Ledger::Open(tmp_.Sub("restored-before"), new_options);
  ASSERT_FALSE(with_new.ok());
  EXPECT_NE(with_new.status().message().find("wrong master key"), std::string::npos);

  // Rotating to the key in use is refused and changes nothing.
  ProgramRun same =
      Cli({"keys", "rotate", dir_, "--master-key-file", next, "--new-master-key-file", next});
  EXPECT_NE(same.exit_code, 0);
  EXPECT_NE(same.err.find("the one in use"), std::string::npos) << Describe(same);
}

// A rotation a crash interrupted: before the swap the old store stays (its key opens it);
// after the first rename the new one is put in place by the next writer.
TEST_F(Erasure, AnInterruptedRotationIsFinishedOrDroppedByTheNextWriter) {
  // Before the swap: a complete keys.new beside the old store is dropped.
  fs::copy(dir_ + "/keys", dir_ + "/keys.new");
  {
    auto ledger = Open();
    ASSERT_NE(ledger, nullptr);
    EXPECT_NE(EventData(*ledger, "case-1", 0).find(kName), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(dir_ + "/keys.new"));
  // After the first rename: keys.old and keys.new, no keys.
  fs::rename(dir_ + "/keys", dir_ + "/keys.old");
  fs::copy(dir_ + "/keys.old", dir_ + "/keys.new");
  {
    auto reader = Ledger::Open(dir_, [&] {
      LedgerOptions o;
      o.master_key_file = key_;
      o.read_only = true;
      return o;
    }());
    ASSERT_FALSE(reader.ok());
    EXPECT_NE(reader.status().message().find("rotation"), std::string::npos)
        << reader.status().ToString();
  }
  auto writer = Open();
  ASSERT_NE(writer, nullptr);
  EXPECT_NE(EventData(*writer, "case-1", 0).find(kName), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ + "/keys/journal"));
  EXPECT_FALSE(fs::exists(dir_ + "/keys.new"));
  EXPECT_FALSE(fs::exists(dir_ + "/keys.old"));
}

}  // namespace
}  // namespace caseledger
