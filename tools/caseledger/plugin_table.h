// What the plugin commands (project, plugins, query) share: where plugins are looked for,
// and the status table of `project` and `plugins status`.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "output.h"
#include "projector.h"
#include "query_table.h"
#include "rpc_client.h"

namespace caseledger::cli {

// Adds the repeatable --plugin-dir PATH option.
void AddPluginDirOption(CLI::App& command, std::vector<std::string>& dirs);
// Fills `dirs` when --plugin-dir was not given: from CASELEDGER_PLUGIN_DIRS (colon-
// separated), else the built-in plugins installed beside this executable
// (<prefix>/lib/caseledger/plugins). Fails the command if none exists.
void ResolvePluginDirs(const std::string& command, std::vector<std::string>& dirs);

// Connects to DIR's projector; without one running, starts `caseledger project DIR
// --plugin-dir ... --follow` for the life of the returned client. Fails the command.
std::unique_ptr<projector::ProjectorClient> ConnectProjector(const std::string& command,
                                                             const std::string& dir,
                                                             std::vector<std::string> plugin_dirs);

// A query result as the CLI prints it (int and real columns right-aligned, unquoted in
// JSON; null cells empty, null in JSON).
Table QueryResultTable(const projector::QueryTable& result);

// plugin, version, position, lag, health, message, root, sha256: one row per plugin.
Table PluginStatusTable(const std::vector<projector::PluginStatus>& statuses);

}  // namespace caseledger::cli
