// export and verify --archive, driven as an operator and an auditor would. The auditor holds
// a checkpoint signed earlier and the public key, nothing else; each way of tampering with
// the archive (a flipped byte, a removed, swapped or inserted event, a cut tail, a replaced
// signature, a checkpoint re-signed with another key) must be caught, and the first
// position where the evidence breaks named.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "archive/archive_format.h"
#include "caseledger/archive.h"
#include "caseledger/checkpoint.h"
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
using testing::FrameOffset;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;
using CliRun = testing::ProgramRun;

CliRun Cli(const std::vector<std::string>& args) {
  return testing::RunProgram(CASELEDGER_BIN, args);
}

// Appends events "event number <i>" for i in [first, last], one append each, to case-1.
void AppendEvents(const std::string& dir, int first, int last) {
  auto opened = Ledger::Open(dir, {});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  for (int i = first; i <= last; ++i)
    ASSERT_TRUE(
        (*opened)
            ->Append(testing::Request("case-1", ExpectedVersion::Any(),
                                      {testing::Event("E", "event number " + std::to_string(i))}))
            .ok());
}

// An archive taken apart: header, checkpoint section (padding included), frames, and any
// bytes after them.
struct ArchiveParts {
  std::string header, section;
  std::vector<std::string> frames;
  std::string rest;

  static ArchiveParts Read(const std::string& path) {
    const std::string bytes = ReadFile(path);
    ArchiveParts a;
    a.header = bytes.substr(0, archive::kHeaderBytes);
    uint64_t section_bytes = 0;
    std::memcpy(&section_bytes, bytes.data() + 40, 8);
    size_t at = archive::FramesOffset(section_bytes);
    a.section = bytes.substr(archive::kHeaderBytes, at - archive::kHeaderBytes);
    while (at + log::kFrameHeaderBytes <= bytes.size()) {
      uint32_t length = 0;
      std::memcpy(&length, bytes.data() + at, 4);
      a.frames.push_back(bytes.substr(at, log::FramedSize(length)));
      at += log::FramedSize(length);
    }
    a.rest = bytes.substr(std::min(at, bytes.size()));
    return a;
  }
  // The checkpoint lines of the section.
  std::vector<std::string> CheckpointLines() const {
    std::vector<std::string> lines;
    std::string text = section.substr(0, section.find('\0'));
    for (size_t at = 0; at < text.size();) {
      const size_t end = text.find('\n', at);
      lines.push_back(text.substr(at, end - at));
      at = end + 1;
    }
    return lines;
  }
  void SetCheckpointLines(const std::vector<std::string>& lines) {
    section.clear();
    for (const auto& l : lines) section += l + "\n";
    section.resize(archive::FramesOffset(section.size()) - archive::kHeaderBytes, '\0');
    Reheader(frames.size(), lines);
  }
  // Rewrites the header as a forger would: the event count and section size it holds now,
  // with a fresh checksum.
  void Reheader(uint64_t events, const std::vector<std::string>& lines) {
    auto h = archive::DecodeHeader(std::span<const std::byte, archive::kHeaderBytes>(
        reinterpret_cast<const std::byte*>(header.data()), archive::kHeaderBytes));
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    h->events = events;
    size_t text = 0;
    for (const auto& l : lines) text += l.size() + 1;
    h->checkpoint_bytes = text;
    const auto encoded = archive::EncodeHeader(*h);
    header.assign(reinterpret_cast<const char*>(encoded.data()), encoded.size());
  }
  void Reheader() { Reheader(frames.size(), CheckpointLines()); }
  void Write(const std::string& path) const {
    std::string bytes = header + section;
    for (const auto& f : frames) bytes += f;
    WriteFile(path, bytes + rest);
  }
};

