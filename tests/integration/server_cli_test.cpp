// The caseledger CLI beside and through `caseledger serve`: append, read and query with
// --server/--token (the token's worker is the recorded-by and the actor, a case read needs
// a purpose and is recorded), the refusals of a target given wrong, `users` while the
// server runs, TLS with a self-signed certificate, --checkpoint-every, and history, prove
// and checkpoint --export through the server.
#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <gtest/gtest.h>
#include <kj/exception.h>

#include <stdlib.h>
#include <fstream>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "caseledger/checkpoint.h"
#include "caseledger/client.h"
#include "files.h"
#include "json_document.h"
#include "run_program.h"
#include "server_fixture.h"
#include "server_process.h"

namespace caseledger {
namespace {

using testing::Describe;
using testing::Get;
using testing::JsonDocument;
using testing::JsonValue;
using testing::kChild;
using testing::Num;
using testing::ProgramRun;
using testing::ReadFile;
using testing::RunProgram;
using testing::ScenarioLedger;
using testing::ServerFixture;
using testing::ServerProcess;
using testing::Str;

// A case in another township (130111201) of the same agency as case-1, owned by cw-9.
constexpr const char* kOtherTownshipCase =
    R"({"childRef":"c-9","name":"Zhao Lei","sex":"male","ageBand":"12-17",)"
    R"("communityCode":"130111201001","identificationChannel":"school",)"
    R"("owner":"cw-9","agency":"county-a"})";

ProgramRun Cli(const std::vector<std::string>& args, int timeout_s = 30) {
  return RunProgram(CASELEDGER_BIN, args, timeout_s);
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

// The lines of `text`.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

size_t Size(JsonValue::Reader v) { return v.isArray() ? v.getArray().size() : 9999; }

// The positions of a history's "timeline" entries, in order.
std::vector<int64_t> TimelinePositions(JsonValue::Reader doc) {
  std::vector<int64_t> out;
  auto timeline = Get(doc, "timeline");
  if (timeline.isArray())
    for (auto e : timeline.getArray()) out.push_back(Num(Get(e, "position")));
  return out;
}

// The text of `history --format json` from its "state" to its "reads" (the state and the
// timeline, exactly as printed); "" if they are not there.
std::string StateAndTimeline(const std::string& json) {
  const size_t from = json.find("\"state\":"), to = json.find("\"reads\":");
  if (from == std::string::npos || to == std::string::npos || to < from) return "";
  return json.substr(from, to - from);
}

// An admin, two caseworkers of township 130111200 (cw-1 of case-1's agency, cw-2 of
// another), an auditor; case-1 (community 130111200201, county-a) and case-9 (community
// 130111201001, county-a). No server runs until a test starts one.
class ServerCli : public ServerFixture {
 protected:
  void SetUp() override {
    ::unsetenv("CASELEDGER_MASTER_KEY_FILE");
    ::unsetenv("CASELEDGER_TOKEN");
    CreateLedger({{"adm", "admin", "", "county-office"},
                  {"cw-1", "caseworker", "130111200", "county-a"},
                  {"cw-2", "caseworker", "130111200", "ngo-b"},
                  {"aud-1", "auditor", "", "inspectorate"}},
                 [](ScenarioLedger& s) {
                   s.Append("case-1", "CaseOpened", s.DaysAgo(5), "cw-1", kChild);
                   s.Append("case-9", "CaseOpened", s.DaysAgo(4), "cw-9", kOtherTownshipCase);
                 });
  }

  // `caseledger COMMAND --server ADDR --token <worker's token> args...`
  ProgramRun ViaServer(const std::string& command, const std::string& worker,
                       const std::vector<std::string>& args) {
    std::vector<std::string> all = {command, "--server", server_->address(), "--token",
                                    tokens_.at(worker)};
    all.insert(all.end(), args.begin(), args.end());
    return Cli(all);
  }

  // A self-signed certificate for 127.0.0.1 in cert_ and its key in key_pem_.
  void MakeCertificate() {
    cert_ = tmp_.Sub("cert.pem");
    key_pem_ = tmp_.Sub("key.pem");
    ProgramRun made =
        RunProgram("/usr/bin/openssl",
                   {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key_pem_, "-out", cert_, "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
    ASSERT_EQ(made.exit_code, 0) << Describe(made);
  }

  // How many events access-case-1 (who looked at case-1) holds, as the auditor reads it.
  size_t ReadsOfCase1() {
    auto auditor = Connect("aud-1");
    if (!auditor) return 9999;
    auto reads = auditor->ReadStream("access-case-1", 0, Direction::kForward, 1000);
    EXPECT_TRUE(reads.ok()) << reads.status().ToString();
    return reads.ok() ? reads->size() : 9999;
  }

  // The ledger's size, as the server's tree head says.
  uint64_t TreeSize() {
    auto auditor = Connect("aud-1");
    if (!auditor) return 0;
    auto head = auditor->GetTreeHead();
    EXPECT_TRUE(head.ok()) << head.status().ToString();
    return head.ok() ? head->size : 0;
  }

  // A signing key pair made by `caseledger keygen` (the public key is KEY.pub).
  std::string SigningKey() {
    const std::string key = tmp_.Sub("signing.key");
    ProgramRun keygen = Cli({"keygen", "--out", key});
    EXPECT_EQ(keygen.exit_code, 0) << Describe(keygen);
    return key;
  }

  std::string cert_, key_pem_;
};

// ---------------------------------------------------------------------------------------
// 1. append / read through the server

TEST_F(ServerCli, AnAppendThroughTheServerIsRecordedByTheTokensWorkerWhateverActorSays) {
  StartServer();
  ASSERT_FALSE(HasFatalFailure());
  ProgramRun appended = ViaServer(
      "append", "cw-1",
      {"--stream", "case-1", "--type", "NoteAdded", "--data",
       R"({"text":"Visited the grandparents."})", "--actor",
       R"({"user":"someone-else","role":"auditor","agency":"elsewhere"})", "--format", "csv"});
  ASSERT_EQ(appended.exit_code, 0) << Describe(appended);
  const std::vector<std::string> rows = Lines(appended.out);
  ASSERT_EQ(rows.size(), 2u) << appended.out;
  const Position position = std::stoull(rows[1].substr(0, rows[1].find(',')));
  ASSERT_GT(position, 0u);

  // As the auditor sees the whole log, through the CLI...
  ProgramRun all = ViaServer(
      "read", "aud-1", {"--all", "--from-position", std::to_string(position), "--format", "json"});
  ASSERT_EQ(all.exit_code, 0) << Describe(all);
  EXPECT_TRUE(Contains(all.out, "worker:cw-1")) << all.out;
  EXPECT_TRUE(Contains(all.out, "NoteAdded")) << all.out;
  EXPECT_FALSE(Contains(all.out, "someone-else")) << all.out;
  EXPECT_FALSE(Contains(all.out, "Visited the grandparents.")) << "sealed in the whole log";

  // ... and through the remote Client.
  auto auditor = Connect("aud-1");
  ASSERT_NE(auditor, nullptr);
  auto stored = auditor->ReadAll(position, 1);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(stored->front().event.type, "NoteAdded");
  EXPECT_EQ(stored->front().recorded_by, "worker:cw-1");
  EXPECT_EQ(stored->front().event.actor, (Actor{"cw-1", "caseworker", "county-a"}));
}

TEST_F(ServerCli, ReadingACaseThroughTheServerNeedsAPurposeAndIsRecorded) {
  StartServer();
  ASSERT_FALSE(HasFatalFailure());
  ProgramRun no_purpose = ViaServer("read", "cw-1", {"case-1"});
  EXPECT_EQ(no_purpose.exit_code, 1) << Describe(no_purpose);
  EXPECT_TRUE(Contains(no_purpose.err, "purpose")) << Describe(no_purpose);

  ProgramRun history =
      ViaServer("read", "cw-1", {"case-1", "--purpose", "monthly review", "--format", "json"});
  ASSERT_EQ(history.exit_code, 0) << Describe(history);
  EXPECT_TRUE(Contains(history.out, "CaseOpened")) << history.out;
  EXPECT_TRUE(Contains(history.out, "Li Mei"))
      << "the child's name is not in clear: " << history.out;

  // Another agency's caseworker is refused.
  ProgramRun denied = ViaServer("read", "cw-2", {"case-1", "--purpose", "curiosity"});
  EXPECT_EQ(denied.exit_code, 1) << Describe(denied);
  EXPECT_TRUE(Contains(denied.err, "PermissionDenied")) << Describe(denied);
  EXPECT_FALSE(Contains(denied.out, "Li Mei")) << Describe(denied);

  // Only an auditor reads the whole log.
  ProgramRun whole = ViaServer("read", "cw-1", {"--all"});
  EXPECT_EQ(whole.exit_code, 1) << Describe(whole);
  EXPECT_TRUE(Contains(whole.err, "PermissionDenied")) << Describe(whole);

  // One read recorded: the one that was allowed, with its purpose, by cw-1.
  ExpectOneRecordedRead("cw-1", "monthly review");
}

TEST_F(ServerCli, TheTokenComesFromTheEnvironmentOrTheCommandFailsNamingTokenOption) {
  StartServer();
  ASSERT_FALSE(HasFatalFailure());
  {
    ScopedEnv token("CASELEDGER_TOKEN", tokens_.at("cw-1"));
    ProgramRun read =
        Cli({"read", "--server", server_->address(), "case-1", "--purpose", "from the env"});
    EXPECT_EQ(read.exit_code, 0) << Describe(read);
    EXPECT_TRUE(Contains(read.out, "Li Mei")) << Describe(read);
  }
  ProgramRun none =
      Cli({"read", "--server", server_->address(), "case-1", "--purpose", "no token"});
  EXPECT_EQ(none.exit_code, 1) << Describe(none);
  EXPECT_TRUE(Contains(none.err, "--token")) << Describe(none);

  ProgramRun append_none = Cli({"append", "--server", server_->address(), "--stream", "case-1",
                                "--type", "NoteAdded", "--data", R"({"text":"x"})"});
  EXPECT_EQ(append_none.exit_code, 1) << Describe(append_none);
  EXPECT_TRUE(Contains(append_none.err, "--token")) << Describe(append_none);
}

TEST_F(ServerCli, DirAndServerTogetherAreRefused) {
  StartServer();
  ASSERT_FALSE(HasFatalFailure());
  ProgramRun read = Cli({"read", dir_, "--server", server_->address(), "--token",
                         tokens_.at("cw-1"), "case-1", "--purpose", "both"});
  EXPECT_EQ(read.exit_code, 1) << Describe(read);
  EXPECT_TRUE(Contains(read.err, "both given")) << Describe(read);

  ProgramRun append =
      Cli({"append", dir_, "--server", server_->address(), "--token", tokens_.at("cw-1"),
           "--stream", "case-1", "--type", "NoteAdded", "--data", R"({"text":"x"})"});
  EXPECT_EQ(append.exit_code, 1) << Describe(append);
  EXPECT_TRUE(Contains(append.err, "both given")) << Describe(append);

  ProgramRun query = Cli({"query", dir_, "--server", server_->address(), "--token",
                          tokens_.at("aud-1"), "caseload", "open_cases"});
  EXPECT_EQ(query.exit_code, 1) << Describe(query);
  EXPECT_TRUE(Contains(query.err, "both given")) << Describe(query);

  // Neither: the ledger is not named.
  ProgramRun neither = Cli({"read", "--token", tokens_.at("cw-1")});
  EXPECT_NE(neither.exit_code, 0) << Describe(neither);
}

TEST_F(ServerCli, AnAppendToTheDirectoryWhileTheServerRunsIsSentToTheServer) {
  StartServer();
  ASSERT_FALSE(HasFatalFailure());
  ProgramRun local = Cli({"append", dir_, "--master-key-file", dir_ + ".key", "--stream", "case-1",
                          "--type", "NoteAdded", "--data", R"({"text":"local"})"});
  EXPECT_EQ(local.exit_code, 1) << Describe(local);
  EXPECT_TRUE(Contains(local.err, "reach it through its server")) << Describe(local);

  // The server still serves.
  ProgramRun remote = ViaServer(
      "append", "cw-1",
      {"--stream", "case-1", "--type", "NoteAdded", "--data", R"({"text":"through the server"})"});
  EXPECT_EQ(remote.exit_code, 0) << Describe(remote);
}

TEST_F(ServerCli, AnImportThroughTheServerIsAllOrNothingPerBatchAndSafeToRunAgain) {
  StartServer();
  ASSERT_FALSE(HasFatalFailure());
  // Three notes on case-1 (cw-1's agency), one line per event with its own id.
  const std::string file = tmp_.Sub("notes.ndjson");
  {
    std::ofstream out(file);
    for (int i = 1; i <= 3; ++i)
      out << R"({"stream":"case-1","type":"NoteAdded","eventId":")" << std::string(31, '0') << i
          << R"(","data":{"text":"note )" << i << R"("}})"
          << "\n";
  }
  ProgramRun first = ViaServer("import", "cw-1", {file});
  EXPECT_EQ(first.exit_code, 0) << Describe(first);
  EXPECT_TRUE(Contains(first.out, "3 appended")) << Describe(first);
  ProgramRun again = ViaServer("import", "cw-1", {file});
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
  EXPECT_TRUE(Contains(again.out, "0 appended")) << Describe(again);
  EXPECT_TRUE(Contains(again.out, "3 already in the ledger")) << Describe(again);

  // Another agency's caseworker: refused, naming the line, and nothing written.
  auto auditor = Connect("aud-1");
  ASSERT_NE(auditor, nullptr);
  const auto before = auditor->GetTreeHead();
  ASSERT_TRUE(before.ok());
  const std::string other = tmp_.Sub("other.ndjson");
  {
    std::ofstream out(other);
    out << R"({"stream":"case-1","type":"NoteAdded","eventId":")" << std::string(31, '0')
        << R"(9","data":{"text":"not mine"}})"
        << "\n";
  }
  ProgramRun refused = ViaServer("import", "cw-2", {other});
  EXPECT_EQ(refused.exit_code, 1) << Describe(refused);
  EXPECT_TRUE(Contains(refused.err, "line 1")) << Describe(refused);
  EXPECT_TRUE(Contains(refused.err, "PermissionDenied")) << Describe(refused);
  const auto after = auditor->GetTreeHead();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size, before->size);
}

