// RequestGuard: what the server checks before it lets a worker's request reach the
// ledger: which stream the request touches, the scope that stream has now (a case's
// community, agency and open referrals; a space's community), and whether the worker's
// role and scope allow the operation (access_policy.h).
//
//   RequestGuard guard(ledger);
//   auto appended = guard.Append(who, requests);   // checked, then appended; or why not
//   auto read = guard.CheckStreamRead(who, "case-00042", purpose);
//
// An append is checked against its streams as they are, and no other append through
// this guard can change those streams between the check and the append (a referral
// closed meanwhile): the guard holds a lock per stream (striped) across both. The server
// is the ledger's only writer, so nothing else appends beside it. Events of one request
// are checked against the scope before the request (a new case's scope is its
// CaseOpened's, a new space's its SpaceOpened's); the requests of a batch against the
// scope before the batch, where a stream the batch opens has the scope it is opened with.
#pragma once

#include <array>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "access_policy.h"
#include "caseledger/ledger.h"

namespace caseledger::server {

// How a permitted stream read goes on.
struct StreamReadGrant {
  bool record_read = false;    // a case's history: recorded before anything is returned
  bool open_personal = false;  // personal fields in clear (else they are redacted)
};

class RequestGuard {
 public:
  explicit RequestGuard(Ledger& ledger) : ledger_(ledger) {}

  // Appends `requests` atomically (Ledger::AppendBatch) on behalf of `who`: recorded-by
  // is the worker's, and each event's actor is set to the worker (never what the client
  // claims). kPermissionDenied naming the request and event index; kInvalidArgument for
  // what no one may append (a type outside the catalogue, a stream of no known kind);
  // otherwise the ledger's own errors.
  Result<std::vector<AppendResult>> Append(const Principal& who,
                                           std::span<const AppendRequest> requests);

  // May `who` read `stream`? Case streams need kReadCaseHistory in the case's scope and,
  // for their events, a purpose (recorded; `purpose` nullopt asks only for the stream's
  // version, which needs the scope alone); access-<case> streams the same scope (not
  // recorded); worker
  // streams: admin, auditor or the worker; space and community streams: their place's
  // scope for directors and supervisors; auditors read every stream.
  Result<StreamReadGrant> CheckStreamRead(const Principal& who, std::string_view stream,
                                          std::optional<std::string_view> purpose);

  // ReadAll and Subscribe: the whole log, personal fields redacted. Auditors only.
  Status CheckReadAll(const Principal& who);

 private:
  // Checks one request against its stream as it is now (the caller holds its lock).
  // `batch_start`: the first request of the same batch to the same stream, when an
  // earlier one exists; a stream that batch starts has the scope it is opened with there.
  Status CheckRequest(const Principal& who, const AppendRequest& request,
                      const AppendRequest* batch_start);
  // The scope of case `stream` now; not opened if there is no such case yet. Cached by
  // stream version: later events are read and the case is reduced again only when one of
  // them can move the scope (an opening, a transfer, a referral, a correction, a void).
  Result<std::pair<bool, Scope>> CaseScope(std::string_view stream);

  Ledger& ledger_;
  // Stream locks, by a hash of the stream id: held from the check to the end of the append.
  std::array<std::mutex, 256> stream_locks_;

  struct CachedScope {
    StreamVersion version = kNoStream;
    Scope scope;
  };
  std::mutex cache_mutex_;
  std::unordered_map<std::string, CachedScope> case_scopes_;  // guarded by cache_mutex_
};

}  // namespace caseledger::server
