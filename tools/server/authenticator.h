// Who presents a token, as the ledger says now: the token's worker (DIR/meta/tokens) and
// that worker's role and scope (the stream worker-<id>), asked at every call of every
// session, so that a revoked token or a changed role counts at the very next call.
//
//   Authenticator auth(dir, ledger);
//   Result<Principal> who = auth.Authenticate(token);
//
// What is read to answer is kept while it cannot have changed: the token file while its
// inode, size and modification time are the same (TokenVerifier), a worker's principal
// while the worker stream's version is the same (one index lookup). Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "access_policy.h"
#include "caseledger/ledger.h"
#include "token_store.h"

namespace caseledger::server {

class Authenticator {
 public:
  Authenticator(std::string dir, Ledger& ledger) : tokens_(std::move(dir)), ledger_(ledger) {}

  // kUnauthenticated, the same answer whichever part failed (a malformed, unknown or
  // revoked token, or a worker the ledger does not know), so that tokens cannot be probed.
  Result<Principal> Authenticate(const std::string& token);

 private:
  // LoadPrincipal, kept by the worker stream's version.
  Result<Principal> PrincipalOf(const std::string& worker_id);

  TokenVerifier tokens_;
  Ledger& ledger_;

  struct CachedPrincipal {
    StreamVersion version = kNoStream;
    Principal principal;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, CachedPrincipal> principals_;  // guarded by mutex_
};

}  // namespace caseledger::server
