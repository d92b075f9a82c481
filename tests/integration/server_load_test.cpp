// `caseledger serve` under load and across a crash, through the remote caseledger::Client:
// many writers at once lose and repeat nothing, every subscriber sees the log whole and in
// order, and a server killed mid-subscription leaves every acknowledged append in place,
// a resumed subscription with no gap and no repeat, and retries that add no duplicates.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "caseledger/client.h"
#include "server_fixture.h"

namespace caseledger {
namespace {

using testing::CaseOpenedJson;
using testing::ScenarioLedger;
using testing::ServerFixture;

constexpr int kWriters = 32;
constexpr int kAppendsPerWriter = 50;
constexpr int kSubscribers = 4;
// The longest any one wait of these tests may take before it counts as a hang.
constexpr auto kPatience = std::chrono::seconds(30);

// An append the server acknowledged: its event ids and where it put them.
struct Acknowledged {
  std::vector<std::string> ids;  // hex, in request order
  AppendResult result;
};

// What a subscriber received, in order.
struct Received {
  std::vector<Position> positions;
  std::vector<std::string> ids;
  Status error;
};

class ServerUnderLoad : public ServerFixture {
 protected:
  void SetUp() override {
    ::unsetenv("CASELEDGER_MASTER_KEY_FILE");
    CreateLedger({{"adm", "admin", "", "county-office"},
                  {"cw-1", "caseworker", "130111200", "county-a"},
                  {"aud-1", "auditor", "", "inspectorate"}},
                 nullptr);
    ASSERT_FALSE(HasFatalFailure());
    StartServer();
  }

  // The whole log as the auditor reads it, page by page.
  std::vector<RecordedEvent> WholeLog(Client& auditor) {
    std::vector<RecordedEvent> log;
    while (true) {
      auto page = auditor.ReadAll(log.size() + 1, 10'000);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok() || page->empty()) return log;
      for (RecordedEvent& e : *page) log.push_back(std::move(e));
    }
  }

  // Follows the log from `from` with `subscription` until it has passed `*target` (0 =
  // not known yet), an error, or kPatience.
  static void Follow(Subscription& subscription, const std::atomic<uint64_t>& target,
                     Received& out) {
    const auto give_up = std::chrono::steady_clock::now() + kPatience;
    while (std::chrono::steady_clock::now() < give_up) {
      const uint64_t end = target.load();
      if (end != 0 && subscription.last_position() >= end) return;
      auto batch = subscription.Next(1000, std::chrono::milliseconds(100));
      if (!batch.ok()) {
        out.error = batch.status();
        return;
      }
      for (const RecordedEvent& e : *batch) {
        out.positions.push_back(e.position);
        out.ids.push_back(e.event.id.ToHex());
      }
    }
    out.error = Status(StatusCode::kTimeout, "the subscription did not reach the end");
  }
};

TEST_F(ServerUnderLoad, ConcurrentWritersAndSubscribersSeeEveryAcknowledgedEventExactlyOnce) {
  auto auditor = Connect("aud-1");
  ASSERT_NE(auditor, nullptr);
  auto head = auditor->GetTreeHead();
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  const uint64_t initial_size = head->size;

  std::atomic<uint64_t> end_of_log{0};
  std::latch subscribed(kSubscribers);
  std::vector<Received> received(kSubscribers);
  std::vector<std::thread> subscribers;
  for (int s = 0; s < kSubscribers; ++s) {
    subscribers.emplace_back([&, s] {
      auto client = Connect("aud-1");
      std::unique_ptr<Subscription> subscription;
      if (client) {
        auto opened = client->Subscribe(1);
        if (opened.ok())
          subscription = std::move(*opened);
        else
          received[s].error = opened.status();
      }
      subscribed.count_down();
      if (subscription) Follow(*subscription, end_of_log, received[s]);
      subscription.reset();  // before its client
    });
  }
  subscribed.wait();

  std::vector<std::vector<Acknowledged>> acknowledged(kWriters);
  std::vector<std::vector<Status>> failed(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto client = Connect("cw-1");
      if (!client) return;
      std::mt19937 random(static_cast<unsigned>(w));
      const std::string stream = "case-load-" + std::to_string(w);
      StreamVersion version = kNoStream;
      for (int a = 0; a < kAppendsPerWriter; ++a) {
        const int events = 1 + static_cast<int>(random() % 3);
        AppendRequest request;
        request.stream = stream;
        request.expected_version =
            version == kNoStream ? ExpectedVersion::NoStream() : ExpectedVersion::Exact(version);
        for (int e = 0; e < events; ++e)
          request.events.push_back(
              a == 0 && e == 0
                  ? Event("CaseOpened", CaseOpenedJson("c-load-" + std::to_string(w)))
                  : Event("NoteAdded", R"({"text":"visit )" + std::to_string(a) + R"("})"));
        auto appended = client->Append(request);
        if (!appended.ok()) {
          failed[w].push_back(appended.status());
          continue;
        }
        version = appended->last_version;
        Acknowledged ack{{}, *appended};
        for (const ProposedEvent& e : request.events) ack.ids.push_back(e.id.ToHex());
        acknowledged[w].push_back(std::move(ack));
      }
    });
  }
  for (std::thread& t : writers) t.join();

