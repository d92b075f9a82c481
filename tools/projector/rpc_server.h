// The projector's RPC service (projector_rpc.capnp) and the loop that serves it while
// following the log.
//
//   int code = ServeAndFollow(projector, dir + "/run/projector.sock", options);
//
// One thread runs everything: between batches of CatchUp the KJ event loop answers calls,
// so plugin calls never overlap. A query first catches up, so it sees every event committed
// before it arrived.
#pragma once

#include <chrono>
#include <string>

#include "caseledger/status.h"
#include "projector.h"

namespace caseledger::projector {

struct ServeOptions {
  bool follow = true;                  // keep running once caught up; false: exit when caught up
  std::chrono::milliseconds poll{50};  // how often to look for new events when caught up
};

// Binds `socket_path` (replacing a stale socket: the caller owns DIR/views, so no other
// projector can be using it), then catches up and serves until StopRequested() or, without
// `follow`, until caught up. Removes the socket on return. Errors: the socket cannot be
// bound, or the projector's own storage failed.
Status ServeAndFollow(Projector& projector, const std::string& socket_path,
                      const ServeOptions& options);

}  // namespace caseledger::projector