TEST_F(ServerCli, UsersWorksBesideTheServerAndItSeesTokensAddedAndRevokedAtOnce) {
  StartServer();
  ASSERT_FALSE(HasFatalFailure());
  ProgramRun list = Cli({"users", dir_, "list", "--format", "csv"});
  ASSERT_EQ(list.exit_code, 0) << Describe(list);
  for (const auto& [worker, id] : token_ids_) {
    EXPECT_TRUE(Contains(list.out, id)) << worker << " missing from\n" << list.out;
  }
  EXPECT_TRUE(Contains(list.out, "caseworker")) << list.out;

  // A token added while the server runs is accepted at once.
  ProgramRun added = Cli({"users", dir_, "add", "cw-1"});
  ASSERT_EQ(added.exit_code, 0) << Describe(added);
  const std::vector<std::string> lines = Lines(added.out);
  ASSERT_EQ(lines.size(), 1u) << added.out;
  const std::string fresh = lines[0];
  ASSERT_TRUE(fresh.starts_with("clt_")) << fresh;
  ProgramRun with_fresh = Cli({"read", "--server", server_->address(), "--token", fresh, "case-1",
                               "--purpose", "new token"});
  EXPECT_EQ(with_fresh.exit_code, 0) << Describe(with_fresh);
  EXPECT_TRUE(Contains(with_fresh.out, "Li Mei")) << Describe(with_fresh);

  // A token revoked while it runs fails at the next call.
  ProgramRun before = ViaServer(
      "append", "cw-1",
      {"--stream", "case-1", "--type", "NoteAdded", "--data", R"({"text":"before revoking"})"});
  ASSERT_EQ(before.exit_code, 0) << Describe(before);
  ProgramRun revoked = Cli({"users", dir_, "revoke", token_ids_.at("cw-1")});
  ASSERT_EQ(revoked.exit_code, 0) << Describe(revoked);
  ProgramRun after = ViaServer(
      "append", "cw-1",
      {"--stream", "case-1", "--type", "NoteAdded", "--data", R"({"text":"after revoking"})"});
  EXPECT_EQ(after.exit_code, 1) << Describe(after);
  EXPECT_TRUE(Contains(after.err, "Unauthenticated")) << Describe(after);
  // The other token of the same worker still works.
  ProgramRun still = Cli({"read", "--server", server_->address(), "--token", fresh, "case-1",
                          "--purpose", "the other token"});
  EXPECT_EQ(still.exit_code, 0) << Describe(still);

  ProgramRun relisted = Cli({"users", dir_, "list", "--format", "csv"});
  ASSERT_EQ(relisted.exit_code, 0) << Describe(relisted);
  EXPECT_EQ(Lines(relisted.out).size(), Lines(list.out).size() + 1) << relisted.out;
}

