// keygen, checkpoint, checkpoints and verify --trusted-checkpoint, driven as an operator and
// an auditor would: a checkpoint signed earlier catches a flipped byte in the log, a
// rolled-back ledger, a replaced signature, a checkpoint re-signed with another key and a
// forged key rotation.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "caseledger/checkpoint.h"
#include "envelope/envelope_codec.h"
#include "events.h"
#include "files.h"
#include "log/frame.h"
#include "log/segment.h"
#include "run_program.h"
#include "temp_dir.h"

namespace caseledger {
namespace {

using testing::Contains;
using testing::FlipPayloadByte;
using testing::ReadFile;
using testing::WriteFile;
namespace fs = std::filesystem;
using testing::Describe;
using testing::TempDir;
using CliRun = testing::ProgramRun;

CliRun Cli(const std::vector<std::string>& args) {
  return testing::RunProgram(CASELEDGER_BIN, args);
}

// Appends `n` events to the opaque ledger in `dir` ("event number <first + i>").
void AppendEvents(const std::string& dir, int first, int n) {
  auto opened = Ledger::Open(dir, {});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  for (int i = first; i < first + n; ++i)
    ASSERT_TRUE(
        (*opened)
            ->Append(testing::Request("case-1", ExpectedVersion::Any(),
                                      {testing::Event("E", "event number " + std::to_string(i))}))
            .ok());
}

// A test's world: a ledger of 5 events and a signing key outside it.
struct World {
  TempDir dir;
  std::string ledger = dir.Sub("ledger");
  std::string key = dir.Sub("keys/signing.key");
  std::string pub = key + ".pub";

  World() {
    fs::create_directories(dir.Sub("keys"));
    CliRun init = Cli({"init", ledger, "--opaque", "--segment-size", "1MiB"});
    EXPECT_EQ(init.exit_code, 0) << Describe(init);
    AppendEvents(ledger, 0, 5);
    CliRun keygen = Cli({"keygen", "--out", key});
    EXPECT_EQ(keygen.exit_code, 0) << Describe(keygen);
  }

