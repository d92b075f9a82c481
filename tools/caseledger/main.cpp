// caseledger: the command-line tool of CaseLedger. Every subcommand has --help.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "commands.h"

int main(int argc, char** argv) {
  // Diagnostics go to stderr: stdout carries the command's output (tables, JSON).
  spdlog::set_default_logger(spdlog::stderr_color_mt("caseledger"));
  CLI::App app{
      "CaseLedger: an append-only, tamper-evident ledger of child-protection case events.\n"
      "Run `caseledger COMMAND --help` for the options of a command."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print the help of every command");
  std::string log_level = "warn";
  app.add_option("--log-level", log_level,
                 "Diagnostics on stderr: trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->default_str("warn");
  app.parse_complete_callback([&] { spdlog::set_level(spdlog::level::from_str(log_level)); });

  caseledger::cli::AddInitCommand(app);
  caseledger::cli::AddAppendCommand(app);
  caseledger::cli::AddImportCommand(app);
  caseledger::cli::AddTypesCommand(app);
  caseledger::cli::AddReadCommand(app);
  caseledger::cli::AddVerifyCommand(app);
  caseledger::cli::AddKeygenCommand(app);
  caseledger::cli::AddCheckpointCommand(app);
  caseledger::cli::AddCheckpointsCommand(app);
  caseledger::cli::AddProveCommand(app);
  caseledger::cli::AddExportCommand(app);
  caseledger::cli::AddBackupCommand(app);
  caseledger::cli::AddRestoreCommand(app);
  caseledger::cli::AddReindexCommand(app);
  caseledger::cli::AddStatsCommand(app);
  caseledger::cli::AddBenchCommand(app);
  caseledger::cli::AddGenCommand(app);
  caseledger::cli::AddProjectCommand(app);
  caseledger::cli::AddPluginsCommand(app);
  caseledger::cli::AddQueryCommand(app);
  caseledger::cli::AddHistoryCommand(app);
  caseledger::cli::AddUsersCommand(app);
  caseledger::cli::AddServeCommand(app);
  caseledger::cli::AddEraseCommand(app);
  caseledger::cli::AddKeysCommand(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is a "ParseError" with exit code 0; a failed command throws RuntimeError with
    // its exit code; everything else is bad usage (exit code 2).
    const int code = app.exit(e);
    if (code == 0 || dynamic_cast<const CLI::RuntimeError*>(&e) != nullptr) return code;
    return 2;
  }
  return 0;
}
