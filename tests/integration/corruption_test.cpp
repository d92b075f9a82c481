// Damaged segment files: a flipped record byte, a forged record with a recomputed
// checksum, truncated segments and damaged segment headers. Each is found and named
// (Verify, or kCorruption from a read), and none crashes anything.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <regex>
#include <thread>

#include "envelope/envelope_codec.h"
#include "events.h"
#include "log/frame.h"
#include "log/segment.h"
#include "temp_dir.h"
#include "util/endian.h"

namespace caseledger {
namespace {

namespace fs = std::filesystem;
using testing::CreateAndOpen;
using testing::Event;
using testing::Request;
using testing::TempDir;

constexpr uint64_t kSmallSegments = 64 << 10;

std::string SegmentFile(const std::string& dir, uint32_t index) {
  return log::SegmentPath(dir + "/log", index);
}

std::vector<uint64_t> ReadWords(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint64_t> words(fs::file_size(path) / 8);
  in.read(reinterpret_cast<char*>(words.data()), static_cast<std::streamsize>(words.size() * 8));
  return words;
}

std::string ReadAllBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAllBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

void Overwrite(const std::string& path, uint64_t offset, const void* data, size_t n) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
  ASSERT_TRUE(f.good()) << path;
}

void FlipByte(const std::string& path, uint64_t offset, uint8_t mask = 0x01) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ mask);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
  ASSERT_TRUE(f.good()) << path << " at " << offset;
}

// Where each position's frame is, found by walking the segment files as docs/format.md
// describes them (independently of the ledger's index).
struct FrameAt {
  std::string path;
  uint32_t segment = 0;
  uint64_t offset = 0;  // of the frame header
  uint32_t record_bytes = 0;
};

std::map<Position, FrameAt> LocateFrames(const std::string& dir) {
  std::map<Position, FrameAt> frames;
  for (uint32_t seg = 0; fs::exists(SegmentFile(dir, seg)); ++seg) {
    const std::string path = SegmentFile(dir, seg);
    std::vector<uint64_t> words = ReadWords(path);
    const auto* data = reinterpret_cast<const std::byte*>(words.data());
    const size_t size = words.size() * 8;
    size_t off = log::kSegmentHeaderBytes;
    while (true) {
      log::FrameParse p = log::ParseFrame(data + off, size - off);
      if (p.outcome == log::FrameParse::Outcome::kEnd) break;
      if (p.outcome != log::FrameParse::Outcome::kRecord) {
        ADD_FAILURE() << path << " offset " << off << ": " << p.error;
        break;
      }
      auto view = envelope::DecodeRecord(p.record);
      if (!view.ok()) {
        ADD_FAILURE() << path << " offset " << off << ": " << view.status().ToString();
        break;
      }
      frames[view->position] = {path, seg, off, static_cast<uint32_t>(p.record.size())};
      off += p.framed_size;
    }
  }
  return frames;
}

std::string StreamOf(Position position) { return "case-" + std::to_string((position - 1) % 4); }
StreamVersion VersionOf(Position position) {
  return static_cast<StreamVersion>((position - 1) / 4);
}
std::string PayloadOf(Position position) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "payload-%06llu", static_cast<unsigned long long>(position));
  return std::string(buf) + std::string(40, '.');
}

// A closed ledger of `n` single-event appends round-robin over case-0..case-3.
void MakeLedger(const std::string& dir, int n, uint64_t segment_bytes = 1 << 20,
                size_t padding = 0) {
  auto ledger = CreateAndOpen(dir, segment_bytes);
  ASSERT_TRUE(ledger);
  for (Position p = 1; p <= static_cast<Position>(n); ++p) {
    auto r =
        ledger->Append(Request(StreamOf(p), ExpectedVersion::Any(),
                               {Event("NoteAdded", PayloadOf(p) + std::string(padding, '#'))}));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->first_position, p);
  }
}

std::unique_ptr<Ledger> Reopen(const std::string& dir, bool read_only = false) {
  LedgerOptions options;
  options.read_only = read_only;
  auto ledger = Ledger::Open(dir, options);
  EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
  return ledger.ok() ? std::move(ledger).value() : nullptr;
}

