// caseledger keys backup / keys restore: the child-key store backed up alone, beside a
// running writer, and restored into a ledger that lost it. A key backup taken before an
// erasure must never bring the erased child back: the raw files of the ledger directory
// are searched for the child's key and its sealed record after the restore. Every refusal
// must leave the ledger directory as it was.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "caseledger/checkpoint.h"
#include "caseledger/key_backup.h"
#include "caseledger/ledger.h"
#include "files.h"
#include "key_evidence.h"
#include "run_program.h"
#include "scenario_ledger.h"
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
constexpr const char* kOtherName = "Wang Fang";

AppendRequest Opening(const std::string& stream, const std::string& child,
                      const std::string& name) {
  return OneEvent(stream, "CaseOpened", CaseOpenedJson(child, name));
}

AppendRequest Note(const std::string& stream, const std::string& text) {
  return OneEvent(stream, "NoteAdded", R"({"text":")" + text + R"("})");
}

// Every file under `dir` but DIR/run (the running processes'), with its bytes: what a
// refusal must leave exactly as it was.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string relative = fs::relative(entry.path(), dir).string();
    if (relative.starts_with("run")) continue;
    files[relative] = entry.is_regular_file() ? testing::ReadFile(entry.path().string()) : "<dir>";
  }
  return files;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Two cases of child c-1 (case-1, case-5), one of child c-2 (case-2).
class KeyBackup : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("CASELEDGER_MASTER_KEY_FILE");
    ScenarioLedger s(dir_);
    s.Append("case-1", "CaseOpened", s.DaysAgo(40), "w-1", CaseOpenedJson("c-1", kName));
    s.Append("case-1", "RiskAssessed", s.DaysAgo(39), "w-1",
             R"({"level":"high","rationale":"Grandfather drinks at night"})");
    s.Append("case-2", "CaseOpened", s.DaysAgo(30), "w-1", CaseOpenedJson("c-2", kOtherName));
    s.Append("case-5", "CaseOpened", s.DaysAgo(10), "w-1", CaseOpenedJson("c-1", kName));
  }

  ProgramRun Cli(std::vector<std::string> args) { return RunProgram(CASELEDGER_BIN, args, 60); }
  ProgramRun BackUp(const std::string& dest, const std::string& key) {
    return Cli({"keys", "backup", dir_, "--to", dest, "--master-key-file", key});
  }
  ProgramRun Restore(const std::string& from, const std::string& key) {
    return Cli({"keys", "restore", dir_, "--from", from, "--master-key-file", key});
  }
  ProgramRun Erase(const std::string& child) {
    return Cli({"erase", dir_, "--child", child, "--reason", "request", "--master-key-file", key_});
  }

  std::unique_ptr<Ledger> Open(bool read_only = false) {
    LedgerOptions options;
    options.master_key_file = key_;
    options.read_only = read_only;
    auto ledger = Ledger::Open(dir_, options);
    EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
    return ledger.ok() ? std::move(*ledger) : nullptr;
  }

  // The JSON data of event `version` of `stream`, personal fields opened where possible,
  // through a reader opened for this one read.
  std::string Data(const std::string& stream, StreamVersion version = 0) {
    auto ledger = Open(/*read_only=*/true);
    return ledger ? EventData(*ledger, stream, version) : "";
  }

  // Appends `requests` through a writer closed again before this returns: the CLI runs that
  // follow (keys restore, erase) want the ledger without a writer. Callers wrap it in
  // ASSERT_NO_FATAL_FAILURE, as a refused append ends the test.
  void AppendAndClose(const std::vector<AppendRequest>& requests) {
    auto writer = Open();
    ASSERT_NE(writer, nullptr);
    for (const AppendRequest& request : requests) {
      auto appended = writer->Append(request);
      ASSERT_TRUE(appended.ok()) << request.stream << ": " << appended.status().ToString();
    }
  }

  TempDir tmp_;
  std::string dir_ = tmp_.Sub("ledger");
  std::string key_ = dir_ + ".key";
  std::string backup_ = tmp_.Sub("keys-backup");
};