// Changes the payload of a frame ("event number" -> "Event number"), with its checksum
// recomputed when `fix_checksum`, as a careful forger would.
void AlterFrame(std::string& frame, bool fix_checksum) {
  const size_t at = frame.find("event number");
  ASSERT_NE(at, std::string::npos);
  frame[at] = 'E';
  if (!fix_checksum) return;
  const std::string_view record(frame.data() + log::kFrameHeaderBytes,
                                frame.size() - log::kFrameOverheadBytes);
  const uint64_t sum = log::FrameChecksum(
      std::span(reinterpret_cast<const std::byte*>(record.data()), record.size()));
  std::memcpy(frame.data() + 8, &sum, 8);
}

// The auditor's world: a ledger of 12 events with checkpoints signed at sizes 2 and 8 (the
// auditor kept the one at 8), exported with --key (a checkpoint at 12) to `archive`.
struct World {
  TempDir dir;
  std::string ledger = dir.Sub("ledger");
  std::string key = dir.Sub("keys/signing.key");
  std::string pub = key + ".pub";
  std::string held = dir.Sub("held-at-8.json");
  std::string archive = dir.Sub("ledger.clarc");

  World() {
    fs::create_directories(dir.Sub("keys"));
    Expect(Cli({"init", ledger, "--opaque", "--segment-size", "1MiB"}));
    Expect(Cli({"keygen", "--out", key}));
    AppendEvents(ledger, 1, 2);
    Expect(Cli({"checkpoint", ledger, "--key", key}));
    AppendEvents(ledger, 3, 8);
    Expect(Cli({"checkpoint", ledger, "--key", key}));
    Expect(Cli({"checkpoint", ledger, "--export", held}));
    AppendEvents(ledger, 9, 12);
    Expect(Cli({"export", ledger, "--out", archive, "--key", key, "--purpose", "annual audit"}));
  }
  static void Expect(const CliRun& run) { EXPECT_EQ(run.exit_code, 0) << Describe(run); }

  CliRun Verify(const std::string& file, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {
        "verify", "--archive", file, "--public-key", pub, "--trusted-checkpoint", held};
    args.insert(args.end(), more.begin(), more.end());
    return Cli(args);
  }
  // Writes `parts` to a new file and verifies it.
  CliRun VerifyTampered(const ArchiveParts& parts) {
    const std::string file = dir.Sub("tampered-" + std::to_string(++tampered_) + ".clarc");
    parts.Write(file);
    return Verify(file);
  }
  int tampered_ = 0;
};

TEST(ArchiveCli, ExportRecordsItselfAndTheArchiveVerifiesAgainstAHeldCheckpoint) {
  World w;
  CliRun run = w.Verify(w.archive);
  EXPECT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_TRUE(Contains(run.out, "12 events read")) << run.out;
  EXPECT_TRUE(Contains(run.out, "checkpoint OK: archive checkpoint 1: vouches for positions 1..2"));
  EXPECT_TRUE(
      Contains(run.out, "checkpoint OK: archive checkpoint 3: vouches for positions 1..12"));
  EXPECT_TRUE(Contains(run.out, "held-at-8.json: vouches for positions 1..8")) << run.out;
  EXPECT_TRUE(Contains(run.out, "OK: every event is vouched for")) << run.out;
  EXPECT_TRUE(Contains(run.out, "events/s")) << run.out;

  // The export was recorded before it was written, after the exported positions.
  LedgerOptions read_only;
  read_only.read_only = true;
  auto ledger = Ledger::Open(w.ledger, read_only);
  ASSERT_TRUE(ledger.ok());
  auto exports = (*ledger)->ReadStream("ledger-exports", 0, Direction::kForward, 10);
  ASSERT_TRUE(exports.ok());
  ASSERT_EQ(exports->size(), 1u);
  EXPECT_EQ(exports->front().position, 13u);
  EXPECT_EQ(exports->front().event.type, "LedgerExported");
  EXPECT_TRUE(Contains(exports->front().event.payload, "annual audit"));

  // The archive is the log's records and the checkpoints; never a key.
  const std::string bytes = ReadFile(w.archive);
  EXPECT_TRUE(Contains(bytes, "event number 12"));
  EXPECT_FALSE(Contains(bytes, ReadFile(w.ledger + "/meta/digest.key")));
  EXPECT_FALSE(Contains(bytes, "private"));
  EXPECT_EQ(ArchiveParts::Read(w.archive).frames.size(), 12u);

  // An archive is never overwritten, and a refused export records nothing.
  CliRun again = Cli({"export", w.ledger, "--out", w.archive, "--purpose", "again"});
  EXPECT_EQ(again.exit_code, 1) << Describe(again);
  EXPECT_TRUE(Contains(again.err, "already exists")) << again.err;
  ASSERT_TRUE((*ledger)->Refresh().ok());
  EXPECT_EQ((*ledger)->CommittedPosition(), 13u);
}

