// caseledger backup and restore, driven as an operator would: a backup taken while a writer
// appends restores to a ledger that verifies, holds exactly the events of the backup's
// point and has the live ledger's root at that point; a case-event ledger's child keys come
// along; a damaged or incomplete backup never becomes a ledger.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "caseledger/backup.h"
#include "events.h"
#include "files.h"
#include "log/frame.h"
#include "log/segment.h"
#include "run_program.h"
#include "temp_dir.h"

namespace caseledger {
namespace {

namespace fs = std::filesystem;
using testing::Contains;
using testing::Describe;
using testing::ReadFile;
using testing::TempDir;
using CliRun = testing::ProgramRun;

CliRun Cli(const std::vector<std::string>& args) {
  return testing::RunProgram(CASELEDGER_BIN, args, 120);
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Entries of `dir`'s parent whose names start with "." + dir's name + ".restore-".
std::vector<std::string> RestoreLeftovers(const std::string& dir) {
  std::vector<std::string> found;
  const fs::path p(dir);
  for (const auto& entry : fs::directory_iterator(p.parent_path()))
    if (entry.path().filename().string().starts_with("." + p.filename().string() + ".restore-"))
      found.push_back(entry.path().string());
  return found;
}

// Every event of `restored` equals the same position of `live`, up to `n`.
void ExpectSameEvents(Ledger& live, Ledger& restored, Position n) {
  Position next = 1;
  while (next <= n) {
    auto a = live.ReadAll(next, 1000);
    auto b = restored.ReadAll(next, 1000);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    ASSERT_FALSE(b->empty()) << "the restored ledger ends before position " << next;
    for (size_t i = 0; i < b->size(); ++i) {
      const RecordedEvent& x = (*a)[i];
      const RecordedEvent& y = (*b)[i];
      ASSERT_EQ(y.position, next + i);
      ASSERT_EQ(x.position, y.position);
      ASSERT_EQ(x.stream, y.stream) << "position " << x.position;
      ASSERT_EQ(x.stream_version, y.stream_version) << "position " << x.position;
      ASSERT_EQ(x.recorded_at, y.recorded_at) << "position " << x.position;
      ASSERT_EQ(x.recorded_by, y.recorded_by) << "position " << x.position;
      ASSERT_EQ(x.content_digest, y.content_digest) << "position " << x.position;
      ASSERT_TRUE(x.event == y.event) << "position " << x.position;
    }
    next += b->size();
  }
  EXPECT_EQ(next, n + 1);
}

TEST(Backup, CommandsPrintTheirHelp) {
  for (const char* command : {"backup", "restore"}) {
    CliRun help = Cli({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command << ": " << Describe(help);
    EXPECT_TRUE(Contains(help.out, "Usage")) << command;
    EXPECT_TRUE(Contains(help.out, "Example")) << command;
  }
  EXPECT_TRUE(Contains(Cli({"backup", "--help"}).out, "not copied"));
  EXPECT_EQ(Cli({"backup"}).exit_code, 2);
  EXPECT_EQ(Cli({"restore", "only-one"}).exit_code, 2);
}

TEST(Backup, UnderConcurrentAppendsRestoresToAVerifyingLedgerWithTheSameRoot) {
  TempDir t;
  const std::string live = t.Sub("live"), dest = t.Sub("backup"), restored = t.Sub("restored");
  CliRun init = Cli({"init", live, "--opaque", "--segment-size", "1MiB"});
  ASSERT_EQ(init.exit_code, 0) << Describe(init);
  auto opened = Ledger::Open(live, {});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Ledger& writer = **opened;

  std::atomic<bool> stop{false};
  Status append_error;
  std::thread appender([&] {
    for (int batch = 0; !stop; ++batch) {
      std::vector<ProposedEvent> events;
      for (int i = 0; i < 10; ++i)
        events.push_back(testing::Event(
            "Noted", "batch " + std::to_string(batch) + " event " + std::to_string(i) + " " +
                         std::string(300 + (batch * 7 + i) % 100, 'a' + static_cast<char>(i))));
      auto appended = writer.Append(
          testing::Request("case-" + std::to_string(batch % 13), ExpectedVersion::Any(), events));
      if (!appended.ok()) {
        append_error = appended.status();
        return;
      }
    }
  });
  // Let the log grow past its first segments before the backup starts.
  while (writer.CommittedPosition() < 6000 && append_error.ok())
    std::this_thread::sleep_for(std::chrono::milliseconds(5));

  CliRun backup = Cli({"backup", live, dest});

  // Appends go on after the backup's point: the backup must end there all the same.
  auto manifest = ReadBackupManifest(dest);
  while (manifest.ok() && writer.CommittedPosition() <= manifest->events + 100 && append_error.ok())
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  appender.join();
  ASSERT_TRUE(append_error.ok()) << append_error.ToString();
  ASSERT_EQ(backup.exit_code, 0) << Describe(backup);
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  const Position n = manifest->events;
  ASSERT_GT(n, 0u);
  ASSERT_GT(writer.CommittedPosition(), n);
  auto live_head = writer.GetTreeHeadAt(n);
  ASSERT_TRUE(live_head.ok()) << live_head.status().ToString();
  EXPECT_EQ(manifest->root, live_head->root);
  EXPECT_TRUE(Contains(backup.out, "backed up positions 1.."));
  EXPECT_TRUE(Contains(backup.out, HashToHex(live_head->root))) << backup.out;
  EXPECT_FALSE(fs::exists(dest + "/index"));
  EXPECT_FALSE(fs::exists(dest + "/run"));
  EXPECT_TRUE(fs::exists(log::SegmentPath(dest + "/log", 1))) << "several segments expected";
  for (const auto& entry : fs::directory_iterator(dest + "/log"))
    EXPECT_EQ(fs::file_size(entry.path()), 1u << 20) << entry.path();

  CliRun restore = Cli({"restore", dest, restored});
  ASSERT_EQ(restore.exit_code, 0) << Describe(restore);
  EXPECT_TRUE(Contains(restore.out, "verify OK")) << restore.out;
  EXPECT_TRUE(RestoreLeftovers(restored).empty());

  auto copy = Ledger::Open(restored, {});
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ((*copy)->CommittedPosition(), n);
  EXPECT_EQ((*copy)->GetTreeHead().root, live_head->root);
  auto report = (*copy)->Verify({});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << report->problems.front().ToString();
  EXPECT_EQ(report->events, n);
  ExpectSameEvents(writer, **copy, n);
  // The restored ledger is a ledger like any other: it takes the next position.
  auto next = (*copy)->Append(
      testing::Request("after-restore", ExpectedVersion::NoStream(), {testing::Event("Noted")}));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->first_position, n + 1);
  copy->reset();

  CliRun verify = Cli({"verify", restored});
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);
}

TEST(Backup, CaseEventLedgerKeepsItsChildKeys) {
  ::unsetenv("CASELEDGER_MASTER_KEY_FILE");
  TempDir t;
  const std::string live = t.Sub("live"), dest = t.Sub("backup"), restored = t.Sub("restored");
  const std::string master = t.Sub("master.key");
  CliRun init = Cli({"init", live, "--master-key-file", master});
  ASSERT_EQ(init.exit_code, 0) << Describe(init);
  CliRun gen =
      Cli({"gen", "--seed", "1", "--events", "300", "--into", live, "--master-key-file", master});
  ASSERT_EQ(gen.exit_code, 0) << Describe(gen);

  CliRun backup = Cli({"backup", live, dest});  // no master key needed
  ASSERT_EQ(backup.exit_code, 0) << Describe(backup);
  EXPECT_EQ(ModeOf(dest + "/keys"), 0700u);
  EXPECT_EQ(ModeOf(dest + "/keys/check"), 0600u);
  EXPECT_EQ(ModeOf(dest + "/keys/journal"), 0600u);
  EXPECT_EQ(ModeOf(dest + "/meta/digest.key"), 0600u);
  EXPECT_EQ(ReadFile(dest + "/keys/journal"), ReadFile(live + "/keys/journal"));
  EXPECT_FALSE(Contains(ReadFile(dest + "/BACKUP"), ReadFile(master).substr(0, 16)));

  CliRun restore = Cli({"restore", dest, restored});  // nor here
  ASSERT_EQ(restore.exit_code, 0) << Describe(restore);
  EXPECT_TRUE(Contains(restore.out, "restored 300 events")) << restore.out;
  EXPECT_EQ(ModeOf(restored + "/keys/journal"), 0600u);

  // With the master key, the restored ledger reads exactly as the live one: in clear.
  const std::vector<std::string> read_all = {"--all", "--limit", "1000", "--format", "json"};
  auto read = [&](const std::string& dir, bool with_key) {
    std::vector<std::string> args = {"read", dir};
    args.insert(args.end(), read_all.begin(), read_all.end());
    if (with_key) args.insert(args.end(), {"--master-key-file", master});
    return Cli(args);
  };
  CliRun sealed = read(restored, false);
  ASSERT_EQ(sealed.exit_code, 0) << Describe(sealed);
  EXPECT_TRUE(Contains(sealed.out, "\"sealed\"")) << "the generated events carry personal fields";
  CliRun clear = read(restored, true);
  ASSERT_EQ(clear.exit_code, 0) << Describe(clear);
  EXPECT_FALSE(Contains(clear.out, "\"sealed\""));
  CliRun original = read(live, true);
  ASSERT_EQ(original.exit_code, 0) << Describe(original);
  EXPECT_EQ(clear.out, original.out);

  CliRun verify = Cli({"verify", restored, "--master-key-file", master});
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);
}

struct SmallLedger {
  TempDir t;
  std::string live = t.Sub("live");
  SmallLedger() {
    CliRun init = Cli({"init", live, "--opaque", "--segment-size", "64KiB"});
    EXPECT_EQ(init.exit_code, 0) << Describe(init);
    auto opened = Ledger::Open(live, {});
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return;
    for (int i = 1; i <= 20; ++i)
      EXPECT_TRUE(
          (*opened)
              ->Append(testing::Request("case-1", ExpectedVersion::Any(),
                                        {testing::Event("E", "event number " + std::to_string(i))}))
              .ok());
  }
  std::string Backup(const std::string& name) {
    const std::string dest = t.Sub(name);
    CliRun r = Cli({"backup", live, dest});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    return dest;
  }
};

TEST(Backup, RefusesADestinationThatIsNotEmpty) {
  SmallLedger s;
  const std::string dest = s.t.Sub("dest");
  fs::create_directories(dest);
  testing::WriteFile(dest + "/notes.txt", "mine");
  CliRun r = Cli({"backup", s.live, dest});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "not empty")) << Describe(r);
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(dest))
    left.push_back(entry.path().filename().string());
  EXPECT_EQ(left, std::vector<std::string>{"notes.txt"});

  CliRun inside = Cli({"backup", s.live, s.live + "/backup"});
  EXPECT_EQ(inside.exit_code, 1) << Describe(inside);
  EXPECT_FALSE(fs::exists(s.live + "/backup"));

  // An empty directory is fine.
  fs::create_directories(s.t.Sub("empty"));
  CliRun ok = Cli({"backup", s.live, s.t.Sub("empty")});
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);
  EXPECT_TRUE(fs::exists(s.t.Sub("empty/BACKUP")));
}