bool Mentions(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST(Corruption, FlippedRecordByteIsNamedByVerifyAndReadsReturnCorruption) {
  TempDir dir;
  MakeLedger(dir.path(), 40);
  auto frames = LocateFrames(dir.path());
  ASSERT_EQ(frames.size(), 40u);
  const FrameAt& f = frames.at(20);
  FlipByte(f.path, f.offset + log::kFrameHeaderBytes + f.record_bytes / 2, 0x10);

  // Opened as verify.h shows, read-only; opening as the writer is the next test.
  auto ledger = Reopen(dir.path(), /*read_only=*/true);
  ASSERT_TRUE(ledger);
  auto report = ledger->Verify({});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_FALSE(report->ok());
  const VerifyProblem& first = report->problems.front();
  EXPECT_EQ(first.kind, VerifyProblem::Kind::kChecksum) << first.ToString();
  EXPECT_EQ(first.position, 20u) << first.ToString();
  EXPECT_EQ(first.ToString().rfind("position 20: checksum", 0), 0u) << first.ToString();

  auto all = ledger->ReadAll(1, 100);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Mentions(all.status().message(), "position 20")) << all.status().ToString();
  auto one = ledger->ReadAll(20, 1);
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(ledger->ScanAll(1, 0, [](const EventView&) { return true; }).code(),
            StatusCode::kCorruption);
  auto stream = ledger->ReadStream(StreamOf(20), VersionOf(20), Direction::kForward, 1);
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Mentions(stream.status().message(), "position 20")) << stream.status().ToString();
  EXPECT_EQ(ledger->ReadStream(StreamOf(20), 0, Direction::kForward, 100).status().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(ledger->ReadStream(StreamOf(20), 100, Direction::kBackward, 100).status().code(),
            StatusCode::kCorruption);

  // The damage is contained: what lies before it, and the other streams, still read.
  auto before = ledger->ReadAll(1, 19);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(before->size(), 19u);
  auto later_versions =
      ledger->ReadStream(StreamOf(20), VersionOf(20) + 1, Direction::kForward, 100);
  ASSERT_TRUE(later_versions.ok()) << later_versions.status().ToString();
  EXPECT_EQ(later_versions->size(), 5u);
  auto other = ledger->ReadStream(StreamOf(21), 0, Direction::kForward, 100);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_EQ(other->size(), 10u);

  // A subscription delivers everything before the damage, then reports it.
  auto sub = ledger->Subscribe(1);
  ASSERT_TRUE(sub.ok());
  Position last = 0;
  Status error;
  for (int i = 0; i < 100 && error.ok(); ++i) {
    auto r = (*sub)->Next(7, std::chrono::milliseconds(10));
    if (!r.ok()) {
      error = r.status();
      break;
    }
    for (const auto& e : *r) {
      EXPECT_EQ(e.position, last + 1);
      last = e.position;
    }
  }
  EXPECT_EQ(error.code(), StatusCode::kCorruption) << error.ToString();
  EXPECT_LT(last, 20u);
}