TEST(ArchiveCli, AlteredEventsAreCaughtAndTheBreakNamed) {
  World w;
  const ArchiveParts original = ArchiveParts::Read(w.archive);
  ASSERT_EQ(original.frames.size(), 12u);
  struct Case {
    const char* what;
    std::function<void(ArchiveParts&)> tamper;
    const char* expect;  // in the output
  };
  // Another ledger whose 5th event is forged, to take a well-formed record from.
  const std::string forger = w.dir.Sub("forger");
  ASSERT_EQ(Cli({"init", forger, "--opaque", "--segment-size", "1MiB"}).exit_code, 0);
  AppendEvents(forger, 1, 4);
  {
    auto opened = Ledger::Open(forger, {});
    ASSERT_TRUE(opened.ok());
    ASSERT_TRUE((*opened)
                    ->Append(testing::Request("case-1", ExpectedVersion::Any(),
                                              {testing::Event("E", "a forged event number 5")}))
                    .ok());
  }
  uint32_t forged_bytes = 0;
  const std::string forger_segment = log::SegmentPath(forger + "/log", 0);
  const uint64_t forged_at = FrameOffset(forger_segment, 5, &forged_bytes);
  ASSERT_GT(forged_at, 0u);
  const std::string forged =
      ReadFile(forger_segment).substr(forged_at, log::FramedSize(forged_bytes));

  const std::vector<Case> cases = {
      // Only the checkpoints can tell: 1..2 still match, 1..8 no longer do.
      {"flip a byte, checksum fixed", [](ArchiveParts& a) { AlterFrame(a.frames[4], true); },
       "the evidence breaks first between positions 3 and 8"},
      {"flip a byte", [](ArchiveParts& a) { AlterFrame(a.frames[4], false); },
       "the evidence breaks first between positions 3 and 5"},
      {"delete an event",
       [](ArchiveParts& a) {
         a.frames.erase(a.frames.begin() + 4);
         a.Reheader();
       },
       "the evidence breaks first between positions 3 and 5"},
      {"swap two events", [](ArchiveParts& a) { std::swap(a.frames[4], a.frames[5]); },
       "the evidence breaks first between positions 3 and 5"},
      {"insert a forged event",
       [&](ArchiveParts& a) {
         a.frames.insert(a.frames.begin() + 4, forged);
         a.Reheader();
       },
       "the evidence breaks first between positions 3 and 6"},
      // Cut after 6 events, the later checkpoints dropped: the held one (8) is beyond the end.
      {"truncate the tail",
       [](ArchiveParts& a) {
         a.frames.resize(6);
         auto lines = a.CheckpointLines();
         lines.resize(1);
         a.SetCheckpointLines(lines);
       },
       "the evidence breaks first at position 7"},
      // Cut in the middle of a frame, header untouched.
      {"cut the file",
       [](ArchiveParts& a) {
         a.frames.resize(10);
         a.frames.back().resize(a.frames.back().size() - 20);
       },
       "the evidence breaks first at position 10"},
  };
  for (const Case& c : cases) {
    ArchiveParts parts = original;
    c.tamper(parts);
    CliRun run = w.VerifyTampered(parts);
    EXPECT_EQ(run.exit_code, 1) << c.what << ": " << Describe(run);
    EXPECT_TRUE(Contains(run.out, c.expect)) << c.what << ": " << run.out;
    EXPECT_TRUE(Contains(run.out, "FAILED")) << c.what << ": " << run.out;
  }
  // The exact findings behind two of them.
  ArchiveParts removed = original;
  removed.frames.erase(removed.frames.begin() + 4);
  removed.Reheader();
  CliRun run = w.VerifyTampered(removed);
  EXPECT_TRUE(Contains(run.out, "position 5 (archive offset")) << run.out;
  EXPECT_TRUE(Contains(run.out, "holds the record of position 6")) << run.out;
  EXPECT_TRUE(Contains(run.out, "checkpoint FAILED: " + w.held)) << run.out;
  ArchiveParts cut = original;
  cut.frames.resize(6);
  cut.SetCheckpointLines({cut.CheckpointLines()[0]});
  run = w.VerifyTampered(cut);
  EXPECT_TRUE(Contains(run.out,
                       "rolled back behind this checkpoint you hold: the archive has 6 "
                       "events, the checkpoint covers 8"))
      << run.out;
}

