// Reindex: DIR/index is derived data; rebuilt from DIR/log alone it answers exactly as
// before, and DIR/meta is left as it was.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <map>

#include "events.h"
#include "temp_dir.h"

namespace caseledger {
namespace {

namespace fs = std::filesystem;
using testing::CreateAndOpen;
using testing::Event;
using testing::OpaqueLedger;
using testing::Request;
using testing::TempDir;

constexpr uint64_t kSmallSegments = 64 << 10;
constexpr int kStreams = 23;

std::string StreamName(int i) { return "case-" + std::to_string(i); }

// Every file under `dir` with its bytes.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    files[fs::relative(entry.path(), dir).string()] =
        std::string(std::istreambuf_iterator<char>(in), {});
  }
  return files;
}

// What a user can observe of a ledger through its API.
struct Observed {
  TreeHead head;
  uint64_t events = 0, streams = 0, log_bytes = 0;
  std::vector<RecordedEvent> all;
  std::map<std::string, StreamVersion> versions;
  std::map<std::string, std::vector<RecordedEvent>> forward, backward;
};

Observed Observe(Ledger& ledger) {
  Observed o;
  o.head = ledger.GetTreeHead();
  auto stats = ledger.GetStats();
  EXPECT_TRUE(stats.ok()) << stats.status().ToString();
  if (stats.ok()) {
    o.events = stats->events;
    o.streams = stats->streams;
    o.log_bytes = stats->log_bytes;
  }
  auto all = ledger.ReadAll(1, std::numeric_limits<size_t>::max());
  EXPECT_TRUE(all.ok()) << all.status().ToString();
  if (all.ok()) o.all = *all;
  for (int i = 0; i < kStreams + 1; ++i) {  // one stream that does not exist
    const std::string s = StreamName(i);
    o.versions[s] = *ledger.GetStreamVersion(s);
    o.forward[s] = *ledger.ReadStream(s, 0, Direction::kForward, 100000);
    o.backward[s] = *ledger.ReadStream(s, std::numeric_limits<StreamVersion>::max(),
                                       Direction::kBackward, 100000);
  }
  return o;
}

void ExpectSameEvents(const std::vector<RecordedEvent>& a, const std::vector<RecordedEvent>& b,
                      const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].position, b[i].position) << what << " #" << i;
    ASSERT_EQ(a[i].stream, b[i].stream) << what << " #" << i;
    ASSERT_EQ(a[i].stream_version, b[i].stream_version) << what << " #" << i;
    ASSERT_EQ(a[i].recorded_at, b[i].recorded_at) << what << " #" << i;
    ASSERT_EQ(a[i].recorded_by, b[i].recorded_by) << what << " #" << i;
    ASSERT_EQ(a[i].content_digest, b[i].content_digest) << what << " #" << i;
    ASSERT_EQ(a[i].event, b[i].event) << what << " #" << i;
  }
}

void ExpectSame(const Observed& before, const Observed& after) {
  EXPECT_EQ(after.head, before.head);
  EXPECT_EQ(HashToHex(after.head.root), HashToHex(before.head.root));
  EXPECT_EQ(after.events, before.events);
  EXPECT_EQ(after.streams, before.streams);
  EXPECT_EQ(after.log_bytes, before.log_bytes);
  ExpectSameEvents(before.all, after.all, "ReadAll");
  EXPECT_EQ(after.versions, before.versions);
  for (const auto& [s, events] : before.forward)
    ExpectSameEvents(events, after.forward.at(s), s + " forward");
  for (const auto& [s, events] : before.backward)
    ExpectSameEvents(events, after.backward.at(s), s + " backward");
}

// A ledger of several 64 KiB segments: batches of 1..5 events over kStreams streams,
// payloads of varying size, corrections and correlation ids included.
std::vector<AppendRequest> Populate(Ledger& ledger) {
  std::vector<AppendRequest> requests;
  for (int i = 0; i < 260; ++i) {
    std::vector<ProposedEvent> events;
    for (int k = 0; k <= i % 5; ++k) {
      ProposedEvent e =
          Event("NoteAdded", std::string(50 + (i * 37 + k * 11) % 700, static_cast<char>('a' + k)));
      if (i % 7 == 0) e.correlation_id = EventId::Random();
      if (i % 11 == 0 && i > 0) {
        e.corrects = static_cast<Position>(i);
        e.correction_reason = "typo";
      }
      events.push_back(e);
    }
    requests.push_back(Request(StreamName(i % kStreams), ExpectedVersion::Any(), events));
    auto r = ledger.Append(requests.back(), i % 3 ? std::string_view() : "token:w-9");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  }
  return requests;
}