TEST_F(KeyBackup, ALostKeyStoreIsRestoredAndItsSealedFieldsOpenAgain) {
  ProgramRun taken = BackUp(backup_, key_);
  ASSERT_EQ(taken.exit_code, 0) << Describe(taken);
  EXPECT_NE(taken.out.find("backed up 3 child keys"), std::string::npos) << taken.out;
  // The layout: DEST/keys 0700, its files 0600, the manifest written last.
  EXPECT_EQ(ModeOf(backup_), 0700u);
  EXPECT_EQ(ModeOf(backup_ + "/keys"), 0700u);
  for (const char* name : {"/keys/check", "/keys/journal", "/KEYS-BACKUP"})
    EXPECT_EQ(ModeOf(backup_ + name), 0600u) << name;
  EXPECT_FALSE(fs::exists(backup_ + "/keys/erased"));
  auto manifest = ReadKeyBackupManifest(backup_);
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  EXPECT_EQ(manifest->keys, 3u);
  EXPECT_EQ(manifest->erased, 0u);
  EXPECT_EQ(manifest->ledger_id, BytesToHex(Open(true)->LedgerId()));
  ASSERT_EQ(manifest->files.size(), 2u);
  EXPECT_EQ(manifest->files[1].name, "keys/journal");
  EXPECT_EQ(manifest->files[1].bytes, fs::file_size(backup_ + "/keys/journal"));

  // DIR/keys is lost: the master key opens nothing any more.
  fs::remove_all(dir_ + "/keys");
  LedgerOptions options;
  options.master_key_file = key_;
  ASSERT_FALSE(Ledger::Open(dir_, options).ok());

  ProgramRun restored = Restore(backup_, key_);
  ASSERT_EQ(restored.exit_code, 0) << Describe(restored);
  EXPECT_NE(restored.out.find("restored 3 child keys"), std::string::npos) << restored.out;
  EXPECT_EQ(restored.out.find("erased again"), std::string::npos) << restored.out;
  EXPECT_EQ(restored.out.find("recorded as erased"), std::string::npos) << restored.out;
  EXPECT_EQ(restored.out.find("now lost"), std::string::npos) << restored.out;
  EXPECT_EQ(ModeOf(dir_ + "/keys"), 0700u);
  EXPECT_FALSE(fs::exists(dir_ + "/keys.restore"));
  EXPECT_NE(Data("case-1").find(kName), std::string::npos);
  EXPECT_NE(Data("case-1", 1).find("Grandfather"), std::string::npos);
  EXPECT_NE(Data("case-2").find(kOtherName), std::string::npos);
  ProgramRun verify = Cli({"verify", dir_, "--master-key-file", key_});
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);
  // The writer opens it and goes on adding keys.
  ASSERT_NO_FATAL_FAILURE(AppendAndClose({Opening("case-8", "c-8", "Sun Li")}));
  EXPECT_NE(Data("case-8").find("Sun Li"), std::string::npos);
}