// A subscription that meets a record it cannot read returns the error, and after the
// error it has not moved past what it delivered: once the record reads again (here the
// byte is put back; in life, a transient I/O error passes), it goes on from there, every
// event exactly once and no gap.
TEST(Corruption, SubscriptionLosesNothingAcrossAFailedRead) {
  TempDir dir;
  MakeLedger(dir.path(), 40);
  auto frames = LocateFrames(dir.path());
  ASSERT_EQ(frames.size(), 40u);
  const FrameAt& f = frames.at(20);
  const uint64_t damaged = f.offset + log::kFrameHeaderBytes + f.record_bytes / 2;
  FlipByte(f.path, damaged, 0x10);
  auto ledger = Reopen(dir.path(), /*read_only=*/true);
  ASSERT_TRUE(ledger);
  auto sub = ledger->Subscribe(1);
  ASSERT_TRUE(sub.ok());
  std::vector<Position> delivered;
  Status error;
  for (int i = 0; i < 100 && error.ok(); ++i) {
    auto r = (*sub)->Next(7, std::chrono::milliseconds(10));
    if (!r.ok()) {
      error = r.status();
      break;
    }
    for (const auto& e : *r) delivered.push_back(e.position);
  }
  ASSERT_EQ(error.code(), StatusCode::kCorruption) << error.ToString();
  ASSERT_FALSE(delivered.empty());
  EXPECT_EQ((*sub)->last_position(), delivered.back())
      << "the failed call delivered nothing, yet the subscription moved on";

  FlipByte(f.path, damaged, 0x10);  // the record reads again
  for (int i = 0; i < 100 && (*sub)->last_position() < 40; ++i) {
    auto r = (*sub)->Next(7, std::chrono::milliseconds(10));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (const auto& e : *r) delivered.push_back(e.position);
  }
  std::vector<Position> expected(40);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(delivered, expected) << "positions lost or repeated across the failed read";
}

// Recovery on open checks that the index and the log end at the same record; a damaged
// record earlier in the log is for Verify to report, and must not decide whether the
// ledger opens. Whether it does must not depend on where the damage falls relative to the
// index's every-64th-position entries either.
TEST(Corruption, WriterOpensDespiteADamagedRecordBeforeTheLastOne) {
  // With 100 events the index's entry for the end is position 65, with 40 it is position 1:
  // only the second lies before the damaged position 20.
  for (int events : {100, 40}) {
    SCOPED_TRACE(std::to_string(events) + " events, position 20 damaged");
    TempDir dir;
    MakeLedger(dir.path(), events);
    auto frames = LocateFrames(dir.path());
    ASSERT_EQ(frames.size(), static_cast<size_t>(events));
    const FrameAt& f = frames.at(20);
    FlipByte(f.path, f.offset + log::kFrameHeaderBytes + f.record_bytes / 2, 0x10);
    auto opened = Ledger::Open(dir.path(), {});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    auto& ledger = *opened;
    EXPECT_EQ(ledger->CommittedPosition(), static_cast<Position>(events));
    auto report = ledger->Verify({});
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_FALSE(report->ok());
    EXPECT_EQ(report->problems.front().position, 20u) << report->problems.front().ToString();
    EXPECT_EQ(report->problems.front().kind, VerifyProblem::Kind::kChecksum);
    // The undamaged end of the log is still the writer's to extend.
    auto r = ledger->Append(Request("case-9", ExpectedVersion::Any(), {Event("E")}));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->first_position, static_cast<Position>(events + 1));
  }
}

// Rewrites the payload of `position` in place (same length) and recomputes the frame's
// checksum, as a forger with write access to DIR/log would.
void Forge(const FrameAt& f, Position position) {
  const std::string bytes = ReadAllBytes(f.path);
  const std::string original = PayloadOf(position);
  const size_t record_begin = f.offset + log::kFrameHeaderBytes;
  size_t at = bytes.find(original, record_begin);
  ASSERT_NE(at, std::string::npos);
  ASSERT_LT(at + original.size(), record_begin + f.record_bytes);
  const char forged = 'X';
  Overwrite(f.path, at + 8, &forged, 1);  // "payload-X00007...": same length, other content
  std::vector<uint64_t> record(f.record_bytes / 8);
  std::string now = ReadAllBytes(f.path);
  std::memcpy(record.data(), now.data() + record_begin, f.record_bytes);
  std::byte checksum[8];
  StoreLE64(checksum, log::FrameChecksum(std::as_bytes(std::span(record))));
  Overwrite(f.path, f.offset + 8, checksum, 8);
}

// "positions A..B" in a problem's detail.
bool NamesRangeContaining(const VerifyProblem& p, Position position, Position tree_size) {
  std::smatch m;
  if (std::regex_search(p.detail, m, std::regex(R"(positions (\d+)\.\.(\d+))"))) {
    const Position a = std::stoull(m[1]), b = std::stoull(m[2]);
    return a <= position && position <= b && (p.position == 0 || p.position == a);
  }
  // A problem with the root itself covers the whole tree, 1..size.
  return p.position == 0 && position <= tree_size;
}

