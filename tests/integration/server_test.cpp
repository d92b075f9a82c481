// `caseledger serve` over loopback, through the remote caseledger::Client: tokens, the
// authenticated principal as recorded-by and actor, recorded reads, subscriptions and
// proofs. The role x operation matrix is in server_roles_test.cpp.
#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <cstddef>
#include <set>
#include <span>
#include <vector>

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

using testing::CaseOpenedJson;
using testing::kCommunity;
using testing::ScenarioLedger;
using testing::Server;
using testing::ServerProcess;
using testing::TempDir;

Hash256 LeafOf(const std::string& record) {
  return RecordLeafHash(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(record.data()), record.size()));
}

std::vector<Position> PositionsOf(const std::vector<RecordedEvent>& events) {
  std::vector<Position> out;
  for (const RecordedEvent& e : events) out.push_back(e.position);
  return out;
}

// The fixture's ledger: 5 workers registered (positions 1-5), case-1 opened at 6.
constexpr Position kCase1Opened = 6;

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
  // What the whole log gives out redacts personal fields: the key id, no ciphertext.
  EXPECT_EQ(stored->front().event.payload.find("Visited the grandparents."), std::string::npos);
  auto json = PayloadToJson(**LookupEventType("NoteAdded"), stored->front().event.payload);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_NE(json->find(R"({"text":{"redacted":")"), std::string::npos) << *json;
  auto record = auditor->ReadRecord(appended->first_position);
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_GE(record->size(), stored->front().event.payload.size() + 24 + 16)
      << "the raw record keeps the nonce and ciphertext the redacted copy dropped";
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
    for (const RecordedEvent& e : *batch) {
      EXPECT_EQ(e.position, expected++);
      if (e.event.type != "NoteAdded") continue;
      auto json = PayloadToJson(**LookupEventType("NoteAdded"), e.event.payload);
      ASSERT_TRUE(json.ok()) << json.status().ToString();
      EXPECT_NE(json->find(R"({"text":{"redacted":")"), std::string::npos) << *json;
    }
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

TEST_F(Server, ReadCaseHistoryRecordsOneReadAsTheWorkerAndListsWhoLookedBefore) {
  auto client = Connect("cw-1");
  ASSERT_NE(client, nullptr);
  auto history = client->ReadCaseHistory("case-1", "monthly review", AsOf::Latest());
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  EXPECT_EQ(history->stream, "case-1");
  EXPECT_EQ(history->position, kCase1Opened);
  EXPECT_EQ(history->ledger_position, kCase1Opened);
  ASSERT_EQ(history->events.size(), 1u);
  EXPECT_EQ(history->events.front().event.type, "CaseOpened");
  EXPECT_EQ(history->events.front().position, kCase1Opened);
  // The caseworker of the case's agency sees the child's name in clear.
  EXPECT_NE(history->events.front().event.payload.find("Li Mei"), std::string::npos);
  EXPECT_TRUE(history->reads.empty());
  EXPECT_EQ(history->this_read.stream, "access-case-1");
  EXPECT_EQ(history->this_read.position, kCase1Opened + 1);
  EXPECT_EQ(history->this_read.event.type, "CaseHistoryRead");
  EXPECT_EQ(history->this_read.recorded_by, "worker:cw-1");
  EXPECT_EQ(history->this_read.event.actor, (Actor{"cw-1", "caseworker", "county-a"}));
  ExpectOneRecordedRead("cw-1", "monthly review");

  // The director of the case's community, as of the case's opening, then as of now.
  auto director = Connect("dir-1");
  ASSERT_NE(director, nullptr);
  auto then = director->ReadCaseHistory("case-1", "supervision", AsOf::AtPosition(kCase1Opened));
  ASSERT_TRUE(then.ok()) << then.status().ToString();
  EXPECT_EQ(then->asked.kind, AsOf::Kind::kPosition);
  EXPECT_EQ(PositionsOf(then->events), (std::vector<Position>{kCase1Opened}));
  EXPECT_TRUE(then->reads.empty()) << "cw-1's read came after position " << kCase1Opened;
  EXPECT_EQ(then->this_read.position, kCase1Opened + 2);
  EXPECT_EQ(then->this_read.recorded_by, "worker:dir-1");
  auto now = director->ReadCaseHistory("case-1", "supervision", AsOf::Latest());
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  EXPECT_EQ(PositionsOf(now->reads), (std::vector<Position>{kCase1Opened + 1, kCase1Opened + 2}));
  ASSERT_EQ(now->reads.size(), 2u);
  EXPECT_EQ(now->reads[0].recorded_by, "worker:cw-1");
  EXPECT_EQ(now->reads[1].recorded_by, "worker:dir-1");
  EXPECT_EQ(now->this_read.position, kCase1Opened + 3);

  auto auditor = Connect("aud-1");
  ASSERT_NE(auditor, nullptr);
  auto reads = auditor->ReadStream("access-case-1", 0, Direction::kForward, 100);
  ASSERT_TRUE(reads.ok()) << reads.status().ToString();
  EXPECT_EQ(reads->size(), 3u) << "one recorded read per call";
}

TEST_F(Server, ARefusedReadCaseHistoryRecordsNothing) {
  auto auditor = Connect("aud-1");
  ASSERT_NE(auditor, nullptr);
  auto before = auditor->GetTreeHead();
  ASSERT_TRUE(before.ok());

  for (const char* worker : {"cw-2", "adm"}) {
    auto client = Connect(worker);
    ASSERT_NE(client, nullptr);
    auto denied = client->ReadCaseHistory("case-1", "curiosity", AsOf::Latest());
    ASSERT_FALSE(denied.ok()) << worker;
    EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied)
        << worker << ": " << denied.status().ToString();
  }
  auto client = Connect("cw-1");
  ASSERT_NE(client, nullptr);
  auto blank = client->ReadCaseHistory("case-1", "  ", AsOf::Latest());
  ASSERT_FALSE(blank.ok());
  EXPECT_EQ(blank.status().code(), StatusCode::kInvalidArgument) << blank.status().ToString();
  EXPECT_NE(blank.status().message().find("purpose"), std::string::npos);
  auto beyond = client->ReadCaseHistory("case-1", "audit", AsOf::AtPosition(before->size + 1));
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.status().code(), StatusCode::kInvalidArgument) << beyond.status().ToString();
  auto not_case = client->ReadCaseHistory("worker-cw-1", "audit", AsOf::Latest());
  ASSERT_FALSE(not_case.ok());
  EXPECT_EQ(not_case.status().code(), StatusCode::kInvalidArgument) << not_case.status().ToString();
  auto unknown = auditor->ReadCaseHistory("case-404", "audit", AsOf::Latest());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound) << unknown.status().ToString();

  auto after = auditor->GetTreeHead();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size, before->size) << "a refused read appended something";
  auto version = auditor->GetStreamVersion("access-case-1");
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, kNoStream);
}

