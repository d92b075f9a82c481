// caseledger bench: the workloads of ../shared/bench/WORKLOAD.md on embedded ledgers.
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "bench/workloads.h"
#include "command_support.h"
#include "commands.h"
#include "output.h"
#include "plugin_table.h"

namespace caseledger::cli {

void AddBenchCommand(CLI::App& app) {
  struct Args {
    bench::BenchOptions options;
    std::string format = "table";
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Run the benchmark workloads W1-W6 (../shared/bench/WORKLOAD.md) on fresh ledgers in a "
      "scratch directory. --format tsv prints rows in the peers' raw format for "
      "../shared/peers/combine.sh. W6 rebuilds the built-in projections over case events "
      "from `caseledger gen`. S1 (ours) runs `caseledger serve` in this process on loopback "
      "and measures remote Clients: appends by 1 and 8 writers and in batches of 100, "
      "recorded case-history reads, and an auditor following the log");
  cmd->add_option("--events", args->options.events,
                  "Events in the data set (streams = events / 10)")
      ->default_str("100000");
  cmd->add_option("--seed", args->options.seed, "Seed of the data set")->default_str("42");
  cmd->add_option("--w1-seconds", args->options.w1_seconds,
                  "Time cap of each W1 variant (each S1 phase: half of it)")
      ->default_str("10");
  cmd->add_option("--writers", args->options.writers, "Concurrent writers of W1_Nw")
      ->default_str("8");
  cmd->add_option("--round", args->options.round, "Round number written in tsv rows")
      ->default_str("1");
  cmd->add_option("--only", args->options.only,
                  "Run only these workloads (W1 ... W6, S1), e.g. --only W2 W3")
      ->check(CLI::IsMember({"W1", "W2", "W3", "W4", "W5", "W6", "S1"}));
  AddPluginDirOption(*cmd, args->options.plugin_dirs);
  cmd->add_option("--dir", args->options.scratch_dir,
                  "Scratch directory for the ledgers (default: a new one under $TMPDIR or /tmp)");
  cmd->add_option("--format", args->format, "table or tsv")
      ->check(CLI::IsMember({"table", "tsv"}))
      ->default_str("table");
  cmd->callback([args] {
    bench::BenchOptions o = args->options;
    DefaultPluginDirs(o.plugin_dirs);
    bool own_dir = o.scratch_dir.empty();
    if (own_dir) {
      const char* base = std::getenv("TMPDIR");
      std::string pattern = std::string(base && *base ? base : "/tmp") + "/caseledger-bench-XXXXXX";
      if (::mkdtemp(pattern.data()) == nullptr)
        Fail("bench", Status::IOError("cannot create a scratch directory"));
      o.scratch_dir = pattern;
    }
    auto rows = bench::RunWorkloads(o);
    if (own_dir) std::filesystem::remove_all(o.scratch_dir);
    if (args->format == "tsv") {
      for (const auto& r : rows) {
        char value[64];
        std::snprintf(value, sizeof value, "%.6g", r.value);
        std::cout << o.round << "\tcaseledger\t" << r.workload << "\t" << r.metric << "\t" << r.unit
                  << "\t" << value << "\n";
      }
    } else {
      Table t{{{"workload", false}, {"metric", false}, {"value", true}, {"unit", false}}, {}};
      for (const auto& r : rows) {
        char value[64];
        std::snprintf(value, sizeof value, "%.6g", r.value);
        t.rows.push_back({r.workload, r.metric, value, r.unit});
      }
      PrintTable(t, OutputFormat::kTable, std::cout);
    }
    for (const auto& r : rows)
      if (r.workload == "check" && r.metric == "failures" && r.value != 0)
        throw CLI::RuntimeError(kExitFailure);
  });
}

}  // namespace caseledger::cli
