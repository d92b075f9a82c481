// The embedded caseledger::Client: the same API as the remote one over a directory opened
// in this process (the Client contract is in caseledger/client.h).
#include "caseledger/embedded_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <span>
#include <thread>
#include <vector>

#include "caseledger/case_events.h"
#include "caseledger/proof.h"
#include "rpc_client.h"
#include "scenario_ledger.h"
#include "temp_dir.h"

namespace caseledger {
namespace {

using testing::ScenarioLedger;
using testing::TempDir;

constexpr const char* kChild =
    R"({"childRef":"c-1","name":"Li Mei","sex":"female","ageBand":"6-11",)"
    R"("communityCode":"130111200201","identificationChannel":"home_visit",)"
    R"("owner":"w-1","agency":"county-a"})";

class EmbeddedClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("CASELEDGER_MASTER_KEY_FILE");
    dir_ = tmp_.Sub("ledger");
    ScenarioLedger s(dir_);
    s.Append("case-1", "CaseOpened", s.DaysAgo(5), "w-1", kChild);
    s.Close();
    LedgerOptions options;
    options.master_key_file = dir_ + ".key";
    auto client = OpenEmbeddedClient(dir_, options);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(*client);
  }

  // Appends a NoteAdded to case-1; its position (0 and a test failure if refused).
  Position AddNote(const std::string& text) {
    AppendRequest request;
    request.stream = "case-1";
    ProposedEvent& e = request.events.emplace_back();
    e.id = EventId::Random();
    e.type = "NoteAdded";
    e.occurred_at = Now();
    e.payload = *PayloadFromJson(**LookupEventType("NoteAdded"), R"({"text":")" + text + "\"}");
    auto appended = client_->Append(request);
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    return appended.ok() ? appended->first_position : 0;
  }

  // The events of access-case-1 (who looked at case-1).
  std::vector<RecordedEvent> Reads() {
    auto reads = client_->ReadStream("access-case-1", 0, Direction::kForward, 1000);
    EXPECT_TRUE(reads.ok()) << reads.status().ToString();
    return reads.ok() ? *reads : std::vector<RecordedEvent>{};
  }

  uint64_t Size() {
    auto head = client_->GetTreeHead();
    EXPECT_TRUE(head.ok()) << head.status().ToString();
    return head.ok() ? head->size : 0;
  }

  TempDir tmp_;
  std::string dir_;
  std::unique_ptr<Client> client_;
};

std::vector<Position> PositionsOf(const std::vector<RecordedEvent>& events) {
  std::vector<Position> out;
  for (const RecordedEvent& e : events) out.push_back(e.position);
  return out;
}

Hash256 LeafOf(const std::string& record) {
  return RecordLeafHash(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(record.data()), record.size()));
}

TEST_F(EmbeddedClientTest, ActsAsTheLocalPrincipal) {
  auto me = client_->WhoAmI();
  ASSERT_TRUE(me.ok());
  EXPECT_EQ(me->recorded_by, DefaultLocalPrincipal());
  EXPECT_TRUE(me->role.empty());
}

TEST_F(EmbeddedClientTest, ACaseHistoryReadNeedsAPurposeAndIsRecordedFirst) {
  auto refused = client_->ReadStream("case-1", 0, Direction::kForward, 10);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  auto none = client_->GetStreamVersion("access-case-1");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, kNoStream) << "a refused read records nothing";

  auto history = client_->ReadStream("case-1", 0, Direction::kForward, 10, "supervision");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 1u);
  EXPECT_NE(history->front().event.payload.find("Li Mei"), std::string::npos)
      << "with the master key, personal fields come in clear";
  auto reads = client_->ReadStream("access-case-1", 0, Direction::kForward, 10);
  ASSERT_TRUE(reads.ok());
  ASSERT_EQ(reads->size(), 1u);
  EXPECT_EQ(reads->front().event.type, "CaseHistoryRead");
  EXPECT_EQ(reads->front().recorded_by, DefaultLocalPrincipal());
  EXPECT_LT(reads->front().position, history->front().position + 10);

  // The whole log hands personal fields out sealed.
  auto all = client_->ReadAll(1, 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->front().event.payload.find("Li Mei"), std::string::npos);
}