TEST_F(Server, ReadRecordIsForAuditorsAndGivesTheBytesAnInclusionProofProves) {
  auto auditor = Connect("aud-1");
  ASSERT_NE(auditor, nullptr);
  auto head = auditor->GetTreeHead();
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  ASSERT_EQ(head->size, kCase1Opened);
  std::vector<std::string> records;
  for (Position p = 1; p <= head->size; ++p) {
    auto record = auditor->ReadRecord(p);
    ASSERT_TRUE(record.ok()) << p << ": " << record.status().ToString();
    auto proof = auditor->ProveInclusion(p, head->size);
    ASSERT_TRUE(proof.ok()) << p << ": " << proof.status().ToString();
    EXPECT_TRUE(VerifyInclusion(LeafOf(*record), *proof, head->root).ok()) << "position " << p;
    records.push_back(*record);
  }
  EXPECT_EQ(records.back().find("Li Mei"), std::string::npos) << "personal fields sealed";
  auto beyond = auditor->ReadRecord(head->size + 1);
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.status().code(), StatusCode::kNotFound) << beyond.status().ToString();

  for (const char* worker : {"cw-1", "dir-1", "adm"}) {
    auto client = Connect(worker);
    ASSERT_NE(client, nullptr);
    auto denied = client->ReadRecord(kCase1Opened);
    ASSERT_FALSE(denied.ok()) << worker;
    EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied)
        << worker << ": " << denied.status().ToString();
  }

  // The bytes the ledger itself holds.
  LedgerOptions options;
  options.read_only = true;
  auto beside = Ledger::Open(dir_, options);
  ASSERT_TRUE(beside.ok()) << beside.status().ToString();
  for (Position p = 1; p <= head->size; ++p) {
    auto stored = ReadRecord(**beside, p);
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    EXPECT_EQ(*stored, records[p - 1]) << "position " << p;
  }
}

TEST_F(Server, WhoAmINamesTheLedgersId) {
  auto caseworker = Connect("cw-1");
  auto auditor = Connect("aud-1");
  ASSERT_NE(caseworker, nullptr);
  ASSERT_NE(auditor, nullptr);
  auto me = caseworker->WhoAmI();
  auto them = auditor->WhoAmI();
  ASSERT_TRUE(me.ok()) << me.status().ToString();
  ASSERT_TRUE(them.ok()) << them.status().ToString();
  EXPECT_NE(me->ledger_id, (std::array<uint8_t, 16>{}));
  EXPECT_EQ(me->ledger_id, them->ledger_id);
  LedgerOptions options;
  options.read_only = true;
  auto beside = Ledger::Open(dir_, options);
  ASSERT_TRUE(beside.ok()) << beside.status().ToString();
  EXPECT_EQ(me->ledger_id, (*beside)->LedgerId());
}

}  // namespace
}  // namespace caseledger