TEST(Corruption, ForgedRecordWithRecomputedChecksumIsCaughtByTheMerkleTree) {
  TempDir dir;
  MakeLedger(dir.path(), 40);
  auto frames = LocateFrames(dir.path());
  ASSERT_EQ(frames.size(), 40u);
  Forge(frames.at(7), 7);

  auto ledger = Reopen(dir.path());
  ASSERT_TRUE(ledger);
  // The frame alone cannot tell: the forged record reads back.
  auto forged = ledger->ReadAll(7, 1);
  ASSERT_TRUE(forged.ok()) << forged.status().ToString();
  EXPECT_EQ(forged->front().event.payload.substr(0, 10), "payload-X0");

  auto report = ledger->Verify({});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_FALSE(report->ok()) << "a forged record went unnoticed";
  EXPECT_NE(report->recomputed.root, ledger->GetTreeHead().root);
  EXPECT_EQ(report->recomputed.size, 40u);
  bool tree_problem = false;
  for (const auto& p : report->problems) {
    EXPECT_NE(p.kind, VerifyProblem::Kind::kChecksum) << p.ToString();
    EXPECT_NE(p.kind, VerifyProblem::Kind::kFrame) << p.ToString();
    if (p.kind == VerifyProblem::Kind::kTree) {
      tree_problem = true;
      // Position 7 lies in the stored subtree over 1..16.
      EXPECT_TRUE(NamesRangeContaining(p, 7, 40)) << p.ToString();
      EXPECT_NE(p.position, 0u) << "a stored subtree covers position 7: " << p.ToString();
    }
  }
  EXPECT_TRUE(tree_problem);
}

TEST(Corruption, ForgedRecordBeyondTheLastStoredSubtreeIsCaughtByTheRoot) {
  TempDir dir;
  MakeLedger(dir.path(), 40);
  auto frames = LocateFrames(dir.path());
  ASSERT_EQ(frames.size(), 40u);
  Forge(frames.at(38), 38);
  auto ledger = Reopen(dir.path());
  ASSERT_TRUE(ledger);
  auto report = ledger->Verify({});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_FALSE(report->ok()) << "a forged record went unnoticed";
  bool tree_problem = false;
  for (const auto& p : report->problems) {
    if (p.kind != VerifyProblem::Kind::kTree) continue;
    tree_problem = true;
    EXPECT_TRUE(NamesRangeContaining(p, 38, 40)) << p.ToString();
  }
  EXPECT_TRUE(tree_problem);
}

// Opening or reading a ledger whose segment `index` is damaged: either Open or a read
// returns kCorruption naming the file. Never a crash.
void ExpectCorruptionNamingFile(const std::string& dir, uint32_t index, Position first_affected,
                                const std::string& what) {
  const std::string file = fs::path(SegmentFile(dir, index)).filename().string();
  auto opened = Ledger::Open(dir, {});
  if (!opened.ok()) {
    EXPECT_EQ(opened.status().code(), StatusCode::kCorruption)
        << what << ": " << opened.status().ToString();
    EXPECT_TRUE(Mentions(opened.status().message(), file))
        << what << ": " << opened.status().ToString();
    return;
  }
  auto ledger = std::move(opened).value();
  auto r = ledger->ReadAll(first_affected, 1);
  ASSERT_FALSE(r.ok()) << what << ": opened and read without complaint";
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << what << ": " << r.status().ToString();
  EXPECT_TRUE(Mentions(r.status().message(), file)) << what << ": " << r.status().ToString();
  auto report = ledger->Verify({});
  if (report.ok()) {
    EXPECT_FALSE(report->ok()) << what;
  } else {
    EXPECT_EQ(report.status().code(), StatusCode::kCorruption) << what;
  }
}

