// The services behind sdk/schema/rpc.capnp: a Gateway per connection, which turns a
// token into a Session acting as that token's worker, and the subscriptions a Session
// opens. Every blocking call (storage, the projector) runs on the BlockingPool; the event
// loop only decodes and encodes messages.
//
// Each call authenticates again (authenticator.h: the token file and the worker stream,
// as they are now): a revoked token or a changed role applies to the very next call of
// an open connection.
#pragma once

#include <capnp/capability.h>
#include <kj/timer.h>

#include <string>

#include "authenticator.h"
#include "blocking_pool.h"
#include "caseledger/ledger.h"
#include "projector_link.h"
#include "request_guard.h"

namespace caseledger::server {

// What every session of one server shares. Outlives every connection.
struct ServerContext {
  std::string dir;
  Ledger& ledger;
  RequestGuard& guard;
  Authenticator& auth;
  BlockingPool* pool = nullptr;        // set before the first connection, joined before this ends
  ProjectorLink* projector = nullptr;  // null: queries are refused (served without plugins)
  kj::Timer* timer = nullptr;
};

// The bootstrap capability of one connection.
capnp::Capability::Client NewGateway(ServerContext& context);

}  // namespace caseledger::server
