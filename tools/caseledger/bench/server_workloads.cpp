#include "bench/server_workloads.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <future>
#include <map>
#include <thread>

#include "caseledger/case_events.h"
#include "caseledger/client.h"
#include "caseledger/ledger.h"
#include "server.h"
#include "token_store.h"

namespace caseledger::bench {
namespace {

using Clock = std::chrono::steady_clock;
using Emit =
    std::function<void(const std::string&, const std::string&, const std::string&, double)>;

constexpr int kWriters = 8;
constexpr size_t kBatchEvents = 100;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

ProposedEvent Event(const std::string& type, const std::string& json) {
  ProposedEvent e;
  e.id = EventId::Random();
  e.type = type;
  e.occurred_at = Now();
  e.payload = *PayloadFromJson(**LookupEventType(type), json);
  return e;
}

std::string OpenedJson(int n) {
  return R"({"childRef":"c-)" + std::to_string(n) +
         R"(","name":"Bench Child","sex":"female","ageBand":"6-11",)"
         R"("communityCode":"130111200201","identificationChannel":"home_visit",)"
         R"("owner":"cw-1","agency":"county-a"})";
}

// A case-event ledger with a caseworker and an auditor registered, their tokens, and a
// server over it on 127.0.0.1 (any free port), in this process.
class BenchServer {
 public:
  explicit BenchServer(const std::string& scratch) : dir_(scratch + "/s1"), key_(dir_ + ".key") {
    std::filesystem::remove_all(dir_);
    std::filesystem::remove(key_);
    Status s = CreateMasterKeyFile(key_);
    CreateOptions create;
    create.master_key_file = key_;
    if (s.ok()) s = Ledger::Create(dir_, create);
    if (s.ok()) s = Register();
    if (s.ok()) s = Tokens();
    if (!s.ok()) {
      spdlog::error("S1: {}", s.ToString());
      return;
    }
    server::ServerOptions options;
    options.dir = dir_;
    options.listen = "127.0.0.1:0";
    options.master_key_file = key_;
    std::promise<std::string> bound;
    auto address = bound.get_future();
    thread_ = std::thread([this, options, &bound] {
      Status served = server::RunServer(
          options, [this] { return stop_.load(); },
          [&bound](const std::string& a) { bound.set_value(a); });
      if (!served.ok()) {
        spdlog::error("S1: {}", served.ToString());
        bound.set_value("");
      }
    });
    address_ = address.get();
  }

  ~BenchServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    std::filesystem::remove_all(dir_);
    std::filesystem::remove(key_);
  }

  bool running() const { return !address_.empty(); }

  std::unique_ptr<Client> Connect(const std::string& worker) {
    RemoteOptions options;
    options.address = address_;
    options.token = tokens_[worker];
    auto client = ConnectClient(options);
    if (!client.ok()) {
      spdlog::error("S1: {}", client.status().ToString());
      return nullptr;
    }
    return std::move(*client);
  }

 private:
  Status Register() {
    LedgerOptions options;
    options.master_key_file = key_;
    CASELEDGER_ASSIGN_OR_RETURN(auto ledger, Ledger::Open(dir_, options));
    for (const auto& [id, json] :
         {std::pair<std::string, std::string>{
              "cw-1", R"({"workerId":"cw-1","role":"caseworker","agency":"county-a"})"},
          {"aud-1", R"({"workerId":"aud-1","role":"auditor","agency":"inspectorate"})"}}) {
      AppendRequest r;
      r.stream = "worker-" + id;
      r.events.push_back(Event("WorkerRegistered", json));
      CASELEDGER_RETURN_IF_ERROR(ledger->Append(r).status());
    }
    return Status::Ok();
  }

  Status Tokens() {
    for (const char* worker : {"cw-1", "aud-1"}) {
      CASELEDGER_ASSIGN_OR_RETURN(auto issued, server::IssueToken(dir_, worker));
      tokens_[worker] = issued.token;
    }
    return Status::Ok();
  }

  std::string dir_, key_, address_;
  std::map<std::string, std::string> tokens_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Timed {
  double seconds = 0;  // from the first thread's start to the last one's end
  uint64_t events = 0;
  std::vector<double> latency_ms;
  bool error = false;
};