  CliRun Checkpoint(const std::string& with_key, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"checkpoint", ledger, "--key", with_key};
    args.insert(args.end(), more.begin(), more.end());
    return Cli(args);
  }
  CliRun Export(const std::string& file) { return Cli({"checkpoint", ledger, "--export", file}); }
  CliRun Verify(const std::string& cp, const std::string& trusted_pub,
                const std::string& which = "") {
    return Cli({"verify", which.empty() ? ledger : which, "--trusted-checkpoint", cp,
                "--public-key", trusted_pub});
  }
};

TEST(CheckpointCli, CommandsPrintTheirHelp) {
  for (const char* command : {"keygen", "checkpoint", "checkpoints", "verify"}) {
    CliRun help = Cli({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command << ": " << Describe(help);
    EXPECT_TRUE(Contains(help.out, "Usage")) << command;
  }
  EXPECT_TRUE(Contains(Cli({"verify", "--help"}).out, "--trusted-checkpoint"));
  EXPECT_TRUE(Contains(Cli({"checkpoint", "--help"}).out, "--announce-next"));
  EXPECT_TRUE(Contains(Cli({"checkpoints", "--help"}).out, "--format"));
}

TEST(CheckpointCli, KeygenRefusesInsideALedgerDirectoryAndRefusesToOverwrite) {
  World s;
  for (const std::string& inside :
       {s.ledger + "/signing.key", s.ledger + "/meta/signing.key", s.ledger + "/new/dir/k"}) {
    CliRun r = Cli({"keygen", "--out", inside});
    EXPECT_EQ(r.exit_code, 1) << Describe(r);
    EXPECT_TRUE(Contains(r.err, "inside the ledger directory")) << Describe(r);
    EXPECT_TRUE(Contains(r.err, "re-sign")) << Describe(r);
    EXPECT_FALSE(fs::exists(inside));
    EXPECT_FALSE(fs::exists(inside + ".pub"));
  }
  struct stat st {};
  ASSERT_EQ(::stat(s.key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string before = ReadFile(s.key), before_pub = ReadFile(s.pub);
  CliRun again = Cli({"keygen", "--out", s.key});
  EXPECT_EQ(again.exit_code, 1) << Describe(again);
  EXPECT_TRUE(Contains(again.err, "already exists")) << Describe(again);
  EXPECT_EQ(ReadFile(s.key), before);
  EXPECT_EQ(ReadFile(s.pub), before_pub);
  EXPECT_EQ(Cli({"keygen"}).exit_code, 2);  // --out is required
}

TEST(CheckpointCli, CheckpointThenAppendMoreThenVerifyAgainstItPasses) {
  World s;
  CliRun cp = s.Checkpoint(s.key);
  ASSERT_EQ(cp.exit_code, 0) << Describe(cp);
  auto printed = CheckpointFromJson(cp.out);
  ASSERT_TRUE(printed.ok()) << printed.status().ToString() << "\n" << cp.out;
  EXPECT_EQ(printed->tree_size, 5u);
  EXPECT_TRUE(Contains(cp.err, "stored in")) << Describe(cp);
  EXPECT_EQ(ReadFile(s.ledger + "/meta/checkpoints"), cp.out);

  const std::string held = s.dir.Sub("held.json");
  CliRun exported = s.Export(held);
  ASSERT_EQ(exported.exit_code, 0) << Describe(exported);
  EXPECT_EQ(ReadFile(held), cp.out);
  CliRun again = s.Export(held);  // never overwrites what an auditor keeps
  EXPECT_EQ(again.exit_code, 1) << Describe(again);
  EXPECT_TRUE(Contains(again.err, "already exists")) << Describe(again);

  AppendEvents(s.ledger, 5, 7);
  CliRun verify = s.Verify(held, s.pub);
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out, "OK: 12 events")) << verify.out;
  EXPECT_TRUE(Contains(verify.out, "checkpoint: signature OK: tree size 5")) << verify.out;
  EXPECT_TRUE(Contains(verify.out, "the trusted key")) << verify.out;
  EXPECT_TRUE(Contains(verify.out,
                       "checkpoint: OK: the log's tree at size 5 has the "
                       "checkpoint's root " +
                           HashToHex(printed->root) + "; the ledger has 12 events"))
      << verify.out;
  // Without the options verify is what it was: no checkpoint line.
  CliRun plain = Cli({"verify", s.ledger});
  EXPECT_EQ(plain.exit_code, 0) << Describe(plain);
  EXPECT_FALSE(Contains(plain.out, "checkpoint")) << plain.out;
  // The options go together.
  EXPECT_EQ(Cli({"verify", s.ledger, "--trusted-checkpoint", held}).exit_code, 2);
  EXPECT_EQ(Cli({"verify", s.ledger, "--public-key", s.pub}).exit_code, 2);

  // A second checkpoint; the listing shows both.
  ASSERT_EQ(s.Checkpoint(s.key).exit_code, 0);
  CliRun list = Cli({"checkpoints", s.ledger});
  ASSERT_EQ(list.exit_code, 0) << Describe(list);
  EXPECT_TRUE(Contains(list.out, "tree_size")) << list.out;
  EXPECT_TRUE(Contains(list.out, HashToHex(printed->root))) << list.out;
  auto pub = ReadPublicKeyFile(s.pub);
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(Contains(list.out, KeyFingerprint(*pub))) << list.out;
  EXPECT_TRUE(Contains(list.out, "valid")) << list.out;
  CliRun json = Cli({"checkpoints", s.ledger, "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << Describe(json);
  EXPECT_TRUE(Contains(json.out, "\"tree_size\": 5,")) << json.out;
  EXPECT_TRUE(Contains(json.out, "\"tree_size\": 12,")) << json.out;
}

TEST(CheckpointCli, AFlippedByteInTheCheckpointedRangeFailsVerification) {
  World s;
  ASSERT_EQ(s.Checkpoint(s.key).exit_code, 0);
  const std::string held = s.dir.Sub("held.json");
  ASSERT_EQ(s.Export(held).exit_code, 0);
  AppendEvents(s.ledger, 5, 3);
  ASSERT_EQ(s.Verify(held, s.pub).exit_code, 0);

  FlipPayloadByte(s.ledger, 3, /*fix_checksum=*/false);
  CliRun verify = s.Verify(held, s.pub);
  EXPECT_EQ(verify.exit_code, 1) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out, "problem: position 3: checksum")) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out,
                       "checkpoint FAILED: the log was altered at or before "
                       "position 5"))
      << Describe(verify);
}

TEST(CheckpointCli, AFlippedByteWithItsChecksumFixedFailsVerificationThroughTheRoot) {
  World s;
  ASSERT_EQ(s.Checkpoint(s.key).exit_code, 0);
  const std::string held = s.dir.Sub("held.json");
  ASSERT_EQ(s.Export(held).exit_code, 0);
  FlipPayloadByte(s.ledger, 2, /*fix_checksum=*/true);
  CliRun verify = s.Verify(held, s.pub);
  EXPECT_EQ(verify.exit_code, 1) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out,
                       "checkpoint FAILED: the log was altered at or before "
                       "position 5: its tree at size 5 has root "))
      << Describe(verify);
  EXPECT_TRUE(Contains(verify.out, "the checkpoint you hold says")) << Describe(verify);
}

