// ProjectorLink: the server's way to the ledger's projector (tools/projector), which it
// starts with the server and which answers every projection query, so that no plugin
// code runs in the server.
//
//   ProjectorLink projector(dir, {"/usr/bin/caseledger", "project", dir, "--follow", ...});
//   CASELEDGER_RETURN_IF_ERROR(projector.Start());
//   kj::Promise<Result<QueryTable>> table = projector.Query("coverage", "coverage", params);
//
// The projector client is used on one thread of its own (its RPC has an event loop of its
// own, which the server's loop cannot host). Queries queue there; a projector that died
// (a plugin crashed it) is started again for the next query, once.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "blocking_pool.h"
#include "caseledger/query_table.h"
#include "caseledger/status.h"

namespace caseledger::projector {
class ProjectorClient;
}

namespace caseledger::server {

class ProjectorLink {
 public:
  ProjectorLink(std::string dir, std::vector<std::string> start_argv);
  ~ProjectorLink();  // stops a projector it started

  // Connects to the running projector of DIR, or starts one; waits until it answers.
  Status Start();

  kj::Promise<Result<QueryTable>> Query(std::string plugin, std::string query,
                                        std::vector<std::pair<std::string, std::string>> params);

 private:
  Status ConnectHere();  // on the link's thread

  std::string dir_;
  std::vector<std::string> start_argv_;
  std::unique_ptr<projector::ProjectorClient> client_;  // touched on the link's thread only
  BlockingPool thread_{1};
};

}  // namespace caseledger::server
