#include "caseledger/checkpoint.h"
#include "caseledger/ledger.h"

namespace caseledger {
inline namespace v1 {

Result<Checkpoint> SignAndStoreCheckpoint(const std::string& dir, Ledger& ledger,
                                          const std::string& key_file,
                                          const std::optional<PublicKey>& next_key,
                                          std::string* note) {
  if (auto ledger_dir = LedgerDirContaining(key_file))
    return Status::InvalidArgument("refusing to sign with a key kept inside the ledger directory " +
                                   *ledger_dir +
                                   ": whoever can rewrite it could re-sign it; move " + key_file +
                                   " outside (and consider it compromised)");
  CASELEDGER_ASSIGN_OR_RETURN(SigningKey key, ReadSigningKeyFile(key_file));
  if (next_key && *next_key == key.public_key())
    return Status::InvalidArgument(
        "the next key announced is the signing key itself; "
        "announce a new key");
  // Read what is stored first: a ledger that no longer agrees with its own last checkpoint
  // (altered or rolled back) must not get a fresh signature over its new state.
  CASELEDGER_ASSIGN_OR_RETURN(auto stored, ReadCheckpointStore(dir));
  const LedgerIdBytes id = ledger.LedgerId();
  const TreeHead head = ledger.GetTreeHead();
  for (auto it = stored.checkpoints.rbegin(); it != stored.checkpoints.rend(); ++it) {
    if (it->ledger_id != id || !CheckCheckpointSignature(*it).ok()) continue;
    std::string problem;
    if (it->tree_size > head.size) {
      problem = "the ledger has " + std::to_string(head.size) + " events, fewer than the " +
                std::to_string(it->tree_size) + " its last checkpoint covers (rolled back?)";
    } else {
      auto then = ledger.GetTreeHeadAt(it->tree_size);
      if (!then.ok())
        problem = "cannot compute its tree at size " + std::to_string(it->tree_size) + ": " +
                  then.status().ToString();
      else if (then->root != it->root)
        problem = "its tree at size " + std::to_string(it->tree_size) + " has root " +
                  HashToHex(then->root) + ", its last checkpoint says " + HashToHex(it->root);
    }
    if (!problem.empty())
      return Status::Corruption("refusing to sign: " + problem +
                                "; run `caseledger verify` and find out what happened");
    break;  // the latest one that is well signed is enough
  }
  Checkpoint cp;
  cp.ledger_id = id;
  cp.tree_size = head.size;
  cp.root = head.root;
  cp.time = Now();
  cp.next_key = next_key;
  cp = SignCheckpoint(cp, key);
  CASELEDGER_RETURN_IF_ERROR(AppendCheckpoint(dir, cp, note));
  return cp;
}

}  // namespace v1
}  // namespace caseledger