// With an earlier checkpoint that still matches, the alteration is placed after it.
TEST(CheckpointCli, AnEarlierCheckpointThatStillMatchesNarrowsWhereTheLogWasAltered) {
  World s;
  ASSERT_EQ(s.Checkpoint(s.key).exit_code, 0);  // size 5, stored in DIR/meta/checkpoints
  AppendEvents(s.ledger, 5, 4);
  ASSERT_EQ(s.Checkpoint(s.key).exit_code, 0);  // size 9
  const std::string held = s.dir.Sub("held.json");
  ASSERT_EQ(s.Export(held).exit_code, 0);
  FlipPayloadByte(s.ledger, 7, /*fix_checksum=*/true);
  CliRun verify = s.Verify(held, s.pub);
  EXPECT_EQ(verify.exit_code, 1) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out,
                       "checkpoint FAILED: the log was altered after position 5 and at or "
                       "before position 9 (positions 1..5 still have the root of the checkpoint "
                       "of tree size 5"))
      << Describe(verify);
}

TEST(CheckpointCli, ALedgerRolledBackBehindAHeldCheckpointIsReported) {
  World s;
  // An earlier copy of the ledger, taken while it had 5 events.
  const std::string old_copy = s.dir.Sub("ledger-before");
  fs::copy(s.ledger, old_copy, fs::copy_options::recursive);
  AppendEvents(s.ledger, 5, 4);
  ASSERT_EQ(s.Checkpoint(s.key).exit_code, 0);
  const std::string held = s.dir.Sub("held.json");
  ASSERT_EQ(s.Export(held).exit_code, 0);
  ASSERT_EQ(s.Verify(held, s.pub).exit_code, 0);

  // The earlier copy put back in place of the ledger: the same id, every record intact,
  // four events fewer.
  fs::remove_all(s.ledger);
  fs::rename(old_copy, s.ledger);
  CliRun plain = Cli({"verify", s.ledger});
  EXPECT_EQ(plain.exit_code, 0) << Describe(plain);  // consistent in itself
  CliRun verify = s.Verify(held, s.pub);
  EXPECT_EQ(verify.exit_code, 1) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out,
                       "checkpoint FAILED: rolled back behind a checkpoint you hold: "
                       "the ledger has 5 events, the checkpoint 9"))
      << Describe(verify);
  // The copy's own DIR/meta/checkpoints went back with it: only a checkpoint held outside
  // the ledger catches this.
}

