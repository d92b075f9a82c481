// The benchmark workloads W1-W6 of ../shared/bench/WORKLOAD.md, run against embedded
// ledgers in a scratch directory, reported as rows in the peers' raw format.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace caseledger::bench {

struct BenchOptions {
  uint64_t events = 100'000;
  uint64_t seed = 42;
  double w1_seconds = 10;  // W1 stops after this long, like the peers'; S1's phases half
  int writers = 8;         // W1_8w
  size_t batch = 500;      // W2
  size_t w4_streams = 5'000;
  std::string scratch_dir;               // ledgers are created (and removed) under it
  std::vector<std::string> plugin_dirs;  // W6: where the built-in plugins are
  // Workloads to run, e.g. {"W2", "W3"}; empty = all. W3-W5 read the ledger W2 writes,
  // so they imply W2. W6 writes its own ledger of case events, S1 its own server's.
  std::vector<std::string> only;
  int round = 1;
};

struct Row {
  std::string workload, metric, unit;
  double value;
};

// The nearest-rank percentile p (0 < p <= 1) of `v`, as the peers compute it; 0 if empty.
double Percentile(std::vector<double> v, double p);

// Runs every workload; returns the rows, checks included (workload "check").
std::vector<Row> RunWorkloads(const BenchOptions& options);

}  // namespace caseledger::bench
