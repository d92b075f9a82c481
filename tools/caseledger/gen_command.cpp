// caseledger gen --seed N --events N [--communities C] (--out FILE | --into DIR): realistic,
// deterministic case events for tests, demos and benchmarks (gen/generator.h).
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "command_support.h"
#include "commands.h"
#include "gen/generator.h"
#include "gen/line_writer.h"

namespace caseledger::cli {
namespace {

std::string Date(int64_t unix_seconds) {
  std::string out;
  gen::AppendDate(out, gen::DayOf(unix_seconds));
  return out;
}

std::string Percent(uint64_t part, uint64_t whole) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%",
                whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0);
  return buf;
}

// "1,000,000 events in 3.1 s (322,580 events/s): province 41, ..."
void PrintSummary(std::ostream& os, const gen::GeneratorSummary& s, double seconds) {
  os << WithThousands(s.lines) << " events in ";
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", seconds);
  os << secs << " s ("
     << WithThousands(static_cast<uint64_t>(static_cast<double>(s.lines) / std::max(seconds, 1e-3)))
     << " events/s)\n"
     << "  province " << s.province << ": " << WithThousands(s.communities) << " communities, "
     << WithThousands(s.workers) << " workers, " << WithThousands(s.spaces)
     << " children's places, " << WithThousands(s.cases) << " cases (" << WithThousands(s.streams)
     << " streams)\n"
     << "  occurredAt " << Date(s.first_occurred) << " .. " << Date(s.last_occurred) << "; late "
     << WithThousands(s.late) << " (" << Percent(s.late, s.lines) << "), corrections "
     << WithThousands(s.corrections) << ", voided " << WithThousands(s.voided)
     << ", labelled anomalies " << WithThousands(s.anomalies) << "\n";
}

}  // namespace

void AddGenCommand(CLI::App& app) {
  struct Args {
    gen::GeneratorOptions options;
    std::string out, into, master_key_file;
    size_t batch = 500;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "gen",
      "Generate realistic child-protection case events: one province's communities, workers, "
      "children's places and cases following the state machines of DOMAIN.md, interleaved over "
      "about "
      "18 months, with a few late, corrected and voided events and labelled anomalies. The same "
      "arguments give byte-identical output. Line k becomes position k when the file is appended "
      "in "
      "order to an EMPTY ledger (e.g. `caseledger import`); corrections and voids name lines that "
      "way");
  cmd->add_option("--seed", args->options.seed,
                  "Seed: the same seed and sizes give the same events")
      ->required();
  cmd->add_option("--events", args->options.events, "Number of events (lines) to generate")
      ->required()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  cmd->add_option(
         "--communities", args->options.communities,
         "Communities in the province (2..100,000; default: one per ~500 events). Cases and "
         "attendance sessions adapt so the events still span about 18 months")
      ->check(CLI::Range(2u, 100'000u));
  CLI::Option_group* target = cmd->add_option_group("target", "Where the events go (exactly one)");
  target
      ->add_option(
          "--out", args->out,
          "Write NDJSON lines (the format of `caseledger import` / ParseEventLine) to FILE, "
          "or - for standard output; the labelled anomalies go to FILE.anomalies.tsv "
          "(line, stream, type, rule, description)")
      ->type_name("FILE");
  target
      ->add_option("--into", args->into,
                   "Append the events, in order, to the existing EMPTY ledger DIR (created with "
                   "`caseledger init`), in atomic batches")
      ->type_name("DIR");
  target->require_option(1);
  cmd->add_option(
         "--master-key-file", args->master_key_file,
         "With --into: the ledger's master key, needed to seal the personal fields (default: "
         "the file $CASELEDGER_MASTER_KEY_FILE names)")
      ->type_name("FILE");
  cmd->add_option("--batch", args->batch, "With --into: events per atomic append")
      ->default_str("500")
      ->check(CLI::Range(1, 10'000));
  cmd->callback([args] {
    const std::string name = "gen";
    Status valid = gen::ValidateOptions(args->options);
    if (!valid.ok()) Fail(name, valid);
    const auto started = std::chrono::steady_clock::now();
    Progress progress(args->into.empty() ? "generating" : "appending");
    const uint64_t total = args->options.events;
    gen::GeneratorSummary summary;
    std::string anomalies;
    Status s;
    if (!args->into.empty()) {
      // OpenForWriting takes the master key from --master-key-file of AddDirArgument or,
      // failing that, from $CASELEDGER_MASTER_KEY_FILE; DIR is an option here, so this
      // command passes its own --master-key-file through the variable.
      if (!args->master_key_file.empty() &&
          ::setenv("CASELEDGER_MASTER_KEY_FILE", args->master_key_file.c_str(), 1) != 0)
        Fail(name, Status::InvalidArgument("cannot set CASELEDGER_MASTER_KEY_FILE"));
      auto ledger = OpenForWriting(name, args->into);
      s = gen::AppendToLedger(args->options, *ledger, args->batch, &summary,
                              [&](uint64_t done) { progress.Update(done, total); });
    } else {
      // The side file sits beside a regular FILE; not beside standard output or a device
      // such as /dev/null.
      std::error_code ec;
      const bool regular = args->out != "-" && (!std::filesystem::exists(args->out, ec) ||
                                                std::filesystem::is_regular_file(args->out, ec));
      anomalies = regular ? args->out + ".anomalies.tsv" : "";
      s = gen::WriteNdjson(args->options, args->out, anomalies, &summary,
                           [&](uint64_t done) { progress.Update(done, total); });
    }
    progress.Finish();
    if (!s.ok()) Fail(name, s);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // With --out -, standard output carries the events: the summary goes to standard error.
    std::ostream& os = args->out == "-" ? std::cerr : std::cout;
    if (!args->into.empty()) {
      os << "appended to " << args->into << " (positions 1.." << summary.lines << "): ";
    } else if (!anomalies.empty()) {
      os << "wrote " << args->out << " and " << anomalies << ": ";
    } else {
      os << "wrote " << args->out << " (anomalies listed only beside a regular file): ";
    }
    PrintSummary(os, summary, seconds);
    if (summary.communities + summary.workers > summary.lines / 2)
      std::cerr
          << "note: registering " << WithThousands(summary.communities) << " communities and their "
          << "workers took most of the " << WithThousands(summary.lines)
          << " events; give more --events or fewer --communities for cases and children's places\n";
  });
}

}  // namespace caseledger::cli
