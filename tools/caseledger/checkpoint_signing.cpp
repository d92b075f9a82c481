#include "checkpoint_signing.h"

#include <iostream>

#include "command_support.h"

namespace caseledger::cli {

Checkpoint SignAndStoreCheckpoint(const std::string& command, const std::string& dir,
                                  Ledger& ledger, const std::string& key_file,
                                  const std::string& next_file) {
  if (auto ledger_dir = LedgerDirContaining(key_file))
    Fail(command,
         Status::InvalidArgument("refusing to sign with a key kept inside the ledger directory " +
                                 *ledger_dir + ": whoever can rewrite it could re-sign it; move " +
                                 key_file + " outside (and consider it compromised)"));
  auto key = ReadSigningKeyFile(key_file);
  if (!key.ok()) Fail(command, key.status());
  std::optional<PublicKey> next;
  if (!next_file.empty()) {
    auto parsed = ReadPublicKeyFile(next_file);
    if (!parsed.ok()) Fail(command, parsed.status());
    if (*parsed == key->public_key())
      Fail(command, Status::InvalidArgument("--announce-next " + next_file +
                                            " is the signing key itself; announce the new key"));
    next = *parsed;
  }
  // Read what is stored first: a ledger that no longer agrees with its own last checkpoint
  // (altered or rolled back) must not get a fresh signature over its new state.
  auto stored = ReadCheckpointStore(dir);
  if (!stored.ok()) Fail(command, stored.status());
  const LedgerIdBytes id = ledger.LedgerId();
  const TreeHead head = ledger.GetTreeHead();
  for (auto it = stored->checkpoints.rbegin(); it != stored->checkpoints.rend(); ++it) {
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
      Fail(command, Status::Corruption("refusing to sign: " + problem +
                                       "; run `caseledger verify` and find out what happened"));
    break;  // the latest one that is well signed is enough
  }
  Checkpoint cp;
  cp.ledger_id = id;
  cp.tree_size = head.size;
  cp.root = head.root;
  cp.time = Now();
  cp.next_key = next;
  cp = SignCheckpoint(cp, *key);
  std::string note;
  Status s = AppendCheckpoint(dir, cp, &note);
  if (!s.ok()) Fail(command, s);
  if (!note.empty()) std::cerr << "caseledger " << command << ": " << note << "\n";
  return cp;
}

}  // namespace caseledger::cli
