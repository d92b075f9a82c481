// The server workload S1 (ours; WORKLOAD.md has no network workload): what `caseledger
// serve` adds to the embedded figures. A server runs in this process on loopback over a
// fresh case-event ledger; remote Clients, one connection per thread, authenticate as
// registered workers and append, read case histories (each read recorded first) and
// follow the log.
#pragma once

#include <functional>
#include <string>

#include "bench/workloads.h"

namespace caseledger::bench {

// Adds S1's rows (and its checks, workload "check") through `emit`.
void RunServerWorkloads(
    const BenchOptions& options,
    const std::function<void(const std::string& workload, const std::string& metric,
                             const std::string& unit, double value)>& emit);

}  // namespace caseledger::bench
