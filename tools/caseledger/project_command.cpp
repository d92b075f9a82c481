// caseledger project DIR --plugin-dir PATH [--follow]: runs the projection plugins.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "command_support.h"
#include "commands.h"
#include "output.h"
#include "plugin_table.h"
#include "projector.h"
#include "rpc_server.h"
#include "supervisor.h"

namespace caseledger::cli {
namespace {

struct ProjectArgs {
  std::string dir;
  std::vector<std::string> plugin_dirs;
  bool follow = false;
  size_t batch = 4096;
  int poll_ms = 50;
  bool supervise = true;
  OutputFormat format = OutputFormat::kTable;
};

int RunProjector(const ProjectArgs& args) {
  projector::ProjectorOptions options;
  options.plugin_dirs = args.plugin_dirs;
  options.batch_events = args.batch;
  auto opened = projector::Projector::Open(args.dir, options);
  if (!opened.ok()) {
    std::cerr << "caseledger project: " << opened.status().ToString() << "\n";
    return kExitFailure;
  }
  projector::Projector& p = **opened;
  for (const projector::RefusedPlugin& r : p.refused())
    std::cerr << "caseledger project: refused " << r.path << ": " << r.reason << "\n";
  projector::ServeOptions serve;
  serve.follow = args.follow;
  serve.poll = std::chrono::milliseconds(args.poll_ms);
  if (Status s = projector::ServeAndFollow(p, args.dir + "/run/projector.sock", serve); !s.ok()) {
    std::cerr << "caseledger project: " << s.ToString() << "\n";
    return kExitFailure;
  }
  const auto statuses = p.Plugins();
  PrintTable(PluginStatusTable(statuses), args.format, std::cout);
  std::cout.flush();
  for (const auto& s : statuses)
    if (s.health.state != projector::Health::State::kRunning) return kExitFailure;
  return 0;
}

}  // namespace

void AddProjectCommand(CLI::App& app) {
  auto args = std::make_shared<ProjectArgs>();
  CLI::App* cmd = app.add_subcommand(
      "project",
      "Run the projection plugins over the ledger and keep their views in DIR/views,\n"
      "answering queries on DIR/run/projector.sock (`caseledger query`, `caseledger plugins`).\n"
      "Reads the log beside the writer (appends never wait for it); each plugin's state is\n"
      "committed with its checkpoint (position, Merkle root, plugin SHA-256) once per\n"
      "batch. Plugin code runs in a supervised child process: a plugin that crashes it is\n"
      "charged, and quarantined after 3 crashes; one that fails stops at its checkpoint.\n"
      "Ends with each plugin's status; exit code 1 if any is failed or quarantined.");
  AddDirArgument(*cmd, args->dir);
  AddPluginDirOption(*cmd, args->plugin_dirs);
  cmd->add_flag("--follow", args->follow,
                "Keep running and apply new events as they are committed (until SIGINT/SIGTERM)");
  cmd->add_option("--batch", args->batch, "Events per batch, and so per checkpoint")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20))
      ->default_str("4096");
  cmd->add_option("--poll-ms", args->poll_ms, "With --follow: how often to look for new events")
      ->check(CLI::Range(1, 60'000))
      ->default_str("50");
  cmd->add_flag("!--no-supervise", args->supervise,
                "Run plugins in this process, without a restarting supervisor (debugging)");
  AddFormatOption(*cmd, args->format);
  cmd->callback([args] {
    DefaultPluginDirs(args->plugin_dirs);
    if (args->plugin_dirs.empty())
      Fail("project", Status::InvalidArgument("no plugin directory: give --plugin-dir PATH or "
                                              "set CASELEDGER_PLUGIN_DIRS"));
    const int code = args->supervise ? projector::Supervise([&] { return RunProjector(*args); },
                                                            args->dir + "/run/projector.inflight")
                                     : (projector::InstallStopHandlers(), RunProjector(*args));
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace caseledger::cli
