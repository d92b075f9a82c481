// Subscriptions: catch up from a position, then follow new commits, every event exactly
// once and in order; slow subscribers lose nothing and hold no writer back.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "events.h"
#include "temp_dir.h"

namespace caseledger {
namespace {

using namespace std::chrono_literals;
using testing::CreateAndOpen;
using testing::Event;
using testing::Request;
using testing::TempDir;

using Clock = std::chrono::steady_clock;

// Reads `sub` until it has returned position `last`, or `deadline` passes.
std::vector<RecordedEvent> Drain(Subscription& sub, Position last, Clock::duration within,
                                 size_t batch = 50) {
  std::vector<RecordedEvent> out;
  const auto deadline = Clock::now() + within;
  while (sub.last_position() < last && Clock::now() < deadline) {
    auto r = sub.Next(batch, 100ms);
    if (!r.ok()) {
      ADD_FAILURE() << "Next: " << r.status().ToString();
      break;
    }
    EXPECT_LE(r->size(), batch);
    for (auto& e : *r) out.push_back(std::move(e));
  }
  return out;
}

// Every position from `from` to `last` exactly once, in order, and each the very event
// the log holds there.
void ExpectExactlyOnceInOrder(const std::vector<RecordedEvent>& got, Position from, Position last,
                              Ledger& ledger) {
  ASSERT_EQ(got.size(), last - from + 1) << "from " << from << " to " << last;
  auto truth = ledger.ReadAll(from, got.size());
  ASSERT_TRUE(truth.ok()) << truth.status().ToString();
  ASSERT_EQ(truth->size(), got.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].position, from + i) << "a gap, a repeat or a reordering at index " << i;
    ASSERT_EQ(got[i].event.id, (*truth)[i].event.id) << "position " << got[i].position;
    ASSERT_EQ(got[i].stream, (*truth)[i].stream);
    ASSERT_EQ(got[i].stream_version, (*truth)[i].stream_version);
  }
}

// Four threads, each appending `per_writer` single-event requests to its own stream.
class Writers {
 public:
  Writers(Ledger& ledger, int per_writer) {
    for (int t = 0; t < 4; ++t) {
      threads_.emplace_back([this, &ledger, t, per_writer] {
        const std::string stream = "writer-" + std::to_string(t);
        for (int i = 0; i < per_writer; ++i) {
          const auto t0 = Clock::now();
          auto r = ledger.Append(
              Request(stream, i == 0 ? ExpectedVersion::NoStream() : ExpectedVersion::Exact(i - 1),
                      {Event("Tick", std::to_string(i))}));
          const auto waited = Clock::now() - t0;
          std::lock_guard lock(mutex_);
          slowest_ = std::max(slowest_, waited);
          if (r.ok())
            ++ok_;
          else
            errors_.push_back(r.status().ToString());
        }
      });
    }
  }
  void Join() {
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  ~Writers() { Join(); }
  int ok() const { return ok_; }
  Clock::duration slowest() const { return slowest_; }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::atomic<int> ok_{0};
  Clock::duration slowest_{};
  std::vector<std::string> errors_;
};

TEST(Subscription, StartedMidLogWhileFourWritersAppendGetsEveryEventOnceInOrder) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path(), 256 << 10);
  ASSERT_TRUE(ledger);
  for (int i = 0; i < 30; ++i) {
    std::vector<ProposedEvent> events;
    for (int k = 0; k < 10; ++k) events.push_back(Event("Seed", std::string(100, 's')));
    ASSERT_TRUE(ledger->Append(Request("seed", ExpectedVersion::Any(), events)).ok());
  }
  constexpr int kPerWriter = 400;
  const Position total = 300 + 4 * kPerWriter;
  Writers writers(*ledger, kPerWriter);
  // Subscribe while the writers are busy, from a position well inside what is committed.
  const auto started = Clock::now();
  while (ledger->CommittedPosition() < 400 && Clock::now() - started < 30s)
    std::this_thread::sleep_for(1ms);
  ASSERT_GE(ledger->CommittedPosition(), 400u);
  constexpr Position kFrom = 150;
  auto sub = ledger->Subscribe(kFrom);
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  EXPECT_EQ((*sub)->last_position(), kFrom - 1);
  auto got = Drain(**sub, total, 60s, 37);
  writers.Join();
  EXPECT_TRUE(writers.errors().empty()) << writers.errors().front();
  ASSERT_EQ(ledger->CommittedPosition(), total);
  EXPECT_EQ((*sub)->last_position(), total);
  ExpectExactlyOnceInOrder(got, kFrom, total, *ledger);
  // Each writer's stream arrives with its versions in order.
  std::map<std::string, StreamVersion> last_version;
  for (const auto& e : got) {
    if (e.stream == "seed") continue;
    auto [it, fresh] = last_version.emplace(e.stream, e.stream_version);
    if (!fresh) {
      EXPECT_EQ(e.stream_version, it->second + 1) << e.stream;
      it->second = e.stream_version;
    }
  }
  for (const auto& [stream, v] : last_version) EXPECT_EQ(v, kPerWriter - 1) << stream;
  // Nothing more to come: Next waits out its timeout and returns nothing.
  auto more = (*sub)->Next(10, 50ms);
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(more->empty());
}

