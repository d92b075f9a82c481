// The Cap'n Proto event loop of the calling thread, shared by every RPC connection the
// client library makes on it (remote Clients, projector queries): a thread can have only
// one, and it ends with the last connection that holds it. Connections belong to the
// thread that made them.
#pragma once

#include <kj/async-io.h>

#include <memory>

namespace caseledger::client_internal {

std::shared_ptr<kj::AsyncIoContext> ThisThreadsEventLoop();

}  // namespace caseledger::client_internal
