// caseledger import DIR FILE.ndjson: bulk-load events, all lines checked before any is
// written.
//
// Pass 1 reads the whole file and decodes every line (ParseEventLine): if any is invalid,
// the first 100 are listed (line, field, reason) and nothing is written. Pass 2 reads it
// again and appends the lines in order, in atomic batches. Event ids make appends
// idempotent, so after a failure midway (a conflict with another writer, a full disk)
// running the same import again skips what is already in the ledger and finishes the job.
// Memory stays bounded: lines are decoded again in pass 2 instead of kept.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "caseledger/case_events.h"
#include "command_support.h"
#include "commands.h"

namespace caseledger::cli {
namespace {

constexpr size_t kMaxLineBytes = 4u << 20;  // far above any valid event (payloads <= 1 MiB)
constexpr size_t kReportedBadLines = 100;

// Reads FILE line by line, numbering lines from 1; blank lines are skipped (and counted).
class LineReader {
 public:
  explicit LineReader(const std::string& path) : in_(path, std::ios::binary), path_(path) {}
  bool ok() const { return static_cast<bool>(in_); }
  // The next non-blank line, or false at the end.
  bool Next(std::string& line) {
    while (std::getline(in_, line)) {
      ++number_;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") != std::string::npos) return true;
    }
    return false;
  }
  uint64_t number() const { return number_; }
  bool failed() const { return in_.bad(); }

 private:
  std::ifstream in_;
  std::string path_;
  uint64_t number_ = 0;
};

Result<EventLine> Decode(const std::string& line) {
  if (line.size() > kMaxLineBytes)
    return Status::InvalidArgument("the line is " + std::to_string(line.size()) +
                                   " bytes, over the limit of " + std::to_string(kMaxLineBytes));
  CASELEDGER_ASSIGN_OR_RETURN(EventLine decoded, ParseEventLine(line));
  // The ledger refuses these from anyone but its own erasure; say so before anything is
  // written rather than mid-import.
  if (decoded.event.type == "ErasureRequested" || decoded.event.type == "ErasureCompleted")
    return Status::InvalidArgument(decoded.event.type +
                                   " is written only by an erasure (`caseledger erase`)");
  return decoded;
}

struct Reject {
  uint64_t line;
  std::string reason, text;
};

struct FileCheck {
  uint64_t valid = 0, invalid = 0;
  bool personal = false;        // some line carries a personal field
  std::vector<Reject> rejects;  // in line order: all of them, or the first kReportedBadLines
  bool unreadable = false;
};

// Pass 1: decodes every line, on every core. Thread t takes the lines whose number is t
// modulo the thread count (each reads the whole file: reading is cheap next to decoding).
FileCheck CheckFile(const std::string& path, bool keep_all_rejects) {
  const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  std::vector<FileCheck> parts(threads);
  std::atomic<uint64_t> done{0};
  Progress progress("checking " + path);
  auto work = [&](unsigned t) {
    FileCheck& part = parts[t];
    LineReader reader(path);
    if (!reader.ok()) {
      part.unreadable = true;
      return;
    }
    std::string line;
    while (reader.Next(line)) {
      if (reader.number() % threads != t) continue;
      auto decoded = Decode(line);
      if (decoded.ok()) {
        ++part.valid;
        const EventType* type = FindEventType(decoded->event.type);
        part.personal =
            part.personal || (type && CarriesPersonalData(*type, decoded->event.payload));
      } else {
        ++part.invalid;
        if (keep_all_rejects || part.rejects.size() < kReportedBadLines)
          part.rejects.push_back(
              {reader.number(), decoded.status().message(), keep_all_rejects ? line : ""});
      }
      const uint64_t n = done.fetch_add(1, std::memory_order_relaxed) + 1;
      if (t == 0 && n % 4096 < threads) progress.Update(n, n);  // no total yet: a count
    }
    part.unreadable = reader.failed();
  };
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < threads; ++t) workers.emplace_back(work, t);
  work(0);  // the caller's thread takes a share too
  for (auto& w : workers) w.join();
  progress.Finish();
  FileCheck all;
  for (FileCheck& part : parts) {
    all.valid += part.valid;
    all.invalid += part.invalid;
    all.personal = all.personal || part.personal;
    all.unreadable = all.unreadable || part.unreadable;
    for (Reject& r : part.rejects) all.rejects.push_back(std::move(r));
  }
  std::sort(all.rejects.begin(), all.rejects.end(),
            [](const Reject& a, const Reject& b) { return a.line < b.line; });
  if (!keep_all_rejects && all.rejects.size() > kReportedBadLines)
    all.rejects.resize(kReportedBadLines);
  return all;
}

struct Batch {
  std::vector<AppendRequest> requests;
  std::vector<uint64_t> lines;  // the file line of each request
  void Clear() {
    requests.clear();
    lines.clear();
  }
};

// Pass 2's reader: decodes the valid lines into batches on its own thread, a few batches
// ahead of the appends, so that decoding and appending use two cores.
class BatchReader {
 public:
  BatchReader(const std::string& path, size_t batch_size)
      : path_(path), batch_size_(batch_size), thread_([this] { Run(); }) {}
  ~BatchReader() {
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  // The next batch in file order; false when the file is done.
  bool Next(Batch& out) {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return !ready_.empty() || finished_; });
    if (ready_.empty()) return false;
    out = std::move(ready_.front());
    ready_.pop_front();
    cv_.notify_all();
    return true;
  }
  bool failed() const {
    std::lock_guard lock(mutex_);
    return failed_;
  }

