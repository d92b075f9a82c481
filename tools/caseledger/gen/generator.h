// The deterministic, realistic event generator behind `caseledger gen`.
//
//   caseledger::gen::Generator g({.seed = 1, .events = 1'000'000});
//   std::string_view line;
//   caseledger::gen::LineInfo info;
//   while (g.Next(line, info)) out << line << '\n';
//
// Guarantees:
// - Deterministic: the same options give byte-identical lines, event ids included, on
//   any platform (randomness is integer arithmetic; see random.h). Event ids are a keyed
//   hash of the seed and the line number.
// - Every line is the NDJSON form caseledger::ParseEventLine reads (case_events.h), with
//   expectedVersion the stream's exact version before it ("no_stream" for a stream's first
//   line): appended in order to an empty ledger, every append succeeds.
// - Positions: line k (1-based) becomes position k when the output is appended, in order,
//   to an EMPTY ledger. Corrections ("corrects": k) and EntryVoided {position: k} name
//   lines that way, so they mean what they say only in such a ledger.
// - Streaming: lines are produced one at a time; memory grows with the number of
//   communities and of cases and places active at once, not with the number of events.
//
// What the output models (DOMAIN.md): one province's nested location codes and
// communities; workers of every role; children's places opening in a share of the
// communities, chosen so that some counties meet the 90% coverage target and others do
// not, with enrolments, attendance and activities; cases that follow the case, referral,
// transfer, approval and follow-up state machines, interleaved in occurredAt order over
// about 18 months. A few percent of the lines are late (occurredAt earlier than lines
// before them), corrections, voids, or labelled anomalies (LineInfo::anomaly).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "caseledger/ledger.h"
#include "caseledger/status.h"
#include "gen/model.h"

namespace caseledger::gen {

struct GeneratorOptions {
  uint64_t seed = 1;
  uint64_t events = 0;       // lines to produce, >= 1
  uint32_t communities = 0;  // 2..100,000; 0 = DefaultCommunities(events)
};

// About one community per 500 events (at least 4): the density of a real programme.
uint32_t DefaultCommunities(uint64_t events);
// kInvalidArgument naming the option that is out of range.
Status ValidateOptions(const GeneratorOptions& options);

// What a line is, beyond its JSON.
struct LineInfo {
  uint64_t number = 0;  // 1-based line number = position in an empty ledger
  std::string_view stream, type;
  Rule anomaly = Rule::kNone;  // the rule this line breaks on purpose; kNone for all others
  bool correction = false;     // has "corrects"
  // Its occurredAt is earlier than that of some line before it. Corrections, which restate
  // the occurredAt of the line they correct, are not counted as late.
  bool late = false;
};

struct GeneratorSummary {
  std::string province;  // 2-digit code
  uint64_t lines = 0, streams = 0;
  uint64_t communities = 0, workers = 0, spaces = 0, cases = 0;  // registered / opened
  uint64_t late = 0, corrections = 0, voided = 0, anomalies = 0;
  int64_t first_occurred = 0, last_occurred = 0;  // Unix seconds
};

class Simulation;

class Generator {
 public:
  // The options must pass ValidateOptions.
  explicit Generator(const GeneratorOptions& options);
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  // The next line (JSON, no newline) and what it is; false after options.events lines.
  // `line` and the views in `info` stay valid until the next call.
  bool Next(std::string_view& line, LineInfo& info);
  const GeneratorSummary& summary() const;

 private:
  std::unique_ptr<Simulation> simulation_;
};

// Called now and then with the number of lines done.
using GenProgress = std::function<void(uint64_t lines)>;

// Writes the lines to `path` ("-": standard output), one a line, and, unless
// `anomalies_path` is empty, the labelled anomalies to it as TSV with a header:
//   line <TAB> stream <TAB> type <TAB> rule <TAB> description
// (rule: model.h's Rule ids, e.g. "referral.not_recipient").
Status WriteNdjson(const GeneratorOptions& options, const std::string& path,
                   const std::string& anomalies_path, GeneratorSummary* summary,
                   const GenProgress& progress = {});

// Appends the lines to `ledger`, in order, `batch` lines (1..10,000) per atomic
// AppendBatch. The ledger must be empty (see the positions guarantee above); a case-event
// ledger needs its master key for the personal fields. On a failure, the lines before
// the failed batch stay appended and the error names the batch's first line.
Status AppendToLedger(const GeneratorOptions& options, Ledger& ledger, size_t batch,
                      GeneratorSummary* summary, const GenProgress& progress = {});

}  // namespace caseledger::gen
