// ServerFixture: a case-event ledger with registered workers and a token for each, served
// by `caseledger serve` on 127.0.0.1 (tests/support/server_process.h), for the tests that
// talk to the server through the remote caseledger::Client.
//
//   class Roles : public caseledger::testing::ServerFixture {
//     void SetUp() override {
//       CreateLedger({{"adm", "admin", "", "county-office"}, {"cw-1", "caseworker", "", "a"}},
//                    [](ScenarioLedger& s) { s.Append("case-1", "CaseOpened", ...); });
//       StartServer();
//     }
//   };
//   auto client = Connect("cw-1");
//   auto appended = client->Append(Request("case-1", {Event("NoteAdded", R"({"text":"x"})")}));
//
// `Server` is the fixture of server_test.cpp: an admin, a director, two caseworkers of
// different agencies, an auditor and one case. The tests including this header define
// CASELEDGER_BIN (the caseledger executable).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "caseledger/case_events.h"
#include "caseledger/client.h"
#include "scenario_ledger.h"
#include "server_process.h"
#include "temp_dir.h"
#include "token_store.h"

namespace caseledger::testing {

inline constexpr const char* kCommunity = "130111200201";
inline constexpr const char* kChild =
    R"({"childRef":"c-1","name":"Li Mei","sex":"female","ageBand":"6-11",)"
    R"("communityCode":"130111200201","identificationChannel":"home_visit",)"
    R"("owner":"cw-1","agency":"county-a"})";

// The data of a CaseOpened for child `child_ref` in kCommunity, opened by agency county-a
// and owned by cw-1 (case-1's community and agency).
inline std::string CaseOpenedJson(const std::string& child_ref) {
  return R"({"childRef":")" + child_ref +
         R"(","name":"Wang Fang","sex":"male","ageBand":"12-17",)"
         R"("communityCode":"130111200201","identificationChannel":"school",)"
         R"("owner":"cw-1","agency":"county-a"})";
}

// A worker as WorkerRegistered records them.
struct WorkerSpec {
  std::string id;
  std::string role;           // e.g. "caseworker"
  std::string location_code;  // community (12 digits), township (9) or ""
  std::string agency;
};

class ServerFixture : public ::testing::Test {
 protected:
  // Creates the ledger in dir_: each of `workers` registered by the admin "adm" (30 days
  // ago), then whatever `fill` appends; then issues a token per worker (tokens_).
  void CreateLedger(const std::vector<WorkerSpec>& workers,
                    const std::function<void(ScenarioLedger&)>& fill) {
    dir_ = tmp_.Sub("ledger");
    {
      ScenarioLedger s(dir_);
      for (const WorkerSpec& w : workers) Register(s, w.id, w.role, w.location_code, w.agency);
      if (fill) fill(s);
      s.Close();
    }
    for (const WorkerSpec& w : workers) {
      auto issued = server::IssueToken(dir_, w.id);
      ASSERT_TRUE(issued.ok()) << issued.status().ToString();
      tokens_[w.id] = issued->token;
      token_ids_[w.id] = issued->record.token_id;
    }
  }

  // Starts `caseledger serve dir_` with the ledger's master key and `args` (default: no
  // projector, so no plugin process runs beside it).
  void StartServer(std::vector<std::string> args = {"--no-projector"}) {
    args.insert(args.begin(), {dir_, "--master-key-file", dir_ + ".key"});
    server_ = std::make_unique<ServerProcess>(CASELEDGER_BIN, args);
    ASSERT_TRUE(server_->running()) << server_->log();
  }

  static void Register(ScenarioLedger& s, const std::string& id, const std::string& role,
                       const std::string& location, const std::string& agency) {
    s.Append("worker-" + id, "WorkerRegistered", s.DaysAgo(30), "adm",
             R"({"workerId":")" + id + R"(","role":")" + role + R"(","locationCode":")" + location +
                 R"(","agency":")" + agency + R"("})",
             "admin");
  }

  RemoteOptions Remote(const std::string& token) const {
    RemoteOptions options;
    options.address = server_->address();
    options.token = token;
    return options;
  }

  // A client acting as `worker`, connected on this thread; nullptr (and a test failure)
  // if the server refuses.
  std::unique_ptr<Client> Connect(const std::string& worker) {
    auto client = ConnectClient(Remote(tokens_.at(worker)));
    EXPECT_TRUE(client.ok()) << client.status().ToString() << "\n" << server_->log();
    return client.ok() ? std::move(*client) : nullptr;
  }

  // An event of `type` with a fresh id, occurring now, its payload from `data_json`.
  // Exactly one read of case-1 is recorded (CaseHistoryRead in access-case-1, as the
  // auditor aud-1 reads it): by `worker`, for `purpose`.
  void ExpectOneRecordedRead(const std::string& worker, const std::string& purpose) {
    auto auditor = Connect("aud-1");
    ASSERT_NE(auditor, nullptr);
    auto reads = auditor->ReadStream("access-case-1", 0, Direction::kForward, 100);
    ASSERT_TRUE(reads.ok()) << reads.status().ToString();
    ASSERT_EQ(reads->size(), 1u);
    EXPECT_EQ(reads->front().event.type, "CaseHistoryRead");
    EXPECT_EQ(reads->front().recorded_by, "worker:" + worker);
    auto json = PayloadToJson(**LookupEventType("CaseHistoryRead"), reads->front().event.payload);
    ASSERT_TRUE(json.ok()) << json.status().ToString();
    EXPECT_NE(json->find(purpose), std::string::npos) << *json;
  }

  static ProposedEvent Event(const std::string& type, const std::string& data_json) {
    ProposedEvent e;
    e.id = EventId::Random();
    e.type = type;
    e.occurred_at = Now();
    auto payload = PayloadFromJson(**LookupEventType(type), data_json);
    EXPECT_TRUE(payload.ok()) << type << ": " << payload.status().ToString();
    e.payload = payload.ok() ? *payload : "";
    return e;
  }

  static AppendRequest Request(const std::string& stream, std::vector<ProposedEvent> events) {
    AppendRequest r;
    r.stream = stream;
    r.events = std::move(events);
    return r;
  }

  TempDir tmp_;
  std::string dir_;
  std::map<std::string, std::string> tokens_, token_ids_;
  std::unique_ptr<ServerProcess> server_;
};

// server_test.cpp's ledger: registered workers, one case, and a token per worker.
class Server : public ServerFixture {
 protected:
  void SetUp() override {
    ::unsetenv("CASELEDGER_MASTER_KEY_FILE");
    CreateLedger(
        {{"adm", "admin", "", "county-office"},
         {"dir-1", "children_director", kCommunity, ""},
         {"cw-1", "caseworker", "130111200", "county-a"},
         {"cw-2", "caseworker", "130111200", "ngo-b"},
         {"aud-1", "auditor", "", "inspectorate"}},
        [](ScenarioLedger& s) { s.Append("case-1", "CaseOpened", s.DaysAgo(5), "cw-1", kChild); });
    ASSERT_FALSE(HasFatalFailure());
    StartServer();
  }
};

}  // namespace caseledger::testing