// ---------------------------------------------------------------------------------------
// 2. query through the server, with the built-in plugins

TEST_F(ServerCli, AQueryThroughTheServerIsCutToTheWorkersPlace) {
  StartServer({"--plugin-dir", BUILTIN_PLUGIN_DIR});
  ASSERT_FALSE(HasFatalFailure());
  const std::vector<std::string> query = {
      "caseload", "open_cases",      "--param",  "as_of=2030-01-01T00:00:00Z",
      "--param",  "level=community", "--format", "csv"};
  // The auditor sees every place.
  ProgramRun everywhere = ViaServer("query", "aud-1", query);
  ASSERT_EQ(everywhere.exit_code, 0) << Describe(everywhere);
  EXPECT_TRUE(Contains(everywhere.out, "130111200201")) << everywhere.out;
  EXPECT_TRUE(Contains(everywhere.out, "130111201001")) << everywhere.out;

  // A caseworker: rows, but only under their township 130111200.
  ProgramRun own = ViaServer("query", "cw-1", query);
  ASSERT_EQ(own.exit_code, 0) << Describe(own);
  const std::vector<std::string> rows = Lines(own.out);
  ASSERT_GE(rows.size(), 2u) << own.out;  // a header and at least case-1's row
  EXPECT_TRUE(rows[0].starts_with("area,")) << own.out;
  EXPECT_TRUE(Contains(own.out, "130111200201")) << own.out;
  EXPECT_FALSE(Contains(own.out, "130111201001")) << own.out;
  EXPECT_FALSE(Contains(own.out, "cw-9")) << own.out;

  // Without level=community (the default rolls up), still no case of another township.
  ProgramRun plain = ViaServer(
      "query", "cw-1",
      {"caseload", "open_cases", "--param", "as_of=2030-01-01T00:00:00Z", "--format", "csv"});
  ASSERT_EQ(plain.exit_code, 0) << Describe(plain);
  ASSERT_GE(Lines(plain.out).size(), 2u) << plain.out;
  EXPECT_FALSE(Contains(plain.out, "cw-9")) << plain.out;

  // An admin reads no figures.
  ProgramRun admin = ViaServer("query", "adm", query);
  EXPECT_EQ(admin.exit_code, 1) << Describe(admin);
  EXPECT_TRUE(Contains(admin.err, "PermissionDenied")) << Describe(admin);
  EXPECT_TRUE(admin.out.empty()) << admin.out;
}

