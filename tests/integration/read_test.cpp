// Reads: a stream forward and backward, the whole log from any position, scans, stream
// versions, read-only ledgers beside the writer, and readers in other processes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "events.h"
#include "run_program.h"
#include "temp_dir.h"

namespace caseledger {
namespace {

using testing::CreateAndOpen;
using testing::Event;
using testing::Request;
using testing::TempDir;

constexpr uint64_t kSmallSegments = 64 << 10;

std::string Payload(Position position, size_t bytes) {
  std::string p = "{\"n\":" + std::to_string(position) + ",\"pad\":\"";
  p.append(bytes, static_cast<char>('a' + position % 26));
  return p + "\"}";
}

// Appends `count` events in requests of up to `batch` events, spread over `streams`
// streams ("case-0", ...), and returns what was proposed, indexed by position - 1.
std::vector<std::pair<std::string, ProposedEvent>> Fill(Ledger& ledger, int count, int streams,
                                                        int batch, size_t min_payload,
                                                        size_t max_payload) {
  std::vector<std::pair<std::string, ProposedEvent>> appended;
  const Position start = ledger.CommittedPosition();
  int i = 0;
  while (i < count) {
    const std::string stream = "case-" + std::to_string(i % streams);
    std::vector<ProposedEvent> events;
    for (int k = 0; k < batch && i < count; ++k, ++i) {
      const Position position = start + appended.size() + events.size() + 1;
      size_t size = min_payload + (position * 7919) % (max_payload - min_payload + 1);
      events.push_back(Event("NoteAdded", Payload(position, size)));
    }
    auto r = ledger.Append(Request(stream, ExpectedVersion::Any(), events));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return appended;
    for (auto& e : events) appended.emplace_back(stream, std::move(e));
  }
  return appended;
}

TEST(Read, StreamForwardFromAVersionWithALimit) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path());
  ASSERT_TRUE(ledger);
  // case-1 and case-10 interleaved: the one stream id is a prefix of the other.
  for (int v = 0; v < 10; ++v) {
    ASSERT_TRUE(ledger
                    ->Append(Request("case-1", ExpectedVersion::Any(),
                                     {Event("E", "a" + std::to_string(v))}))
                    .ok());
    if (v % 2 == 0) {
      ASSERT_TRUE(
          ledger->Append(Request("case-10", ExpectedVersion::Any(), {Event("E", "b")})).ok());
    }
  }
  auto all = ledger->ReadStream("case-1", 0, Direction::kForward, 100);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 10u);
  for (int v = 0; v < 10; ++v) {
    EXPECT_EQ((*all)[v].stream, "case-1");
    EXPECT_EQ((*all)[v].stream_version, v);
    EXPECT_EQ((*all)[v].event.payload, "a" + std::to_string(v));
    if (v > 0) {
      EXPECT_GT((*all)[v].position, (*all)[v - 1].position);
    }
  }
  auto middle = ledger->ReadStream("case-1", 3, Direction::kForward, 4);
  ASSERT_TRUE(middle.ok());
  ASSERT_EQ(middle->size(), 4u);
  for (int k = 0; k < 4; ++k) EXPECT_EQ((*middle)[k].stream_version, 3 + k);
  auto tail = ledger->ReadStream("case-1", 8, Direction::kForward, 100);
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ(tail->back().stream_version, 9);
  EXPECT_TRUE(ledger->ReadStream("case-1", 10, Direction::kForward, 100)->empty());
  EXPECT_TRUE(ledger->ReadStream("case-1", 1000, Direction::kForward, 100)->empty());
  EXPECT_TRUE(ledger->ReadStream("case-1", 0, Direction::kForward, 0)->empty());
  auto other = ledger->ReadStream("case-10", 0, Direction::kForward, 100);
  ASSERT_EQ(other->size(), 5u);
  for (const auto& e : *other) EXPECT_EQ(e.stream, "case-10");
}

