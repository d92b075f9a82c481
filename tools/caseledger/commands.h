// The subcommands of `caseledger`, one file each; main.cpp registers them in this order.
#pragma once

#include <CLI/CLI.hpp>

namespace caseledger::cli {

void AddInitCommand(CLI::App& app);
void AddAppendCommand(CLI::App& app);
void AddImportCommand(CLI::App& app);
void AddTypesCommand(CLI::App& app);
void AddReadCommand(CLI::App& app);
void AddVerifyCommand(CLI::App& app);
void AddKeygenCommand(CLI::App& app);
void AddCheckpointCommand(CLI::App& app);
void AddCheckpointsCommand(CLI::App& app);
void AddReindexCommand(CLI::App& app);
void AddStatsCommand(CLI::App& app);
void AddBenchCommand(CLI::App& app);
void AddGenCommand(CLI::App& app);
void AddProjectCommand(CLI::App& app);
void AddPluginsCommand(CLI::App& app);
void AddQueryCommand(CLI::App& app);
void AddProveCommand(CLI::App& app);
void AddExportCommand(CLI::App& app);
void AddBackupCommand(CLI::App& app);
void AddRestoreCommand(CLI::App& app);
void AddHistoryCommand(CLI::App& app);
void AddUsersCommand(CLI::App& app);
void AddServeCommand(CLI::App& app);
void AddEraseCommand(CLI::App& app);
void AddKeysCommand(CLI::App& app);

}  // namespace caseledger::cli