// ---------------------------------------------------------------------------------------
// 3. TLS

TEST_F(ServerCli, ATlsServerAnswersAClientThatTrustsItsCertificateAndDropsAPlainOne) {
  MakeCertificate();
  ASSERT_FALSE(HasFatalFailure());
  StartServer({"--no-projector", "--tls-cert", cert_, "--tls-key", key_pem_});
  ASSERT_FALSE(HasFatalFailure());

  RemoteOptions tls = Remote(tokens_.at("cw-1"));
  tls.tls_ca_file = cert_;
  {
    auto client = ConnectClient(tls);
    ASSERT_TRUE(client.ok()) << client.status().ToString() << "\n" << server_->log();
    auto me = (*client)->WhoAmI();
    ASSERT_TRUE(me.ok()) << me.status().ToString();
    EXPECT_EQ(me->recorded_by, "worker:cw-1");
  }

  auto plain = ConnectClient(Remote(tokens_.at("cw-1")));
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().code(), StatusCode::kIOError) << plain.status().ToString();

  // The server goes on serving, to the CLI too.
  auto again = ConnectClient(tls);
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << server_->log();
  EXPECT_TRUE((*again)->WhoAmI().ok());
  ProgramRun cli_plain = ViaServer("read", "cw-1", {"case-1", "--purpose", "plain"});
  EXPECT_EQ(cli_plain.exit_code, 1) << Describe(cli_plain);
  EXPECT_TRUE(Contains(cli_plain.err, "IOError")) << Describe(cli_plain);
  ProgramRun cli =
      ViaServer("read", "cw-1", {"--tls-ca", cert_, "case-1", "--purpose", "over tls"});
  EXPECT_EQ(cli.exit_code, 0) << Describe(cli);
  EXPECT_TRUE(Contains(cli.out, "Li Mei")) << Describe(cli);
}

TEST_F(ServerCli, WithTlsTheServerListensBeyondLoopback) {
  MakeCertificate();
  ASSERT_FALSE(HasFatalFailure());
  StartServer(
      {"--no-projector", "--listen", "0.0.0.0:0", "--tls-cert", cert_, "--tls-key", key_pem_});
  ASSERT_FALSE(HasFatalFailure());
  const std::string& bound = server_->address();
  ASSERT_TRUE(bound.starts_with("0.0.0.0:")) << bound;
  RemoteOptions options;
  options.address = "127.0.0.1:" + bound.substr(bound.rfind(':') + 1);
  options.token = tokens_.at("aud-1");
  options.tls_ca_file = cert_;
  auto client = ConnectClient(options);
  ASSERT_TRUE(client.ok()) << client.status().ToString() << "\n" << server_->log();
  auto me = (*client)->WhoAmI();
  ASSERT_TRUE(me.ok()) << me.status().ToString();
  EXPECT_EQ(me->role, "auditor");
}

TEST_F(ServerCli, AMissingCertificateFileFailsAtStartNamingIt) {
  MakeCertificate();
  ASSERT_FALSE(HasFatalFailure());
  const std::string missing = tmp_.Sub("no-such-cert.pem");
  ServerProcess server(CASELEDGER_BIN, {dir_, "--master-key-file", dir_ + ".key", "--no-projector",
                                        "--tls-cert", missing, "--tls-key", key_pem_});
  EXPECT_FALSE(server.running()) << server.address();
  EXPECT_EQ(server.Stop(), 1) << server.log();
  EXPECT_TRUE(Contains(server.log(), missing)) << server.log();
}

// ---------------------------------------------------------------------------------------
// 4. --checkpoint-every

TEST_F(ServerCli, TheServerSignsACheckpointEveryNEventsAndOnceMoreWhenItStops) {
  const std::string key = tmp_.Sub("signing.key");
  ProgramRun keygen = Cli({"keygen", "--out", key});
  ASSERT_EQ(keygen.exit_code, 0) << Describe(keygen);
  StartServer({"--no-projector", "--key", key, "--checkpoint-every", "5"});
  ASSERT_FALSE(HasFatalFailure());

  auto writer = Connect("cw-1");
  auto auditor = Connect("aud-1");
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(auditor, nullptr);
  for (int i = 0; i < 12; ++i) {
    auto appended = writer->Append(
        Request("case-1", {Event("NoteAdded", R"({"text":"note )" + std::to_string(i) + "\"}")}));
    ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  }
  auto head = auditor->GetTreeHead();
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  const uint64_t size = head->size;

  // Signed on the way, at most 4 events behind.
  uint64_t signed_size = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    auto stored = ReadCheckpointStore(dir_);
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    if (!stored->checkpoints.empty()) signed_size = stored->checkpoints.back().tree_size;
    if (signed_size + 4 >= size) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(signed_size + 4, size) << "no checkpoint near " << size << "\n" << server_->log();
  EXPECT_LE(signed_size, size);

  ProgramRun listed = Cli({"checkpoints", dir_, "--format", "csv"});
  ASSERT_EQ(listed.exit_code, 0) << Describe(listed);
  EXPECT_TRUE(Contains(listed.out, "\n" + std::to_string(signed_size) + ",")) << listed.out;
  EXPECT_TRUE(Contains(listed.out, "valid")) << listed.out;
  EXPECT_FALSE(Contains(listed.out, "INVALID")) << listed.out;

  // Leave 1 to 4 events unsigned (fewer than --checkpoint-every: none is due before the
  // server stops).
  uint64_t final_size = size;
  if (signed_size == size) {
    for (int i = 0; i < 2; ++i)
      ASSERT_TRUE(
          writer->Append(Request("case-1", {Event("NoteAdded", R"({"text":"late"})")})).ok());
    final_size += 2;
  }

  // The client gets the latest one.
  auto latest = auditor->LatestCheckpoint();
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_TRUE(Contains(*latest, "\"tree_size\":" + std::to_string(signed_size))) << *latest;
  auto parsed = CheckpointFromJson(*latest);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString() << ": " << *latest;
  EXPECT_EQ(parsed->tree_size, signed_size);
  auto before_stop = ReadCheckpointStore(dir_);
  ASSERT_TRUE(before_stop.ok()) << before_stop.status().ToString();
  writer.reset();
  auditor.reset();

  // Stopping signs the rest, once.
  ASSERT_EQ(server_->Stop(), 0) << server_->log();
  auto stored = ReadCheckpointStore(dir_);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_EQ(stored->checkpoints.size(), before_stop->checkpoints.size() + 1) << server_->log();
  EXPECT_EQ(stored->checkpoints.back().tree_size, final_size) << server_->log();
  auto reopened = Ledger::Open(dir_, {});
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->CommittedPosition(), final_size);
  reopened->reset();

  const std::string exported = tmp_.Sub("cp.json");
  ProgramRun exporting = Cli({"checkpoint", dir_, "--export", exported});
  ASSERT_EQ(exporting.exit_code, 0) << Describe(exporting);
  ProgramRun verified =
      Cli({"verify", dir_, "--trusted-checkpoint", exported, "--public-key", key + ".pub"});
  EXPECT_EQ(verified.exit_code, 0) << Describe(verified);
  EXPECT_TRUE(Contains(verified.out, "checkpoint: OK")) << Describe(verified);
  EXPECT_TRUE(Contains(verified.out, "tree at size " + std::to_string(final_size)))
      << Describe(verified);
}