TEST(Read, StreamBackwardFromAVersionWithALimit) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path());
  ASSERT_TRUE(ledger);
  std::vector<ProposedEvent> events;
  for (int v = 0; v < 10; ++v) events.push_back(Event("E", std::to_string(v)));
  ASSERT_TRUE(ledger->Append(Request("case-1", ExpectedVersion::NoStream(), events)).ok());
  auto versions = [&](StreamVersion from, size_t limit) {
    auto r = ledger->ReadStream("case-1", from, Direction::kBackward, limit);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<StreamVersion> out;
    if (r.ok())
      for (const auto& e : *r) {
        out.push_back(e.stream_version);
        EXPECT_EQ(e.event.payload, std::to_string(e.stream_version));
      }
    return out;
  };
  EXPECT_EQ(versions(6, 3), (std::vector<StreamVersion>{6, 5, 4}));
  EXPECT_EQ(versions(9, 100), (std::vector<StreamVersion>{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(versions(0, 5), (std::vector<StreamVersion>{0}));
  EXPECT_EQ(versions(2, 0), (std::vector<StreamVersion>{}));
  // From beyond the end: starts at the last event.
  EXPECT_EQ(versions(10, 2), (std::vector<StreamVersion>{9, 8}));
  EXPECT_EQ(versions(5000, 1), (std::vector<StreamVersion>{9}));
  EXPECT_EQ(versions(std::numeric_limits<StreamVersion>::max(), 3),
            (std::vector<StreamVersion>{9, 8, 7}));
}

TEST(Read, UnknownStreamIsEmptyAndBadArgumentsAreRefused) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path());
  ASSERT_TRUE(ledger);
  ASSERT_TRUE(ledger->Append(Request("case-1", ExpectedVersion::Any(), {Event("E")})).ok());
  for (Direction d : {Direction::kForward, Direction::kBackward}) {
    auto r = ledger->ReadStream("case-9", 0, d, 10);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->empty());
    auto prefix = ledger->ReadStream("case-", 0, d, 10);
    ASSERT_TRUE(prefix.ok());
    EXPECT_TRUE(prefix->empty());
    for (StreamVersion bad :
         {StreamVersion{-1}, StreamVersion{-100}, std::numeric_limits<StreamVersion>::min()}) {
      auto neg = ledger->ReadStream("case-1", bad, d, 10);
      ASSERT_FALSE(neg.ok()) << bad;
      EXPECT_EQ(neg.status().code(), StatusCode::kInvalidArgument);
    }
    EXPECT_EQ(ledger->ReadStream("", 0, d, 10).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(ledger->ReadStream("case 1", 0, d, 10).status().code(), StatusCode::kInvalidArgument);
  }
  auto zero = ledger->ReadAll(0, 10);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(ledger->ReadAll(2, 10)->empty());
  EXPECT_TRUE(ledger->ReadAll(1, 0)->empty());
}