TEST(Restore, RefusesWhatIsNotACompleteBackup) {
  SmallLedger s;
  const std::string dest = s.Backup("backup");
  fs::remove(dest + "/BACKUP");
  CliRun r = Cli({"restore", dest, s.t.Sub("restored")});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "incomplete backup or not a backup")) << Describe(r);
  EXPECT_FALSE(fs::exists(s.t.Sub("restored")));

  CliRun ledger_itself = Cli({"restore", s.live, s.t.Sub("restored")});
  EXPECT_EQ(ledger_itself.exit_code, 1) << Describe(ledger_itself);
  EXPECT_FALSE(fs::exists(s.t.Sub("restored")));
}

TEST(Restore, RefusesATargetThatIsNotEmpty) {
  SmallLedger s;
  const std::string dest = s.Backup("backup");
  const std::string target = s.t.Sub("restored");
  fs::create_directories(target);
  testing::WriteFile(target + "/notes.txt", "mine");
  CliRun r = Cli({"restore", dest, target});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "not empty")) << Describe(r);
  EXPECT_EQ(ReadFile(target + "/notes.txt"), "mine");
  EXPECT_FALSE(fs::exists(target + "/meta"));

  // An empty directory is fine.
  fs::remove(target + "/notes.txt");
  CliRun ok = Cli({"restore", dest, target});
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);
  EXPECT_TRUE(Contains(ok.out, "restored 20 events")) << ok.out;
}