 private:
  static constexpr size_t kAhead = 4;  // batches decoded ahead at most: bounded memory

  void Run() {
    LineReader reader(path_);
    std::string line;
    Batch batch;
    auto hand_over = [&] {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return ready_.size() < kAhead || cancelled_; });
      if (cancelled_) return false;
      ready_.push_back(std::move(batch));
      batch.Clear();
      cv_.notify_all();
      return true;
    };
    const bool opened = reader.ok();
    bool go_on = opened;
    while (go_on && reader.Next(line)) {
      auto decoded = Decode(line);
      if (!decoded.ok()) continue;  // reported and written to REJECTS in pass 1
      AppendRequest& request = batch.requests.emplace_back();
      request.stream = std::move(decoded->stream);
      request.expected_version = decoded->expected_version;
      request.events.push_back(std::move(decoded->event));
      batch.lines.push_back(reader.number());
      if (batch.requests.size() >= batch_size_) go_on = hand_over();
    }
    if (go_on && !batch.requests.empty()) hand_over();
    std::lock_guard lock(mutex_);
    failed_ = !opened || reader.failed();
    finished_ = true;
    cv_.notify_all();
  }

  const std::string path_;
  const size_t batch_size_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Batch> ready_;
  bool cancelled_ = false, finished_ = false, failed_ = false;
  std::thread thread_;  // last: starts once everything above is ready
};

// The request index an append error names ("request 3, ..."), if any.
std::optional<size_t> RequestOf(const Status& s) {
  const std::string& m = s.message();
  if (m.rfind("request ", 0) != 0) return std::nullopt;
  return static_cast<size_t>(std::strtoull(m.c_str() + 8, nullptr, 10));
}

}  // namespace