TEST(Read, GetStreamVersionIsTheLastVersionOrNoStream) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path());
  ASSERT_TRUE(ledger);
  EXPECT_EQ(*ledger->GetStreamVersion("case-1"), kNoStream);
  ASSERT_TRUE(ledger->Append(Request("case-1", ExpectedVersion::Any(), {Event("E")})).ok());
  EXPECT_EQ(*ledger->GetStreamVersion("case-1"), 0);
  for (int i = 0; i < 150; ++i)  // more than one page of the backward scan
    ASSERT_TRUE(
        ledger->Append(Request(i % 3 ? "case-1" : "case-2", ExpectedVersion::Any(), {Event("E")}))
            .ok());
  EXPECT_EQ(*ledger->GetStreamVersion("case-1"), 100);
  EXPECT_EQ(*ledger->GetStreamVersion("case-2"), 49);
  EXPECT_EQ(*ledger->GetStreamVersion("case-"), kNoStream);
  EXPECT_EQ(*ledger->GetStreamVersion("case-10"), kNoStream);
  EXPECT_EQ(ledger->GetStreamVersion("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ledger->GetStreamVersion(std::string(257, 'x')).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(Read, ReadAllFromEveryPositionWithLimitsAcrossManySegments) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path(), kSmallSegments);
  ASSERT_TRUE(ledger);
  auto appended = Fill(*ledger, 1200, 7, 6, 200, 1400);
  ASSERT_EQ(appended.size(), 1200u);
  const Position n = ledger->CommittedPosition();
  ASSERT_EQ(n, 1200u);
  auto stats = ledger->GetStats();
  ASSERT_TRUE(stats.ok());
  ASSERT_GE(stats->segments, 15u) << "the events should span many 64 KiB segments";

  // Everything, checked against what was appended.
  auto all = ledger->ReadAll(1, std::numeric_limits<size_t>::max());
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), n);
  for (Position p = 1; p <= n; ++p) {
    const RecordedEvent& e = (*all)[p - 1];
    ASSERT_EQ(e.position, p);
    ASSERT_EQ(e.stream, appended[p - 1].first);
    ASSERT_EQ(e.event, appended[p - 1].second) << "position " << p;
  }

  for (Position from = 1; from <= n + 2; ++from) {
    for (size_t limit : {size_t{1}, size_t{3}, size_t{64}, size_t{65}, size_t{130}}) {
      auto r = ledger->ReadAll(from, limit);
      ASSERT_TRUE(r.ok()) << from << "/" << limit << ": " << r.status().ToString();
      const size_t expected = from > n ? 0 : std::min<size_t>(limit, n - from + 1);
      ASSERT_EQ(r->size(), expected) << "from " << from << " limit " << limit;
      for (size_t k = 0; k < r->size(); ++k) {
        ASSERT_EQ((*r)[k].position, from + k);
        ASSERT_EQ((*r)[k].event.id, (*all)[from + k - 1].event.id);
      }
    }
  }
}

TEST(Read, ScanAllVisitsARangeInOrderAndStopsWhenAsked) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path(), kSmallSegments);
  ASSERT_TRUE(ledger);
  auto appended = Fill(*ledger, 300, 3, 5, 500, 1500);
  const Position n = ledger->CommittedPosition();
  ASSERT_EQ(n, 300u);

  std::vector<Position> seen;
  auto collect = [&](const EventView& v) {
    seen.push_back(v.position);
    EXPECT_EQ(v.payload, appended[v.position - 1].second.payload);
    EXPECT_FALSE(v.record.empty());
    return true;
  };
  ASSERT_TRUE(ledger->ScanAll(1, 0, collect).ok());
  ASSERT_EQ(seen.size(), n);
  for (Position p = 1; p <= n; ++p) ASSERT_EQ(seen[p - 1], p);

  seen.clear();
  ASSERT_TRUE(ledger->ScanAll(100, 164, collect).ok());
  ASSERT_EQ(seen.size(), 65u);
  EXPECT_EQ(seen.front(), 100u);
  EXPECT_EQ(seen.back(), 164u);

  seen.clear();  // `to` beyond the end stops at the last committed position
  ASSERT_TRUE(ledger->ScanAll(290, 100000, collect).ok());
  EXPECT_EQ(seen.size(), 11u);

  seen.clear();
  ASSERT_TRUE(ledger->ScanAll(n + 1, 0, collect).ok());
  EXPECT_TRUE(seen.empty());
  ASSERT_TRUE(ledger->ScanAll(50, 40, collect).ok());
  EXPECT_TRUE(seen.empty());

  int visits = 0;
  ASSERT_TRUE(ledger
                  ->ScanAll(70, 0,
                            [&](const EventView& v) {
                              EXPECT_EQ(v.position, static_cast<Position>(70 + visits));
                              return ++visits < 5;
                            })
                  .ok());
  EXPECT_EQ(visits, 5);

  EXPECT_EQ(ledger->ScanAll(0, 10, collect).code(), StatusCode::kInvalidArgument);
}

