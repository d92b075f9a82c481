#include "bench/workloads.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "bench/dataset.h"
#include "bench/server_workloads.h"
#include "caseledger/ledger.h"
#include "gen/generator.h"
#include "projector.h"

namespace caseledger::bench {
namespace {

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Resets the peak-RSS mark (VmHWM) so that each workload reports its own peak.
void ResetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }
double PeakRssMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

// Counts the log's fdatasync calls (the index is never synced).
class CountingFileSystem final : public FileSystem {
 public:
  std::atomic<uint64_t> syncs{0};
  Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path,
                                                     bool create) override {
    CASELEDGER_ASSIGN_OR_RETURN(auto real, PosixFileSystem()->OpenForWrite(path, create));
    return std::unique_ptr<WritableFile>(new File(std::move(real), syncs));
  }
  Status RenameDurably(const std::string& from, const std::string& to) override {
    return PosixFileSystem()->RenameDurably(from, to);
  }

 private:
  class File final : public WritableFile {
   public:
    File(std::unique_ptr<WritableFile> real, std::atomic<uint64_t>& syncs)
        : real_(std::move(real)), syncs_(syncs) {}
    Status Write(uint64_t offset, std::span<const std::byte> data) override {
      return real_->Write(offset, data);
    }
    Status DataSync() override {
      ++syncs_;
      return real_->DataSync();
    }

   private:
    std::unique_ptr<WritableFile> real_;
    std::atomic<uint64_t>& syncs_;
  };
};

class Runner {
 public:
  explicit Runner(const BenchOptions& o) : o_(o), ds_(o.events, o.seed) {}

  std::vector<Row> Run() {
    Emit("dataset", "avg_payload_bytes", "bytes", ds_.average_payload_bytes());
    if (Selected("W1")) W1Single();
    if (Selected("W1")) W1Concurrent();
    if (Selected("W2") || Selected("W3") || Selected("W4") || Selected("W5")) {
      auto ledger = W2Batch();
      if (ledger && Selected("W3")) W3Replay(*ledger);
      if (ledger && Selected("W4")) W4StreamReads(*ledger);
      if (ledger && Selected("W5")) W5Verify(*ledger);
    }
    std::filesystem::remove_all(LedgerDir("w2"));
    if (Selected("W6")) W6Rebuild();
    if (Selected("S1")) RunServerWorkloads(o_, [this](auto&&... row) { Emit(row...); });
    int failures = 0;
    for (const Row& r : rows_)
      if (r.workload == "check" && r.value == 0) ++failures;
    Emit("check", "failures", "count", failures);
    return rows_;
  }

 private:
  bool Selected(const std::string& workload) const {
    return o_.only.empty() || std::find(o_.only.begin(), o_.only.end(), workload) != o_.only.end();
  }

  void Emit(const std::string& w, const std::string& m, const std::string& u, double v) {
    rows_.push_back({w, m, u, v});
    spdlog::info("{} {} = {} {}", w, m, v, u);
  }
  void Check(const std::string& name, bool ok) { Emit("check", name, "bool", ok ? 1 : 0); }

  std::string LedgerDir(const std::string& name) const { return o_.scratch_dir + "/" + name; }

  std::unique_ptr<Ledger> FreshLedger(const std::string& name, CountingFileSystem* fs) {
    const std::string dir = LedgerDir(name);
    std::filesystem::remove_all(dir);
    // The peers' data set is not case events: an opaque ledger stores it as given.
    CreateOptions create;
    create.events = EventSchema::kOpaque;
    Status s = Ledger::Create(dir, create);
    if (!s.ok()) {
      spdlog::error("bench: {}", s.ToString());
      return nullptr;
    }
    LedgerOptions options;
    if (fs) options.file_system = std::shared_ptr<FileSystem>(std::shared_ptr<void>(), fs);
    auto ledger = Ledger::Open(dir, options);
    if (!ledger.ok()) {
      spdlog::error("bench: {}", ledger.status().ToString());
      return nullptr;
    }
    return std::move(ledger).value();
  }

  static ExpectedVersion Expect(StreamVersion version) {
    return version == 0 ? ExpectedVersion::NoStream() : ExpectedVersion::Exact(version - 1);
  }

  // Versions of every stream run 0..n-1 and the ledger holds `committed` events.
  bool Contiguous(Ledger& ledger, uint64_t committed) {
    if (ledger.CommittedPosition() != committed) return false;
    std::vector<StreamVersion> next(ds_.stream_count(), 0);
    bool ok = true;
    Status s = ledger.ScanAll(1, 0, [&](const EventView& v) {
      uint32_t stream = static_cast<uint32_t>(std::stoul(std::string(v.stream.substr(5))));
      ok = ok && v.stream_version == next[stream]++;
      return ok;
    });
    return s.ok() && ok;
  }