  head = auditor->GetTreeHead();
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  end_of_log = head->size;
  for (std::thread& t : subscribers) t.join();

  for (int w = 0; w < kWriters; ++w)
    for (const Status& s : failed[w]) ADD_FAILURE() << "writer " << w << ": " << s.ToString();

  size_t appends = 0;
  for (const auto& of_writer : acknowledged) appends += of_writer.size();
  EXPECT_EQ(appends, static_cast<size_t>(kWriters * kAppendsPerWriter));

  // The log: positions 1..size, each event once.
  const std::vector<RecordedEvent> log = WholeLog(*auditor);
  ASSERT_EQ(log.size(), head->size);
  std::map<std::string, Position> position_of;
  for (size_t i = 0; i < log.size(); ++i) {
    ASSERT_EQ(log[i].position, i + 1) << "positions are not dense";
    const bool first_time = position_of.emplace(log[i].event.id.ToHex(), log[i].position).second;
    EXPECT_TRUE(first_time) << "event " << log[i].event.id.ToHex() << " is in the log twice";
  }

  // Every acknowledged event where its acknowledgement said, and nothing else added.
  uint64_t acknowledged_events = 0;
  for (const auto& of_writer : acknowledged) {
    for (const Acknowledged& ack : of_writer) {
      EXPECT_FALSE(ack.result.deduplicated);
      EXPECT_EQ(ack.result.last_position - ack.result.first_position + 1, ack.ids.size());
      for (size_t k = 0; k < ack.ids.size(); ++k) {
        auto at = position_of.find(ack.ids[k]);
        ASSERT_NE(at, position_of.end()) << "acknowledged event " << ack.ids[k] << " is missing";
        EXPECT_EQ(at->second, ack.result.first_position + k);
      }
      acknowledged_events += ack.ids.size();
    }
  }
  EXPECT_EQ(head->size, initial_size + acknowledged_events);

  // Every subscriber: the whole log, once, in order.
  for (int s = 0; s < kSubscribers; ++s) {
    SCOPED_TRACE("subscriber " + std::to_string(s));
    EXPECT_TRUE(received[s].error.ok()) << received[s].error.ToString();
    ASSERT_EQ(received[s].positions.size(), log.size());
    for (size_t i = 0; i < log.size(); ++i) {
      ASSERT_EQ(received[s].positions[i], i + 1);
      ASSERT_EQ(received[s].ids[i], log[i].event.id.ToHex()) << "at position " << i + 1;
    }
  }
}

TEST_F(ServerUnderLoad, AfterACrashAcknowledgedAppendsStayAndSubscriptionsAndRetriesResume) {
  // The appends a caseworker will make, their event ids fixed up front so that a retry
  // after the crash sends the very same events.
  constexpr size_t kPrepared = 2000;
  std::vector<AppendRequest> prepared;
  for (size_t i = 0; i < kPrepared; ++i) {
    AppendRequest request;
    request.stream = "case-restart";
    if (i == 0)
      request.events.push_back(Event("CaseOpened", CaseOpenedJson("c-restart")));
    else if (i % 2 == 0)
      request.events.push_back(Event("NoteAdded", R"({"text":"note )" + std::to_string(i) + "\"}"));
    else
      request.events.push_back(Event("ProtectionConcernsRecorded",
                                     R"({"concerns":["c-)" + std::to_string(i) + R"("]})"));
    prepared.push_back(std::move(request));
  }

  auto auditor = Connect("aud-1");
  ASSERT_NE(auditor, nullptr);
  auto subscription = auditor->Subscribe(1);
  ASSERT_TRUE(subscription.ok()) << subscription.status().ToString();
  Received before_crash;