TEST(Read, ReadOnlyLedgerBesideTheWriterSeesNewCommitsAfterRefresh) {
  TempDir dir;
  auto writer = CreateAndOpen(dir.path(), kSmallSegments);
  ASSERT_TRUE(writer);
  Fill(*writer, 20, 2, 4, 100, 300);
  LedgerOptions ro;
  ro.read_only = true;
  auto opened = Ledger::Open(dir.path(), ro);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto reader = std::move(opened).value();
  EXPECT_EQ(reader->CommittedPosition(), 20u);
  EXPECT_EQ(reader->GetTreeHead(), writer->GetTreeHead());
  EXPECT_EQ(reader->ReadAll(1, 100)->size(), 20u);

  // A read-only ledger cannot append.
  auto refused = reader->Append(Request("case-0", ExpectedVersion::Any(), {Event("E")}));
  EXPECT_FALSE(refused.ok());

  for (int round = 0; round < 5; ++round) {
    const Position before = reader->CommittedPosition();
    Fill(*writer, 37, 3, 5, 100, 2000);  // crosses segments now and then
    const Position now = writer->CommittedPosition();
    ASSERT_EQ(now, before + 37);
    // Until it refreshes, the reader stays at what it had: never a partial view.
    EXPECT_EQ(reader->CommittedPosition(), before);
    EXPECT_EQ(reader->ReadAll(1, 10000)->size(), before);
    ASSERT_TRUE(reader->Refresh().ok());
    EXPECT_EQ(reader->CommittedPosition(), now) << "round " << round;
    EXPECT_EQ(reader->GetTreeHead(), writer->GetTreeHead());
    auto mine = reader->ReadAll(1, 10000);
    auto theirs = writer->ReadAll(1, 10000);
    ASSERT_TRUE(mine.ok()) << mine.status().ToString();
    ASSERT_EQ(mine->size(), theirs->size());
    for (size_t i = 0; i < mine->size(); ++i) ASSERT_EQ((*mine)[i].event, (*theirs)[i].event);
    for (const char* s : {"case-0", "case-1", "case-2"}) {
      EXPECT_EQ(*reader->GetStreamVersion(s), *writer->GetStreamVersion(s)) << s;
      auto rs = reader->ReadStream(s, 0, Direction::kForward, 10000);
      auto ws = writer->ReadStream(s, 0, Direction::kForward, 10000);
      ASSERT_TRUE(rs.ok());
      ASSERT_EQ(rs->size(), ws->size()) << s;
    }
  }
  // The writer is unaffected by its reader: it keeps appending.
  ASSERT_TRUE(writer->Append(Request("case-0", ExpectedVersion::Any(), {Event("E")})).ok());
  EXPECT_TRUE(writer->Health().ok());
}

// ---- readers in other processes ----

struct ChildRun {
  int exit_code = -1;  // -1: killed after the timeout
  std::string out, err;
  double seconds = 0;
};