namespace caseledger {
namespace {

// Events far larger than usual: 80 notes of 900,000 characters, 72 MB in all, more than
// one Cap'n Proto message may carry (64 MiB). Reads and subscriptions hand them out over
// several answers, none lost; a history that one answer cannot carry is refused before
// its read is recorded.
TEST_F(Server, EventsBeyondOneMessageComeInSeveralAnswersAndNoneIsLost) {
  auto writer = Connect("cw-1");
  ASSERT_NE(writer, nullptr);
  const std::string text(900'000, 'n');
  constexpr int kNotes = 80;
  for (int i = 0; i < kNotes; ++i) {
    auto appended = writer->Append(Request(
        "case-1", {Event("NoteAdded", R"({"text":")" + text + std::to_string(i) + R"("})")}));
    ASSERT_TRUE(appended.ok()) << i << ": " << appended.status().ToString();
  }
  auto auditor = Connect("aud-1");
  ASSERT_NE(auditor, nullptr);
  auto head = auditor->GetTreeHead();
  ASSERT_TRUE(head.ok());

  // One history answer cannot carry it: refused, naming the size, and nothing recorded.
  auto whole = writer->ReadCaseHistory("case-1", "quarterly review", AsOf::Latest());
  ASSERT_FALSE(whole.ok());
  EXPECT_EQ(whole.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(whole.status().message().find("MiB"), std::string::npos) << whole.status().ToString();
  EXPECT_EQ(auditor->GetTreeHead()->size, head->size) << "a refused history recorded a read";
  // As of an earlier position it fits.
  auto early =
      writer->ReadCaseHistory("case-1", "quarterly review", AsOf::AtPosition(kCase1Opened + 10));
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  EXPECT_EQ(early->events.size(), 11u);

  // A stream read in pages: each answer stops short of the limit, and asking on from the
  // last event gets every one exactly once.
  std::vector<RecordedEvent> stream;
  size_t answers = 0;
  while (true) {
    auto page = writer->ReadStream("case-1", static_cast<StreamVersion>(stream.size()),
                                   Direction::kForward, 1000, "quarterly review");
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    if (page->empty()) break;
    ++answers;
    EXPECT_LT(page->size(), 1000u);
    for (RecordedEvent& e : *page) stream.push_back(std::move(e));
  }
  EXPECT_GE(answers, 2u);
  ASSERT_EQ(stream.size(), 1u + kNotes);
  for (size_t i = 0; i < stream.size(); ++i) EXPECT_EQ(stream[i].stream_version, StreamVersion(i));

  // The whole log, through ReadAll and through a subscription: dense, nothing repeated.
  Position next = 1;
  while (next <= head->size) {
    auto page = auditor->ReadAll(next, 10'000);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_FALSE(page->empty());
    for (const RecordedEvent& e : *page) ASSERT_EQ(e.position, next++);
  }
  auto subscription = auditor->Subscribe(1);
  ASSERT_TRUE(subscription.ok()) << subscription.status().ToString();
  next = 1;
  while (next <= head->size) {
    auto batch = (*subscription)->Next(10'000, std::chrono::seconds(5));
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    ASSERT_FALSE(batch->empty()) << "nothing after position " << next - 1;
    for (const RecordedEvent& e : *batch) ASSERT_EQ(e.position, next++);
  }
  // (A step may carry them all: the whole log's readers get the notes redacted, without
  // their ciphertext.)
}

}  // namespace
}  // namespace caseledger

namespace caseledger {
namespace {

// A batch that opens a case and goes on with it in a later request: the later request
// counts with the scope the case is opened with, and is still checked against the role.
TEST_F(Server, ABatchMayOpenACaseAndGoOnWithItInALaterRequest) {
  auto cw = Connect("cw-1");
  ASSERT_NE(cw, nullptr);
  std::vector<AppendRequest> batch = {
      Request("case-7", {Event("CaseOpened", CaseOpenedJson("c-7"))}),
      Request("case-8", {Event("CaseOpened", CaseOpenedJson("c-8"))}),
      Request("case-7", {Event("NoteAdded", R"({"text":"first visit"})"),
                         Event("RiskAssessed", R"({"level":"medium"})")})};
  auto appended = cw->AppendBatch(batch);
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  ASSERT_EQ(appended->size(), 3u);
  EXPECT_EQ((*appended)[2].first_version, 1);
  EXPECT_EQ((*appended)[2].last_version, 2);

  // A caseworker may open and note, not assign: the whole batch is refused, naming the
  // request, and nothing of it is written.
  auto auditor = Connect("aud-1");
  ASSERT_NE(auditor, nullptr);
  const uint64_t before = auditor->GetTreeHead()->size;
  std::vector<AppendRequest> refused = {
      Request("case-9", {Event("CaseOpened", CaseOpenedJson("c-9"))}),
      Request("case-9", {Event("CaseAssigned", R"({"newOwner":"cw-1"})")})};
  auto denied = cw->AppendBatch(refused);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied) << denied.status().ToString();
  EXPECT_NE(denied.status().message().find("request 1"), std::string::npos)
      << denied.status().ToString();
  EXPECT_EQ(auditor->GetTreeHead()->size, before);
  EXPECT_EQ(*auditor->GetStreamVersion("case-9"), kNoStream);

  // Another agency's caseworker cannot ride on a case opened for county-a in the batch.
  auto other = Connect("cw-2");
  ASSERT_NE(other, nullptr);
  std::vector<AppendRequest> foreign = {
      Request("case-10", {Event("CaseOpened", CaseOpenedJson("c-10"))}),
      Request("case-10", {Event("NoteAdded", R"({"text":"x"})")})};
  auto not_theirs = other->AppendBatch(foreign);
  ASSERT_FALSE(not_theirs.ok());
  EXPECT_EQ(not_theirs.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(auditor->GetTreeHead()->size, before);
}

}  // namespace
}  // namespace caseledger

namespace caseledger {
namespace {

// Erasure through the server: admins only, through eraseChild (never a raw append of its
// events), and from then on every reader gets the child's fields as erased.
TEST_F(Server, AnAdminErasesAChildAndEveryReaderGetsItsFieldsAsErased) {
  auto admin = Connect("adm");
  auto cw = Connect("cw-1");
  ASSERT_NE(admin, nullptr);
  ASSERT_NE(cw, nullptr);
  auto raw = admin->Append(Request("case-1", {Event("ErasureCompleted", R"({"childRef":"c-1"})")}));
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.status().code(), StatusCode::kPermissionDenied) << raw.status().ToString();
  EXPECT_NE(raw.status().message().find("written by the erasure"), std::string::npos);
  auto not_admin = cw->EraseChild("c-1", "tidying up");
  ASSERT_FALSE(not_admin.ok());
  EXPECT_EQ(not_admin.status().code(), StatusCode::kPermissionDenied);

  auto erased = admin->EraseChild("c-1", "Guardian's request, ticket 2026-118");
  ASSERT_TRUE(erased.ok()) << erased.status().ToString();
  EXPECT_EQ(erased->streams, std::vector<std::string>{"case-1"});
  EXPECT_FALSE(erased->already_erased);

  auto history = cw->ReadStream("case-1", 0, Direction::kForward, 100, "follow-up");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 3u);
  auto opened = PayloadToJson(**LookupEventType("CaseOpened"), history->front().event.payload);
  ASSERT_TRUE(opened.ok());
  EXPECT_NE(opened->find(R"("name":{"erased":")"), std::string::npos) << *opened;
  EXPECT_EQ(opened->find("Li Mei"), std::string::npos);
  EXPECT_EQ((*history)[1].event.type, "ErasureRequested");
  EXPECT_EQ((*history)[2].event.type, "ErasureCompleted");
  EXPECT_EQ((*history)[2].recorded_by, "worker:adm");
  // So does an auditor following the whole log, where other children's fields are redacted.
  auto auditor = Connect("aud-1");
  ASSERT_NE(auditor, nullptr);
  auto subscription = auditor->Subscribe(kCase1Opened);
  ASSERT_TRUE(subscription.ok()) << subscription.status().ToString();
  auto followed = (*subscription)->Next(1, std::chrono::seconds(5));
  ASSERT_TRUE(followed.ok() && followed->size() == 1u);
  for (const auto& page : {*followed, *auditor->ReadAll(kCase1Opened, 1)}) {
    auto json = PayloadToJson(**LookupEventType("CaseOpened"), page.front().event.payload);
    ASSERT_TRUE(json.ok()) << json.status().ToString();
    EXPECT_NE(json->find(R"("name":{"erased":")"), std::string::npos) << *json;
  }

  auto again = admin->EraseChild("c-1", "Guardian's request, ticket 2026-118");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->already_erased);
  EXPECT_EQ(admin->EraseChild("c-404", "x").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace caseledger
