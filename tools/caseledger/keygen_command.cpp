// caseledger keygen --out KEYFILE: a new Ed25519 key pair for signing checkpoints.
#include <iostream>

#include "caseledger/checkpoint.h"
#include "command_support.h"
#include "commands.h"

namespace caseledger::cli {

void AddKeygenCommand(CLI::App& app) {
  struct Args {
    std::string out;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "keygen",
      "Make an Ed25519 key pair for signing checkpoints: the private key in KEYFILE (mode 0600) "
      "and the public key in KEYFILE.pub, which auditors keep. Neither file is ever "
      "overwritten. Keep KEYFILE outside every ledger directory: whoever can rewrite a ledger "
      "must not be able to re-sign it");
  cmd->add_option("--out", args->out, "The private key file to create (and KEYFILE.pub)")
      ->required()
      ->type_name("KEYFILE");
  cmd->callback([args] {
    const std::string name = "keygen";
    if (auto ledger = LedgerDirContaining(args->out))
      Fail(name, Status::InvalidArgument(
                     "refusing to write a signing key inside the ledger directory " + *ledger +
                     ": whoever can rewrite a ledger directory (its owner, a backup, a copy) "
                     "must not be able to re-sign its checkpoints; keep the key elsewhere"));
    const SigningKey key = SigningKey::Generate();
    Status s = WriteKeyFiles(args->out, key);
    if (!s.ok()) Fail(name, s);
    std::cout << "wrote the private key " << args->out << " (mode 0600) and the public key "
              << args->out << ".pub, " << KeyFingerprint(key.public_key()) << "\n"
              << "keep the private key outside every ledger directory; give auditors the "
                 ".pub file\n";
  });
}

}  // namespace caseledger::cli
