#include "plugin_table.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "command_support.h"

namespace caseledger::cli {

void AddPluginDirOption(CLI::App& command, std::vector<std::string>& dirs) {
  command.add_option("--plugin-dir", dirs,
                     "A directory of plugins (*.so); repeatable. Only these are searched. "
                     "Default: $CASELEDGER_PLUGIN_DIRS (colon-separated), else the built-in "
                     "plugins installed with caseledger");
}

void DefaultPluginDirs(std::vector<std::string>& dirs) {
  if (!dirs.empty()) return;
  if (const char* env = std::getenv("CASELEDGER_PLUGIN_DIRS"); env != nullptr && *env != '\0') {
    std::istringstream in(env);
    for (std::string dir; std::getline(in, dir, ':');)
      if (!dir.empty()) dirs.push_back(dir);
    return;
  }
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto builtin = exe.parent_path().parent_path() / "lib" / "caseledger" / "plugins";
    if (std::filesystem::is_directory(builtin, ec)) {
      dirs.push_back(builtin.string());
      return;
    }
  }
}

std::unique_ptr<projector::ProjectorClient> ConnectProjector(const std::string& command,
                                                             const std::string& dir,
                                                             std::vector<std::string> plugin_dirs) {
  DefaultPluginDirs(plugin_dirs);  // none: the projector started says what is missing
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) Fail(command, Status::IOError("cannot find this executable: " + ec.message()));
  std::vector<std::string> argv = {exe.string(), "project", dir};
  for (const std::string& d : plugin_dirs) {
    argv.push_back("--plugin-dir");
    argv.push_back(std::filesystem::absolute(d).string());
  }
  argv.push_back("--follow");
  auto client = projector::ProjectorClient::Connect(dir, argv);
  if (!client.ok()) Fail(command, client.status());
  return std::move(*client);
}

Table QueryResultTable(const projector::QueryTable& result) {
  Table t;
  for (const auto& c : result.columns)
    t.columns.push_back({c.name, c.type != projector::QueryTable::Type::kText});
  for (const auto& row : result.rows) {
    auto& cells = t.rows.emplace_back();
    for (const auto& cell : row) {
      if (const auto* s = std::get_if<std::string>(&cell))
        cells.push_back(*s);
      else if (const auto* i = std::get_if<int64_t>(&cell))
        cells.push_back(std::to_string(*i));
      else if (const auto* d = std::get_if<double>(&cell))
        cells.push_back(std::isfinite(*d) ? fmt::format("{}", *d) : "");
      else
        cells.emplace_back();
    }
  }
  return t;
}

Table PluginStatusTable(const std::vector<projector::PluginStatus>& statuses) {
  Table t{{{"plugin", false},
           {"version", false},
           {"position", true},
           {"lag", true},
           {"health", false},
           {"message", false},
           {"root", false},
           {"checkpoint_plugin_sha256", false}},
          {}};
  for (const auto& s : statuses) {
    t.rows.push_back({s.name, s.version, std::to_string(s.checkpoint ? s.checkpoint->position : 0),
                      std::to_string(s.lag), projector::HealthStateName(s.health.state),
                      s.health.message, s.checkpoint ? HashToHex(s.checkpoint->root) : "",
                      s.checkpoint ? HashToHex(s.checkpoint->plugin_sha256) : ""});
  }
  return t;
}

}  // namespace caseledger::cli