  // A writer appends until its connection fails; the test waits for 20 acknowledgements.
  std::mutex mutex;
  std::condition_variable progress;
  std::map<size_t, AppendResult> acknowledged;  // by index into `prepared`
  size_t attempted = 0;                         // requests sent (the last may be in flight)
  Status writer_error;
  std::thread writer([&] {
    auto client = Connect("cw-1");
    if (!client) return;
    for (size_t i = 0; i < kPrepared; ++i) {
      {
        std::lock_guard lock(mutex);
        attempted = i + 1;
      }
      auto appended = client->Append(prepared[i]);
      std::lock_guard lock(mutex);
      if (!appended.ok()) {
        writer_error = appended.status();
        break;
      }
      acknowledged[i] = *appended;
      progress.notify_all();
    }
  });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(progress.wait_for(lock, kPatience, [&] { return acknowledged.size() >= 20; }))
        << server_->log();
  }
  // The subscriber has read part of the log when the server dies.
  while (before_crash.positions.size() < 10) {
    auto batch = (*subscription)->Next(5, std::chrono::seconds(5));
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    for (const RecordedEvent& e : *batch) {
      before_crash.positions.push_back(e.position);
      before_crash.ids.push_back(e.event.id.ToHex());
    }
  }
  server_->Kill(SIGKILL);
  writer.join();
  ASSERT_FALSE(writer_error.ok()) << "the writer never noticed the crash";
  EXPECT_EQ(writer_error.code(), StatusCode::kIOError) << writer_error.ToString();

  auto lost = (*subscription)->Next(10, std::chrono::seconds(5));
  ASSERT_FALSE(lost.ok()) << "a subscription to a dead server still answers";
  EXPECT_EQ(lost.status().code(), StatusCode::kIOError) << lost.status().ToString();
  const Position resume_from = (*subscription)->last_position() + 1;
  EXPECT_EQ(resume_from, before_crash.positions.size() + 1);
  subscription->reset();
  auditor.reset();

  StartServer();
  ASSERT_FALSE(HasFatalFailure());

  // Every request sent before the crash, again with the same ids: those acknowledged come
  // back deduplicated where they were; the one in flight may or may not have been written.
  auto retrier = Connect("cw-1");
  ASSERT_NE(retrier, nullptr);
  for (size_t i = 0; i < attempted; ++i) {
    auto again = retrier->Append(prepared[i]);
    ASSERT_TRUE(again.ok()) << "retry " << i << ": " << again.status().ToString();
    auto ack = acknowledged.find(i);
    if (ack == acknowledged.end()) continue;
    EXPECT_TRUE(again->deduplicated) << "retry " << i;
    EXPECT_EQ(again->first_position, ack->second.first_position) << "retry " << i;
  }
  // A second round of retries is all duplicates.
  for (size_t i = 0; i < attempted; ++i) {
    auto again = retrier->Append(prepared[i]);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_TRUE(again->deduplicated) << "second retry " << i;
  }

  auditor = Connect("aud-1");
  ASSERT_NE(auditor, nullptr);
  auto head = auditor->GetTreeHead();
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  const std::vector<RecordedEvent> log = WholeLog(*auditor);
  ASSERT_EQ(log.size(), head->size);
  std::map<std::string, Position> position_of;
  for (size_t i = 0; i < log.size(); ++i) {
    ASSERT_EQ(log[i].position, i + 1) << "positions are not dense";
    EXPECT_TRUE(position_of.emplace(log[i].event.id.ToHex(), log[i].position).second)
        << "event " << log[i].event.id.ToHex() << " is in the log twice";
  }
  for (size_t i = 0; i < attempted; ++i) {
    const std::string id = prepared[i].events.front().id.ToHex();
    auto at = position_of.find(id);
    ASSERT_NE(at, position_of.end()) << "request " << i << " is not in the log after its retry";
    if (auto ack = acknowledged.find(i); ack != acknowledged.end()) {
      EXPECT_EQ(at->second, ack->second.first_position) << "request " << i;
    }
  }

  // The subscriber resumes on a new connection after the last event it was given.
  std::atomic<uint64_t> end_of_log{head->size};
  auto resumed = auditor->Subscribe(resume_from);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  Received after_crash;
  Follow(**resumed, end_of_log, after_crash);
  EXPECT_TRUE(after_crash.error.ok()) << after_crash.error.ToString();
  std::vector<std::string> seen = before_crash.ids;
  seen.insert(seen.end(), after_crash.ids.begin(), after_crash.ids.end());
  ASSERT_EQ(seen.size(), log.size()) << "the subscriber lost or repeated events";
  for (size_t i = 0; i < log.size(); ++i)
    EXPECT_EQ(seen[i], log[i].event.id.ToHex()) << "at position " << i + 1;
}

}  // namespace
}  // namespace caseledger