// The rolled-back copy lost the rotation's announcement from its DIR/meta/checkpoints: the
// auditor who kept it (a second --trusted-checkpoint) still gets the rollback named.
TEST(CheckpointCli, RollbackBehindARotatedKeyIsNamedWithTheHeldAnnouncement) {
  World s;
  const std::string next = s.dir.Sub("keys/next.key");
  ASSERT_EQ(Cli({"keygen", "--out", next}).exit_code, 0);
  const std::string old_copy = s.dir.Sub("ledger-before");
  fs::copy(s.ledger, old_copy, fs::copy_options::recursive);
  AppendEvents(s.ledger, 5, 2);
  ASSERT_EQ(s.Checkpoint(s.key, {"--announce-next", next + ".pub"}).exit_code, 0);
  const std::string rotation = s.dir.Sub("rotation.json"), held = s.dir.Sub("held.json");
  ASSERT_EQ(s.Export(rotation).exit_code, 0);
  AppendEvents(s.ledger, 7, 1);
  ASSERT_EQ(s.Checkpoint(next).exit_code, 0);
  ASSERT_EQ(s.Export(held).exit_code, 0);

  CliRun alone = s.Verify(held, s.pub, old_copy);
  EXPECT_EQ(alone.exit_code, 1) << Describe(alone);
  EXPECT_TRUE(Contains(alone.out, "checkpoint FAILED: signed by an unknown key")) << alone.out;
  EXPECT_TRUE(Contains(alone.out, "give the announcing checkpoint too")) << alone.out;

  CliRun both = Cli({"verify", old_copy, "--trusted-checkpoint", rotation, "--trusted-checkpoint",
                     held, "--public-key", s.pub});
  EXPECT_EQ(both.exit_code, 1) << Describe(both);
  EXPECT_TRUE(Contains(both.out, "checkpoint FAILED: " + held +
                                     ": rolled back behind a checkpoint you hold: the ledger has "
                                     "5 events, the checkpoint 8"))
      << both.out;
  EXPECT_TRUE(Contains(both.out, "checkpoint FAILED: " + rotation +
                                     ": rolled back behind a checkpoint you hold: the ledger has "
                                     "5 events, the checkpoint 7"))
      << both.out;
  both = Cli({"verify", s.ledger, "--trusted-checkpoint", rotation, "--trusted-checkpoint", held,
              "--public-key", s.pub});
  EXPECT_EQ(both.exit_code, 0) << Describe(both);
}

TEST(CheckpointCli, AReplacedSignatureFails) {
  World s;
  ASSERT_EQ(s.Checkpoint(s.key).exit_code, 0);
  const std::string held = s.dir.Sub("held.json");
  ASSERT_EQ(s.Export(held).exit_code, 0);
  auto cp = ReadCheckpointFile(held);
  ASSERT_TRUE(cp.ok());
  // The signature of another checkpoint by the same key, put in this one's place.
  ASSERT_EQ(s.Checkpoint(s.key).exit_code, 0);
  auto stored = ReadCheckpointStore(s.ledger);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->checkpoints.size(), 2u);
  std::string json = ReadFile(held);
  const std::string old_sig = BytesToHex(cp->signature);
  json.replace(json.find(old_sig), old_sig.size(), BytesToHex(stored->checkpoints[1].signature));
  const std::string replaced = s.dir.Sub("replaced.json");
  WriteFile(replaced, json);
  CliRun verify = s.Verify(replaced, s.pub);
  EXPECT_EQ(verify.exit_code, 1) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out, "checkpoint FAILED: bad signature")) << Describe(verify);
  // A root changed in the file, signature left alone.
  json = ReadFile(held);
  const std::string root = HashToHex(cp->root);
  std::string other_root = root;
  other_root[10] = other_root[10] == '0' ? '1' : '0';
  json.replace(json.find(root), root.size(), other_root);
  WriteFile(s.dir.Sub("other-root.json"), json);
  verify = s.Verify(s.dir.Sub("other-root.json"), s.pub);
  EXPECT_EQ(verify.exit_code, 1) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out, "checkpoint FAILED: bad signature")) << Describe(verify);
  // A file that is not a checkpoint: a clear error, exit 1.
  WriteFile(s.dir.Sub("junk.json"), "{\"tree_size\": 5}");
  verify = s.Verify(s.dir.Sub("junk.json"), s.pub);
  EXPECT_EQ(verify.exit_code, 1) << Describe(verify);
  EXPECT_TRUE(Contains(verify.err, "missing field")) << Describe(verify);
}