TEST_F(EmbeddedClientTest, AppendsSubscriptionsAndProofsWorkAsOnTheLedger) {
  auto subscription = client_->Subscribe(1);
  ASSERT_TRUE(subscription.ok());
  AppendRequest request;
  request.stream = "case-1";
  request.expected_version = ExpectedVersion::Exact(0);
  ProposedEvent& e = request.events.emplace_back();
  e.id = EventId::Random();
  e.type = "NoteAdded";
  e.payload = *PayloadFromJson(**LookupEventType("NoteAdded"), R"({"text":"visited"})");
  auto appended = client_->Append(request);
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  auto events = (*subscription)->Next(10, std::chrono::seconds(5));
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ(events->back().position, appended->first_position);

  auto head = client_->GetTreeHead();
  ASSERT_TRUE(head.ok());
  auto proof = client_->ProveConsistency(1, head->size);
  ASSERT_TRUE(proof.ok());
  auto first = client_->GetTreeHeadAt(1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(proof->second_size, head->size);
  auto checkpoint = client_->LatestCheckpoint();
  ASSERT_FALSE(checkpoint.ok());
  EXPECT_EQ(checkpoint.status().code(), StatusCode::kNotFound);
}

TEST_F(EmbeddedClientTest, QueriesGoToTheRunningProjectorAndSayHowToStartOne) {
  auto without = client_->Query("caseload", "open_cases", {{"as_of", "2030-01-01T00:00:00Z"}});
  ASSERT_FALSE(without.ok());
  EXPECT_EQ(without.status().code(), StatusCode::kNotFound);
  EXPECT_NE(without.status().message().find("caseledger project"), std::string::npos)
      << without.status().ToString();

  // A projector for DIR, as `caseledger project DIR --follow` runs it.
  auto projector = projector::ProjectorClient::Connect(
      dir_, {CASELEDGER_BIN, "project", dir_, "--plugin-dir", BUILTIN_PLUGIN_DIR, "--follow"});
  ASSERT_TRUE(projector.ok()) << projector.status().ToString();
  auto with = client_->Query("caseload", "open_cases", {{"as_of", "2030-01-01T00:00:00Z"}});
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  EXPECT_FALSE(with->rows.empty());
}

TEST_F(EmbeddedClientTest, TheDirectoryHasOneWriter) {
  auto second = OpenEmbeddedClient(dir_, {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kBusy);
}

TEST_F(EmbeddedClientTest, ReadCaseHistoryRecordsOneReadPerCallAndGivesTheCaseAsOfAMoment) {
  const Position opened = Size();  // the CaseOpened is the ledger's only event
  ASSERT_GE(opened, 1u);
  const Position note1 = AddNote("first note");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a later recorded-at
  const Position note2 = AddNote("second note");
  ASSERT_EQ(note1, opened + 1);
  ASSERT_EQ(note2, opened + 2);
  auto stored = client_->ReadAll(note1, 1);
  ASSERT_TRUE(stored.ok() && stored->size() == 1u);
  const Timestamp note1_at = stored->front().recorded_at;

  // As of note1's position: the case up to there, nobody had looked yet.
  auto first = client_->ReadCaseHistory("case-1", "supervision", AsOf::AtPosition(note1));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->stream, "case-1");
  EXPECT_EQ(first->asked.kind, AsOf::Kind::kPosition);
  EXPECT_EQ(first->position, note1);
  EXPECT_EQ(first->recorded_at, note1_at);
  EXPECT_EQ(first->ledger_position, note2);
  EXPECT_EQ(PositionsOf(first->events), (std::vector<Position>{opened, note1}));
  ASSERT_FALSE(first->events.empty());
  EXPECT_NE(first->events.front().event.payload.find("Li Mei"), std::string::npos)
      << "with the master key, personal fields come in clear";
  EXPECT_TRUE(first->reads.empty());
  const RecordedEvent& read = first->this_read;
  EXPECT_EQ(read.stream, "access-case-1");
  EXPECT_EQ(read.event.type, "CaseHistoryRead");
  EXPECT_EQ(read.position, note2 + 1);
  EXPECT_EQ(read.recorded_by, DefaultLocalPrincipal());
  EXPECT_EQ(read.event.actor.user, DefaultLocalPrincipal());
  auto json = PayloadToJson(**LookupEventType("CaseHistoryRead"), read.event.payload);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_NE(json->find("supervision"), std::string::npos) << *json;
  EXPECT_NE(json->find("case-1"), std::string::npos) << *json;
  std::vector<RecordedEvent> reads = Reads();
  ASSERT_EQ(reads.size(), 1u) << "one read recorded per call";
  EXPECT_EQ(reads.front().position, read.position);
  EXPECT_EQ(Size(), note2 + 1);

  // Latest: every event of the case, and the first read under who looked.
  auto second = client_->ReadCaseHistory("case-1", "second look", AsOf::Latest());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->asked.kind, AsOf::Kind::kLatest);
  EXPECT_EQ(PositionsOf(second->events), (std::vector<Position>{opened, note1, note2}));
  EXPECT_EQ(second->position, read.position);
  EXPECT_EQ(second->ledger_position, read.position);
  ASSERT_EQ(second->reads.size(), 1u) << "the earlier read, not this one";
  EXPECT_EQ(second->reads.front().position, read.position);
  EXPECT_EQ(second->reads.front().event.type, "CaseHistoryRead");
  EXPECT_EQ(second->this_read.position, read.position + 1);
  EXPECT_EQ(Reads().size(), 2u);

  // As of note1's recorded-at: what the ledger knew then.
  auto by_time = client_->ReadCaseHistory("case-1", "third look", AsOf::Time(note1_at));
  ASSERT_TRUE(by_time.ok()) << by_time.status().ToString();
  EXPECT_EQ(by_time->asked.kind, AsOf::Kind::kTime);
  EXPECT_EQ(by_time->position, note1);
  EXPECT_EQ(PositionsOf(by_time->events), (std::vector<Position>{opened, note1}));
  EXPECT_TRUE(by_time->reads.empty());
  EXPECT_EQ(Reads().size(), 3u);

  // Before anything was recorded: nothing known, and still the read is recorded.
  auto before_all = client_->ReadCaseHistory("case-1", "fourth look",
                                             AsOf::Time(*ParseTimestamp("2000-01-01T00:00:00Z")));
  ASSERT_TRUE(before_all.ok()) << before_all.status().ToString();
  EXPECT_EQ(before_all->position, 0u);
  EXPECT_TRUE(before_all->events.empty());
  EXPECT_TRUE(before_all->reads.empty());
  EXPECT_EQ(Reads().size(), 4u);
}

