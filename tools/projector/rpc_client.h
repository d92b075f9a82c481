// ProjectorClient: how the CLI (and later the server) reach a ledger's projector over
// DIR/run/projector.sock, so that no plugin code runs in them.
//
//   auto client = ProjectorClient::Connect(dir, {"/usr/bin/caseledger", "project", dir,
//                                                 "--plugin-dir", plugins, "--follow"});
//   auto table = (*client)->Query("caseload", "open_cases", {{"as_of", "2026-03-01T00:00:00Z"}});
//
// Without a running projector, Connect starts one with `start_argv` (its stderr goes to
// DIR/run/projector.log) and stops it when the client is destroyed.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "caseledger/status.h"
#include "projector.h"
#include "query_table.h"

namespace caseledger::projector {

struct PluginList {
  std::vector<PluginStatus> plugins;
  std::vector<RefusedPlugin> refused;
};

class ProjectorClient {
 public:
  // Connects to the projector of ledger `dir`, starting one with `start_argv` if none
  // answers. kNotFound if `dir` holds no ledger; an error naming the projector's last log
  // line if the one started exits or does not answer within `start_timeout`.
  static Result<std::unique_ptr<ProjectorClient>> Connect(
      const std::string& dir, const std::vector<std::string>& start_argv,
      std::chrono::seconds start_timeout = std::chrono::seconds(60));
  ~ProjectorClient();

  Result<QueryTable> Query(const std::string& plugin, const std::string& query,
                           const std::vector<std::pair<std::string, std::string>>& params);
  // Every plugin, after the projector caught up if `catch_up`, else as they are now.
  Result<PluginList> Plugins(bool catch_up);
  Status Rebuild(const std::string& plugin);

  bool started_projector() const { return child_ > 0; }

 private:
  struct Connection;
  ProjectorClient() = default;
  std::unique_ptr<Connection> connection_;
  pid_t child_ = -1;
};

}  // namespace caseledger::projector