TEST(CheckpointCli, ACheckpointReSignedWithAnotherKeyFails) {
  World s;
  const std::string other = s.dir.Sub("keys/other.key");
  ASSERT_EQ(Cli({"keygen", "--out", other}).exit_code, 0);
  ASSERT_EQ(s.Checkpoint(other).exit_code, 0);
  const std::string held = s.dir.Sub("held.json");
  ASSERT_EQ(s.Export(held).exit_code, 0);
  CliRun verify = s.Verify(held, s.pub);
  EXPECT_EQ(verify.exit_code, 1) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out, "checkpoint FAILED: signed by an unknown key"))
      << Describe(verify);
  EXPECT_EQ(s.Verify(held, other + ".pub").exit_code, 0);
}

TEST(CheckpointCli, KeyRotationIsFollowedAndAForgedOneIsNot) {
  World s;
  const std::string next = s.dir.Sub("keys/next.key");
  ASSERT_EQ(Cli({"keygen", "--out", next}).exit_code, 0);
  CliRun announce = s.Checkpoint(s.key, {"--announce-next", next + ".pub"});
  ASSERT_EQ(announce.exit_code, 0) << Describe(announce);
  EXPECT_TRUE(Contains(announce.err, "announcing the next key")) << Describe(announce);
  AppendEvents(s.ledger, 5, 2);
  ASSERT_EQ(s.Checkpoint(next).exit_code, 0);
  const std::string held = s.dir.Sub("held.json");
  ASSERT_EQ(s.Export(held).exit_code, 0);
  CliRun verify = s.Verify(held, s.pub);  // the auditor still holds the old key only
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out, "announced from the trusted key")) << verify.out;
  CliRun list = Cli({"checkpoints", s.ledger});
  auto next_pub = ReadPublicKeyFile(next + ".pub");
  ASSERT_TRUE(next_pub.ok());
  EXPECT_TRUE(Contains(list.out, KeyFingerprint(*next_pub))) << list.out;

  // Announcing the signing key itself, or without --key, is refused.
  EXPECT_EQ(s.Checkpoint(next, {"--announce-next", next + ".pub"}).exit_code, 1);
  EXPECT_EQ(Cli({"checkpoint", s.ledger, "--announce-next", next + ".pub"}).exit_code, 2);

  // An attacker with write access to DIR announces their own key with their own key.
  const std::string evil = s.dir.Sub("keys/evil.key"), evil2 = s.dir.Sub("keys/evil2.key");
  ASSERT_EQ(Cli({"keygen", "--out", evil}).exit_code, 0);
  ASSERT_EQ(Cli({"keygen", "--out", evil2}).exit_code, 0);
  ASSERT_EQ(s.Checkpoint(evil, {"--announce-next", evil2 + ".pub"}).exit_code, 0);
  ASSERT_EQ(s.Checkpoint(evil2).exit_code, 0);
  const std::string forged = s.dir.Sub("forged.json");
  ASSERT_EQ(s.Export(forged).exit_code, 0);
  verify = s.Verify(forged, s.pub);
  EXPECT_EQ(verify.exit_code, 1) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out, "checkpoint FAILED: signed by an unknown key")) << verify.out;
  EXPECT_TRUE(Contains(verify.out, "not a trusted key")) << verify.out;
  // The genuine rotation still verifies beside the forged one.
  EXPECT_EQ(s.Verify(held, s.pub).exit_code, 0);
  // Tampering with the genuine announcement in DIR/meta/checkpoints (its next key made
  // the attacker's) breaks its signature: not followed either.
  std::string store = ReadFile(s.ledger + "/meta/checkpoints");
  auto evil_pub = ReadPublicKeyFile(evil + ".pub");
  ASSERT_TRUE(evil_pub.ok());
  const std::string next_hex = BytesToHex(*next_pub);
  store.replace(store.find(next_hex), next_hex.size(), BytesToHex(*evil_pub));
  WriteFile(s.ledger + "/meta/checkpoints", store);
  verify = s.Verify(held, s.pub);
  EXPECT_EQ(verify.exit_code, 1) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out, "signed by an unknown key")) << verify.out;
  EXPECT_TRUE(Contains(verify.out, "has a bad signature")) << verify.out;
}