TEST_F(EmbeddedClientTest, ReadCaseHistoryGivesEveryEventOfALongCase) {
  // More events than one page of a stream read (1,000).
  AppendRequest request;
  request.stream = "case-1";
  const std::string payload = *PayloadFromJson(**LookupEventType("NoteAdded"), R"({"text":"n"})");
  for (int i = 0; i < 2500; ++i) {
    ProposedEvent& e = request.events.emplace_back();
    e.id = EventId::Random();
    e.type = "NoteAdded";
    e.occurred_at = Now();
    e.payload = payload;
  }
  auto appended = client_->Append(request);
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  const Position opened = appended->first_position - 1;

  auto all = client_->ReadCaseHistory("case-1", "audit", AsOf::Latest());
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->events.size(), 2501u);
  for (size_t i = 0; i < all->events.size(); ++i) {
    ASSERT_EQ(all->events[i].position, opened + i) << i;
    ASSERT_EQ(all->events[i].stream_version, i) << i;
  }
  // Cut inside the second page.
  const Position cut = opened + 1500;
  auto part = client_->ReadCaseHistory("case-1", "audit", AsOf::AtPosition(cut));
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  ASSERT_EQ(part->events.size(), 1501u);
  EXPECT_EQ(part->events.back().position, cut);
}

