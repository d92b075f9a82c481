#include "projector_link.h"

#include <future>

#include "rpc_client.h"

namespace caseledger::server {

ProjectorLink::ProjectorLink(std::string dir, std::vector<std::string> start_argv)
    : dir_(std::move(dir)), start_argv_(std::move(start_argv)) {}

ProjectorLink::~ProjectorLink() {
  // The client (and the projector it started) ends on the thread that made it.
  thread_.Post([this] { client_.reset(); });
}

Status ProjectorLink::ConnectHere() {
  auto client = projector::ProjectorClient::Connect(dir_, start_argv_);
  if (!client.ok()) return client.status().WithContext("starting the projector");
  client_ = std::move(*client);
  return Status::Ok();
}

Status ProjectorLink::Start() {
  std::promise<Status> started;
  auto done = started.get_future();
  thread_.Post([this, &started] { started.set_value(ConnectHere()); });
  return done.get();
}

kj::Promise<Result<QueryTable>> ProjectorLink::Query(
    std::string plugin, std::string query,
    std::vector<std::pair<std::string, std::string>> params) {
  return thread_.Run<Result<QueryTable>>([this, plugin = std::move(plugin),
                                          query = std::move(query),
                                          params = std::move(params)]() -> Result<QueryTable> {
    if (!client_) CASELEDGER_RETURN_IF_ERROR(ConnectHere());
    auto table = client_->Query(plugin, query, params);
    if (table.ok() || table.status().code() != StatusCode::kIOError) return table;
    // The connection failed: the projector may have died. Start it again, ask once more.
    client_.reset();
    CASELEDGER_RETURN_IF_ERROR(ConnectHere());
    return client_->Query(plugin, query, params);
  });
}

}  // namespace caseledger::server