TEST_F(KeyBackup, AKeyBackupTakenBeforeAnErasureKeepsTheChildErased) {
  const KeyEvidence first = EvidenceOf(dir_, key_, "case-1"),
                    second = EvidenceOf(dir_, key_, "case-5");
  ASSERT_EQ(first.key.size(), 32u);
  ASSERT_EQ(second.sealed_record.size(), 72u);
  ASSERT_EQ(BackUp(backup_, key_).exit_code, 0);
  ProgramRun erased = Erase("c-1");
  ASSERT_EQ(erased.exit_code, 0) << Describe(erased);
  fs::remove_all(dir_ + "/keys");

  ProgramRun restored = Restore(backup_, key_);
  ASSERT_EQ(restored.exit_code, 0) << Describe(restored);
  EXPECT_NE(restored.out.find("restored 1 child keys"), std::string::npos) << restored.out;
  EXPECT_NE(restored.out.find("erased again, as the log records (the backup predates their "
                              "erasure): c-1\n"),
            std::string::npos)
      << restored.out;
  // The child reads erased, the other child in clear.
  EXPECT_NE(Data("case-1").find(R"("name":{"erased":")"), std::string::npos) << Data("case-1");
  EXPECT_NE(Data("case-1", 1).find(R"("rationale":{"erased":")"), std::string::npos);
  EXPECT_NE(Data("case-5").find(R"("name":{"erased":")"), std::string::npos);
  EXPECT_NE(Data("case-2").find(kOtherName), std::string::npos);
  // Neither the child's keys nor their sealed records are in any file of the ledger
  // directory (DIR/keys.restore included: it is gone).
  for (const std::string& needle :
       {first.key, second.key, first.sealed_record, second.sealed_record}) {
    EXPECT_EQ(FileHolding(dir_, needle), "") << "still on disk (" << needle.size() << " bytes)";
  }
  // The key backup itself still holds them, sealed under the master key: rotating the
  // master key (and destroying the old one) is what shreds it (docs/privacy.md).
  EXPECT_EQ(FileHolding(backup_, first.sealed_record), backup_ + "/keys/journal");
  EXPECT_EQ(Cli({"verify", dir_}).exit_code, 0);
  ProgramRun again = Erase("c-1");
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
  EXPECT_NE(again.out.find("erased already"), std::string::npos) << again.out;
}

// An erasure destroys the keys of the cases it is recorded in. A case opened for the same
// child afterwards has a key that was never erased: the restore keeps it.
TEST_F(KeyBackup, ACaseOpenedAfterTheErasureKeepsItsKey) {
  ASSERT_EQ(Erase("c-1").exit_code, 0);
  ASSERT_NO_FATAL_FAILURE(AppendAndClose({Opening("case-9", "c-1", "Li Mei again")}));
  ProgramRun taken = BackUp(backup_, key_);
  ASSERT_EQ(taken.exit_code, 0) << Describe(taken);
  EXPECT_NE(taken.out.find("2 child keys and 2 erased case streams' tombstones"), std::string::npos)
      << taken.out;
  fs::remove_all(dir_ + "/keys");
  ProgramRun restored = Restore(backup_, key_);
  ASSERT_EQ(restored.exit_code, 0) << Describe(restored);
  EXPECT_EQ(restored.out.find("erased again"), std::string::npos) << restored.out;
  EXPECT_NE(Data("case-9").find("Li Mei again"), std::string::npos);
  EXPECT_NE(Data("case-1").find(R"({"erased":")"), std::string::npos);
}

// The backup only reads DIR: it runs while a writer has the ledger open and appends. What
// the writer does after it (a new case, an erasure) is what the restore reports and redoes.
TEST_F(KeyBackup, BacksUpBesideARunningWriterAndTheRestoreRedoesWhatCameAfter) {
  auto writer = Open();
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Append(Opening("case-7", "c-7", "Zhao Lei")).ok());
  ProgramRun taken = BackUp(backup_, key_);
  ASSERT_EQ(taken.exit_code, 0) << Describe(taken);
  EXPECT_NE(taken.out.find("backed up 4 child keys"), std::string::npos) << taken.out;
  ASSERT_TRUE(writer->Append(Opening("case-8", "c-8", "Sun Li")).ok());
  ASSERT_TRUE(writer->EraseChild("c-2", "request", Actor{"adm", "admin", ""}).ok());
  writer.reset();

  fs::remove_all(dir_ + "/keys");
  ProgramRun restored = Restore(backup_, key_);
  ASSERT_EQ(restored.exit_code, 0) << Describe(restored);
  EXPECT_NE(restored.out.find("restored 3 child keys"), std::string::npos) << restored.out;
  EXPECT_NE(restored.out.find("(the backup predates their erasure): c-2\n"), std::string::npos)
      << restored.out;
  EXPECT_NE(restored.out.find("1 case streams have keys made after the backup was taken, now "
                              "lost"),
            std::string::npos)
      << restored.out;
  EXPECT_NE(restored.out.find("for the fields to come: case-8\n"), std::string::npos)
      << restored.out;
  EXPECT_NE(Data("case-7").find("Zhao Lei"), std::string::npos);
  EXPECT_NE(Data("case-1").find(kName), std::string::npos);
  EXPECT_NE(Data("case-2").find(R"({"erased":")"), std::string::npos);
  EXPECT_NE(Data("case-8").find(R"({"sealed":")"), std::string::npos) << Data("case-8");
  EXPECT_EQ(Cli({"verify", dir_}).exit_code, 0);
}

// A case opened after the key backup and erased after it too: the backup never held its
// key, so there is nothing to erase again. The restore records the key's tombstone (its id
// from the log): the case reads erased, not sealed, and takes no new personal field.
TEST_F(KeyBackup, ACaseErasedAfterTheBackupWithAKeyItNeverHeldStaysErased) {
  ASSERT_EQ(BackUp(backup_, key_).exit_code, 0);
  ASSERT_NO_FATAL_FAILURE(AppendAndClose(
      {Opening("case-8", "c-8", "Sun Li"), Note("case-8", "Sleeps at the neighbours")}));
  ProgramRun erased = Erase("c-8");
  ASSERT_EQ(erased.exit_code, 0) << Describe(erased);
  fs::remove_all(dir_ + "/keys");

  ProgramRun restored = Restore(backup_, key_);
  ASSERT_EQ(restored.exit_code, 0) << Describe(restored);
  EXPECT_NE(restored.out.find("restored 3 child keys"), std::string::npos) << restored.out;
  EXPECT_EQ(restored.out.find("erased again"), std::string::npos) << restored.out;
  EXPECT_NE(restored.out.find("1 case streams were erased after the backup was taken"),
            std::string::npos)
      << restored.out;
  EXPECT_NE(restored.out.find("their fields read erased: case-8\n"), std::string::npos)
      << restored.out;
  EXPECT_EQ(restored.out.find("now lost"), std::string::npos) << restored.out;
  // Read as `caseledger read` prints it, with the master key: erased, not sealed.
  ProgramRun read = Cli({"read", dir_, "case-8", "--format", "json", "--master-key-file", key_});
  ASSERT_EQ(read.exit_code, 0) << Describe(read);
  EXPECT_NE(read.out.find(R"("name":{"erased":")"), std::string::npos) << read.out;
  EXPECT_NE(read.out.find(R"("text":{"erased":")"), std::string::npos) << read.out;
  EXPECT_EQ(read.out.find(R"({"sealed":")"), std::string::npos) << read.out;
  EXPECT_EQ(read.out.find("Sun Li"), std::string::npos) << read.out;
  EXPECT_NE(Data("case-1").find(kName), std::string::npos);
  // No personal field can be added to it any more; other cases take them as before.
  auto writer = Open();
  ASSERT_NE(writer, nullptr);
  auto refused = writer->Append(Note("case-8", "Back home"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("was erased"), std::string::npos)
      << refused.status().ToString();
  EXPECT_TRUE(writer->Append(Note("case-1", "Back home")).ok());
  writer.reset();
  EXPECT_EQ(Cli({"verify", dir_}).exit_code, 0);
}

// A case opened after the key backup and not erased: its key is lost, so what it holds
// stays sealed. The restore gives it a new key naming its child: personal fields added
// from then on open, and `erase --child` finds that key.
TEST_F(KeyBackup, ACaseOpenedAfterTheBackupGetsANewKeyThatEraseFinds) {
  ASSERT_EQ(BackUp(backup_, key_).exit_code, 0);
  ASSERT_NO_FATAL_FAILURE(AppendAndClose({Opening("case-8", "c-8", "Sun Li")}));
  fs::remove_all(dir_ + "/keys");

  ProgramRun restored = Restore(backup_, key_);
  ASSERT_EQ(restored.exit_code, 0) << Describe(restored);
  EXPECT_NE(restored.out.find("restored 3 child keys"), std::string::npos) << restored.out;
  EXPECT_NE(restored.out.find("for the fields to come: case-8\n"), std::string::npos)
      << restored.out;
  EXPECT_EQ(restored.out.find("recorded as erased"), std::string::npos) << restored.out;
  EXPECT_NE(Data("case-8").find(R"("name":{"sealed":")"), std::string::npos) << Data("case-8");
  ASSERT_NO_FATAL_FAILURE(AppendAndClose({Note("case-8", "Started school")}));
  EXPECT_NE(Data("case-8", 1).find("Started school"), std::string::npos) << Data("case-8", 1);
  EXPECT_NE(Data("case-8").find(R"("name":{"sealed":")"), std::string::npos);

  ProgramRun erased = Erase("c-8");
  ASSERT_EQ(erased.exit_code, 0) << Describe(erased);
  EXPECT_NE(Data("case-8", 1).find(R"("text":{"erased":")"), std::string::npos)
      << Data("case-8", 1);
  EXPECT_NE(Data("case-1").find(kName), std::string::npos);
  EXPECT_EQ(Cli({"verify", dir_}).exit_code, 0);
}

TEST_F(KeyBackup, RefusalsWriteNothing) {
  ASSERT_EQ(BackUp(backup_, key_).exit_code, 0);
  const std::string wrong_key = tmp_.Sub("wrong.key");
  ASSERT_TRUE(CreateMasterKeyFile(wrong_key).ok());

  // Backups: DEST not empty, a wrong master key, none.
  const std::string full = tmp_.Sub("full"), fresh = tmp_.Sub("fresh");
  fs::create_directories(full);
  testing::WriteFile(full + "/notes.txt", "mine");
  struct Case {
    ProgramRun run;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {BackUp(full, key_), "not an empty directory"},
           {BackUp(fresh, wrong_key), "wrong master key"},
           {Cli({"keys", "backup", dir_, "--to", fresh}), "master key is needed"},
       }) {
    EXPECT_NE(c.run.exit_code, 0) << Describe(c.run);
    EXPECT_NE(c.run.err.find(c.says), std::string::npos) << c.says << "\n" << Describe(c.run);
  }
  EXPECT_EQ(Snapshot(full).size(), 1u);
  EXPECT_FALSE(fs::exists(fresh));

  // A restore over a DIR/keys that exists.
  auto before = Snapshot(dir_);
  ProgramRun over = Restore(backup_, key_);
  EXPECT_NE(over.exit_code, 0);
  EXPECT_NE(over.err.find("/keys exists"), std::string::npos) << Describe(over);
  EXPECT_NE(over.err.find("move it out of the ledger directory"), std::string::npos);
  EXPECT_EQ(Snapshot(dir_), before);

  // DIR/keys lost; backups that are not this ledger's, incomplete, damaged; a wrong key;
  // a writer holding the ledger.
  fs::rename(dir_ + "/keys", tmp_.Sub("keys.damaged"));
  before = Snapshot(dir_);
  ScenarioLedger other(tmp_.Sub("other"));
  other.Close();
  const std::string other_backup = tmp_.Sub("other-keys");
  ASSERT_EQ(Cli({"keys", "backup", tmp_.Sub("other"), "--to", other_backup, "--master-key-file",
                 tmp_.Sub("other") + ".key"})
                .exit_code,
            0);
  const std::string incomplete = tmp_.Sub("incomplete"), damaged = tmp_.Sub("damaged");
  fs::copy(backup_, incomplete, fs::copy_options::recursive);
  fs::remove(incomplete + "/KEYS-BACKUP");
  fs::copy(backup_, damaged, fs::copy_options::recursive);
  std::string journal = testing::ReadFile(damaged + "/keys/journal");
  journal[journal.size() / 2] ^= 0x01;
  testing::WriteFile(damaged + "/keys/journal", journal);
  for (const Case& c : std::vector<Case>{
           {Restore(backup_, wrong_key), "wrong master key"},
           {Restore(other_backup, key_), "is a key backup of ledger"},
           {Restore(incomplete, key_), "incomplete key backup"},
           {Restore(damaged, key_), damaged + "/keys/journal is damaged"},
           {Cli({"keys", "restore", dir_, "--from", backup_}), "master key is needed"},
       }) {
    EXPECT_NE(c.run.exit_code, 0) << Describe(c.run);
    EXPECT_NE(c.run.err.find(c.says), std::string::npos) << c.says << "\n" << Describe(c.run);
    EXPECT_EQ(Snapshot(dir_), before) << c.says;
  }
  {
    LedgerOptions keyless;  // a writer without the master key opens a ledger that lost its keys
    auto writer = Ledger::Open(dir_, keyless);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    ProgramRun busy = Restore(backup_, key_);
    EXPECT_NE(busy.exit_code, 0);
    EXPECT_NE(busy.err.find("without a writer"), std::string::npos) << Describe(busy);
  }
  before = Snapshot(dir_);  // the writer's close flushed its index

  // The same backup, whole, restores.
  EXPECT_EQ(Restore(backup_, key_).exit_code, 0);
  EXPECT_NE(Data("case-1").find(kName), std::string::npos);
}

// A crash in the middle of a restore leaves DIR/keys.restore and no DIR/keys: the next run
// overwrites it with zeros, removes it and starts again.
TEST_F(KeyBackup, AnInterruptedRestoreIsDoneAgainFromTheStart) {
  const KeyEvidence evidence = EvidenceOf(dir_, key_, "case-1");
  ASSERT_EQ(BackUp(backup_, key_).exit_code, 0);
  ASSERT_EQ(Erase("c-1").exit_code, 0);
  fs::remove_all(dir_ + "/keys");
  // What a crash before the erasures were applied again leaves: the backup's copy.
  fs::copy(backup_ + "/keys", dir_ + "/keys.restore");
  ASSERT_EQ(FileHolding(dir_, evidence.sealed_record), dir_ + "/keys.restore/journal");

  ProgramRun restored = Restore(backup_, key_);
  ASSERT_EQ(restored.exit_code, 0) << Describe(restored);
  EXPECT_FALSE(fs::exists(dir_ + "/keys.restore"));
  EXPECT_EQ(FileHolding(dir_, evidence.sealed_record), "");
  EXPECT_EQ(FileHolding(dir_, evidence.key), "");
  EXPECT_NE(Data("case-1").find(R"({"erased":")"), std::string::npos);
  EXPECT_NE(Data("case-2").find(kOtherName), std::string::npos);
}

}  // namespace
}  // namespace caseledger
