// `caseledger serve` over loopback, through the remote caseledger::Client: tokens, the
// authenticated principal as recorded-by and actor, recorded reads, subscriptions and
// proofs. The role x operation matrix is in server_roles_test.cpp.
#include <gtest/gtest.h>
#include <signal.h>

#include <set>

#include "caseledger/case_events.h"
#include "caseledger/client.h"
#include "caseledger/proof.h"
#include "scenario_ledger.h"
#include "server_fixture.h"
#include "server_process.h"
#include "temp_dir.h"
#include "token_store.h"

namespace caseledger {
namespace {

using testing::kCommunity;
using testing::ScenarioLedger;
using testing::Server;
using testing::ServerProcess;
using testing::TempDir;

TEST_F(Server, AnEventIsRecordedByTheAuthenticatedWorkerWhateverTheClientClaims) {
  auto client = Connect("cw-1");
  ASSERT_NE(client, nullptr);
  ProposedEvent note = Event("NoteAdded", R"({"text":"Visited the grandparents."})");
  note.actor = Actor{"someone-else", "auditor", "elsewhere"};
  auto appended = client->Append(Request("case-1", {note}));
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();

  auto auditor = Connect("aud-1");
  ASSERT_NE(auditor, nullptr);
  auto stored = auditor->ReadAll(appended->first_position, 1);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(stored->front().recorded_by, "worker:cw-1");
  EXPECT_EQ(stored->front().event.actor, (Actor{"cw-1", "caseworker", "county-a"}));
  // What the whole log gives out keeps personal fields sealed.
  EXPECT_EQ(stored->front().event.payload.find("Visited the grandparents."), std::string::npos);
}

TEST_F(Server, AnUnknownOrRevokedTokenIsRefusedWithoutSayingWhy) {
  auto bad = ConnectClient(Remote("clt_" + std::string(64, '0')));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kUnauthenticated) << bad.status().ToString();
  auto garbage = ConnectClient(Remote("not a token"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(garbage.status().message(), bad.status().message());
  // A well-formed token of a worker the ledger does not know: the same answer.
  auto ghost_token = server::IssueToken(dir_, "ghost");
  ASSERT_TRUE(ghost_token.ok());
  auto ghost = ConnectClient(Remote(ghost_token->token));
  ASSERT_FALSE(ghost.ok());
  EXPECT_EQ(ghost.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(ghost.status().message(), bad.status().message());

  // A token revoked while its connection is open stops working at the next call.
  auto client = Connect("cw-1");
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->WhoAmI().ok());
  ASSERT_TRUE(server::RevokeToken(dir_, token_ids_["cw-1"]).ok());
  auto after = client->WhoAmI();
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), StatusCode::kUnauthenticated) << after.status().ToString();
}

TEST_F(Server, WhoAmIGivesTheRoleAndScopeTheLedgerRegistered) {
  auto client = Connect("dir-1");
  ASSERT_NE(client, nullptr);
  auto me = client->WhoAmI();
  ASSERT_TRUE(me.ok()) << me.status().ToString();
  EXPECT_EQ(me->recorded_by, "worker:dir-1");
  EXPECT_EQ(me->role, "children_director");
  EXPECT_EQ(me->location_code, kCommunity);
}

TEST_F(Server, ReadingACaseHistoryNeedsAPurposeAndIsRecordedBeforeTheEventsArrive) {
  auto client = Connect("cw-1");
  ASSERT_NE(client, nullptr);
  auto refused = client->ReadStream("case-1", 0, Direction::kForward, 100, "  ");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("purpose"), std::string::npos);

  auto history = client->ReadStream("case-1", 0, Direction::kForward, 100, "monthly review");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 1u);
  // The caseworker of the case's agency sees the child's name in clear.
  EXPECT_NE(history->front().event.payload.find("Li Mei"), std::string::npos);

  // Another agency's caseworker is refused, and that refusal records nothing.
  auto other = Connect("cw-2");
  ASSERT_NE(other, nullptr);
  auto denied = other->ReadStream("case-1", 0, Direction::kForward, 100, "curiosity");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied) << denied.status().ToString();

  ExpectOneRecordedRead("cw-1", "monthly review");
}

TEST_F(Server, ASubscriptionDeliversEveryEventOnceInOrderAsItIsAppended) {
  auto auditor = Connect("aud-1");
  ASSERT_NE(auditor, nullptr);
  auto subscription = auditor->Subscribe(1);
  ASSERT_TRUE(subscription.ok()) << subscription.status().ToString();

  auto writer = Connect("cw-1");
  ASSERT_NE(writer, nullptr);
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(writer->Append(Request("case-1", {Event("NoteAdded", R"({"text":"note"})")})).ok());
  auto tree = auditor->GetTreeHead();
  ASSERT_TRUE(tree.ok());

  Position expected = 1;
  while (expected <= tree->size) {
    auto batch = (*subscription)->Next(7, std::chrono::seconds(5));
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    ASSERT_FALSE(batch->empty()) << "nothing after position " << expected - 1;
    for (const RecordedEvent& e : *batch) EXPECT_EQ(e.position, expected++);
  }
  auto idle = (*subscription)->Next(10, std::chrono::milliseconds(50));
  ASSERT_TRUE(idle.ok());
  EXPECT_TRUE(idle->empty());

  // Only auditors read the whole log.
  auto denied = writer->Subscribe(1);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(Server, ProofsFromTheServerVerifyAgainstItsTreeHeads) {
  auto client = Connect("aud-1");
  ASSERT_NE(client, nullptr);
  auto head = client->GetTreeHead();
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  ASSERT_GE(head->size, 6u);
  auto first = client->GetTreeHeadAt(3);
  ASSERT_TRUE(first.ok());
  auto consistency = client->ProveConsistency(3, head->size);
  ASSERT_TRUE(consistency.ok()) << consistency.status().ToString();
  EXPECT_TRUE(VerifyConsistency(*consistency, first->root, head->root).ok());

  auto events = client->ReadAll(2, 1);
  ASSERT_TRUE(events.ok());
  auto inclusion = client->ProveInclusion(2, head->size);
  ASSERT_TRUE(inclusion.ok()) << inclusion.status().ToString();
  EXPECT_EQ(inclusion->leaf_index, 1u);
  EXPECT_FALSE(inclusion->path.empty());

  auto beyond = client->ProveInclusion(head->size + 1, head->size + 1);
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(Server, StopsCleanlyOnSigtermAndReleasesTheLedger) {
  EXPECT_EQ(server_->Stop(), 0) << server_->log();
  auto reopened = Ledger::Open(dir_, {});
  EXPECT_TRUE(reopened.ok()) << reopened.status().ToString();
}

TEST_F(Server, RefusesToListenBeyondLoopbackWithoutTls) {
  ServerProcess open(CASELEDGER_BIN, {dir_, "--no-projector", "--listen", "0.0.0.0:0"});
  EXPECT_FALSE(open.running());
  EXPECT_NE(open.log().find("--tls-cert"), std::string::npos) << open.log();
}

TEST_F(Server, RefusesToStartWithASigningKeyThatCannotSign) {
  ServerProcess no_key(CASELEDGER_BIN, {dir_, "--no-projector", "--key", tmp_.Sub("absent.key"),
                                        "--checkpoint-every", "10"});
  EXPECT_FALSE(no_key.running());
  EXPECT_NE(no_key.log().find("--key"), std::string::npos) << no_key.log();
  EXPECT_NE(no_key.log().find("absent.key"), std::string::npos) << no_key.log();
}

}  // namespace
}  // namespace caseledger