TEST_F(EmbeddedClientTest, ARefusedReadCaseHistoryRecordsNothing) {
  const uint64_t before = Size();
  auto blank = client_->ReadCaseHistory("case-1", "   ", AsOf::Latest());
  ASSERT_FALSE(blank.ok());
  EXPECT_EQ(blank.status().code(), StatusCode::kInvalidArgument) << blank.status().ToString();
  auto empty = client_->ReadCaseHistory("case-1", "", AsOf::Latest());
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument) << empty.status().ToString();
  auto unknown = client_->ReadCaseHistory("case-2", "audit", AsOf::Latest());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound) << unknown.status().ToString();
  auto not_case = client_->ReadCaseHistory("access-case-1", "audit", AsOf::Latest());
  ASSERT_FALSE(not_case.ok());
  EXPECT_EQ(not_case.status().code(), StatusCode::kInvalidArgument) << not_case.status().ToString();
  auto beyond = client_->ReadCaseHistory("case-1", "audit", AsOf::AtPosition(before + 1));
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.status().code(), StatusCode::kInvalidArgument) << beyond.status().ToString();
  EXPECT_NE(beyond.status().message().find("beyond the ledger"), std::string::npos)
      << beyond.status().ToString();

  EXPECT_EQ(Size(), before) << "a refused read appended something";
  auto none = client_->GetStreamVersion("access-case-1");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, kNoStream);
}

TEST_F(EmbeddedClientTest, ReadRecordGivesTheBytesAnInclusionProofProves) {
  AddNote("one");
  AddNote("two");
  auto head = client_->GetTreeHead();
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  ASSERT_GE(head->size, 3u);
  std::vector<std::string> records;
  for (Position p = 1; p <= head->size; ++p) {
    auto record = client_->ReadRecord(p);
    ASSERT_TRUE(record.ok()) << p << ": " << record.status().ToString();
    ASSERT_FALSE(record->empty()) << p;
    auto proof = client_->ProveInclusion(p, head->size);
    ASSERT_TRUE(proof.ok()) << p << ": " << proof.status().ToString();
    EXPECT_TRUE(VerifyInclusion(LeafOf(*record), *proof, head->root).ok()) << "position " << p;
    records.push_back(*record);
  }
  // As the tree hashed it: the personal fields sealed.
  EXPECT_EQ(records.front().find("Li Mei"), std::string::npos);
  // Another position's record is not what the proof proves.
  auto proof_of_2 = client_->ProveInclusion(2, head->size);
  ASSERT_TRUE(proof_of_2.ok());
  EXPECT_FALSE(VerifyInclusion(LeafOf(records[0]), *proof_of_2, head->root).ok());
  // Against an earlier tree head too.
  auto first_head = client_->GetTreeHeadAt(1);
  auto proof_in_1 = client_->ProveInclusion(1, 1);
  ASSERT_TRUE(first_head.ok() && proof_in_1.ok());
  EXPECT_TRUE(VerifyInclusion(LeafOf(records[0]), *proof_in_1, first_head->root).ok());

  auto beyond = client_->ReadRecord(head->size + 1);
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.status().code(), StatusCode::kNotFound) << beyond.status().ToString();
  auto zero = client_->ReadRecord(0);
  EXPECT_FALSE(zero.ok());
}

TEST_F(EmbeddedClientTest, WhoAmINamesTheLedgersId) {
  auto me = client_->WhoAmI();
  ASSERT_TRUE(me.ok()) << me.status().ToString();
  EXPECT_NE(me->ledger_id, (std::array<uint8_t, 16>{}));
  LedgerOptions options;
  options.read_only = true;
  auto beside = Ledger::Open(dir_, options);
  ASSERT_TRUE(beside.ok()) << beside.status().ToString();
  EXPECT_EQ(me->ledger_id, (*beside)->LedgerId());
}

}  // namespace
}  // namespace caseledger