// What SIGTERM finds in flight (appends queued or waiting for their fdatasync on the
// server's pool) still commits; the checkpoint signed when stopping must cover it too.
TEST_F(ServerCli, TheCheckpointSignedWhenStoppingCoversAppendsInFlightAtSigterm) {
  const std::string key = tmp_.Sub("signing.key");
  ProgramRun keygen = Cli({"keygen", "--out", key});
  ASSERT_EQ(keygen.exit_code, 0) << Describe(keygen);
  StartServer({"--no-projector", "--key", key, "--checkpoint-every", "1000"});
  ASSERT_FALSE(HasFatalFailure());

  constexpr int kWriters = 4;
  std::atomic<int> acknowledged{0};
  std::vector<std::thread> writers;
  const RemoteOptions options = Remote(tokens_.at("cw-1"));
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto client = ConnectClient(options);
      if (!client.ok()) return;
      for (int i = 0; i < 100000; ++i) {
        auto appended = (*client)->Append(
            Request("case-1", {Event("NoteAdded", R"({"text":"w)" + std::to_string(w) + "\"}")}));
        if (!appended.ok()) return;  // the server stopped
        ++acknowledged;
      }
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (acknowledged.load() < 50 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int before_sigterm = acknowledged.load();
  EXPECT_EQ(server_->Stop(), 0) << server_->log();
  for (std::thread& t : writers) t.join();
  ASSERT_GE(before_sigterm, 50) << server_->log();

  auto stored = ReadCheckpointStore(dir_);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_FALSE(stored->checkpoints.empty()) << server_->log();
  auto reopened = Ledger::Open(dir_, {});
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(stored->checkpoints.back().tree_size, (*reopened)->CommittedPosition())
      << "events were committed after the checkpoint the stopping server signed ("
      << acknowledged.load() << " appends acknowledged, after 6 events of the fixture)\n"
      << server_->log();
}

TEST_F(ServerCli, KeyAndCheckpointEveryGoTogether) {
  const std::string key = tmp_.Sub("signing.key");
  ProgramRun keygen = Cli({"keygen", "--out", key});
  ASSERT_EQ(keygen.exit_code, 0) << Describe(keygen);
  ProgramRun key_only = Cli({"serve", dir_, "--master-key-file", dir_ + ".key", "--no-projector",
                             "--listen", "127.0.0.1:0", "--key", key},
                            10);
  EXPECT_EQ(key_only.exit_code, 2) << Describe(key_only);
  EXPECT_TRUE(Contains(key_only.err, "--checkpoint-every")) << Describe(key_only);
  ProgramRun every_only = Cli({"serve", dir_, "--master-key-file", dir_ + ".key", "--no-projector",
                               "--listen", "127.0.0.1:0", "--checkpoint-every", "5"},
                              10);
  EXPECT_EQ(every_only.exit_code, 2) << Describe(every_only);
  EXPECT_TRUE(Contains(every_only.err, "--key")) << Describe(every_only);

  // Without them the server signs nothing, and says so.
  StartServer();
  ASSERT_FALSE(HasFatalFailure());
  auto auditor = Connect("aud-1");
  ASSERT_NE(auditor, nullptr);
  auto none = auditor->LatestCheckpoint();
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound) << none.status().ToString();
}

// ---------------------------------------------------------------------------------------
// 5. history, prove and checkpoint --export through the server

// The fixture's ledger: 4 workers registered (positions 1-4), case-1 opened at 5, case-9 at 6.
constexpr Position kCase1Opened = 5;
constexpr uint64_t kFixtureSize = 6;