TEST(Subscription, StalledSubscriberCatchesUpWithoutLossAndNeverHoldsTheWritersBack) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path(), 256 << 10);
  ASSERT_TRUE(ledger);
  auto sub = ledger->Subscribe(1);
  ASSERT_TRUE(sub.ok());
  constexpr int kPerWriter = 300;
  const Position total = 4 * kPerWriter;
  Writers writers(*ledger, kPerWriter);
  std::vector<RecordedEvent> got = Drain(**sub, 20, 30s, 20);  // a first batch, then it stalls
  ASSERT_FALSE(got.empty());
  const Position at_stall = ledger->CommittedPosition();
  std::this_thread::sleep_for(1500ms);
  const Position after_stall = ledger->CommittedPosition();
  // The writers went on while the subscriber slept.
  EXPECT_GT(after_stall, at_stall) << "no commit while the subscriber stalled";
  auto rest = Drain(**sub, total, 60s, 64);
  got.insert(got.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
  writers.Join();
  EXPECT_TRUE(writers.errors().empty()) << writers.errors().front();
  EXPECT_EQ(writers.ok(), static_cast<int>(total));
  EXPECT_LT(writers.slowest(), 1500ms) << "an append waited as long as the subscriber slept";
  ExpectExactlyOnceInOrder(got, 1, total, *ledger);
}

TEST(Subscription, SubscriptionFromAFuturePositionStartsThere) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path());
  ASSERT_TRUE(ledger);
  ASSERT_EQ(ledger->Subscribe(0).status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(ledger->Append(Request("case-1", ExpectedVersion::Any(), {Event("E")})).ok());
  auto sub = ledger->Subscribe(5);
  ASSERT_TRUE(sub.ok());
  auto none = (*sub)->Next(10, 20ms);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  for (int i = 0; i < 6; ++i)
    ASSERT_TRUE(ledger->Append(Request("case-1", ExpectedVersion::Any(), {Event("E")})).ok());
  auto got = Drain(**sub, 7, 10s);
  ExpectExactlyOnceInOrder(got, 5, 7, *ledger);
}

TEST(Subscription, WaitingSubscriberWakesForANewCommit) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path());
  ASSERT_TRUE(ledger);
  auto sub = ledger->Subscribe(1);
  ASSERT_TRUE(sub.ok());
  std::thread later([&] {
    std::this_thread::sleep_for(200ms);
    EXPECT_TRUE(ledger->Append(Request("case-1", ExpectedVersion::Any(), {Event("E")})).ok());
  });
  const auto t0 = Clock::now();
  auto r = (*sub)->Next(10, 10s);
  const auto waited = Clock::now() - t0;
  later.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().position, 1u);
  EXPECT_LT(waited, 5s) << "Next slept through the commit";
}

// A FileSystem that can hold the writer inside its next segment write until released, so
// that the test controls exactly when the ledger's close can complete.
class HoldingFileSystem final : public FileSystem {
 public:
  class File final : public WritableFile {
   public:
    File(HoldingFileSystem& fs, std::unique_ptr<WritableFile> real, bool segment)
        : fs_(fs), real_(std::move(real)), segment_(segment) {}
    Status Write(uint64_t offset, std::span<const std::byte> data) override {
      if (segment_) fs_.MaybeHold();
      return real_->Write(offset, data);
    }
    Status DataSync() override { return real_->DataSync(); }

