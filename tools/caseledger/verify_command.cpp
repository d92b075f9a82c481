// caseledger verify DIR: recompute everything from the log and report the first problems.
#include <iomanip>
#include <iostream>
#include <thread>

#include "command_support.h"
#include "commands.h"

namespace caseledger::cli {

void AddVerifyCommand(CLI::App& app) {
  struct Args {
    std::string dir;
    size_t max_problems = 20;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "verify",
      "Recompute the ledger from its log: frames, checksums, records, dense positions and "
      "versions, the Merkle tree and every index entry. Exit code 0: all good; 1: problems "
      "(each names its position and what is wrong)");
  AddDirArgument(*cmd, args->dir);
  cmd->add_option("--max-problems", args->max_problems, "Stop after this many problems")->default_str("20");
  cmd->callback([args] {
    auto ledger = OpenForReading("verify", args->dir);
    Progress progress("verifying");
    VerifyOptions options;
    options.max_problems = args->max_problems;
    options.progress = [&](uint64_t done, uint64_t total) { progress.Update(done, total); };
    auto report = ledger->Verify(options);
    progress.Finish();
    if (!report.ok()) Fail("verify", report.status());
    const double secs = std::max(report->seconds, 1e-9);
    for (const auto& p : report->problems) std::cout << "problem: " << p.ToString() << "\n";
    std::cout << (report->ok() ? "OK: " : "FAILED: ") << WithThousands(report->events) << " events, "
              << WithThousands(report->record_bytes) << " record bytes, tree root "
              << HashToHex(report->recomputed.root) << "\n"
              << std::fixed << std::setprecision(2) << report->seconds << " s, "
              << WithThousands(static_cast<uint64_t>(report->events / secs)) << " events/s, "
              << std::setprecision(1) << report->record_bytes / secs / 1e6 << " MB/s\n";
    if (!report->ok()) throw CLI::RuntimeError(kExitFailure);
  });
}

}  // namespace caseledger::cli
