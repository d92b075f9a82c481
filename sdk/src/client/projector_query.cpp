#include "projector_query.h"

#include <capnp/rpc-twoparty.h>

#include "event_loop.h"
#include "rpc_codec.h"

namespace caseledger {
Status FromProjectorStatus(projector::rpc::Status::Reader s) {
  if (s.getCode().size() == 0) return Status::Ok();
  const std::string code = s.getCode();
  for (int c = 1; c <= static_cast<int>(StatusCode::kLastCode); ++c)
    if (code == StatusCodeName(static_cast<StatusCode>(c)))
      return Status(static_cast<StatusCode>(c), s.getMessage());
  return Status::IOError(code + ": " + std::string(s.getMessage().cStr()));
}

Status ProjectorCallFailed(const kj::Exception& e) {
  if (e.getType() == kj::Exception::Type::DISCONNECTED)
    return Status::IOError(
        "the projector closed the connection before answering (a plugin may have crashed it: "
        "see `caseledger plugins DIR status` and DIR/run/projector.log)");
  return Status::IOError(std::string("projector: ") + e.getDescription().cStr());
}

Result<QueryTable> AskProjector(projector::rpc::Projector::Client& projector, kj::WaitScope& wait,
                                std::string_view plugin, std::string_view query,
                                const QueryParams& params) {
  try {
    auto request = projector.queryRequest();
    // capnp's Text must be NUL-terminated; a string_view need not be.
    const std::string plugin_text(plugin), query_text(query);
    request.setPlugin(capnp::Text::Reader(plugin_text.c_str(), plugin_text.size()));
    request.setQuery(capnp::Text::Reader(query_text.c_str(), query_text.size()));
    auto list = request.initParams(static_cast<unsigned>(params.size()));
    for (unsigned i = 0; i < params.size(); ++i) {
      list[i].setName(params[i].first);
      list[i].setValue(params[i].second);
    }
    auto response = request.send().wait(wait);
    CASELEDGER_RETURN_IF_ERROR(FromProjectorStatus(response.getStatus()));
    return rpc_codec::FromRpc(response.getResult());
  } catch (const kj::Exception& e) {
    return ProjectorCallFailed(e);
  }
}

Result<QueryTable> QueryRunningProjector(const std::string& dir, std::string_view plugin,
                                         std::string_view query, const QueryParams& params) {
  const std::string socket = dir + "/run/projector.sock";
  auto loop = client_internal::ThisThreadsEventLoop();
  try {
    auto address =
        loop->provider->getNetwork().parseAddress("unix:" + socket).wait(loop->waitScope);
    auto stream = address->connect().wait(loop->waitScope);
    capnp::TwoPartyClient rpc(*stream);
    auto projector = rpc.bootstrap().castAs<projector::rpc::Projector>();
    return AskProjector(projector, loop->waitScope, plugin, query, params);
  } catch (const kj::Exception& e) {
    return Status::NotFound("no projector answers for " + dir + " (" + socket +
                            "): start one with `caseledger project " + dir + " --follow`");
  }
}

}  // namespace caseledger
