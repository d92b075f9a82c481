// caseledger keys rotate DIR --new-master-key-file NEW: seal every child key again under a
// new master key (Ledger::RotateMasterKey), so that the old one opens nothing from then
// on; with the old key destroyed, backups taken before the rotation open no child's data
// (docs/privacy.md).
#include <filesystem>
#include <iostream>

#include "command_support.h"
#include "commands.h"

namespace caseledger::cli {
namespace {

constexpr const char* kRotateFooter = R"(
What it does: every child key in DIR/keys is sealed again under NEW (a new file of 64 hex
digits is written there, mode 0600, if NEW does not exist yet). DIR/keys.new is written
whole and fsync'd, then swapped in; the old store is overwritten with zeros. From then on
only NEW opens DIR/keys, and every backup taken from now on. Backups taken before still
need the old master key: keep it while you need them, destroy it to shred them (every
erasure made since then becomes final in them too). A crash during the rotation is
finished by the next writer (open with NEW) or, if it happened before the swap, dropped
(open with the old key).

Needs the ledger as its writer (stop `caseledger serve` first) and the current master
key (--master-key-file or CASELEDGER_MASTER_KEY_FILE).

Example:
  caseledger keys rotate /srv/ledger --master-key-file /etc/caseledger/master.key \
      --new-master-key-file /etc/caseledger/master-2026-12.key
)";

}  // namespace

void AddKeysCommand(CLI::App& app) {
  CLI::App* keys = app.add_subcommand("keys", "Manage the child-key store: rotate the master key");
  keys->require_subcommand(1);
  struct Args {
    std::string dir, new_key;
  };
  auto args = std::make_shared<Args>();
  CLI::App* rotate = keys->add_subcommand(
      "rotate", "Seal every child key again under a new master key; the old one opens nothing");
  rotate->footer(kRotateFooter);
  AddDirArgument(*rotate, args->dir);
  rotate
      ->add_option("--new-master-key-file", args->new_key,
                   "The new master key (created if the file does not exist; kept outside DIR)")
      ->required()
      ->type_name("NEW");
  rotate->callback([args] {
    const std::string name = "keys rotate";
    if (IsInside(args->new_key, args->dir))
      Fail(name, Status::InvalidArgument("--new-master-key-file " + args->new_key + " is inside " +
                                         args->dir +
                                         "; keep it outside the ledger directory, which backups "
                                         "and copies carry"));
    auto ledger = OpenForWriting(name, args->dir);
    std::error_code ec;
    const bool created = !std::filesystem::exists(args->new_key, ec);
    if (created) {
      if (Status s = CreateMasterKeyFile(args->new_key); !s.ok()) Fail(name, s);
    }
    if (Status s = ledger->RotateMasterKey(args->new_key); !s.ok()) {
      if (created) std::filesystem::remove(args->new_key, ec);
      Fail(name, s);
    }
    std::cout << "the child keys of " << args->dir << " are sealed under " << args->new_key
              << (created ? " (new)" : "")
              << "; the old master key opens nothing here now. Keep it only while you need "
                 "backups taken before this rotation (docs/privacy.md)\n";
  });
}

}  // namespace caseledger::cli