TEST(Reindex, RebuiltIndexAnswersExactlyAsBeforeAndMetaIsUntouched) {
  TempDir dir;
  Observed before;
  std::vector<AppendRequest> requests;
  {
    auto ledger = CreateAndOpen(dir.path(), kSmallSegments);
    ASSERT_TRUE(ledger);
    requests = Populate(*ledger);
    before = Observe(*ledger);
    auto stats = ledger->GetStats();
    ASSERT_TRUE(stats.ok());
    ASSERT_GE(stats->segments, 6u) << "the log should span several segments";
    ASSERT_EQ(before.events, 780u);  // 52 x (1 + 2 + 3 + 4 + 5)
    ASSERT_EQ(before.streams, static_cast<uint64_t>(kStreams));
  }
  const auto meta_before = Snapshot(dir.Sub("meta"));
  const auto log_before = Snapshot(dir.Sub("log"));
  ASSERT_FALSE(meta_before.empty());

  fs::remove_all(dir.Sub("index"));
  ASSERT_FALSE(fs::exists(dir.Sub("index")));
  Status s = Ledger::Reindex(dir.path(), {});
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(fs::exists(dir.Sub("index")));
  EXPECT_EQ(Snapshot(dir.Sub("meta")), meta_before) << "reindex must keep DIR/meta as it was";
  EXPECT_EQ(Snapshot(dir.Sub("log")), log_before) << "reindex must not touch the log";

  auto reopened = Ledger::Open(dir.path(), {});
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto& ledger = *reopened;
  ExpectSame(before, Observe(*ledger));
  auto report = ledger->Verify({});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << report->problems.front().ToString();
  EXPECT_EQ(report->recomputed, before.head);

  // The rebuilt index carries on: the next append gets the next position and version, and
  // a retry of an old request is recognised by its event ids.
  auto next = ledger->Append(Request(StreamName(0),
                                     ExpectedVersion::Exact(before.versions.at(StreamName(0))),
                                     {Event("NoteAdded")}));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->first_position, before.events + 1);
  EXPECT_EQ(next->first_version, before.versions.at(StreamName(0)) + 1);
  auto retry = ledger->Append(requests[100]);
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(ledger->CommittedPosition(), before.events + 1);
}

TEST(Reindex, ReindexOverAnIntactIndexChangesNothing) {
  TempDir dir;
  Observed before;
  {
    auto ledger = CreateAndOpen(dir.path(), kSmallSegments);
    ASSERT_TRUE(ledger);
    Populate(*ledger);
    before = Observe(*ledger);
  }
  const auto meta_before = Snapshot(dir.Sub("meta"));
  ASSERT_TRUE(Ledger::Reindex(dir.path(), {}).ok());
  ASSERT_TRUE(Ledger::Reindex(dir.path(), {}).ok());  // and again
  EXPECT_EQ(Snapshot(dir.Sub("meta")), meta_before);
  auto ledger = Ledger::Open(dir.path(), {});
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  ExpectSame(before, Observe(**ledger));
}

TEST(Reindex, ReindexWhileTheWriterIsOpenFailsWithBusyAndLeavesTheIndexAlone) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path(), kSmallSegments);
  ASSERT_TRUE(ledger);
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(ledger->Append(Request("case-1", ExpectedVersion::Any(), {Event("E")})).ok());
  Status s = Ledger::Reindex(dir.path(), {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kBusy) << s.ToString();
  EXPECT_TRUE(fs::exists(dir.Sub("index/CURRENT")));
  // The writer did not notice.
  ASSERT_TRUE(ledger->Append(Request("case-1", ExpectedVersion::Exact(19), {Event("E")})).ok());
  EXPECT_EQ(ledger->ReadStream("case-1", 0, Direction::kForward, 100)->size(), 21u);
  EXPECT_EQ(*ledger->GetStreamVersion("case-1"), 20);
  EXPECT_TRUE(ledger->Health().ok());
  ledger.reset();
  auto report = (*Ledger::Open(dir.path(), {}))->Verify({});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
}

TEST(Reindex, ReindexRefusesWhatIsNotALedgerAndReadOnlyOptions) {
  TempDir dir;
  Status none = Ledger::Reindex(dir.Sub("nothing-here"), {});
  EXPECT_EQ(none.code(), StatusCode::kNotFound) << none.ToString();
  EXPECT_FALSE(fs::exists(dir.Sub("nothing-here/index")));
  ASSERT_TRUE(Ledger::Create(dir.Sub("l"), OpaqueLedger(kSmallSegments)).ok());
  LedgerOptions ro;
  ro.read_only = true;
  EXPECT_EQ(Ledger::Reindex(dir.Sub("l"), ro).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(fs::exists(dir.Sub("l/index/CURRENT")));
}

}  // namespace
}  // namespace caseledger