TEST(ArchiveCli, ForgedCheckpointsAreRefused) {
  World w;
  const ArchiveParts original = ArchiveParts::Read(w.archive);
  const auto lines = original.CheckpointLines();
  ASSERT_EQ(lines.size(), 3u);
  auto last = CheckpointFromJson(lines[2]);
  auto middle = CheckpointFromJson(lines[1]);
  ASSERT_TRUE(last.ok() && middle.ok());

  // The signature of another checkpoint in place of the last one's.
  Checkpoint replaced = *last;
  replaced.signature = middle->signature;
  ArchiveParts parts = original;
  parts.SetCheckpointLines({lines[0], lines[1], CheckpointToJson(replaced)});
  CliRun run = w.VerifyTampered(parts);
  EXPECT_EQ(run.exit_code, 1) << Describe(run);
  EXPECT_TRUE(Contains(run.out, "checkpoint FAILED: archive checkpoint 3: bad signature"))
      << run.out;
  EXPECT_TRUE(Contains(run.out, "positions 9..12 are vouched for by no checkpoint")) << run.out;

  // An altered event and a checkpoint of the altered archive, re-signed with another key.
  ArchiveParts altered = original;
  AlterFrame(altered.frames[10], true);
  const std::string probe = w.dir.Sub("probe.clarc");
  altered.Write(probe);
  auto key = ReadPublicKeyFile(w.pub);
  ASSERT_TRUE(key.ok());
  auto checked = VerifyArchive(probe, *key, {});
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  Checkpoint resigned = *last;
  resigned.root = checked->tree.root;
  resigned = SignCheckpoint(resigned, SigningKey::Generate());
  altered.SetCheckpointLines({lines[0], lines[1], CheckpointToJson(resigned)});
  run = w.VerifyTampered(altered);
  EXPECT_EQ(run.exit_code, 1) << Describe(run);
  EXPECT_TRUE(Contains(run.out, "archive checkpoint 3: signed by an unknown key")) << run.out;
  EXPECT_TRUE(Contains(run.out, "positions 9..12 are vouched for by no checkpoint")) << run.out;

  // Without the archive's own checkpoints, the one the auditor holds still vouches for 1..8.
  ArchiveParts stripped = original;
  stripped.SetCheckpointLines({});
  run = w.VerifyTampered(stripped);
  EXPECT_EQ(run.exit_code, 1) << Describe(run);
  EXPECT_TRUE(Contains(run.out, "positions 1..8 match a signed checkpoint")) << run.out;
  EXPECT_TRUE(Contains(run.out, "positions 9..12 are vouched for by no checkpoint")) << run.out;
}