   private:
    HoldingFileSystem& fs_;
    std::unique_ptr<WritableFile> real_;
    bool segment_;
  };

  Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path,
                                                     bool create) override {
    CASELEDGER_ASSIGN_OR_RETURN(auto file, real_->OpenForWrite(path, create));
    const bool segment = path.ends_with(".seg");  // not the *.seg.tmp being preallocated
    return std::unique_ptr<WritableFile>(new File(*this, std::move(file), segment));
  }
  Status RenameDurably(const std::string& from, const std::string& to) override {
    return real_->RenameDurably(from, to);
  }

  void HoldNextWrite() {
    std::lock_guard lock(mutex_);
    armed_ = true;
  }
  // Waits until a write is being held.
  bool WaitUntilHolding(Clock::duration within) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, within, [&] { return holding_; });
  }
  void Release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  void MaybeHold() {
    std::unique_lock lock(mutex_);
    if (!armed_) return;
    armed_ = false;
    holding_ = true;
    cv_.notify_all();
    // Bounded, so that a broken ledger fails the test instead of hanging it.
    cv_.wait_for(lock, 60s, [&] { return released_; });
  }

  std::shared_ptr<FileSystem> real_ = PosixFileSystem();
  std::mutex mutex_;
  std::condition_variable cv_;
  bool armed_ = false, holding_ = false, released_ = false;
};

TEST(Subscription, NextReturnsCancelledPromptlyOnceTheLedgerBeginsClosing) {
  TempDir dir;
  auto fs = std::make_shared<HoldingFileSystem>();
  LedgerOptions options;
  options.file_system = fs;
  auto ledger = CreateAndOpen(dir.path(), 1 << 20, options);
  ASSERT_TRUE(ledger);
  ASSERT_TRUE(ledger->Append(Request("case-1", ExpectedVersion::Any(), {Event("E")})).ok());
  auto subscribed = ledger->Subscribe(2);
  ASSERT_TRUE(subscribed.ok());
  std::unique_ptr<Subscription> sub = std::move(subscribed).value();

  // An append the writer is in the middle of: the ledger's close cannot finish before it
  // does, and it does not finish before the subscriber is done with its Subscription (so
  // the Subscription is destroyed before its Ledger, as documented).
  fs->HoldNextWrite();
  std::thread appender([&] {
    auto r = ledger->Append(Request("case-1", ExpectedVersion::Any(), {Event("E")}));
    (void)r;  // committed or cancelled: either is fine for this test
  });
  ASSERT_TRUE(fs->WaitUntilHolding(10s));

  std::atomic<bool> waiting{false};
  Status first, second;
  Clock::duration waited{};
  std::thread subscriber([&] {
    waiting = true;
    const auto t0 = Clock::now();
    auto r = sub->Next(10, 30s);
    waited = Clock::now() - t0;
    first = r.ok() ? Status::Ok() : r.status();
    // Once closing, every later call says so at once.
    auto again = sub->Next(10, 30s);
    second = again.ok() ? Status::Ok() : again.status();
    sub.reset();
    fs->Release();
  });
  while (!waiting) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(100ms);  // let it block in Next

  std::thread closer([&] { ledger.reset(); });
  subscriber.join();
  closer.join();
  appender.join();
  EXPECT_EQ(first.code(), StatusCode::kCancelled) << first.ToString();
  EXPECT_LT(waited, 5s) << "Next did not notice the ledger closing";
  EXPECT_EQ(second.code(), StatusCode::kCancelled) << second.ToString();
}

TEST(Subscription, ReadOnlyLedgersSubscriptionSeesTheWritersNewCommits) {
  TempDir dir;
  auto writer = CreateAndOpen(dir.path(), 64 << 10);
  ASSERT_TRUE(writer);
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(writer->Append(Request("case-1", ExpectedVersion::Any(), {Event("E")})).ok());
  LedgerOptions ro;
  ro.read_only = true;
  auto opened = Ledger::Open(dir.path(), ro);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto reader = std::move(opened).value();
  auto sub = reader->Subscribe(3);
  ASSERT_TRUE(sub.ok());
  {
    auto got = Drain(**sub, 10, 10s);
    ExpectExactlyOnceInOrder(got, 3, 10, *writer);
  }
  std::thread appender([&] {
    for (int i = 0; i < 150; ++i) {
      std::vector<ProposedEvent> events;
      for (int k = 0; k <= i % 3; ++k) events.push_back(Event("E", std::string(400, 'p')));
      EXPECT_TRUE(
          writer->Append(Request("case-" + std::to_string(i % 4), ExpectedVersion::Any(), events))
              .ok());
      if (i % 10 == 0) std::this_thread::sleep_for(5ms);
    }
  });
  // Follow the writer live, while it appends.
  const Position total = 10 + 50 * (1 + 2 + 3);
  auto got = Drain(**sub, total, 20s, 33);
  appender.join();
  ASSERT_EQ(writer->CommittedPosition(), total);
  ExpectExactlyOnceInOrder(got, 11, total, *writer);
  EXPECT_EQ(reader->CommittedPosition(), total);
  EXPECT_EQ(reader->GetTreeHead(), writer->GetTreeHead());
}

}  // namespace
}  // namespace caseledger