TEST_F(ServerCli, HistoryThroughTheServerShowsTheCaseAndRecordsOneReadAsTheWorker) {
  StartServer();
  ASSERT_FALSE(HasFatalFailure());
  ProgramRun shown = ViaServer("history", "cw-1", {"case-1", "--purpose", "monthly review"});
  ASSERT_EQ(shown.exit_code, 0) << Describe(shown);
  EXPECT_TRUE(Contains(shown.out, "Case case-1 as of position 6")) << shown.out;
  EXPECT_TRUE(Contains(shown.out, "CaseOpened")) << shown.out;
  EXPECT_TRUE(Contains(shown.out, "Li Mei"))
      << "the caseworker in scope sees the child's name in clear: " << shown.out;
  EXPECT_FALSE(Contains(shown.out, "Zhao Lei")) << "case-9's child: " << shown.out;
  EXPECT_TRUE(Contains(shown.out, "This read is recorded at position 7 of access-case-1"))
      << shown.out;
  EXPECT_TRUE(Contains(shown.out, "by worker:cw-1")) << shown.out;
  ExpectOneRecordedRead("cw-1", "monthly review");
  // Its actor is the token's worker too.
  {
    auto auditor = Connect("aud-1");
    ASSERT_NE(auditor, nullptr);
    auto reads = auditor->ReadStream("access-case-1", 0, Direction::kForward, 10);
    ASSERT_TRUE(reads.ok()) << reads.status().ToString();
    ASSERT_EQ(reads->size(), 1u);
    EXPECT_EQ(reads->front().position, 7u);
    EXPECT_EQ(reads->front().event.actor, (Actor{"cw-1", "caseworker", "county-a"}));
  }

  // A second read lists the first under who looked; this one is recorded after it.
  ProgramRun again =
      ViaServer("history", "cw-1", {"case-1", "--purpose", "second look", "--format", "json"});
  ASSERT_EQ(again.exit_code, 0) << Describe(again);
  JsonDocument doc(again.out);
  ASSERT_TRUE(doc.ok()) << again.out;
  EXPECT_EQ(Str(Get(doc.root(), "stream")), "case-1");
  EXPECT_EQ(TimelinePositions(doc.root()), (std::vector<int64_t>{kCase1Opened})) << again.out;
  EXPECT_EQ(Str(Get(Get(doc.root(), "asOf"), "asked")), "latest");
  EXPECT_EQ(Num(Get(Get(doc.root(), "asOf"), "position")), 7) << again.out;
  auto reads = Get(doc.root(), "reads");
  ASSERT_EQ(Size(reads), 1u) << "only the earlier read, not this one: " << again.out;
  auto first = reads.getArray()[0];
  EXPECT_EQ(Num(Get(first, "position")), 7);
  EXPECT_EQ(Str(Get(first, "purpose")), "monthly review");
  EXPECT_EQ(Str(Get(first, "recordedBy")), "worker:cw-1");
  EXPECT_EQ(Str(Get(Get(first, "actor"), "user")), "cw-1");
  auto this_read = Get(doc.root(), "thisRead");
  EXPECT_EQ(Str(Get(this_read, "stream")), "access-case-1");
  EXPECT_EQ(Num(Get(this_read, "position")), 8);
  EXPECT_EQ(Str(Get(this_read, "recordedBy")), "worker:cw-1");
  EXPECT_EQ(Str(Get(Get(this_read, "actor"), "user")), "cw-1");
  EXPECT_EQ(Str(Get(this_read, "purpose")), "second look");
  EXPECT_EQ(ReadsOfCase1(), 2u) << "one recorded read per history run";
  EXPECT_EQ(TreeSize(), kFixtureSize + 2);
}

TEST_F(ServerCli, HistoryThroughTheServerAsOfATimeOrAPositionIsWhatHistoryOfTheDirectoryShows) {
  StartServer();
  ASSERT_FALSE(HasFatalFailure());
  Position low = 0, high = 0;
  std::string low_time;
  {
    auto writer = Connect("cw-1");
    ASSERT_NE(writer, nullptr);
    auto a = writer->Append(Request("case-1", {Event("RiskAssessed", R"({"level":"low"})")}));
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    low = a->first_position;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a later recorded-at
    auto b = writer->Append(Request("case-1", {Event("RiskAssessed", R"({"level":"high"})")}));
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    high = b->first_position;
    auto auditor = Connect("aud-1");
    ASSERT_NE(auditor, nullptr);
    auto stored = auditor->ReadAll(low, 1);
    ASSERT_TRUE(stored.ok() && stored->size() == 1u);
    low_time = FormatTimestamp(stored->front().recorded_at);
  }
  ASSERT_EQ(low, kFixtureSize + 1);
  ASSERT_EQ(high, low + 1);

  ProgramRun at_position = ViaServer(
      "history", "cw-1",
      {"case-1", "--purpose", "audit", "--at-position", std::to_string(low), "--format", "json"});
  ASSERT_EQ(at_position.exit_code, 0) << Describe(at_position);
  JsonDocument by_position(at_position.out);
  ASSERT_TRUE(by_position.ok()) << at_position.out;
  EXPECT_EQ(TimelinePositions(by_position.root()),
            (std::vector<int64_t>{kCase1Opened, static_cast<int64_t>(low)}))
      << at_position.out;
  EXPECT_EQ(Str(Get(Get(by_position.root(), "asOf"), "asked")), "position");
  EXPECT_EQ(Num(Get(Get(by_position.root(), "asOf"), "position")), static_cast<int64_t>(low));
  EXPECT_EQ(Str(Get(Get(by_position.root(), "state"), "risk")), "low") << at_position.out;
  EXPECT_EQ(Size(Get(by_position.root(), "reads")), 0u) << "nobody had looked by then";

  ProgramRun at_time = ViaServer(
      "history", "cw-1", {"case-1", "--purpose", "audit", "--as-of", low_time, "--format", "json"});
  ASSERT_EQ(at_time.exit_code, 0) << Describe(at_time);
  JsonDocument by_time(at_time.out);
  ASSERT_TRUE(by_time.ok()) << at_time.out;
  EXPECT_EQ(TimelinePositions(by_time.root()), TimelinePositions(by_position.root()))
      << at_time.out;
  EXPECT_EQ(Str(Get(Get(by_time.root(), "asOf"), "asked")), "time");
  EXPECT_EQ(Num(Get(Get(by_time.root(), "asOf"), "position")), static_cast<int64_t>(low));
  EXPECT_EQ(Str(Get(Get(by_time.root(), "asOf"), "recordedAt")), low_time);
  EXPECT_EQ(Str(Get(Get(by_time.root(), "state"), "risk")), "low") << at_time.out;
  EXPECT_EQ(Size(Get(by_time.root(), "reads")), 0u)
      << "the read --at-position made later is not known as of then: " << at_time.out;

  ProgramRun latest =
      ViaServer("history", "cw-1", {"case-1", "--purpose", "audit", "--format", "json"});
  ASSERT_EQ(latest.exit_code, 0) << Describe(latest);
  JsonDocument now(latest.out);
  ASSERT_TRUE(now.ok()) << latest.out;
  EXPECT_EQ(
      TimelinePositions(now.root()),
      (std::vector<int64_t>{kCase1Opened, static_cast<int64_t>(low), static_cast<int64_t>(high)}))
      << latest.out;
  EXPECT_EQ(Str(Get(Get(now.root(), "state"), "risk")), "high") << latest.out;
  EXPECT_EQ(Size(Get(now.root(), "reads")), 2u) << latest.out;

  // The same moments read from the directory once the server stopped: the same state and
  // timeline, to the byte (with the master key, as the server opened them for cw-1).
  ASSERT_EQ(server_->Stop(), 0) << server_->log();
  ProgramRun local_position =
      Cli({"history", dir_, "case-1", "--purpose", "audit", "--at-position", std::to_string(low),
           "--format", "json", "--master-key-file", dir_ + ".key"});
  ASSERT_EQ(local_position.exit_code, 0) << Describe(local_position);
  ASSERT_FALSE(StateAndTimeline(local_position.out).empty()) << local_position.out;
  EXPECT_EQ(StateAndTimeline(at_position.out), StateAndTimeline(local_position.out));
  ProgramRun local_time = Cli({"history", dir_, "case-1", "--purpose", "audit", "--as-of", low_time,
                               "--format", "json", "--master-key-file", dir_ + ".key"});
  ASSERT_EQ(local_time.exit_code, 0) << Describe(local_time);
  EXPECT_EQ(StateAndTimeline(at_time.out), StateAndTimeline(local_time.out));
  JsonDocument local(local_time.out);
  ASSERT_TRUE(local.ok()) << local_time.out;
  EXPECT_EQ(Num(Get(Get(local.root(), "asOf"), "position")), static_cast<int64_t>(low));
}

