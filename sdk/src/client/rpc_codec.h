// Between the SDK's values and their rpc.capnp form: the one codec the remote Client and
// the server share, so that both sides read every field the same way.
//
// Decoding checks what the type system cannot: ids of 16 bytes (or empty where optional),
// hashes of 32, an expected version that parses. A message that breaks one is the peer's
// fault: kInvalidArgument naming the field.
#pragma once

#include <capnp/list.h>

#include <vector>

#include "caseledger/client.h"
#include "caseledger/event.h"
#include "caseledger/history_as_of.h"
#include "caseledger/query_table.h"
#include "caseledger/status.h"
#include "caseledger/tree_head.h"
#include "schema/rpc.capnp.h"

namespace caseledger::rpc_codec {

void ToRpc(const Status& status, rpc::Status::Builder out);
Status FromRpc(rpc::Status::Reader status);

void ToRpc(const AppendRequest& request, rpc::AppendRequest::Builder out);
Result<AppendRequest> FromRpc(rpc::AppendRequest::Reader request);

void ToRpc(const AppendResult& result, rpc::AppendResult::Builder out);
AppendResult FromRpc(rpc::AppendResult::Reader result);

void ToRpc(const RecordedEvent& event, rpc::RecordedEvent::Builder out);
Result<RecordedEvent> FromRpc(rpc::RecordedEvent::Reader event);
// `out` initialised to events.size().
void ToRpc(const std::vector<RecordedEvent>& events, capnp::List<rpc::RecordedEvent>::Builder out);
Result<std::vector<RecordedEvent>> FromRpc(capnp::List<rpc::RecordedEvent>::Reader events);

void ToRpc(const ClientIdentity& identity, rpc::Identity::Builder out);
Result<ClientIdentity> FromRpc(rpc::Identity::Reader identity);

void ToRpc(const AsOf& as_of, rpc::AsOf::Builder out);
AsOf FromRpc(rpc::AsOf::Reader as_of);

void ToRpc(const CaseHistoryAsOf& history, rpc::CaseHistory::Builder out);
Result<CaseHistoryAsOf> FromRpc(rpc::CaseHistory::Reader history);

void ToRpc(const TreeHead& head, rpc::TreeHead::Builder out);
Result<TreeHead> FromRpc(rpc::TreeHead::Reader head);

// A proof's path and its two numbers (see rpc.capnp Proof).
void ToRpc(uint64_t first, uint64_t second, const std::vector<Hash256>& path,
           rpc::Proof::Builder out);
Result<std::vector<Hash256>> PathFromRpc(rpc::Proof::Reader proof);

void ToRpc(const QueryTable& table, schema::QueryResult::Builder out);
Result<QueryTable> FromRpc(schema::QueryResult::Reader table);

}  // namespace caseledger::rpc_codec
