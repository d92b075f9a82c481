// caseledger::Client: one API to a ledger, whether the ledger is opened in this process
// (embedded) or reached through `caseledger serve` over the network (remote).
//
//   // Remote: a worker's token; roles and scopes come from the ledger's worker streams.
//   auto client = caseledger::ConnectClient({.address = "127.0.0.1:7400", .token = token});
//   // Embedded: the directory itself (the caseledger::embedded library); acts as
//   // local:<unix user>, with the rights of whoever can open DIR.
//   auto client = caseledger::OpenEmbeddedClient("/srv/ledger", {});
//   if (!client.ok()) return client.status();
//   auto appended = (*client)->Append(request);
//   auto history = (*client)->ReadStream("case-00042", 0, caseledger::Direction::kForward,
//                                        1000, "Referral follow-up, county 130111");
//
// Guarantees (both implementations):
// - Append and AppendBatch are all or nothing and durable once they return OK, exactly as
//   Ledger::Append. Remotely, the recorded-by and the authority are the authenticated
//   worker's ("worker:<id>"), never what the request claims; a retry after a lost
//   connection is safe (event ids make it idempotent).
// - Reading a case's history (ReadStream of a case-<id> stream, ReadCaseHistory) needs a
//   purpose and is recorded before any event is returned: a CaseHistoryRead {case
//   stream, purpose} in the stream access-<case stream>, by the reader. Without a
//   purpose it is refused.
//   ReadAll and Subscribe hand out personal fields sealed, never in clear.
// - Errors are Status values, never exceptions. Remote adds kUnauthenticated (a bad or
//   revoked token), kPermissionDenied (the role or scope does not allow it: DOMAIN.md's
//   roles x operations table) and kIOError (the connection failed).
// - A remote Client belongs to the thread that connected it (its calls run on that
//   thread's Cap'n Proto event loop, shared by the thread's clients): use and destroy it
//   there, and connect one per thread. An embedded Client is used by one thread at a
//   time. Subscriptions must be destroyed before their Client.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "caseledger/event.h"
#include "caseledger/history_as_of.h"
#include "caseledger/query_table.h"
#include "caseledger/status.h"
#include "caseledger/subscription.h"
#include "caseledger/tree_head.h"

namespace caseledger {
inline namespace v1 {

// Who the client acts as.
struct ClientIdentity {
  std::string recorded_by;    // "worker:w-17" remotely; "local:<unix user>" embedded
  std::string role;           // e.g. "caseworker"; "" embedded (no role applies)
  std::string location_code;  // the worker's scope, as registered ("" if none)
  std::string agency;
  std::array<uint8_t, 16> ledger_id{};  // the ledger's id (proofs and checkpoints name it)
};

// What Client::EraseChild did.
struct ErasureResult {
  std::vector<std::string> streams;  // the child's case streams
  bool already_erased = false;       // nothing was left to do
};

class Client {
 public:
  virtual ~Client() = default;

  virtual Result<ClientIdentity> WhoAmI() = 0;

  // As Ledger::Append / AppendBatch (caseledger/ledger.h).
  virtual Result<AppendResult> Append(const AppendRequest& request) = 0;
  virtual Result<std::vector<AppendResult>> AppendBatch(
      std::span<const AppendRequest> requests) = 0;

  // The stream's current version, or kNoStream.
  virtual Result<StreamVersion> GetStreamVersion(std::string_view stream) = 0;

  // Up to `limit` events of `stream` from version `from`, as Ledger::ReadStream. For a
  // case stream `purpose` is required and the read is recorded first (see above); the
  // payloads come with personal fields in clear where the reader may see them (remote:
  // DOMAIN.md; embedded: with the master key), sealed otherwise.
  virtual Result<std::vector<RecordedEvent>> ReadStream(std::string_view stream, StreamVersion from,
                                                        Direction direction, size_t limit,
                                                        std::string_view purpose = {}) = 0;

  // A case's whole history as of `as_of` (caseledger/history_as_of.h): its events, who
  // looked, and the record of this read, which is made once, first. `purpose` as for
  // ReadStream. kInvalidArgument for a moment beyond the ledger; kNotFound for no such case.
  virtual Result<CaseHistoryAsOf> ReadCaseHistory(std::string_view case_stream,
                                                  std::string_view purpose, const AsOf& as_of) = 0;

  // Up to `limit` events in position order from `from` (>= 1); personal fields sealed.
  // Remotely an answer of ReadStream or ReadAll stops short of `limit` at 10,000 events or
  // 48 MiB: ask on from the next version or position until an answer is empty.
  virtual Result<std::vector<RecordedEvent>> ReadAll(Position from, size_t limit) = 0;
  // The record at `position` exactly as the Merkle tree hashed it (personal fields
  // sealed): what an inclusion proof proves (caseledger/proof.h ProofDocument::record).
  // Remotely, as ReadAll: auditors only.
  virtual Result<std::string> ReadRecord(Position position) = 0;

  // Follows the log from `from` (caseledger/subscription.h); personal fields sealed.
  virtual Result<std::unique_ptr<Subscription>> Subscribe(Position from) = 0;

  // A projection query (docs/projections.md), answered by the ledger's projector.
  virtual Result<QueryTable> Query(
      std::string_view plugin, std::string_view query,
      const std::vector<std::pair<std::string, std::string>>& params) = 0;

  // The Merkle tree head over every committed event, and the one over 1..size.
  virtual Result<TreeHead> GetTreeHead() = 0;
  virtual Result<TreeHead> GetTreeHeadAt(uint64_t size) = 0;
  // RFC 9162 proofs, as Ledger::ProveInclusion / ProveConsistency; caseledger/proof.h or
  // `caseledger verify --proof` check them against a signed checkpoint.
  virtual Result<InclusionProof> ProveInclusion(Position position, uint64_t tree_size) = 0;
  virtual Result<ConsistencyProof> ProveConsistency(uint64_t first_size, uint64_t second_size) = 0;
  // Erases the personal data of child `child_ref` for good (`caseledger erase`; the
  // ledger's EraseChild: the child's keys are destroyed, every proof stays valid).
  // Remotely for admins only, recorded as the worker; kNotFound if no key names the child.
  virtual Result<ErasureResult> EraseChild(std::string_view child_ref, std::string_view reason) = 0;

  // The latest signed checkpoint, as the JSON document `caseledger checkpoint --export`
  // writes (docs/checkpoints.md). kNotFound if none was signed yet.
  virtual Result<std::string> LatestCheckpoint() = 0;
};

// Where and as whom a remote Client connects.
struct RemoteOptions {
  // "HOST:PORT" (e.g. "127.0.0.1:7400") or "unix:/path/to/socket".
  std::string address;
  // The token `caseledger users DIR add WORKER` issued.
  std::string token;
  // The PEM file of the server's certificate (or its CA) for a TLS server; empty: plain
  // connection, which the server only accepts on loopback. Default: empty.
  std::string tls_ca_file;
};

// Connects to `caseledger serve` and authenticates. kUnauthenticated if the token is not
// accepted; kIOError naming the address if the server cannot be reached.
Result<std::unique_ptr<Client>> ConnectClient(const RemoteOptions& options);

}  // namespace v1
}  // namespace caseledger