TEST(ArchiveCli, MalformedArchivesGiveClearErrors) {
  World w;
  const std::string original = ReadFile(w.archive);
  struct Case {
    const char* what;
    std::string bytes;
    const char* expect;
  };
  std::string bad_magic = original;
  bad_magic[0] = 'X';
  std::string bad_header = original;
  bad_header[33] ^= 0x01;  // the event count, checksum not fixed
  const std::vector<Case> cases = {
      {"empty", "", "shorter than an archive's header"},
      {"text", std::string(100, 'a'), "not a CaseLedger archive"},
      {"bad magic", bad_magic, "not a CaseLedger archive"},
      {"damaged header", bad_header, "header is damaged"},
      {"header only", original.substr(0, 64), "ends inside its checkpoint section"},
  };
  for (const Case& c : cases) {
    const std::string file = w.dir.Sub(std::string("bad-") + c.what);
    WriteFile(file, c.bytes);
    CliRun run = w.Verify(file);
    EXPECT_EQ(run.exit_code, 1) << c.what << ": " << Describe(run);
    EXPECT_TRUE(Contains(run.err, c.expect)) << c.what << ": " << run.err;
    EXPECT_TRUE(Contains(run.err, file)) << c.what << ": " << run.err;
  }
  // A damaged checkpoint line: named, and the rest still checked.
  ArchiveParts parts = ArchiveParts::Read(w.archive);
  auto lines = parts.CheckpointLines();
  lines[1] = "{\"format\":\"caseledger-checkpoint-v1\"}";
  parts.SetCheckpointLines(lines);
  CliRun run = w.VerifyTampered(parts);
  EXPECT_EQ(run.exit_code, 1) << Describe(run);
  EXPECT_TRUE(Contains(run.out, "checkpoint FAILED: archive checkpoint 2: damaged")) << run.out;
  EXPECT_TRUE(Contains(run.out, "checkpoint OK: archive checkpoint 3")) << run.out;

  // Files that are not there, a directory, a bad key, and bad usage.
  EXPECT_EQ(w.Verify(w.dir.Sub("missing.clarc")).exit_code, 1);
  EXPECT_TRUE(Contains(w.Verify(w.dir.Sub("keys")).err, "not a regular file"));
  CliRun no_key = Cli({"verify", "--archive", w.archive});
  EXPECT_EQ(no_key.exit_code, 2) << Describe(no_key);
  CliRun with_dir = Cli({"verify", w.ledger, "--archive", w.archive, "--public-key", w.pub});
  EXPECT_EQ(with_dir.exit_code, 1) << Describe(with_dir);
  EXPECT_TRUE(Contains(with_dir.err, "without DIR")) << with_dir.err;
  CliRun private_key = Cli({"verify", "--archive", w.archive, "--public-key", w.key});
  EXPECT_EQ(private_key.exit_code, 1) << Describe(private_key);
  CliRun no_purpose = Cli({"export", w.ledger, "--out", w.dir.Sub("x.clarc")});
  EXPECT_EQ(no_purpose.exit_code, 2) << Describe(no_purpose);
  EXPECT_FALSE(fs::exists(w.dir.Sub("x.clarc")));
}

// Random damage of every kind to real archive bytes: each damaged file is either refused as
// unreadable (with the file named) or read and found not OK. Never a crash (the ASan build
// runs this too), never a damaged archive that passes.
TEST(ArchiveVerify, RandomDamageIsAlwaysCaughtAndNeverCrashes) {
  World w;
  const std::string original = ReadFile(w.archive);
  auto key = ReadPublicKeyFile(w.pub);
  auto held = ReadCheckpointFile(w.held);
  ASSERT_TRUE(key.ok() && held.ok());
  const std::vector<HeldCheckpoint> held_list = {{w.held, *held}};
  auto intact = VerifyArchive(w.archive, *key, held_list);
  ASSERT_TRUE(intact.ok() && intact->ok());

  std::mt19937_64 random(20261129);
  auto pick = [&](size_t n) { return static_cast<size_t>(random() % n); };
  const std::string file = w.dir.Sub("damaged.clarc");
  int unreadable = 0, caught = 0;
  for (int round = 0; round < 400; ++round) {
    std::string bytes = original;
    switch (round % 4) {
      case 0:  // one flipped byte
        bytes[pick(bytes.size())] ^= static_cast<char>(1 + pick(255));
        break;
      case 1:  // a few flipped bytes
        for (int i = 0; i < 3; ++i) bytes[pick(bytes.size())] ^= static_cast<char>(1 + pick(255));
        break;
      case 2:  // cut anywhere
        bytes.resize(pick(bytes.size()));
        break;
      case 3:  // bytes inserted anywhere
        bytes.insert(pick(bytes.size()), std::string(1 + pick(64), static_cast<char>(pick(256))));
        break;
    }
    WriteFile(file, bytes);
    auto checked = VerifyArchive(file, *key, held_list);
    if (!checked.ok()) {
      ++unreadable;
      EXPECT_TRUE(Contains(checked.status().ToString(), file)) << checked.status().ToString();
    } else {
      ++caught;
      EXPECT_FALSE(checked->ok()) << "round " << round << " passed a damaged archive";
    }
  }
  EXPECT_GT(unreadable, 0);  // the header was hit sometimes
  EXPECT_GT(caught, 300);    // most damage is in the records, and is found there
}

