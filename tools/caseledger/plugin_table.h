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
// (<prefix>/lib/caseledger/plugins), else leaves it empty.
void DefaultPluginDirs(std::vector<std::string>& dirs);

// Connects to DIR's projector; without one running, starts `caseledger project DIR
// --plugin-dir ... --follow` (with `plugin_dirs`, else DefaultPluginDirs) for the life of
// the returned client. A running projector keeps the plugins it was started with.
// Fails the command.
std::unique_ptr<projector::ProjectorClient> ConnectProjector(const std::string& command,
                                                             const std::string& dir,
                                                             std::vector<std::string> plugin_dirs);

// A query result as the CLI prints it (int and real columns right-aligned, unquoted in
// JSON; null cells empty, null in JSON).
Table QueryResultTable(const projector::QueryTable& result);

// One row per plugin: plugin, version, position, lag, health, message, and what its
// checkpoint attests: the Merkle root over 1..position and the SHA-256 of the plugin file
// that derived the view (`plugins list` shows the file loaded now).
Table PluginStatusTable(const std::vector<projector::PluginStatus>& statuses);

}  // namespace caseledger::cli