TEST(Corruption, TruncatedSegmentIsCorruptionOnOpenOrReadNeverACrash) {
  TempDir dir;
  MakeLedger(dir.path(), 40, kSmallSegments);
  const std::string seg0 = SegmentFile(dir.path(), 0);
  const std::string pristine = ReadAllBytes(seg0);
  ASSERT_EQ(pristine.size(), kSmallSegments);
  for (size_t size : {size_t{0}, size_t{10}, size_t{64}, size_t{100}, size_t{4096},
                      pristine.size() / 2, pristine.size() - 8, pristine.size() - 1}) {
    WriteAllBytes(seg0, pristine.substr(0, size));
    ExpectCorruptionNamingFile(dir.path(), 0, 1,
                               "segment 0 cut to " + std::to_string(size) + " bytes");
  }
  // Grown beyond its size is just as wrong.
  WriteAllBytes(seg0, pristine + std::string(4096, '\0'));
  ExpectCorruptionNamingFile(dir.path(), 0, 1, "segment 0 grown by 4096 bytes");
  // Put back, the ledger is whole again.
  WriteAllBytes(seg0, pristine);
  auto ledger = Reopen(dir.path());
  ASSERT_TRUE(ledger);
  EXPECT_EQ(ledger->ReadAll(1, 100)->size(), 40u);
  EXPECT_TRUE(ledger->Verify({})->ok());
}

TEST(Corruption, TruncatedEarlySegmentIsNamedAndLaterSegmentsStillRead) {
  TempDir dir;
  MakeLedger(dir.path(), 300, kSmallSegments, 400);
  auto frames = LocateFrames(dir.path());
  ASSERT_EQ(frames.size(), 300u);
  ASSERT_GE(frames.at(300).segment, 2u);
  const std::string seg0 = SegmentFile(dir.path(), 0);
  fs::resize_file(seg0, kSmallSegments / 2);

  auto opened = Ledger::Open(dir.path(), {});
  if (!opened.ok()) {
    EXPECT_EQ(opened.status().code(), StatusCode::kCorruption) << opened.status().ToString();
    EXPECT_TRUE(Mentions(opened.status().message(), "00000000.seg")) << opened.status().ToString();
    return;
  }
  auto ledger = std::move(opened).value();
  auto early = ledger->ReadAll(1, 10);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Mentions(early.status().message(), "00000000.seg")) << early.status().ToString();
  auto stream = ledger->ReadStream("case-0", 0, Direction::kForward, 1);
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.status().code(), StatusCode::kCorruption);
  // Positions in intact segments read as before.
  const Position first_in_seg2 = [&] {
    for (const auto& [p, f] : frames)
      if (f.segment == 2) return p;
    return Position{0};
  }();
  auto late = ledger->ReadAll(first_in_seg2, 10);
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  EXPECT_EQ(late->front().position, first_in_seg2);
  auto report = ledger->Verify({});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_FALSE(report->ok());
  EXPECT_EQ(report->problems.front().kind, VerifyProblem::Kind::kFrame);
  EXPECT_EQ(report->problems.front().position, 1u);
  EXPECT_TRUE(Mentions(report->problems.front().detail, "00000000.seg"))
      << report->problems.front().ToString();
}

TEST(Corruption, EveryFlippedByteOfASegmentHeaderIsCorruptionNamingTheFile) {
  TempDir dir;
  MakeLedger(dir.path(), 20);
  const std::string seg0 = SegmentFile(dir.path(), 0);
  for (uint64_t i = 0; i < log::kSegmentHeaderBytes; ++i) {
    FlipByte(seg0, i, 0x04);
    ExpectCorruptionNamingFile(dir.path(), 0, 1, "header byte " + std::to_string(i));
    FlipByte(seg0, i, 0x04);  // put it back
    if (::testing::Test::HasFailure()) break;
  }
  auto ledger = Reopen(dir.path());
  ASSERT_TRUE(ledger);
  EXPECT_EQ(ledger->ReadAll(1, 100)->size(), 20u);
  EXPECT_TRUE(ledger->Verify({})->ok());
}

