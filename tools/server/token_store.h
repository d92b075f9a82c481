// The server's credentials: tokens issued to workers registered in the ledger, kept in
// DIR/meta/tokens as SHA-256 hashes only (a stolen DIR gives no usable token).
//
//   auto issued = caseledger::server::IssueToken(dir, "w-17");   // shown once to the admin
//   std::cout << issued->token;                                   // "clt_..."
//   auto worker = caseledger::server::WorkerOfToken(dir, presented);  // "w-17" or an error
//   caseledger::Status s = caseledger::server::RevokeToken(dir, issued->record.token_id);
//
// File format (docs/server.md): one JSON object per line, appended and fdatasync'd before
// the call returns; a line is never rewritten:
//   {"op":"issue","tokenId":"<12 hex>","worker":"w-17","sha256":"<64 hex>","at":"<RFC 3339>"}
//   {"op":"revoke","tokenId":"<12 hex>","at":"<RFC 3339>"}
// A torn last line (no newline: a crash mid-write) is ignored when read and cut off
// before the next append. Writers take an exclusive flock on the file; readers need none
// (they read whole lines only). Every function reads the file afresh, and a TokenVerifier
// whenever the file changed, so a running server sees an `add` or `revoke` made beside it
// at its next authentication.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "caseledger/status.h"
#include "caseledger/time.h"

namespace caseledger::server {

struct TokenRecord {
  std::string token_id;   // 12 hex digits: the first 6 bytes of SHA-256(token); for list/revoke
  std::string worker_id;  // e.g. "w-17"
  Timestamp issued_at{};
  std::optional<Timestamp> revoked_at;  // none while the token is valid
};

struct IssuedToken {
  std::string token;  // "clt_" + 64 hex digits (32 random bytes); not stored anywhere
  TokenRecord record;
};

// Issues a new token for `worker_id` (1..128 printable ASCII, no spaces). The caller
// checks that the worker is registered in the ledger. kNotFound if DIR/meta is missing.
Result<IssuedToken> IssueToken(const std::string& dir, std::string_view worker_id);

// Revokes `token_id` (as `ListTokens` shows it). kNotFound if no such token was issued;
// revoking a revoked token is OK and writes nothing.
Status RevokeToken(const std::string& dir, std::string_view token_id);

// Every token issued, in the order issued. An absent file is no tokens. kCorruption
// naming the line if a complete line does not parse.
Result<std::vector<TokenRecord>> ListTokens(const std::string& dir);

// The worker `token` was issued to. kUnauthenticated (without saying which) if the
// token is malformed, unknown or revoked. Compares hashes in constant time.
Result<std::string> WorkerOfToken(const std::string& dir, std::string_view token);

// WorkerOfToken for a server, which asks at every call: the file is parsed again only
// when it changed (its inode, size or modification time differ from those it had when
// last read), so an answer costs a stat, a hash and the comparisons. An `add` or
// `revoke` beside the server changes the file, so it counts at the next call as before.
// Thread-safe.
class TokenVerifier {
 public:
  explicit TokenVerifier(std::string dir);
  ~TokenVerifier();
  Result<std::string> WorkerOf(std::string_view token);

 private:
  struct Table;
  std::string dir_;
  std::mutex mutex_;
  std::shared_ptr<const Table> table_;  // guarded by mutex_; null before the first read
};

}  // namespace caseledger::server
