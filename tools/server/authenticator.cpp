#include "authenticator.h"

namespace caseledger::server {
namespace {

// The most workers whose principal is kept; past it the cache starts again (a principal
// is only a saving: it is always right to load it afresh).
constexpr size_t kMaxCachedPrincipals = 100'000;

}  // namespace

Result<Principal> Authenticator::Authenticate(const std::string& token) {
  auto worker = tokens_.WorkerOf(token);
  if (!worker.ok()) return worker.status();
  auto who = PrincipalOf(*worker);
  if (!who.ok() && who.status().code() == StatusCode::kUnauthenticated)
    // The same answer as for a bad token: never say which part failed.
    return Status::Unauthenticated("the token is malformed, unknown or revoked");
  return who;
}

Result<Principal> Authenticator::PrincipalOf(const std::string& worker_id) {
  // The version first: an event appended after it is read makes the next call load again.
  auto version = ledger_.GetStreamVersion("worker-" + worker_id);
  if (version.ok() && *version != kNoStream) {
    std::lock_guard lock(mutex_);
    if (auto it = principals_.find(worker_id);
        it != principals_.end() && it->second.version == *version)
      return it->second.principal;
  }
  CASELEDGER_ASSIGN_OR_RETURN(Principal who, LoadPrincipal(ledger_, worker_id));
  if (version.ok() && *version != kNoStream) {
    std::lock_guard lock(mutex_);
    if (principals_.size() >= kMaxCachedPrincipals) principals_.clear();
    principals_[worker_id] = CachedPrincipal{*version, who};
  }
  return who;
}

}  // namespace caseledger::server