void AddImportCommand(CLI::App& app) {
  struct Args {
    LedgerTarget target;
    std::string file, rejects;
    size_t batch = 500;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Append the events of an NDJSON file (one line per event, as `caseledger gen` writes them) "
      "in "
      "order. Every line is checked first: if any is invalid, the bad lines are listed and nothing "
      "is written. If an append fails midway, the import stops and names the line; running the "
      "same "
      "import again is safe (event ids make appends idempotent) and finishes the job");
  AddLedgerTarget(*cmd, args->target);
  cmd->add_option("FILE", args->file, "The NDJSON file (required)");
  cmd->add_option("--skip-invalid", args->rejects,
                  "Write the valid lines, and the invalid ones to this file (tab-separated: line "
                  "number, reason, the line as given)")
      ->type_name("REJECTS");
  cmd->add_option("--batch", args->batch, "Lines per atomic append (one fdatasync each)")
      ->default_str("500")
      ->check(CLI::Range(1, 10000));
  cmd->callback([args] {
    const std::string name = "import";
    const auto started = std::chrono::steady_clock::now();
    CheckLedgerTarget(name, args->target, {&args->file});
    if (args->file.empty()) Fail(name, Status::InvalidArgument("name the NDJSON FILE to import"));

    // ---- pass 1: every line ----
    FileCheck check = CheckFile(args->file, !args->rejects.empty());
    if (check.unreadable) Fail(name, Status::IOError("cannot read " + args->file));
    const uint64_t valid = check.valid, invalid = check.invalid;
    const bool personal = check.personal;
    std::vector<std::string> reasons;
    for (const Reject& r : check.rejects)
      if (reasons.size() < kReportedBadLines)
        reasons.push_back("line " + std::to_string(r.line) + ": " + r.reason);
    std::ofstream rejects;
    if (!args->rejects.empty()) {
      rejects.open(args->rejects, std::ios::binary | std::ios::trunc);
      for (const Reject& r : check.rejects)
        rejects << r.line << '\t' << r.reason << '\t' << r.text << '\n';
    }
    if (!args->rejects.empty()) {
      rejects.close();
      if (!rejects) Fail(name, Status::IOError("cannot write " + args->rejects));
    }
    if (invalid > 0) {
      for (const std::string& r : reasons) std::cerr << r << "\n";
      if (invalid > reasons.size())
        std::cerr << "... and " << invalid - reasons.size() << " more\n";
      if (args->rejects.empty()) {
        std::cerr << "caseledger import: " << WithThousands(invalid) << " of "
                  << WithThousands(valid + invalid) << " lines of " << args->file
                  << " are invalid; nothing was written "
                  << "(--skip-invalid REJECTS writes the valid ones)\n";
        throw CLI::RuntimeError(kExitFailure);
      }
      std::cerr << "skipping " << WithThousands(invalid) << " invalid lines (written to "
                << args->rejects << ")\n";
    }
    // Through a server, the server seals with its master key.
    if (personal && !args->target.remote() && MasterKeyFile().empty() &&
        !std::getenv("CASELEDGER_MASTER_KEY_FILE"))
      Fail(name, Status::InvalidArgument(
                     "the file has events with personal fields, which the ledger seals with "
                     "the master key: give --master-key-file or set "
                     "CASELEDGER_MASTER_KEY_FILE; nothing was written"));

    // ---- pass 2: append in order (through the server: as the token's worker) ----
    std::unique_ptr<Client> client;
    std::unique_ptr<Ledger> ledger;
    if (args->target.remote())
      client = ConnectToServer(name, args->target);
    else
      ledger = OpenForWriting(name, args->target.dir);
    auto append_batch = [&](std::span<const AppendRequest> requests) {
      return client ? client->AppendBatch(requests) : ledger->AppendBatch(requests);
    };
    auto append_one = [&](const AppendRequest& request) {
      return client ? client->Append(request) : ledger->Append(request);
    };
    uint64_t appended = 0, already = 0;
    Position first = 0, last = 0;
    Batch batch;
    Progress progress("importing " + args->file);
    // Stops at `line`; the lines before `unwritten` are in the ledger, none after.
    auto stop = [&](uint64_t line, uint64_t unwritten, const Status& s) {
      progress.Finish();
      std::cerr
          << "caseledger import: stopped at line " << line << ": " << s.ToString() << "\n"
          << "the lines before line " << unwritten << " are in the ledger ("
          << WithThousands(appended) << " appended, " << WithThousands(already)
          << " already there); from line " << unwritten
          << " on nothing was written. Fix the cause and run the same import again: lines already "
          << "appended are recognised by their event ids and skipped\n";
      throw CLI::RuntimeError(kExitFailure);
    };
    auto account = [&](const AppendResult& r) {
      if (r.deduplicated) {
        ++already;
        return;
      }
      ++appended;
      if (first == 0) first = r.first_position;
      last = r.last_position;
    };
    auto flush = [&] {
      if (batch.requests.empty()) return;
      auto results = append_batch(batch.requests);
      if (results.ok()) {
        for (const AppendResult& r : *results) account(r);
      } else if (results.status().code() == StatusCode::kIdempotencyConflict &&
                 !RequestOf(results.status())) {
        // Part of this batch is already in the ledger (an earlier run with other batch
        // boundaries): append it line by line, so that each line is either recognised or new.
        for (size_t i = 0; i < batch.requests.size(); ++i) {
          auto one = append_one(batch.requests[i]);
          if (!one.ok()) stop(batch.lines[i], batch.lines[i], one.status());
          account(*one);
        }
      } else {
        const size_t at = RequestOf(results.status()).value_or(0);
        stop(batch.lines[std::min(at, batch.lines.size() - 1)], batch.lines.front(),
             results.status());
      }
      batch.Clear();
      progress.Update(appended + already, valid);
    };
    BatchReader reader(args->file, args->batch);
    while (reader.Next(batch)) flush();
    if (reader.failed()) Fail(name, Status::IOError("error reading " + args->file));
    progress.Finish();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << "imported " << WithThousands(appended + already) << " events from " << args->file
              << " in " << std::fixed;
    std::cout.precision(1);
    std::cout << seconds << " s ("
              << WithThousands(static_cast<uint64_t>((appended + already) / seconds))
              << " events/s): " << WithThousands(appended) << " appended";
    if (appended) std::cout << " at positions " << first << ".." << last;
    std::cout << ", " << WithThousands(already) << " already in the ledger";
    if (invalid) std::cout << ", " << WithThousands(invalid) << " invalid lines skipped";
    std::cout << "\n";
  });
}

}  // namespace caseledger::cli