TEST_F(ServerCli, AHistoryRefusedThroughTheServerRecordsNothing) {
  StartServer();
  ASSERT_FALSE(HasFatalFailure());
  // A service provider, registered while the server runs; no referral names them.
  {
    auto admin = Connect("adm");
    ASSERT_NE(admin, nullptr);
    auto registered = admin->Append(Request(
        "worker-sp-1", {Event("WorkerRegistered", R"({"workerId":"sp-1","role":"service_provider",)"
                                                  R"("locationCode":"","agency":"ngo-c"})")}));
    ASSERT_TRUE(registered.ok()) << registered.status().ToString();
    auto issued = server::IssueToken(dir_, "sp-1");
    ASSERT_TRUE(issued.ok()) << issued.status().ToString();
    tokens_["sp-1"] = issued->token;
  }
  const uint64_t before = TreeSize();
  ASSERT_EQ(before, kFixtureSize + 1);

  // Another agency's caseworker (case-1 is county-a's), an admin (no case reads), and the
  // service provider without a referral.
  for (const char* worker : {"cw-2", "adm", "sp-1"}) {
    ProgramRun denied = ViaServer("history", worker, {"case-1", "--purpose", "curiosity"});
    EXPECT_EQ(denied.exit_code, 1) << worker << ": " << Describe(denied);
    EXPECT_TRUE(Contains(denied.err, "PermissionDenied")) << worker << ": " << Describe(denied);
    EXPECT_TRUE(Contains(denied.err, std::string("worker ") + worker)) << Describe(denied);
    EXPECT_FALSE(Contains(denied.out, "Li Mei")) << Describe(denied);
    EXPECT_FALSE(Contains(denied.out, "CaseOpened")) << Describe(denied);
  }
  // No such case, even for the auditor who may read every case.
  ProgramRun unknown = ViaServer("history", "aud-1", {"case-404", "--purpose", "audit"});
  EXPECT_EQ(unknown.exit_code, 1) << Describe(unknown);
  EXPECT_TRUE(Contains(unknown.err, "NotFound")) << Describe(unknown);
  ProgramRun unknown_cw = ViaServer("history", "cw-1", {"case-404", "--purpose", "audit"});
  EXPECT_EQ(unknown_cw.exit_code, 1) << Describe(unknown_cw);
  // A position beyond the ledger.
  ProgramRun beyond =
      ViaServer("history", "cw-1",
                {"case-1", "--purpose", "audit", "--at-position", std::to_string(before + 1)});
  EXPECT_EQ(beyond.exit_code, 1) << Describe(beyond);
  EXPECT_TRUE(Contains(beyond.err, "--at-position")) << Describe(beyond);
  EXPECT_TRUE(Contains(beyond.err, "beyond the ledger")) << Describe(beyond);
  // A blank purpose.
  ProgramRun blank = ViaServer("history", "cw-1", {"case-1", "--purpose", "   "});
  EXPECT_EQ(blank.exit_code, 1) << Describe(blank);
  EXPECT_TRUE(Contains(blank.err, "purpose")) << Describe(blank);
  // A stream that is not a case.
  ProgramRun not_case = ViaServer("history", "aud-1", {"worker-cw-1", "--purpose", "audit"});
  EXPECT_EQ(not_case.exit_code, 1) << Describe(not_case);

  EXPECT_EQ(TreeSize(), before) << "a refused history appended something";
  EXPECT_EQ(ReadsOfCase1(), 0u);
}

TEST_F(ServerCli, HistoryThroughTheServerTakesNoActorAndNoDirectory) {
  StartServer();
  ASSERT_FALSE(HasFatalFailure());
  ProgramRun actor =
      ViaServer("history", "cw-1",
                {"case-1", "--purpose", "review", "--actor",
                 R"({"user":"someone-else","role":"auditor","agency":"elsewhere"})"});
  EXPECT_EQ(actor.exit_code, 1) << Describe(actor);
  EXPECT_TRUE(Contains(actor.err, "--actor")) << Describe(actor);
  EXPECT_FALSE(Contains(actor.out, "Li Mei")) << Describe(actor);

  ProgramRun both = Cli({"history", dir_, "--server", server_->address(), "--token",
                         tokens_.at("cw-1"), "case-1", "--purpose", "review"});
  EXPECT_EQ(both.exit_code, 1) << Describe(both);
  EXPECT_TRUE(Contains(both.err, "both given")) << Describe(both);

  EXPECT_EQ(TreeSize(), kFixtureSize);
  EXPECT_EQ(ReadsOfCase1(), 0u);
}

