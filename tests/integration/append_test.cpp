// Appends: expected versions, all-or-nothing requests, idempotent retries, dense positions.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "events.h"
#include "temp_dir.h"

namespace caseledger {
namespace {

using testing::CreateAndOpen;
using testing::Event;
using testing::Request;
using testing::TempDir;

TEST(Append, FirstEventsGetDensePositionsAndVersions) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path());
  ASSERT_TRUE(ledger);
  auto a = ledger->Append(Request("case-1", ExpectedVersion::NoStream(),
                                  {Event("CaseOpened"), Event("ConsentRecorded")}));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->first_position, 1u);
  EXPECT_EQ(a->last_position, 2u);
  EXPECT_EQ(a->first_version, 0);
  EXPECT_EQ(a->last_version, 1);
  auto b = ledger->Append(Request("case-2", ExpectedVersion::Any(), {Event("CaseOpened")}));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->first_position, 3u);
  EXPECT_EQ(b->first_version, 0);
  EXPECT_EQ(ledger->CommittedPosition(), 3u);
  EXPECT_EQ(*ledger->GetStreamVersion("case-1"), 1);
  EXPECT_EQ(*ledger->GetStreamVersion("case-9"), kNoStream);
}

TEST(Append, EightThreadsRacingOnOneExpectedVersionHaveExactlyOneWinnerPerRound) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path(), 8 << 20);
  ASSERT_TRUE(ledger);
  constexpr int kThreads = 8, kRounds = 1000;
  for (int round = 0; round < kRounds; ++round) {
    const StreamVersion expected = round - 1;  // -1 = no stream before the first round
    std::atomic<int> winners{0}, losers{0}, others{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        auto r = ledger->Append(
            Request("case-race",
                    expected < 0 ? ExpectedVersion::NoStream() : ExpectedVersion::Exact(expected),
                    {Event("NoteAdded")}));
        if (r.ok()) {
          ++winners;
        } else if (r.status().code() == StatusCode::kWrongExpectedVersion &&
                   r.status().actual_version() == expected + 1) {
          ++losers;
        } else {
          ++others;
        }
      });
    }
    for (auto& t : threads) t.join();
    ASSERT_EQ(winners, 1) << "round " << round;
    ASSERT_EQ(losers, kThreads - 1) << "round " << round;
    ASSERT_EQ(others, 0) << "round " << round;
  }
  EXPECT_EQ(*ledger->GetStreamVersion("case-race"), kRounds - 1);
  EXPECT_EQ(ledger->CommittedPosition(), static_cast<Position>(kRounds));
}

TEST(Append, RequestWhoseSixthEventIsInvalidWritesNothing) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path());
  ASSERT_TRUE(ledger);
  std::vector<ProposedEvent> events;
  for (int i = 0; i < 10; ++i) events.push_back(Event("NoteAdded"));
  events[5].type = "";  // invalid: no type
  auto r = ledger->Append(Request("case-1", ExpectedVersion::Any(), events));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("event 5"), std::string::npos) << r.status().message();
  EXPECT_EQ(ledger->CommittedPosition(), 0u);
  EXPECT_EQ(*ledger->GetStreamVersion("case-1"), kNoStream);
  EXPECT_TRUE(ledger->ReadAll(1, 100)->empty());
}

TEST(Append, RetryOfAcknowledgedAppendReturnsOriginalPositionsAndWritesNothing) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path());
  ASSERT_TRUE(ledger);
  auto request =
      Request("case-1", ExpectedVersion::NoStream(), {Event("CaseOpened"), Event("RiskAssessed")});
  auto first = ledger->Append(request);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(
      ledger->Append(Request("case-1", ExpectedVersion::Exact(1), {Event("NoteAdded")})).ok());
  // The stream moved on, yet the retry (same ids, same content) succeeds: idempotency is
  // checked before the expected version.
  auto retry = ledger->Append(request);
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->first_position, first->first_position);
  EXPECT_EQ(retry->last_position, first->last_position);
  EXPECT_EQ(retry->last_version, first->last_version);
  EXPECT_EQ(ledger->CommittedPosition(), 3u);
}

TEST(Append, ReusedEventIdWithOtherContentIsRefused) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path());
  ASSERT_TRUE(ledger);
  auto original = Event("CaseOpened", R"({"child":"c-1"})");
  ASSERT_TRUE(ledger->Append(Request("case-1", ExpectedVersion::Any(), {original})).ok());
  auto altered = original;
  altered.payload = R"({"child":"c-2"})";
  auto r = ledger->Append(Request("case-1", ExpectedVersion::Any(), {altered}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIdempotencyConflict);
  EXPECT_EQ(ledger->CommittedPosition(), 1u);
}

