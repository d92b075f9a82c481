// caseledger backup DIR DEST: a consistent online backup while appends go on.
// caseledger restore BACKUP DIR2: a ledger that verifies and has the backup's tree root.
// Library: caseledger/backup.h; format: docs/format.md, "Backups".
#include <iomanip>
#include <iostream>

#include "caseledger/backup.h"
#include "command_support.h"
#include "commands.h"

namespace caseledger::cli {
namespace {

LedgerOptions OptionsWithMasterKey() {
  LedgerOptions options;
  options.master_key_file = MasterKeyFile();  // empty: CASELEDGER_MASTER_KEY_FILE, if set
  return options;
}

constexpr const char* kBackupFooter = R"(
DEST must not exist or be an empty directory. The ledger is opened read-only, so the
backup runs beside a running writer: N is the last committed position when it starts,
and the backup holds exactly positions 1..N, whatever is appended meanwhile.

What is copied:
  DIR/log    the segments up to the one holding position N, that one up to the end of
             position N's record (zeros after it), and DIR/log/torn-*.bin (evidence)
  DIR/meta   every file (identity, digest key, signed checkpoints up to N), modes kept
  DIR/keys   the sealed child keys (case-event ledgers), mode 0700/0600: the master key
             itself is never in DIR and never in a backup; keep it safe separately
What is not copied: DIR/index (derived from the log; `restore` rebuilds it), DIR/views
(the projector's, derived; rebuilt by `caseledger project`) and DIR/run.
DEST/BACKUP (ledger id, N, tree root, time) is written last: without it the backup is
incomplete. Every file is fsync'd.

Example:
  caseledger backup /srv/ledger /backups/ledger-2026-03-01
  caseledger restore /backups/ledger-2026-03-01 /srv/ledger-restored
)";

constexpr const char* kRestoreFooter = R"(
BACKUP is a directory written by `caseledger backup`; DIR (the new ledger) must not exist
or be an empty directory. The backup is copied into a temporary directory beside DIR, its
index is rebuilt from the log, and it is checked: the number of events and the tree root
must be the backup manifest's, and a full verify must find no problem. Only then is it
renamed to DIR; on any failure nothing is left behind and the error names what disagreed.
DIR/views is not in a backup: run `caseledger project DIR` to rebuild the projections.

A case-event ledger restores without the master key too; give it (--master-key-file or
CASELEDGER_MASTER_KEY_FILE) to check that it opens the restored keys.

Example:
  caseledger restore /backups/ledger-2026-03-01 /srv/ledger-restored
  caseledger verify /srv/ledger-restored
)";

}  // namespace

void AddBackupCommand(CLI::App& app) {
  struct Args {
    std::string dir, dest;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "backup", "Take a consistent backup of DIR while appends go on (restore it with `restore`)");
  cmd->footer(kBackupFooter);
  AddDirArgument(*cmd, args->dir);
  cmd->add_option("DEST", args->dest, "The backup directory to write (new or empty)")
      ->type_name("DIR")
      ->required();
  cmd->callback([args] {
    auto taken = Backup(args->dir, args->dest, OptionsWithMasterKey());
    if (!taken.ok()) Fail("backup", taken.status());
    std::cout << "backed up positions 1.." << WithThousands(taken->events) << " (" << std::fixed
              << std::setprecision(1) << static_cast<double>(taken->bytes) / 1e6 << " MB) to "
              << args->dest << "; tree root " << HashToHex(taken->tree.root) << "\n";
  });
}

void AddRestoreCommand(CLI::App& app) {
  struct Args {
    std::string backup, dir2;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "restore", "Restore a backup to a new ledger directory, rebuild its index and verify it");
  cmd->footer(kRestoreFooter);
  cmd->add_option("BACKUP", args->backup, "A directory written by `caseledger backup`")
      ->type_name("DIR")
      ->required();
  // DIR2 takes --master-key-file like every ledger command.
  AddDirArgument(*cmd, args->dir2);
  cmd->callback([args] {
    auto restored = Restore(args->backup, args->dir2, OptionsWithMasterKey());
    if (!restored.ok()) Fail("restore", restored.status());
    std::cout << "restored " << WithThousands(restored->events) << " events to " << args->dir2
              << "; tree root " << HashToHex(restored->tree.root) << " (the backup's); verify OK\n";
  });
}

}  // namespace caseledger::cli