// `writers` threads, each with its own connection and case, append for kSeconds: one
// event per append, or `batch` events per append.
Timed Append(BenchServer& server, double seconds, int writers, size_t batch, int first_case) {
  std::vector<Timed> each(static_cast<size_t>(writers));
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      Timed& mine = each[static_cast<size_t>(w)];
      auto client = server.Connect("cw-1");
      const std::string stream = "case-" + std::to_string(first_case + w);
      AppendRequest open;
      open.stream = stream;
      open.expected_version = ExpectedVersion::NoStream();
      open.events.push_back(Event("CaseOpened", OpenedJson(first_case + w)));
      if (!client || !client->Append(open).ok()) {
        mine.error = true;
        return;
      }
      StreamVersion version = 0;
      while (Clock::now() < deadline) {
        AppendRequest r;
        r.stream = stream;
        r.expected_version = ExpectedVersion::Exact(version);
        for (size_t i = 0; i < batch; ++i)
          r.events.push_back(Event("NoteAdded", R"({"text":"Home visit: all well."})"));
        const auto t0 = Clock::now();
        auto appended = client->Append(r);
        if (!appended.ok()) {
          spdlog::error("S1: {}", appended.status().ToString());
          mine.error = true;
          return;
        }
        mine.latency_ms.push_back(Since(t0) * 1e3);
        mine.events += batch;
        version = appended->last_version;
      }
    });
  }
  for (auto& t : threads) t.join();
  Timed all;
  all.seconds = Since(start);
  for (Timed& t : each) {
    all.events += t.events;
    all.error = all.error || t.error;
    all.latency_ms.insert(all.latency_ms.end(), t.latency_ms.begin(), t.latency_ms.end());
  }
  return all;
}

// `readers` threads read whole case histories (each read recorded before it is answered).
Timed ReadHistories(BenchServer& server, double seconds, int readers, int first_case, int cases) {
  std::vector<Timed> each(static_cast<size_t>(readers));
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  for (int w = 0; w < readers; ++w) {
    threads.emplace_back([&, w] {
      Timed& mine = each[static_cast<size_t>(w)];
      auto client = server.Connect("cw-1");
      if (!client) {
        mine.error = true;
        return;
      }
      for (int n = w; Clock::now() < deadline; n += readers) {
        const auto t0 = Clock::now();
        auto events = client->ReadStream("case-" + std::to_string(first_case + n % cases), 0,
                                         Direction::kForward, 100, "benchmark");
        if (!events.ok() || events->empty()) {
          mine.error = true;
          return;
        }
        mine.latency_ms.push_back(Since(t0) * 1e3);
        mine.events += events->size();
      }
    });
  }
  for (auto& t : threads) t.join();
  Timed all;
  all.seconds = Since(start);
  for (Timed& t : each) {
    all.events += t.latency_ms.size();  // reads, not events
    all.error = all.error || t.error;
    all.latency_ms.insert(all.latency_ms.end(), t.latency_ms.begin(), t.latency_ms.end());
  }
  return all;
}

}  // namespace

void RunServerWorkloads(const BenchOptions& options, const Emit& emit) {
  BenchServer server(options.scratch_dir);
  if (!server.running()) return emit("check", "S1_server_started", "bool", 0);
  emit("check", "S1_server_started", "bool", 1);

  // Each timed phase runs half as long as a W1 variant.
  const double seconds = options.w1_seconds / 2;
  const Timed one = Append(server, seconds, 1, 1, 0);
  emit("S1_append_1w", "events_per_s", "ev/s", one.events / one.seconds);
  emit("S1_append_1w", "p50_ms", "ms", Percentile(one.latency_ms, 0.5));
  emit("S1_append_1w", "p99_ms", "ms", Percentile(one.latency_ms, 0.99));
  const Timed many = Append(server, seconds, kWriters, 1, 100);
  emit("S1_append_8w", "events_per_s", "ev/s", many.events / many.seconds);
  emit("S1_append_8w", "p50_ms", "ms", Percentile(many.latency_ms, 0.5));
  emit("S1_append_8w", "p99_ms", "ms", Percentile(many.latency_ms, 0.99));
  const Timed batches = Append(server, seconds, 1, kBatchEvents, 200);
  emit("S1_append_batch100", "events_per_s", "ev/s", batches.events / batches.seconds);
  const Timed reads = ReadHistories(server, seconds, kWriters, 100, kWriters);
  emit("S1_read_history_8r", "reads_per_s", "reads/s", reads.events / reads.seconds);
  emit("S1_read_history_8r", "p50_ms", "ms", Percentile(reads.latency_ms, 0.5));

  // The auditor follows the whole log from position 1.
  uint64_t followed = 0;
  double follow_s = 0;
  bool follow_ok = false;
  if (auto auditor = server.Connect("aud-1")) {
    auto head = auditor->GetTreeHead();
    auto subscription = auditor->Subscribe(1);
    if (head.ok() && subscription.ok()) {
      const auto t0 = Clock::now();
      while (followed < head->size) {
        auto events = (*subscription)->Next(10'000, std::chrono::seconds(5));
        if (!events.ok() || events->empty()) break;
        followed += events->size();
      }
      follow_s = Since(t0);
      follow_ok = followed == head->size;
    }
  }
  emit("S1_subscribe", "events_per_s", "ev/s", follow_s > 0 ? followed / follow_s : 0);
  emit("check", "S1_no_errors", "bool",
       one.error || many.error || batches.error || reads.error ? 0 : 1);
  emit("check", "S1_subscriber_saw_every_event", "bool", follow_ok ? 1 : 0);
}

}  // namespace caseledger::bench
