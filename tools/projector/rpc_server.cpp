#include "rpc_server.h"

#include <capnp/ez-rpc.h>
#include <kj/async-io.h>
#include <kj/timer.h>
#include <spdlog/spdlog.h>
#include <sys/un.h>
#include <unistd.h>

#include "rpc_codec.h"
#include "schema/projector_rpc.capnp.h"
#include "supervisor.h"

namespace caseledger::projector {
namespace {

void SetStatus(rpc::Status::Builder out, const Status& status) {
  if (status.ok()) return;
  out.setCode(StatusCodeName(status.code()));
  out.setMessage(status.message());
}

class ProjectorService final : public rpc::Projector::Server {
 public:
  explicit ProjectorService(Projector& projector) : projector_(projector) {}

  kj::Promise<void> query(QueryContext context) override {
    auto params = context.getParams();
    std::vector<std::pair<std::string, std::string>> args;
    for (auto p : params.getParams()) args.emplace_back(p.getName(), p.getValue());
    auto results = context.getResults();
    Status caught_up = CatchUpFully();
    if (!caught_up.ok()) {
      SetStatus(results.initStatus(), caught_up);
      return kj::READY_NOW;
    }
    auto table = projector_.Query(params.getPlugin(), params.getQuery(), std::move(args));
    if (!table.ok())
      SetStatus(results.initStatus(), table.status());
    else
      rpc_codec::ToRpc(*table, results.initResult());
    return kj::READY_NOW;
  }

  kj::Promise<void> plugins(PluginsContext context) override {
    auto results = context.getResults();
    if (context.getParams().getCatchUp()) {
      if (Status s = CatchUpFully(); !s.ok()) {
        SetStatus(results.initStatus(), s);
        return kj::READY_NOW;
      }
    }
    const auto all = projector_.Plugins();
    auto list = results.initPlugins(static_cast<unsigned>(all.size()));
    for (unsigned i = 0; i < all.size(); ++i) {
      const PluginStatus& s = all[i];
      auto out = list[i];
      out.setName(s.name);
      out.setVersion(s.version);
      out.setDescription(s.description);
      out.setPath(s.path);
      out.setSha256(kj::arrayPtr(s.sha256.data(), s.sha256.size()));
      auto queries = out.initQueries(static_cast<unsigned>(s.queries.size()));
      for (unsigned q = 0; q < s.queries.size(); ++q) queries.set(q, s.queries[q]);
      if (s.checkpoint) {
        out.setHasCheckpoint(true);
        out.setPosition(s.checkpoint->position);
        out.setRoot(kj::arrayPtr(s.checkpoint->root.data(), s.checkpoint->root.size()));
        out.setCheckpointSha256(
            kj::arrayPtr(s.checkpoint->plugin_sha256.data(), s.checkpoint->plugin_sha256.size()));
        out.setCheckpointVersion(s.checkpoint->plugin_version);
      }
      out.setLag(s.lag);
      out.setHealth(HealthStateName(s.health.state));
      out.setHealthMessage(s.health.message);
      out.setCrashes(s.health.crashes);
    }
    const auto& refused = projector_.refused();
    auto refused_list = results.initRefused(static_cast<unsigned>(refused.size()));
    for (unsigned i = 0; i < refused.size(); ++i) {
      refused_list[i].setPath(refused[i].path);
      refused_list[i].setReason(refused[i].reason);
    }
    return kj::READY_NOW;
  }

  kj::Promise<void> rebuild(RebuildContext context) override {
    Status s = projector_.Rebuild(context.getParams().getPlugin());
    if (s.ok()) s = CatchUpFully();
    SetStatus(context.getResults().initStatus(), s);
    return kj::READY_NOW;
  }

 private:
  Status CatchUpFully() {
    auto applied = projector_.CatchUp();
    return applied.ok() ? Status::Ok() : applied.status();
  }
  Projector& projector_;
};

}  // namespace

Status ServeAndFollow(Projector& projector, const std::string& socket_path,
                      const ServeOptions& options) {
  if (socket_path.size() >= sizeof(sockaddr_un::sun_path))
    return Status::InvalidArgument("the socket path " + socket_path + " is longer than " +
                                   std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                                   " bytes (a Unix socket limit): use a shorter ledger path");
  ::unlink(socket_path.c_str());  // stale: we own DIR/views, so no projector serves it
  Status result;
  try {
    capnp::EzRpcServer server(kj::heap<ProjectorService>(projector), "unix:" + socket_path);
    auto& wait_scope = server.getWaitScope();
    server.getPort().wait(wait_scope);  // bound and listening
    spdlog::info("projector: serving on {}", socket_path);
    kj::Timer& timer = server.getIoProvider().getTimer();
    while (!StopRequested()) {
      auto applied = projector.CatchUp(/*max_batches=*/4);
      if (!applied.ok()) {
        result = applied.status();
        break;
      }
      if (!projector.CaughtUp()) {
        wait_scope.poll();  // answer waiting calls between batches
        continue;
      }
      if (!options.follow) break;
      timer.afterDelay(options.poll.count() * kj::MILLISECONDS).wait(wait_scope);
    }
    // Let answers already produced reach their callers before the socket closes.
    timer.afterDelay(20 * kj::MILLISECONDS).wait(wait_scope);
  } catch (const kj::Exception& e) {
    result = Status::IOError("projector socket " + socket_path + ": " + e.getDescription().cStr());
  }
  ::unlink(socket_path.c_str());
  return result;
}

}  // namespace caseledger::projector
