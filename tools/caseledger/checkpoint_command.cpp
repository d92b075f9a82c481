// caseledger checkpoint DIR --key KEYFILE [--announce-next NEXT.pub]: sign the current tree
// head and store it in DIR/meta/checkpoints. caseledger checkpoint DIR --export FILE: write
// the latest stored checkpoint for an auditor to keep (--server ADDR instead of DIR while a
// server owns DIR).
#include <iostream>

#include "caseledger/checkpoint.h"
#include "checkpoint_signing.h"
#include "command_support.h"
#include "commands.h"

namespace caseledger::cli {
namespace {

void Sign(const std::string& name, const std::string& dir, const std::string& key_file,
          const std::string& next_file) {
  auto ledger = OpenForReading(name, dir);
  const Checkpoint cp = SignAndStoreCheckpoint(name, dir, *ledger, key_file, next_file);
  std::cout << CheckpointToJson(cp) << "\n";
  std::cerr << "stored in " << CheckpointStorePath(dir) << ": tree size " << cp.tree_size
            << ", signed by " << KeyFingerprint(cp.signer);
  if (cp.next_key) std::cerr << ", announcing the next key " << KeyFingerprint(*cp.next_key);
  std::cerr << "\n";
}

// The latest stored checkpoint: from DIR/meta/checkpoints, or from the server that owns DIR.
Checkpoint Latest(const std::string& name, const LedgerTarget& target) {
  if (target.remote()) {
    auto json = ConnectToServer(name, target)->LatestCheckpoint();
    if (!json.ok()) Fail(name, json.status());
    auto checkpoint = CheckpointFromJson(*json);
    if (!checkpoint.ok())
      Fail(name,
           checkpoint.status().WithContext("the checkpoint the server " + target.server + " sent"));
    return *checkpoint;
  }
  auto stored = ReadCheckpointStore(target.dir);
  if (!stored.ok()) Fail(name, stored.status());
  if (!stored->torn_tail.empty())
    std::cerr << "caseledger " << name << ": " << stored->torn_tail << "\n";
  if (stored->checkpoints.empty())
    Fail(name, Status::NotFound("no checkpoint stored in " + CheckpointStorePath(target.dir) +
                                "; sign one with `caseledger checkpoint DIR --key KEYFILE`"));
  return stored->checkpoints.back();
}

void Export(const std::string& name, const LedgerTarget& target, const std::string& file) {
  const Checkpoint latest = Latest(name, target);
  const std::string from =
      target.remote() ? "server " + target.server : CheckpointStorePath(target.dir);
  Status s = CheckCheckpointSignature(latest);
  if (!s.ok()) Fail(name, s.WithContext("the latest checkpoint of " + from));
  s = WriteCheckpointFile(file, latest);
  if (!s.ok()) Fail(name, s);
  std::cout << "exported the checkpoint of tree size " << latest.tree_size << " ("
            << FormatTimestamp(latest.time) << ", root " << HashToHex(latest.root) << ", signed by "
            << KeyFingerprint(latest.signer) << ") to " << file << "\n";
}

}  // namespace

void AddCheckpointCommand(CLI::App& app) {
  struct Args {
    LedgerTarget target;
    std::string key, next, export_file;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "checkpoint",
      "With --key: sign the ledger's current tree head (ledger id, tree size, root, time) with "
      "the private key and store it in DIR/meta/checkpoints; prints it as JSON. With --export: "
      "write the latest stored checkpoint to FILE for an auditor to keep (never overwrites; "
      "with --server, the one the server signed last)");
  AddLedgerTarget(*cmd, args->target);
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
    CheckLedgerTarget(name, args->target, {});
    if (args->target.remote() && !args->key.empty())
      Fail(name, Status::InvalidArgument(
                     "--key: not with --server: a running server signs its own checkpoints "
                     "(`caseledger serve DIR --key KEYFILE --checkpoint-every N`)"));
    if (!args->export_file.empty())
      Export(name, args->target, args->export_file);
    else if (!args->key.empty())
      Sign(name, args->target.dir, args->key, args->next);
    else
      Fail(name, Status::InvalidArgument(
                     "give --key KEYFILE to sign a checkpoint, or --export FILE to export one"));
  });
}

}  // namespace caseledger::cli