TEST_F(ServerCli, ProofsThroughTheServerVerifyOfflineAgainstAHeldCheckpoint) {
  const std::string key = SigningKey();
  ASSERT_FALSE(HasFailure());
  // The auditor's checkpoint of the fixture's events, signed before the server starts.
  ProgramRun signed_cp = Cli({"checkpoint", dir_, "--key", key});
  ASSERT_EQ(signed_cp.exit_code, 0) << Describe(signed_cp);
  const std::string held = tmp_.Sub("held.json");
  ProgramRun exported = Cli({"checkpoint", dir_, "--export", held});
  ASSERT_EQ(exported.exit_code, 0) << Describe(exported);

  StartServer();
  ASSERT_FALSE(HasFatalFailure());
  {
    auto writer = Connect("cw-1");
    ASSERT_NE(writer, nullptr);
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(
          writer->Append(Request("case-1", {Event("NoteAdded", R"({"text":"later"})")})).ok());
  }
  const uint64_t size = TreeSize();
  ASSERT_EQ(size, kFixtureSize + 3);

  // Consistency: for any worker, here a caseworker.
  const std::string consistency = tmp_.Sub("consistency.json");
  ProgramRun grown = ViaServer(
      "prove", "cw-1",
      {"--consistency", std::to_string(kFixtureSize), std::to_string(size), "--out", consistency});
  ASSERT_EQ(grown.exit_code, 0) << Describe(grown);
  ProgramRun grown_ok =
      Cli({"verify", "--proof", consistency, "--checkpoint", held, "--public-key", key + ".pub"});
  EXPECT_EQ(grown_ok.exit_code, 0) << Describe(grown_ok);
  EXPECT_TRUE(Contains(grown_ok.out, "nothing in positions 1..6 was altered"))
      << Describe(grown_ok);

  // Inclusion: the record of case-1's opening, which only an auditor may read.
  const std::string inclusion = tmp_.Sub("inclusion.json");
  ProgramRun included = ViaServer("prove", "aud-1",
                                  {"--position", std::to_string(kCase1Opened), "--size",
                                   std::to_string(kFixtureSize), "--out", inclusion});
  ASSERT_EQ(included.exit_code, 0) << Describe(included);
  ProgramRun included_ok =
      Cli({"verify", "--proof", inclusion, "--checkpoint", held, "--public-key", key + ".pub"});
  EXPECT_EQ(included_ok.exit_code, 0) << Describe(included_ok);
  EXPECT_TRUE(Contains(included_ok.out, "OK: the record at position 5")) << Describe(included_ok);
  EXPECT_FALSE(Contains(ReadFile(inclusion), "Li Mei"))
      << "the record's personal fields are sealed";

  // A caseworker may not read that record: refused, and no proof written.
  const std::string refused_file = tmp_.Sub("refused.json");
  ProgramRun refused = ViaServer("prove", "cw-1",
                                 {"--position", std::to_string(kCase1Opened), "--size",
                                  std::to_string(kFixtureSize), "--out", refused_file});
  EXPECT_EQ(refused.exit_code, 1) << Describe(refused);
  EXPECT_TRUE(Contains(refused.err, "PermissionDenied")) << Describe(refused);
  EXPECT_FALSE(std::filesystem::exists(refused_file));
  ProgramRun refused_out = ViaServer("prove", "cw-1", {"--position", "1"});
  EXPECT_EQ(refused_out.exit_code, 1) << Describe(refused_out);
  EXPECT_TRUE(refused_out.out.empty()) << Describe(refused_out);

  // The proofs are the documents `prove DIR` gives once the server stopped.
  ASSERT_EQ(server_->Stop(), 0) << server_->log();
  ProgramRun local_grown =
      Cli({"prove", dir_, "--consistency", std::to_string(kFixtureSize), std::to_string(size)});
  ASSERT_EQ(local_grown.exit_code, 0) << Describe(local_grown);
  EXPECT_EQ(ReadFile(consistency), local_grown.out);
  ProgramRun local_included = Cli({"prove", dir_, "--position", std::to_string(kCase1Opened),
                                   "--size", std::to_string(kFixtureSize)});
  ASSERT_EQ(local_included.exit_code, 0) << Describe(local_included);
  EXPECT_EQ(ReadFile(inclusion), local_included.out);
}

TEST_F(ServerCli, CheckpointExportThroughTheServerWritesTheLatestCheckpointItSigned) {
  const std::string key = SigningKey();
  ASSERT_FALSE(HasFailure());
  StartServer({"--no-projector", "--key", key, "--checkpoint-every", "1"});
  ASSERT_FALSE(HasFatalFailure());
  {
    auto writer = Connect("cw-1");
    ASSERT_NE(writer, nullptr);
    ASSERT_TRUE(writer->Append(Request("case-1", {Event("NoteAdded", R"({"text":"x"})")})).ok());
  }
  const uint64_t size = kFixtureSize + 1;
  uint64_t signed_size = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    auto stored = ReadCheckpointStore(dir_);
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    if (!stored->checkpoints.empty()) signed_size = stored->checkpoints.back().tree_size;
    if (signed_size == size) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(signed_size, size) << server_->log();

  const std::string from_server = tmp_.Sub("from-server.json");
  ProgramRun remote = ViaServer("checkpoint", "cw-1", {"--export", from_server});
  ASSERT_EQ(remote.exit_code, 0) << Describe(remote);
  EXPECT_TRUE(Contains(remote.out, "tree size " + std::to_string(size))) << Describe(remote);
  const std::string from_dir = tmp_.Sub("from-dir.json");
  ProgramRun local = Cli({"checkpoint", dir_, "--export", from_dir});
  ASSERT_EQ(local.exit_code, 0) << Describe(local);
  ASSERT_FALSE(ReadFile(from_server).empty());
  EXPECT_EQ(ReadFile(from_server), ReadFile(from_dir));
  auto parsed = ReadCheckpointFile(from_server);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->tree_size, size);

  // It verifies with the public key (`verify` reads beside the server).
  ProgramRun verified =
      Cli({"verify", dir_, "--trusted-checkpoint", from_server, "--public-key", key + ".pub"});
  EXPECT_EQ(verified.exit_code, 0) << Describe(verified);
  EXPECT_TRUE(Contains(verified.out, "checkpoint: OK")) << Describe(verified);

  // An export never overwrites.
  const std::string before = ReadFile(from_server);
  ProgramRun again = ViaServer("checkpoint", "cw-1", {"--export", from_server});
  EXPECT_EQ(again.exit_code, 1) << Describe(again);
  EXPECT_EQ(ReadFile(from_server), before);
}

TEST_F(ServerCli, CheckpointThroughTheServerWithoutOneSignedIsNotFoundAndSigningIsRefused) {
  StartServer();
  ASSERT_FALSE(HasFatalFailure());
  const std::string file = tmp_.Sub("none.json");
  ProgramRun none = ViaServer("checkpoint", "aud-1", {"--export", file});
  EXPECT_EQ(none.exit_code, 1) << Describe(none);
  EXPECT_TRUE(Contains(none.err, "NotFound")) << Describe(none);
  EXPECT_FALSE(std::filesystem::exists(file));

  const std::string key = SigningKey();
  ASSERT_FALSE(HasFailure());
  ProgramRun signing = ViaServer("checkpoint", "aud-1", {"--key", key});
  EXPECT_EQ(signing.exit_code, 1) << Describe(signing);
  EXPECT_TRUE(Contains(signing.err, "--key")) << Describe(signing);
  EXPECT_TRUE(Contains(signing.err, "--checkpoint-every")) << Describe(signing);
  auto stored = ReadCheckpointStore(dir_);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_TRUE(stored->checkpoints.empty()) << "nothing was signed";
}

}  // namespace
}  // namespace caseledger