TEST(CheckpointCli, ACheckpointOfAnotherLedgerIsAMismatch) {
  World s;
  const std::string second = s.dir.Sub("second");
  ASSERT_EQ(Cli({"init", second, "--opaque", "--segment-size", "1MiB"}).exit_code, 0);
  AppendEvents(second, 0, 5);
  ASSERT_EQ(s.Checkpoint(s.key).exit_code, 0);
  const std::string held = s.dir.Sub("held.json");
  ASSERT_EQ(s.Export(held).exit_code, 0);
  CliRun verify = s.Verify(held, s.pub, second);
  EXPECT_EQ(verify.exit_code, 1) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out, "checkpoint FAILED: ledger id mismatch")) << Describe(verify);
}

TEST(CheckpointCli, SigningRefusesABadKeyAndAKeyInsideTheLedger) {
  World s;
  ASSERT_EQ(::chmod(s.key.c_str(), 0644), 0);
  CliRun open = s.Checkpoint(s.key);
  EXPECT_EQ(open.exit_code, 1) << Describe(open);
  EXPECT_TRUE(Contains(open.err, "chmod 600")) << Describe(open);
  ASSERT_EQ(::chmod(s.key.c_str(), 0600), 0);
  CliRun pub = s.Checkpoint(s.pub);
  EXPECT_EQ(pub.exit_code, 1) << Describe(pub);
  EXPECT_TRUE(Contains(pub.err, "public key file, not a private key file")) << Describe(pub);
  fs::copy_file(s.key, s.ledger + "/signing.key");
  CliRun inside = s.Checkpoint(s.ledger + "/signing.key");
  EXPECT_EQ(inside.exit_code, 1) << Describe(inside);
  EXPECT_TRUE(Contains(inside.err, "inside the ledger directory")) << Describe(inside);
  EXPECT_FALSE(fs::exists(s.ledger + "/meta/checkpoints"));
  // Export with nothing stored, and neither --key nor --export.
  CliRun none = s.Export(s.dir.Sub("x.json"));
  EXPECT_EQ(none.exit_code, 1) << Describe(none);
  EXPECT_TRUE(Contains(none.err, "no checkpoint stored")) << Describe(none);
  EXPECT_EQ(Cli({"checkpoint", s.ledger}).exit_code, 1);
  EXPECT_EQ(Cli({"checkpoint", s.ledger, "--key", s.key, "--export", "x"}).exit_code, 2);
}

TEST(CheckpointCli, ATornLastLineOfTheStoreIsReportedNotFatal) {
  World s;
  ASSERT_EQ(s.Checkpoint(s.key).exit_code, 0);
  const std::string path = s.ledger + "/meta/checkpoints";
  const std::string first = ReadFile(path);
  WriteFile(path, first + first.substr(0, 120));  // a crash mid-append
  CliRun list = Cli({"checkpoints", s.ledger});
  EXPECT_EQ(list.exit_code, 0) << Describe(list);
  EXPECT_TRUE(Contains(list.err, "incomplete line 2")) << Describe(list);
  CliRun cp = s.Checkpoint(s.key);
  EXPECT_EQ(cp.exit_code, 0) << Describe(cp);
  EXPECT_TRUE(Contains(cp.err, "cut an incomplete last line of 120 bytes")) << Describe(cp);
  EXPECT_EQ(ReadFile(path), first + cp.out);
  // A damaged complete line is reported with exit code 1; the others are still listed.
  WriteFile(path, first + "garbage\n" + cp.out);
  list = Cli({"checkpoints", s.ledger, "--format", "csv"});
  EXPECT_EQ(list.exit_code, 1) << Describe(list);
  EXPECT_TRUE(Contains(list.err, "line 2")) << Describe(list);
  EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), 3) << list.out;
}