TEST(ArchiveCli, KeyRotationsAreFollowedThroughTheArchivesCheckpoints) {
  TempDir dir;
  const std::string ledger = dir.Sub("ledger"), old_key = dir.Sub("k/2025.key"),
                    new_key = dir.Sub("k/2026.key"), file = dir.Sub("a.clarc");
  fs::create_directories(dir.Sub("k"));
  ASSERT_EQ(Cli({"init", ledger, "--opaque"}).exit_code, 0);
  ASSERT_EQ(Cli({"keygen", "--out", old_key}).exit_code, 0);
  ASSERT_EQ(Cli({"keygen", "--out", new_key}).exit_code, 0);
  AppendEvents(ledger, 1, 3);
  ASSERT_EQ(
      Cli({"checkpoint", ledger, "--key", old_key, "--announce-next", new_key + ".pub"}).exit_code,
      0);
  AppendEvents(ledger, 4, 6);
  CliRun exported = Cli({"export", ledger, "--out", file, "--key", new_key, "--purpose", "p"});
  ASSERT_EQ(exported.exit_code, 0) << Describe(exported);

  // The auditor still trusts the old key only: the archive's first checkpoint hands over.
  CliRun run = Cli({"verify", "--archive", file, "--public-key", old_key + ".pub"});
  EXPECT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_TRUE(Contains(run.out, "vouches for positions 1..6")) << run.out;

  // Without the announcing checkpoint, the new key is unknown to that auditor.
  ArchiveParts parts = ArchiveParts::Read(file);
  parts.SetCheckpointLines({parts.CheckpointLines()[1]});
  parts.Write(dir.Sub("b.clarc"));
  run = Cli({"verify", "--archive", dir.Sub("b.clarc"), "--public-key", old_key + ".pub"});
  EXPECT_EQ(run.exit_code, 1) << Describe(run);
  EXPECT_TRUE(Contains(run.out, "signed by an unknown key")) << run.out;
}

TEST(ArchiveCli, AnArchiveWithoutASignedCheckpointIsNotVouchedFor) {
  TempDir dir;
  const std::string ledger = dir.Sub("ledger"), key = dir.Sub("k"), file = dir.Sub("a.clarc");
  ASSERT_EQ(Cli({"init", ledger, "--opaque"}).exit_code, 0);
  ASSERT_EQ(Cli({"keygen", "--out", key}).exit_code, 0);
  CliRun empty = Cli({"export", ledger, "--out", file, "--purpose", "p"});
  EXPECT_EQ(empty.exit_code, 1) << Describe(empty);
  EXPECT_TRUE(Contains(empty.err, "empty")) << empty.err;
  AppendEvents(ledger, 1, 3);
  CliRun exported = Cli({"export", ledger, "--out", file, "--purpose", "p"});
  EXPECT_EQ(exported.exit_code, 0) << Describe(exported);
  EXPECT_TRUE(Contains(exported.err, "positions 1..3 are in no signed checkpoint")) << exported.err;
  CliRun run = Cli({"verify", "--archive", file, "--public-key", key + ".pub"});
  EXPECT_EQ(run.exit_code, 1) << Describe(run);
  EXPECT_TRUE(Contains(run.out, "positions 1..3 are vouched for by no checkpoint")) << run.out;
}

}  // namespace
}  // namespace caseledger