TEST(Append, RetryWhoseIdsOnlyPartlyExistIsRefused) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path());
  ASSERT_TRUE(ledger);
  auto e1 = Event("CaseOpened");
  ASSERT_TRUE(ledger->Append(Request("case-1", ExpectedVersion::Any(), {e1})).ok());
  auto r = ledger->Append(Request("case-1", ExpectedVersion::Any(), {e1, Event("NoteAdded")}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIdempotencyConflict);
  EXPECT_EQ(ledger->CommittedPosition(), 1u);
}

TEST(Append, ACorrectionMustNameAnEarlierPosition) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path());
  ASSERT_TRUE(ledger);
  ASSERT_TRUE(
      ledger->Append(Request("case-1", ExpectedVersion::Any(), {Event("RiskAssessed")})).ok());
  auto correction = [](Position corrects) {
    ProposedEvent e = Event("RiskAssessed");
    e.corrects = corrects;
    e.correction_reason = "wrong level";
    return e;
  };
  // Itself, or a position not yet written: refused, naming both.
  for (Position bad : {2u, 5188u}) {
    auto r = ledger->Append(Request("case-1", ExpectedVersion::Any(), {correction(bad)}));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("corrects position " + std::to_string(bad)),
              std::string::npos)
        << r.status().ToString();
  }
  EXPECT_EQ(ledger->CommittedPosition(), 1u);
  // An earlier event, including one earlier in the same append.
  auto ok = ledger->Append(Request("case-1", ExpectedVersion::Any(),
                                   {correction(1), Event("NoteAdded"), correction(3)}));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ledger->CommittedPosition(), 4u);
}

TEST(Append, RecordedAtNeverDecreasesAndRecordedByIsTheLedgersPrincipal) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path());
  ASSERT_TRUE(ledger);
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(ledger
                    ->Append(Request("case-" + std::to_string(i % 5), ExpectedVersion::Any(),
                                     {Event("NoteAdded")}))
                    .ok());
  ASSERT_TRUE(
      ledger->Append(Request("case-x", ExpectedVersion::Any(), {Event("NoteAdded")}), "token:w-17")
          .ok());
  auto all = ledger->ReadAll(1, 1000);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 51u);
  for (size_t i = 1; i < all->size(); ++i)
    EXPECT_LE((*all)[i - 1].recorded_at, (*all)[i].recorded_at);
  EXPECT_EQ(all->front().recorded_by.rfind("local:", 0), 0u);
  EXPECT_EQ(all->back().recorded_by, "token:w-17");
  EXPECT_EQ(all->back().event.actor.user, "w-17");  // the actor stays as the source states it
}

TEST(AppendBatch, RequestsOnSeveralStreamsAreWrittenTogetherInOrder) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path());
  ASSERT_TRUE(ledger);
  std::vector<AppendRequest> batch = {
      Request("case-1", ExpectedVersion::NoStream(), {Event("CaseOpened")}),
      Request("case-2", ExpectedVersion::NoStream(), {Event("CaseOpened"), Event("NoteAdded")}),
      // The same stream again: its expected version counts the first request.
      Request("case-1", ExpectedVersion::Exact(0), {Event("RiskAssessed")}),
  };
  auto r = ledger->AppendBatch(batch);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].first_position, 1u);
  EXPECT_EQ((*r)[1].first_position, 2u);
  EXPECT_EQ((*r)[1].last_position, 3u);
  EXPECT_EQ((*r)[2].first_position, 4u);
  EXPECT_EQ((*r)[2].first_version, 1);
  EXPECT_EQ(*ledger->GetStreamVersion("case-1"), 1);
  auto retry = ledger->AppendBatch(batch);
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE((*retry)[2].deduplicated);
  EXPECT_EQ((*retry)[2].first_position, 4u);
  EXPECT_EQ(ledger->CommittedPosition(), 4u);
}

TEST(AppendBatch, OneConflictingRequestLeavesNothingBehind) {
  TempDir dir;
  auto ledger = CreateAndOpen(dir.path());
  ASSERT_TRUE(ledger);
  ASSERT_TRUE(
      ledger->Append(Request("case-9", ExpectedVersion::Any(), {Event("CaseOpened")})).ok());
  std::vector<AppendRequest> batch;
  for (int i = 0; i < 5; ++i)
    batch.push_back(
        Request("case-" + std::to_string(i), ExpectedVersion::NoStream(), {Event("CaseOpened")}));
  batch.push_back(Request("case-9", ExpectedVersion::NoStream(), {Event("CaseOpened")}));  // exists
  auto r = ledger->AppendBatch(batch);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kWrongExpectedVersion);
  EXPECT_NE(r.status().message().find("request 5"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().actual_version(), 0);
  EXPECT_EQ(ledger->CommittedPosition(), 1u);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(*ledger->GetStreamVersion("case-" + std::to_string(i)), kNoStream);
}

}  // namespace
}  // namespace caseledger
