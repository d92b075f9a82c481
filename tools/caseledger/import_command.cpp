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
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>

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
  return ParseEventLine(line);
}

struct Batch {
  std::vector<AppendRequest> requests;
  std::vector<uint64_t> lines;  // the file line of each request
  void Clear() {
    requests.clear();
    lines.clear();
  }
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
    std::string dir, file, rejects;
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
  AddDirArgument(*cmd, args->dir);
  cmd->add_option("FILE", args->file, "The NDJSON file")->required()->check(CLI::ExistingFile);
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

    // ---- pass 1: every line ----
    uint64_t valid = 0, invalid = 0;
    bool personal = false;
    std::vector<std::string> reasons;
    std::ofstream rejects;
    if (!args->rejects.empty()) {
      rejects.open(args->rejects, std::ios::binary | std::ios::trunc);
      if (!rejects) Fail(name, Status::IOError("cannot write " + args->rejects));
    }
    {
      LineReader reader(args->file);
      if (!reader.ok()) Fail(name, Status::IOError("cannot read " + args->file));
      Progress progress("checking " + args->file);
      std::string line;
      while (reader.Next(line)) {
        auto decoded = Decode(line);
        if (decoded.ok()) {
          ++valid;
          const EventType* type = FindEventType(decoded->event.type);
          personal = personal || (type && CarriesPersonalData(*type, decoded->event.payload));
        } else {
          ++invalid;
          const std::string reason =
              "line " + std::to_string(reader.number()) + ": " + decoded.status().message();
          if (reasons.size() < kReportedBadLines) reasons.push_back(reason);
          if (rejects.is_open())
            rejects << reader.number() << '\t' << decoded.status().message() << '\t' << line
                    << '\n';
        }
        if ((valid + invalid) % 4096 == 0) progress.Update(valid + invalid, valid + invalid);
      }
      progress.Finish();
      if (reader.failed()) Fail(name, Status::IOError("error reading " + args->file));
    }
    if (rejects.is_open()) {
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
    if (personal && MasterKeyFile().empty() && !std::getenv("CASELEDGER_MASTER_KEY_FILE"))
      Fail(name, Status::InvalidArgument(
                     "the file has events with personal fields, which the ledger seals with "
                     "the master key: give --master-key-file or set "
                     "CASELEDGER_MASTER_KEY_FILE; nothing was written"));

    // ---- pass 2: append in order ----
    auto ledger = OpenForWriting(name, args->dir);
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
      auto results = ledger->AppendBatch(batch.requests);
      if (results.ok()) {
        for (const AppendResult& r : *results) account(r);
      } else if (results.status().code() == StatusCode::kIdempotencyConflict &&
                 !RequestOf(results.status())) {
        // Part of this batch is already in the ledger (an earlier run with other batch
        // boundaries): append it line by line, so that each line is either recognised or new.
        for (size_t i = 0; i < batch.requests.size(); ++i) {
          auto one = ledger->Append(batch.requests[i]);
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
    LineReader reader(args->file);
    std::string line;
    while (reader.Next(line)) {
      auto decoded = Decode(line);
      if (!decoded.ok()) continue;  // reported and written to REJECTS in pass 1
      AppendRequest& request = batch.requests.emplace_back();
      request.stream = std::move(decoded->stream);
      request.expected_version = decoded->expected_version;
      request.events.push_back(std::move(decoded->event));
      batch.lines.push_back(reader.number());
      if (batch.requests.size() >= args->batch) flush();
    }
    if (reader.failed()) Fail(name, Status::IOError("error reading " + args->file));
    flush();
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