// Damage to the header of a later segment is named too, whether a read goes to the
// segment directly or walks into it from the one before, and Verify names it.
TEST(Corruption, DamagedHeaderOfALaterSegmentIsNamedHoweverTheReadGetsThere) {
  TempDir dir;
  MakeLedger(dir.path(), 200, kSmallSegments, 400);
  auto frames = LocateFrames(dir.path());
  ASSERT_EQ(frames.size(), 200u);
  ASSERT_GE(frames.at(200).segment, 2u);
  Position first_in_seg1 = 0;
  for (const auto& [p, f] : frames) {
    if (f.segment == 1) {
      first_in_seg1 = p;
      break;
    }
  }
  ASSERT_GT(first_in_seg1, 1u);
  FlipByte(SegmentFile(dir.path(), 1), 30);  // a byte of the ledger id

  auto ledger = Reopen(dir.path(), /*read_only=*/true);
  ASSERT_TRUE(ledger);
  // Walking from segment 0 into segment 1.
  auto walk = ledger->ReadAll(1, 1000);
  ASSERT_FALSE(walk.ok());
  EXPECT_EQ(walk.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Mentions(walk.status().message(), "00000001.seg")) << walk.status().ToString();
  // Going to a record of segment 1 through the stream index.
  auto direct =
      ledger->ReadStream(StreamOf(first_in_seg1), VersionOf(first_in_seg1), Direction::kForward, 1);
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Mentions(direct.status().message(), "00000001.seg")) << direct.status().ToString();
  // What lies before it reads.
  auto before = ledger->ReadAll(1, first_in_seg1 - 1);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  auto report = ledger->Verify({});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_FALSE(report->ok());
  EXPECT_EQ(report->problems.front().position, first_in_seg1)
      << report->problems.front().ToString();
  EXPECT_TRUE(Mentions(report->problems.front().detail, "00000001.seg"))
      << report->problems.front().ToString();
}

// The writer keeps a preallocated spare segment. If that file's header is damaged before
// the writer gets to it, events must not be acknowledged into a segment no reader can
// open: either the append fails naming the file, or what was acknowledged reads back.
TEST(Corruption, AppendsAreNeverAcknowledgedIntoASegmentWhoseHeaderIsDamaged) {
  TempDir dir;
  {
    auto ledger = CreateAndOpen(dir.path(), kSmallSegments);
    ASSERT_TRUE(ledger);
    ASSERT_TRUE(ledger->Append(Request("case-0", ExpectedVersion::Any(), {Event("E")})).ok());
    // Wait for the spare segment to be preallocated.
    for (int i = 0; i < 500 && !fs::exists(SegmentFile(dir.path(), 1)); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(fs::exists(SegmentFile(dir.path(), 1)));
  FlipByte(SegmentFile(dir.path(), 1), 30);  // a byte of the ledger id

  auto ledger = Reopen(dir.path());
  ASSERT_TRUE(ledger);
  Position acknowledged = 1;
  Status failure;
  for (int i = 0; i < 200; ++i) {  // ~200 KiB: well into segment 1
    auto r = ledger->Append(
        Request("case-0", ExpectedVersion::Any(), {Event("E", std::string(1000, 'x'))}));
    if (!r.ok()) {
      failure = r.status();
      break;
    }
    acknowledged = r->last_position;
  }
  if (!failure.ok()) {
    EXPECT_TRUE(Mentions(failure.message(), "00000001.seg")) << failure.ToString();
  }
  auto all = ledger->ReadAll(1, std::numeric_limits<size_t>::max());
  EXPECT_TRUE(all.ok()) << "acknowledged events (1.." << acknowledged
                        << ") do not read back: " << all.status().ToString();
  if (all.ok()) {
    EXPECT_EQ(all->size(), acknowledged);
  }
  ledger.reset();
  auto again = Ledger::Open(dir.path(), {});
  ASSERT_TRUE(again.ok()) << "after acknowledging " << acknowledged
                          << " events the ledger no longer opens: " << again.status().ToString();
  EXPECT_EQ((*again)->CommittedPosition(), acknowledged);
}

}  // namespace
}  // namespace caseledger
