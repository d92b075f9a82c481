// caseledger checkpoint DIR --key KEYFILE [--announce-next NEXT.pub]: sign the current tree
// head and store it in DIR/meta/checkpoints. caseledger checkpoint DIR --export FILE: write
// the latest stored checkpoint for an auditor to keep.
#include <iostream>

#include "caseledger/checkpoint.h"
#include "command_support.h"
#include "commands.h"

namespace caseledger::cli {
namespace {

void Sign(const std::string& name, const std::string& dir, const std::string& key_file,
          const std::string& next_file) {
  if (auto ledger_dir = LedgerDirContaining(key_file))
    Fail(name,
         Status::InvalidArgument("refusing to sign with a key kept inside the ledger directory " +
                                 *ledger_dir + ": whoever can rewrite it could re-sign it; move " +
                                 key_file + " outside (and consider it compromised)"));
  auto key = ReadSigningKeyFile(key_file);
  if (!key.ok()) Fail(name, key.status());
  std::optional<PublicKey> next;
  if (!next_file.empty()) {
    auto parsed = ReadPublicKeyFile(next_file);
    if (!parsed.ok()) Fail(name, parsed.status());
    if (*parsed == key->public_key())
      Fail(name, Status::InvalidArgument("--announce-next " + next_file +
                                         " is the signing key itself; announce the new key"));
    next = *parsed;
  }
  // Read what is stored first: a ledger that no longer agrees with its own last checkpoint
  // (altered or rolled back) must not get a fresh signature over its new state.
  auto stored = ReadCheckpointStore(dir);
  if (!stored.ok()) Fail(name, stored.status());
  auto ledger = OpenForReading(name, dir);
  const LedgerIdBytes id = ledger->LedgerId();
  const TreeHead head = ledger->GetTreeHead();
  for (auto it = stored->checkpoints.rbegin(); it != stored->checkpoints.rend(); ++it) {
    if (it->ledger_id != id || !CheckCheckpointSignature(*it).ok()) continue;
    std::string problem;
    if (it->tree_size > head.size) {
      problem = "the ledger has " + std::to_string(head.size) + " events, fewer than the " +
                std::to_string(it->tree_size) + " its last checkpoint covers (rolled back?)";
    } else {
      auto then = ledger->GetTreeHeadAt(it->tree_size);
      if (!then.ok())
        problem = "cannot compute its tree at size " + std::to_string(it->tree_size) + ": " +
                  then.status().ToString();
      else if (then->root != it->root)
        problem = "its tree at size " + std::to_string(it->tree_size) + " has root " +
                  HashToHex(then->root) + ", its last checkpoint says " + HashToHex(it->root);
    }
    if (!problem.empty())
      Fail(name, Status::Corruption("refusing to sign: " + problem +
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
  if (!s.ok()) Fail(name, s);
  if (!note.empty()) std::cerr << "caseledger " << name << ": " << note << "\n";
  std::cout << CheckpointToJson(cp) << "\n";
  std::cerr << "stored in " << CheckpointStorePath(dir) << ": tree size " << cp.tree_size
            << ", signed by " << KeyFingerprint(cp.signer);
  if (cp.next_key) std::cerr << ", announcing the next key " << KeyFingerprint(*cp.next_key);
  std::cerr << "\n";
}

void Export(const std::string& name, const std::string& dir, const std::string& file) {
  auto stored = ReadCheckpointStore(dir);
  if (!stored.ok()) Fail(name, stored.status());
  if (!stored->torn_tail.empty())
    std::cerr << "caseledger " << name << ": " << stored->torn_tail << "\n";
  if (stored->checkpoints.empty())
    Fail(name, Status::NotFound("no checkpoint stored in " + CheckpointStorePath(dir) +
                                "; sign one with `caseledger checkpoint DIR --key KEYFILE`"));
  const Checkpoint& latest = stored->checkpoints.back();
  Status s = CheckCheckpointSignature(latest);
  if (!s.ok()) Fail(name, s.WithContext("the latest checkpoint in " + CheckpointStorePath(dir)));
  s = WriteCheckpointFile(file, latest);
  if (!s.ok()) Fail(name, s);
  std::cout << "exported the checkpoint of tree size " << latest.tree_size << " ("
            << FormatTimestamp(latest.time) << ", root " << HashToHex(latest.root) << ", signed by "
            << KeyFingerprint(latest.signer) << ") to " << file << "\n";
}

}  // namespace

void AddCheckpointCommand(CLI::App& app) {
  struct Args {
    std::string dir, key, next, export_file;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "checkpoint",
      "With --key: sign the ledger's current tree head (ledger id, tree size, root, time) with "
      "the private key and store it in DIR/meta/checkpoints; prints it as JSON. With --export: "
      "write the latest stored checkpoint to FILE for an auditor to keep (never overwrites)");
  AddDirArgument(*cmd, args->dir);
  auto* key = cmd->add_option("--key", args->key,
                              "The private key file (from `caseledger keygen`, mode 0600, kept "
                              "outside every ledger directory)")
                  ->type_name("KEYFILE");
  auto* next = cmd->add_option("--announce-next", args->next,
                               "Key rotation: announce this public key as the one that signs the "
                               "next checkpoints (verification trusts it through this one)")
                   ->type_name("NEXT.pub");
  auto* exp = cmd->add_option("--export", args->export_file,
                              "Write the latest stored checkpoint to FILE (must not exist)")
                  ->type_name("FILE");
  key->excludes(exp);
  next->needs(key);
  cmd->callback([args] {
    const std::string name = "checkpoint";
    if (!args->export_file.empty())
      Export(name, args->dir, args->export_file);
    else if (!args->key.empty())
      Sign(name, args->dir, args->key, args->next);
    else
      Fail(name, Status::InvalidArgument(
                     "give --key KEYFILE to sign a checkpoint, or --export FILE to export one"));
  });
}

}  // namespace caseledger::cli