TEST(CheckpointCli, SigningRefusesALedgerThatDisagreesWithItsLastCheckpoint) {
  World s;
  ASSERT_EQ(s.Checkpoint(s.key).exit_code, 0);
  const std::string good = ReadFile(s.ledger + "/meta/checkpoints");
  // A stored checkpoint claiming more events than the ledger has (signed, by some key).
  auto cp = CheckpointFromJson(good);
  ASSERT_TRUE(cp.ok());
  Checkpoint ahead = *cp;
  ahead.tree_size = 50;
  auto key = ReadSigningKeyFile(s.key);
  ASSERT_TRUE(key.ok());
  ahead = SignCheckpoint(ahead, *key);
  WriteFile(s.ledger + "/meta/checkpoints", good + CheckpointToJson(ahead) + "\n");
  CliRun r = s.Checkpoint(s.key);
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "refusing to sign")) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "rolled back")) << Describe(r);
}

// Stand-alone proofs: `prove` by the operator, `verify --proof` by an auditor who has only
// the proof, the checkpoints they kept and the public key (no ledger directory).
TEST(ProofCli, AnInclusionProofVerifiesOfflineAgainstAHeldCheckpointAndNothingElse) {
  World s;
  ASSERT_EQ(s.Checkpoint(s.key).exit_code, 0);
  const std::string cp = s.dir.Sub("held.json"), proof = s.dir.Sub("p3.json");
  ASSERT_EQ(s.Export(cp).exit_code, 0);
  AppendEvents(s.ledger, 5, 3);  // the ledger moves on; the proof is for the held tree
  CliRun made = Cli({"prove", s.ledger, "--position", "3", "--size", "5", "--out", proof});
  ASSERT_EQ(made.exit_code, 0) << Describe(made);
  const std::string moved = s.dir.Sub("elsewhere");
  fs::rename(s.ledger, moved);  // offline: the ledger is gone
  CliRun ok = Cli({"verify", "--proof", proof, "--checkpoint", cp, "--public-key", s.pub});
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);
  EXPECT_TRUE(Contains(ok.out, "OK: the record at position 3")) << Describe(ok);

  // The event altered in the proof (one hex digit of the record) is refused.
  std::string json = ReadFile(proof);
  const size_t at = json.find("\"record\":\"") + 10;
  json[at] = json[at] == '0' ? '1' : '0';
  WriteFile(s.dir.Sub("altered.json"), json);
  CliRun altered = Cli(
      {"verify", "--proof", s.dir.Sub("altered.json"), "--checkpoint", cp, "--public-key", s.pub});
  EXPECT_EQ(altered.exit_code, 1) << Describe(altered);
  EXPECT_TRUE(Contains(altered.err, "is not in that tree")) << Describe(altered);

  // A proof for another tree size says which proof to ask for.
  fs::rename(moved, s.ledger);
  ASSERT_EQ(Cli({"prove", s.ledger, "--position", "3", "--out", s.dir.Sub("p8.json")}).exit_code,
            0);
  CliRun other =
      Cli({"verify", "--proof", s.dir.Sub("p8.json"), "--checkpoint", cp, "--public-key", s.pub});
  EXPECT_EQ(other.exit_code, 1) << Describe(other);
  EXPECT_TRUE(Contains(other.err, "--position 3 --size 5")) << Describe(other);

  // Another key than the one the auditor trusts: refused before the proof counts.
  const std::string stranger = s.dir.Sub("keys/stranger.key");
  ASSERT_EQ(Cli({"keygen", "--out", stranger}).exit_code, 0);
  CliRun untrusted =
      Cli({"verify", "--proof", proof, "--checkpoint", cp, "--public-key", stranger + ".pub"});
  EXPECT_EQ(untrusted.exit_code, 1) << Describe(untrusted);
  EXPECT_TRUE(Contains(untrusted.err, "signed by an unknown key")) << Describe(untrusted);
}