  void W1Single() {
    CountingFileSystem fs;
    ResetPeakRss();
    auto ledger = FreshLedger("w1-1", &fs);
    if (!ledger) return Check("W1_1w_no_errors", false);
    Dataset::Cursor c(ds_);
    DatasetEvent e;
    std::vector<double> latency;
    uint64_t ok = 0;
    bool error = false;
    const uint64_t syncs0 = fs.syncs;
    const double t0 = NowSeconds(), deadline = t0 + o_.w1_seconds;
    double end = t0;
    AppendRequest request;
    request.events.resize(1);
    while (c.Next(e)) {
      const double a = NowSeconds();
      if (a >= deadline) break;
      request.stream = ds_.StreamId(e.stream);
      request.expected_version = Expect(e.version);
      request.events[0] = ToProposedEvent(e, c.index(), o_.seed);
      auto r = ledger->Append(request);
      end = NowSeconds();
      if (!r.ok()) {
        spdlog::error("W1_1w: {}", r.status().ToString());
        error = true;
        break;
      }
      latency.push_back((end - a) * 1e3);
      ++ok;
    }
    Emit("W1_1w", "events_per_s", "ev/s", ok / (end - t0));
    Emit("W1_1w", "p50_ms", "ms", Percentile(latency, 0.5));
    Emit("W1_1w", "p99_ms", "ms", Percentile(latency, 0.99));
    Emit("W1_1w", "events_committed", "events", double(ok));
    const double spc = ok ? double(fs.syncs - syncs0) / double(ok) : 0;
    Emit("W1_1w", "syncs_per_commit", "ratio", spc);
    Emit("W1_1w", "peak_rss_mib", "MiB", PeakRssMiB());
    Check("W1_1w_no_errors", !error);
    Check("W1_1w_each_commit_synced", spc >= 0.95);
    Check("W1_1w_count_matches_commits", Contiguous(*ledger, ok));
    ledger.reset();
    std::filesystem::remove_all(LedgerDir("w1-1"));
  }

