// Asking a ledger's projector (sdk/schema/projector_rpc.capnp) a query: the one way the
// tools (tools/projector ProjectorClient) and the embedded Client do it.
//
//   auto table = caseledger::AskProjector(projector, wait_scope, "coverage", "coverage",
//                                         {{"as_of", "2026-03-01T00:00:00Z"}});
//   auto table = caseledger::QueryRunningProjector(dir, "coverage", "coverage", params);
#pragma once

#include <kj/async.h>

#include <string>
#include <utility>
#include <vector>

#include "caseledger/query_table.h"
#include "caseledger/status.h"
#include "schema/projector_rpc.capnp.h"

namespace caseledger {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// A projector's answer status as a Status (its code names are StatusCodeName's).
Status FromProjectorStatus(projector::rpc::Status::Reader status);
// A call to the projector that failed in transport: most likely it died answering.
Status ProjectorCallFailed(const kj::Exception& e);

// One query on an open connection. Errors: the projector's (its Status), kIOError if the
// call failed in transport (the message says the projector may have crashed).
Result<QueryTable> AskProjector(projector::rpc::Projector::Client& projector, kj::WaitScope& wait,
                                std::string_view plugin, std::string_view query,
                                const QueryParams& params);

// Connects to the projector serving ledger `dir` (DIR/run/projector.sock) on this
// thread's event loop and asks once. kNotFound if no projector answers there.
Result<QueryTable> QueryRunningProjector(const std::string& dir, std::string_view plugin,
                                         std::string_view query, const QueryParams& params);

}  // namespace caseledger