TEST(Restore, ADamagedBackupNeverBecomesALedger) {
  SmallLedger s;
  for (bool fix_checksum : {false, true}) {
    SCOPED_TRACE(fix_checksum ? "checksum recomputed" : "checksum left");
    const std::string dest = s.Backup(fix_checksum ? "forged" : "flipped");
    testing::FlipPayloadByte(dest, 7, fix_checksum);
    const std::string target = s.t.Sub(fix_checksum ? "restored-forged" : "restored-flipped");
    CliRun r = Cli({"restore", dest, target});
    EXPECT_EQ(r.exit_code, 1) << Describe(r);
    EXPECT_TRUE(Contains(r.err, "does not verify")) << Describe(r);
    if (fix_checksum) {
      EXPECT_TRUE(Contains(r.err, "root")) << Describe(r);
    }
    EXPECT_FALSE(fs::exists(target));
    EXPECT_TRUE(RestoreLeftovers(target).empty());
  }
}

TEST(Backup, CarriesTheSignedCheckpointsButNotAnAppendInProgress) {
  SmallLedger s;
  const std::string key = s.t.Sub("signing.key");
  ASSERT_EQ(Cli({"keygen", "--out", key}).exit_code, 0);
  CliRun signed_cp = Cli({"checkpoint", s.live, "--key", key});
  ASSERT_EQ(signed_cp.exit_code, 0) << Describe(signed_cp);
  CliRun exported = Cli({"checkpoint", s.live, "--export", s.t.Sub("held.json")});
  ASSERT_EQ(exported.exit_code, 0) << Describe(exported);
  const std::string complete = ReadFile(s.live + "/meta/checkpoints");
  ASSERT_FALSE(complete.empty());
  // A checkpoint being appended right now: its line is not complete yet.
  testing::WriteFile(s.live + "/meta/checkpoints", complete + "{\"format\":\"caseledger-chec");

  const std::string dest = s.Backup("backup");
  EXPECT_EQ(ReadFile(dest + "/meta/checkpoints"), complete);
  CliRun restore = Cli({"restore", dest, s.t.Sub("restored")});
  ASSERT_EQ(restore.exit_code, 0) << Describe(restore);
  CliRun verify = Cli({"verify", s.t.Sub("restored"), "--trusted-checkpoint", s.t.Sub("held.json"),
                       "--public-key", key + ".pub"});
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);
  CliRun list = Cli({"checkpoints", s.t.Sub("restored")});
  EXPECT_EQ(list.exit_code, 0) << Describe(list);
}

TEST(Backup, EmptyLedgerRestoresEmpty) {
  TempDir t;
  CliRun init = Cli({"init", t.Sub("live"), "--opaque", "--segment-size", "64KiB"});
  ASSERT_EQ(init.exit_code, 0) << Describe(init);
  CliRun backup = Cli({"backup", t.Sub("live"), t.Sub("backup")});
  ASSERT_EQ(backup.exit_code, 0) << Describe(backup);
  CliRun restore = Cli({"restore", t.Sub("backup"), t.Sub("restored")});
  ASSERT_EQ(restore.exit_code, 0) << Describe(restore);
  EXPECT_TRUE(Contains(restore.out, "restored 0 events")) << restore.out;
  auto ledger = Ledger::Open(t.Sub("restored"), {});
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  EXPECT_EQ((*ledger)->CommittedPosition(), 0u);
}

}  // namespace
}  // namespace caseledger