  void W1Concurrent() {
    CountingFileSystem fs;
    ResetPeakRss();
    auto ledger = FreshLedger("w1-n", &fs);
    const std::string wl = "W1_" + std::to_string(o_.writers) + "w";
    if (!ledger) return Check(wl + "_no_errors", false);
    // Writer t owns the streams s with s % writers == t, and appends their events in
    // data set order. The events are prepared up front (not timed).
    const int W = o_.writers;
    std::vector<std::vector<AppendRequest>> work(W);
    {
      Dataset::Cursor c(ds_);
      DatasetEvent e;
      while (c.Next(e)) {
        AppendRequest r;
        r.stream = ds_.StreamId(e.stream);
        r.expected_version = Expect(e.version);
        r.events.push_back(ToProposedEvent(e, c.index(), o_.seed));
        work[e.stream % W].push_back(std::move(r));
      }
    }
    const uint64_t syncs0 = fs.syncs;
    std::atomic<bool> go{false};
    std::atomic<int> errors{0};
    std::vector<uint64_t> ok(W, 0);
    std::vector<double> ends(W, 0);
    std::vector<std::vector<double>> latency(W);
    double t0 = 0, deadline = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < W; ++t) {
      threads.emplace_back([&, t] {
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        ends[t] = t0;
        for (const AppendRequest& r : work[t]) {
          const double a = NowSeconds();
          if (a >= deadline) break;
          auto result = ledger->Append(r);
          ends[t] = NowSeconds();
          if (!result.ok()) {
            spdlog::error("{}: {}", wl, result.status().ToString());
            ++errors;
            break;
          }
          latency[t].push_back((ends[t] - a) * 1e3);
          ++ok[t];
        }
      });
    }
    t0 = NowSeconds();
    deadline = t0 + o_.w1_seconds;
    go.store(true, std::memory_order_release);
    for (auto& th : threads) th.join();
    uint64_t total = 0;
    double end = t0;
    std::vector<double> all;
    for (int t = 0; t < W; ++t) {
      total += ok[t];
      end = std::max(end, ends[t]);
      all.insert(all.end(), latency[t].begin(), latency[t].end());
    }
    work.clear();
    Emit(wl, "events_per_s", "ev/s", total / (end - t0));
    Emit(wl, "p50_ms", "ms", Percentile(all, 0.5));
    Emit(wl, "p99_ms", "ms", Percentile(all, 0.99));
    Emit(wl, "events_committed", "events", double(total));
    Emit(wl, "syncs_per_commit", "ratio", total ? double(fs.syncs - syncs0) / double(total) : 0);
    Emit(wl, "peak_rss_mib", "MiB", PeakRssMiB());
    Check(wl + "_no_errors", errors == 0);
    Check(wl + "_count_matches_commits", ledger->CommittedPosition() == total);
    ledger.reset();
    std::filesystem::remove_all(LedgerDir("w1-n"));
  }

  std::unique_ptr<Ledger> W2Batch() {
    ResetPeakRss();
    auto ledger = FreshLedger("w2", nullptr);
    if (!ledger) {
      Check("W2_no_errors", false);
      return nullptr;
    }
    Dataset::Cursor c(ds_);
    DatasetEvent e;
    std::vector<AppendRequest> batch;
    std::vector<double> latency;
    bool error = false;
    const double t0 = NowSeconds();
    bool more = true;
    while (more && !error) {
      batch.clear();
      while (batch.size() < o_.batch && (more = c.Next(e))) {
        AppendRequest& r = batch.emplace_back();
        r.stream = ds_.StreamId(e.stream);
        r.expected_version = Expect(e.version);
        r.events.push_back(ToProposedEvent(e, c.index(), o_.seed));
      }
      if (batch.empty()) break;
      const double a = NowSeconds();
      auto result = ledger->AppendBatch(batch);
      latency.push_back((NowSeconds() - a) * 1e3);
      if (!result.ok()) {
        spdlog::error("W2_batch: {}", result.status().ToString());
        error = true;
      }
    }
    const double elapsed = NowSeconds() - t0;
    Emit("W2_batch", "events_per_s", "ev/s", ds_.size() / elapsed);
    Emit("W2_batch", "batch_p50_ms", "ms", Percentile(latency, 0.5));
    Emit("W2_batch", "batch_p99_ms", "ms", Percentile(latency, 0.99));
    Emit("W2_batch", "peak_rss_mib", "MiB", PeakRssMiB());
    Check("W2_no_errors", !error);
    Check("W2_count_equals_N", ledger->CommittedPosition() == ds_.size());
    Check("W2_versions_contiguous", Contiguous(*ledger, ds_.size()));
    return ledger;
  }

  void W3Replay(Ledger& ledger) {
    ResetPeakRss();
    // Fold a count per type and touch the payload bytes, like the peers' Fold.
    std::vector<std::pair<std::string, uint64_t>> per_type;
    uint64_t events = 0, payload_bytes = 0, checksum = 0;
    Position last = 0;
    bool ordered = true;
    const double t0 = NowSeconds();
    Status s = ledger.ScanAll(1, 0, [&](const EventView& v) {
      ordered = ordered && v.position == last + 1;
      last = v.position;
      auto it = std::find_if(per_type.begin(), per_type.end(),
                             [&](const auto& p) { return p.first == v.type; });
      if (it == per_type.end())
        per_type.emplace_back(std::string(v.type), 1);
      else
        ++it->second;
      ++events;
      payload_bytes += v.payload.size();
      checksum += static_cast<unsigned char>(v.payload.back());
      return true;
    });
    const double elapsed = NowSeconds() - t0;
    Emit("W3_replay", "events_per_s", "ev/s", events / elapsed);
    Emit("W3_replay", "peak_rss_mib", "MiB", PeakRssMiB());
    bool types_ok = true;
    for (int t = 0; t < kEventTypeCount; ++t) {
      auto it = std::find_if(per_type.begin(), per_type.end(),
                             [&](const auto& p) { return p.first == kEventTypes[t]; });
      uint64_t got = it == per_type.end() ? 0 : it->second;
      types_ok = types_ok && got == ds_.type_counts()[t];
    }
    Check("W3_replay_complete_ordered",
          s.ok() && events == ds_.size() && ordered && types_ok && checksum > 0);
  }

  void W4StreamReads(Ledger& ledger) {
    ResetPeakRss();
    uint64_t state = o_.seed ^ 0x57345734ull;
    std::vector<uint32_t> nonempty;
    for (uint32_t s = 0; s < ds_.stream_lengths().size(); ++s)
      if (ds_.stream_lengths()[s] > 0) nonempty.push_back(s);
    std::vector<double> latency;
    uint64_t events = 0, bad = 0;
    for (size_t i = 0; i < o_.w4_streams; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const uint32_t s = nonempty[(state >> 17) % nonempty.size()];
      const std::string id = ds_.StreamId(s);
      const double a = NowSeconds();
      auto r = ledger.ReadStream(id, 0, Direction::kForward, 1u << 20);
      latency.push_back((NowSeconds() - a) * 1e3);
      bool good = r.ok() && r->size() == ds_.stream_lengths()[s];
      for (size_t k = 0; good && k < r->size(); ++k)
        good = (*r)[k].stream_version == StreamVersion(k);
      if (good)
        events += r->size();
      else
        ++bad;
    }
    double total_ms = 0;
    for (double x : latency) total_ms += x;
    Emit("W4_stream_reads", "streams_per_s", "streams/s", latency.size() / (total_ms / 1e3));
    Emit("W4_stream_reads", "events_per_s", "ev/s", events / (total_ms / 1e3));
    Emit("W4_stream_reads", "p50_ms", "ms", Percentile(latency, 0.5));
    Emit("W4_stream_reads", "p99_ms", "ms", Percentile(latency, 0.99));
    Emit("W4_stream_reads", "peak_rss_mib", "MiB", PeakRssMiB());
    Check("W4_histories_complete_ordered", bad == 0);
  }

  // W5_verify is the workload as WORKLOAD.md defines it: the Merkle tree recomputed and
  // checked from the stored bytes. W5_verify_full is `caseledger verify DIR`, which also
  // checks every index entry against the log.
  void W5Verify(Ledger& ledger) {
    for (bool check_index : {false, true}) {
      const std::string workload = check_index ? "W5_verify_full" : "W5_verify";
      ResetPeakRss();
      VerifyOptions options;
      options.check_index = check_index;
      auto report = ledger.Verify(options);
      if (!report.ok()) return Check(workload + "_ok", false);
      Emit(workload, "events_per_s", "ev/s", report->events / report->seconds);
      Emit(workload, "MB_per_s", "MB/s", report->record_bytes / report->seconds / 1e6);
      Emit(workload, "peak_rss_mib", "MiB", PeakRssMiB());
      Check(workload + "_ok", report->ok() && report->events == ds_.size());
    }
  }

  // W6: the three built-in projections rebuilt from position 1 over case events from the
  // generator (the peers' data set has no case events): a fresh projector on an empty
  // DIR/views, in this process, as `caseledger project --no-supervise` runs it. Generating
  // the ledger is not timed.
  void W6Rebuild() {
    const std::string dir = LedgerDir("w6");
    std::filesystem::remove_all(dir);
    const std::string key = o_.scratch_dir + "/w6-master.key";
    std::filesystem::remove(key);
    CreateOptions create;
    create.master_key_file = key;
    Status s = CreateMasterKeyFile(key);
    if (s.ok()) s = Ledger::Create(dir, create);
    if (s.ok()) {
      LedgerOptions options;
      options.master_key_file = key;
      auto ledger = Ledger::Open(dir, options);
      gen::GeneratorSummary summary;
      s = ledger.ok()
              ? gen::AppendToLedger({.seed = o_.seed, .events = o_.events}, **ledger, 500, &summary)
              : ledger.status();
    }
    if (!s.ok()) {
      spdlog::error("W6: {}", s.ToString());
      return Check("W6_rebuilt_all", false);
    }
    // The projector opens the ledger as `caseledger project` does: with the master key
    // $CASELEDGER_MASTER_KEY_FILE names.
    const char* user_key = std::getenv("CASELEDGER_MASTER_KEY_FILE");
    const std::string saved_key = user_key ? user_key : "";
    ::setenv("CASELEDGER_MASTER_KEY_FILE", key.c_str(), 1);
    ResetPeakRss();
    const double t0 = NowSeconds();
    projector::ProjectorOptions options;
    options.plugin_dirs = o_.plugin_dirs;
    auto projector = projector::Projector::Open(dir, options);
    if (projector.ok()) {
      auto batches = (*projector)->CatchUp();
      if (!batches.ok()) s = batches.status();
    } else {
      s = projector.status();
    }
    const double seconds = NowSeconds() - t0;
    if (user_key) {
      ::setenv("CASELEDGER_MASTER_KEY_FILE", saved_key.c_str(), 1);
    } else {
      ::unsetenv("CASELEDGER_MASTER_KEY_FILE");
    }
    if (!s.ok()) {
      spdlog::error("W6: {}", s.ToString());
      return Check("W6_rebuilt_all", false);
    }
    Emit("W6_rebuild", "events_per_s", "ev/s", o_.events / seconds);
    Emit("W6_rebuild", "peak_rss_mib", "MiB", PeakRssMiB());
    // The three built-in plugins, each running and at the last position.
    int rebuilt = 0;
    for (const auto& p : (*projector)->Plugins())
      if ((p.name == "caseload" || p.name == "referrals" || p.name == "coverage") &&
          p.health.state == projector::Health::State::kRunning && p.checkpoint &&
          p.checkpoint->position == o_.events)
        ++rebuilt;
    Check("W6_rebuilt_all", rebuilt == 3);
    projector->reset();
    std::filesystem::remove_all(dir);
    std::filesystem::remove(key);
  }

  const BenchOptions& o_;
  Dataset ds_;
  std::vector<Row> rows_;
};

}  // namespace

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p * double(v.size())));
  return v[std::min(v.size() - 1, rank ? rank - 1 : 0)];
}

std::vector<Row> RunWorkloads(const BenchOptions& options) { return Runner(options).Run(); }

}  // namespace caseledger::bench