TEST(ProofCli, AConsistencyProofShowsTheLedgerExtendsAHeldCheckpoint) {
  World s;
  ASSERT_EQ(s.Checkpoint(s.key).exit_code, 0);
  const std::string old_cp = s.dir.Sub("old.json"), new_cp = s.dir.Sub("new.json");
  ASSERT_EQ(s.Export(old_cp).exit_code, 0);
  AppendEvents(s.ledger, 5, 10);
  ASSERT_EQ(s.Checkpoint(s.key).exit_code, 0);
  ASSERT_EQ(s.Export(new_cp).exit_code, 0);
  const std::string proof = s.dir.Sub("c.json");
  ASSERT_EQ(Cli({"prove", s.ledger, "--consistency", "5", "15", "--out", proof}).exit_code, 0);
  CliRun one = Cli({"verify", "--proof", proof, "--checkpoint", old_cp, "--public-key", s.pub});
  EXPECT_EQ(one.exit_code, 0) << Describe(one);
  EXPECT_TRUE(Contains(one.out, "nothing in positions 1..5 was altered")) << Describe(one);
  CliRun both = Cli({"verify", "--proof", proof, "--checkpoint", old_cp, "--checkpoint", new_cp,
                     "--public-key", s.pub});
  EXPECT_EQ(both.exit_code, 0) << Describe(both);
  EXPECT_TRUE(Contains(both.out, "signed")) << Describe(both);

  // One altered node of the path breaks it.
  std::string json = ReadFile(proof);
  const size_t at = json.find("\"path\":[\"") + 9;
  json[at] = json[at] == 'a' ? 'b' : 'a';
  WriteFile(s.dir.Sub("bad.json"), json);
  CliRun bad = Cli({"verify", "--proof", s.dir.Sub("bad.json"), "--checkpoint", old_cp,
                    "--checkpoint", new_cp, "--public-key", s.pub});
  EXPECT_EQ(bad.exit_code, 1) << Describe(bad);
  EXPECT_TRUE(Contains(bad.err, "consistency proof does not lead")) << Describe(bad);

  // M = 0 is refused; M = N gives an empty proof that verifies.
  CliRun zero = Cli({"prove", s.ledger, "--consistency", "0", "15"});
  EXPECT_EQ(zero.exit_code, 1) << Describe(zero);
  EXPECT_TRUE(Contains(zero.err, "0 < first <= second")) << Describe(zero);
  CliRun same = Cli({"prove", s.ledger, "--consistency", "15", "15"});
  EXPECT_EQ(same.exit_code, 0) << Describe(same);
  EXPECT_TRUE(Contains(same.out, "\"path\":[]")) << Describe(same);
}

TEST(ProofCli, MalformedProofFilesAndMissingArgumentsGiveClearErrors) {
  World s;
  ASSERT_EQ(s.Checkpoint(s.key).exit_code, 0);
  const std::string cp = s.dir.Sub("held.json");
  ASSERT_EQ(s.Export(cp).exit_code, 0);
  const std::pair<std::string, std::string> cases[] = {
      {"", "not valid JSON"},
      {"{\"format\":\"caseledger-proof-v1\",\"kind\":\"inclusion\"}", "missing field"},
      {std::string(1000, '['), "not valid JSON"},
      {"\x00\xff\xfe", "not valid JSON"},
  };
  for (const auto& [content, words] : cases) {
    WriteFile(s.dir.Sub("p.json"), content);
    CliRun r =
        Cli({"verify", "--proof", s.dir.Sub("p.json"), "--checkpoint", cp, "--public-key", s.pub});
    EXPECT_EQ(r.exit_code, 1) << Describe(r);
    EXPECT_TRUE(Contains(r.err, words)) << Describe(r) << " wanted: " << words;
  }
  CliRun no_cp = Cli({"verify", "--proof", s.dir.Sub("p.json"), "--public-key", s.pub});
  EXPECT_NE(no_cp.exit_code, 0) << Describe(no_cp);
  EXPECT_TRUE(Contains(no_cp.err, "--checkpoint")) << Describe(no_cp);
  CliRun missing =
      Cli({"verify", "--proof", s.dir.Sub("none.json"), "--checkpoint", cp, "--public-key", s.pub});
  EXPECT_EQ(missing.exit_code, 1) << Describe(missing);
  EXPECT_TRUE(Contains(missing.err, "cannot open the proof file")) << Describe(missing);
  CliRun neither = Cli({"prove", s.ledger});
  EXPECT_EQ(neither.exit_code, 1) << Describe(neither);
  EXPECT_TRUE(Contains(neither.err, "--position P")) << Describe(neither);
}

}  // namespace
}  // namespace caseledger
