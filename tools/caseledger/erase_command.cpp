// caseledger erase DIR --child REF --reason TEXT: erases a child's personal data by
// destroying the child's keys (Ledger::EraseChild), recording the request and its
// completion in the child's case streams. Every hash, proof and checkpoint stays valid.
#include <iostream>

#include "caseledger/client.h"
#include "command_support.h"
#include "commands.h"

namespace caseledger::cli {
namespace {

constexpr const char* kFooter = R"(
What it does, in this order (run it again after any failure: it finishes what is missing):
  1. appends ErasureRequested {childRef, reason} to each of the child's case streams;
  2. destroys the child's keys: their ids go to DIR/keys/erased, the key journal is
     rewritten without them, and the old journal's copies are overwritten with zeros;
  3. appends ErasureCompleted {childRef} to the same streams.
From then on the child's personal fields read as {"erased": "<key id>"} ([erased] in
tables) for everyone: `read` and `history` with or without the master key, and every
reader through the server. verify, proofs, earlier checkpoints and the projections'
figures are unchanged (they never used the sealed fields).
Backups made before the erasure still hold the key, sealed under the master key: see
docs/privacy.md (rotate the master key to shred them too).

Needs the master key (--master-key-file or CASELEDGER_MASTER_KEY_FILE) and the ledger
as its writer. While `caseledger serve` owns DIR, an admin erases through it:
  caseledger erase --server 127.0.0.1:7400 --token clt_... --child c-7f3a91 --reason "..."

Example:
  caseledger erase /srv/ledger --child c-7f3a91 --master-key-file /etc/caseledger/master.key \
      --reason "Guardian's request under PIPL art. 47, ticket 2026-118"
)";

}  // namespace

void AddEraseCommand(CLI::App& app) {
  struct Args {
    LedgerTarget target;
    std::string child, reason, actor;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "erase",
      "Erase a child's personal data for good (destroys the child's keys); every proof "
      "stays valid");
  cmd->footer(kFooter);
  AddLedgerTarget(*cmd, args->target);
  cmd->add_option("--child", args->child, "The child, as CaseOpened's childRef names it")
      ->required();
  cmd->add_option("--reason", args->reason,
                  "Why (required; recorded in clear in ErasureRequested: no names)")
      ->required();
  cmd->add_option(
         "--actor", args->actor,
         R"(Who erases, as your system states it: {"user":"adm-1","role":"admin"} (default: the unix user; not with --server, where it is the token's worker))")
      ->type_name("JSON");
  cmd->callback([args] {
    const std::string name = "erase";
    CheckLedgerTarget(name, args->target, {});
    Result<ErasureResult> erased = ErasureResult{};
    if (args->target.remote()) {
      if (!args->actor.empty())
        Fail(name, Status::InvalidArgument(
                       "--actor: not with --server: the eraser is the token's worker"));
      erased = ConnectToServer(name, args->target)->EraseChild(args->child, args->reason);
    } else {
      const Actor actor = CommandActor(name, args->actor);
      auto ledger = OpenForWriting(name, args->target.dir);
      auto done = ledger->EraseChild(args->child, args->reason, actor);
      if (done.ok())
        erased = ErasureResult{done->streams, done->already_erased()};
      else
        erased = done.status();
    }
    if (!erased.ok()) Fail(name, erased.status());
    std::string streams;
    for (const std::string& s : erased->streams) streams += (streams.empty() ? "" : ", ") + s;
    if (erased->already_erased) {
      std::cout << "child " << args->child << " was erased already (" << streams
                << "): nothing left to do\n";
      return;
    }
    std::cout << "erased the personal data of child " << args->child << " in " << streams << "\n";
  });
}

}  // namespace caseledger::cli
