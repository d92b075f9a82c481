// Supervise: runs the projector in a child process and restarts it when it crashes, so that
// a plugin that segfaults takes down only that child (DESIGN.md "Projections").
//
//   int code = Supervise([&] { return RunProjector(...); }, dir + "/run/projector.inflight");
//
// - The child's exit code is returned once it exits normally.
// - A child killed by a crash signal (SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGSYS,
//   SIGTRAP) is restarted after a growing delay; the crash marker it left names the
//   plugin, which the new child charges (and quarantines after repeated crashes).
// - A child killed by anything else (kill -9 by an operator, the OOM killer) is restarted
//   too, but its marker is cleared first: no plugin is blamed for it.
// - SIGINT and SIGTERM sent to the supervisor are passed to the child, which stops after
//   its current batch; the supervisor then returns the child's code.
// - More than `max_restarts` restarts in a row without a clean minute between them: gives
//   up with exit code 1.
#pragma once

#include <functional>
#include <string>

namespace caseledger::projector {

int Supervise(const std::function<int()>& child, const std::string& crash_marker_path,
              int max_restarts = 10);

// Set by SIGINT / SIGTERM in the child: the projector's loop checks it between batches.
bool StopRequested();
void InstallStopHandlers();

}  // namespace caseledger::projector