// Runs the caseledger CLI with `args`, and times it.
ChildRun RunCli(const std::vector<std::string>& args,
                std::chrono::seconds timeout = std::chrono::seconds(30)) {
  const auto start = std::chrono::steady_clock::now();
  testing::ProgramRun r =
      testing::RunProgram(CASELEDGER_BIN, args, static_cast<int>(timeout.count()));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {r.exit_code, std::move(r.out), std::move(r.err), seconds};
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(Read, ReaderInAnotherProcessReadsWhileTheWriterKeepsAppending) {
  TempDir dir;
  const std::string ledger_dir = dir.Sub("ledger");
  auto writer = CreateAndOpen(ledger_dir, kSmallSegments);
  ASSERT_TRUE(writer);
  Fill(*writer, 600, 5, 20, 300, 1200);

  // One thread appends without pause for the whole test, timing every append.
  std::atomic<bool> stop{false};
  std::atomic<int> appended{0}, failed{0};
  std::atomic<int64_t> slowest_us{0};
  std::thread appender([&] {
    while (!stop) {
      auto t0 = std::chrono::steady_clock::now();
      auto r =
          writer->Append(Request("live", ExpectedVersion::Any(), {Event("Tick", Payload(0, 200))}));
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - t0)
                    .count();
      if (us > slowest_us) slowest_us = us;
      if (r.ok())
        ++appended;
      else
        ++failed;
    }
  });

  for (int run = 0; run < 4; ++run) {
    const Position committed_before = writer->CommittedPosition();
    const int appended_before = appended;
    ChildRun child = RunCli({"read", ledger_dir, "--all", "--limit", "1000000", "--format", "csv"});
    const int appended_during = appended - appended_before;
    ASSERT_EQ(child.exit_code, 0) << child.err;
    auto lines = Lines(child.out);
    ASSERT_GE(lines.size(), 2u);
    EXPECT_EQ(lines[0].rfind("position,stream,version,", 0), 0u) << lines[0];
    const size_t rows = lines.size() - 1;  // payloads hold no newlines
    EXPECT_GE(rows, committed_before)
        << "the reader must see everything committed before it started";
    for (size_t i = 1; i < lines.size(); ++i)
      ASSERT_EQ(lines[i].substr(0, lines[i].find(',')), std::to_string(i)) << "row " << i;
    EXPECT_GT(appended_during, 0) << "no append completed during a " << child.seconds
                                  << " s read in another process";
  }
  ChildRun stats = RunCli({"stats", ledger_dir, "--format", "csv"});
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  ChildRun verify = RunCli({"verify", ledger_dir});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

  stop = true;
  appender.join();
  EXPECT_EQ(failed, 0);
  EXPECT_GT(appended, 0);
  EXPECT_LT(slowest_us, 5'000'000) << "an append waited on the other process";
  EXPECT_TRUE(writer->Health().ok());
  // The other process took no lock: the writer's ledger is still complete and consistent.
  auto all = writer->ReadAll(1, std::numeric_limits<size_t>::max());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), writer->CommittedPosition());
}

TEST(Read, TreeHeadAtEverySizeIsTheHeadTheLedgerHadThen) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path());
  std::vector<TreeHead> heads{ledger->GetTreeHead()};
  // Sizes across several stored levels (>= 16 leaves) and odd tails.
  for (int i = 0; i < 70; ++i) {
    ASSERT_TRUE(ledger
                    ->Append(Request("case-" + std::to_string(i % 3), ExpectedVersion::Any(),
                                     {Event("NoteAdded", Payload(i + 1, i))}))
                    .ok());
    heads.push_back(ledger->GetTreeHead());
  }
  for (uint64_t size = 0; size < heads.size(); ++size) {
    auto head = ledger->GetTreeHeadAt(size);
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    EXPECT_EQ(*head, heads[size]) << "size " << size;
  }
  auto beyond = ledger->GetTreeHeadAt(heads.size());
  EXPECT_EQ(beyond.status().code(), StatusCode::kInvalidArgument);
}

TEST(Read, ReadOnlyLedgerSeesEveryCommitOfWritersThatCameAndWent) {
  // Each writer flushes its index and drops its WAL when it closes; a reader that had
  // replayed part of that WAL must still see everything (the writer's commit notice).
  TempDir dir;
  CreateAndOpen(dir.path()).reset();
  LedgerOptions read_only;
  read_only.read_only = true;
  auto reader = Ledger::Open(dir.path(), read_only);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Position appended = 0;
  for (int round = 0; round < 20; ++round) {
    auto writer = Ledger::Open(dir.path(), LedgerOptions{});
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE((*writer)
                      ->Append(Request("case-" + std::to_string(round), ExpectedVersion::Any(),
                                       {Event("NoteAdded")}))
                      .ok());
      ++appended;
      if (i == 1) {
        ASSERT_TRUE((*reader)->Refresh().ok());  // catch up with part of it
      }
    }
    writer->reset();
    ASSERT_TRUE((*reader)->Refresh().ok());
    EXPECT_EQ((*reader)->CommittedPosition(), appended) << "round " << round;
    auto last = (*reader)->ReadAll(appended, 1);
    ASSERT_TRUE(last.ok());
    EXPECT_EQ(last->size(), 1u);
  }
}

}  // namespace
}  // namespace caseledger
