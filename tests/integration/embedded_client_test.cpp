// The embedded caseledger::Client: the same API as the remote one over a directory opened
// in this process (the Client contract is in caseledger/client.h).
#include "caseledger/embedded_client.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "caseledger/case_events.h"
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

  TempDir tmp_;
  std::string dir_;
  std::unique_ptr<Client> client_;
};

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

}  // namespace
}  // namespace caseledger
