// caseledger keys rotate DIR --new-master-key-file NEW: seal every child key again under a
// new master key (Ledger::RotateMasterKey), so that the old one opens nothing from then
// on; with the old key destroyed, backups taken before the rotation open no child's data
// (docs/privacy.md).
// caseledger keys backup DIR --to DEST, caseledger keys restore DIR --from BACKUP: the
// child-key store alone, backed up beside a running writer and restored into a ledger
// that lost it, made to agree with its log: every erasure it records applied again
// (caseledger/key_backup.h).
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "caseledger/key_backup.h"
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

constexpr const char* kBackupFooter = R"(
What it does: copies DIR/keys (check, journal, then erased) into DEST/keys, mode 0700 and
0600, then writes DEST/KEYS-BACKUP (ledger id, number of keys and of erased keys, time,
and each file's size and SHA-256) last: without it the backup is incomplete. DEST must
not exist or be an empty directory. It only reads DIR, so it runs beside a running writer
(`caseledger serve` included); an erasure made meanwhile is in the copy.

What it guarantees: the master key is required, and the copy is opened with it before
the manifest is written, so a complete key backup is one that opens: every key in it
opens with that master key, a key being added meanwhile is left out whole, and keys
erased meanwhile are not in it. Every file and directory is fsync'd. A wrong master key
is refused before anything is written; a failed backup removes what it wrote.

The backup holds the child keys sealed under the master key, never the master key: keep
the two apart. A backup taken before an erasure still holds the erased child's key:
rotating the master key and destroying the old one shreds it (docs/privacy.md).

Example:
  caseledger keys backup /srv/ledger --to /backups/keys-2026-03-01 \
      --master-key-file /etc/caseledger/master.key
)";

constexpr const char* kRestoreFooter = R"(
For a ledger whose DIR/keys was lost or damaged. Move a damaged DIR/keys out of the
ledger directory first: restore writes only where the key store is missing.

What it does: checks BACKUP (its manifest, that it is DIR's ledger, every file's size and
SHA-256, that the master key opens it), opens DIR as its writer without the master key
(stop `caseledger serve` first; the log's tail is recovered as the writer would), reads
DIR's log, copies BACKUP into DIR/keys.restore and makes it agree with the log there:
- a child whose erasure (ErasureRequested) the log records in a case the backup holds a
  key for is erased again (a case opened for the child after its erasure keeps its key);
- a case erased after the backup was taken, whose key the backup never held, gets that
  key's tombstone: its fields read erased and it takes no new personal field;
- a case opened after the backup was taken and not erased has lost its key: its fields so
  far stay sealed, and it gets a new key naming its child, so personal fields added from
  now on open and `caseledger erase --child` finds it.
Only then is DIR/keys.restore renamed to DIR/keys, DIR fsync'd, and the ledger closed.

What it guarantees: a key backup taken before an erasure never brings the erased child
back: the child's keys are destroyed again, or recorded as destroyed, before DIR/keys
exists. Any refusal writes nothing. A crash leaves either no DIR/keys (run it again: a
leftover DIR/keys.restore is overwritten with zeros and removed) or a whole one.

Example:
  mv /srv/ledger/keys /root/keys.damaged
  caseledger keys restore /srv/ledger --from /backups/keys-2026-03-01 \
      --master-key-file /etc/caseledger/master.key
  caseledger verify /srv/ledger
)";

// "a, b, c" for at most `shown` names, then "and N more".
std::string Names(const std::vector<std::string>& names, size_t shown = 20) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < shown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > shown) out += " and " + WithThousands(names.size() - shown) + " more";
  return out;
}

void AddKeysBackupCommand(CLI::App& keys) {
  struct Args {
    std::string dir, dest;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = keys.add_subcommand(
      "backup", "Back up the child-key store DIR/keys, checked to open, beside a running writer");
  cmd->footer(kBackupFooter);
  AddDirArgument(*cmd, args->dir);
  cmd->add_option("--to", args->dest, "The key backup directory to write (new or empty)")
      ->required()
      ->type_name("DEST");
  cmd->callback([args] {
    LedgerOptions options;
    options.master_key_file = MasterKeyFile();  // empty: CASELEDGER_MASTER_KEY_FILE, if set
    auto taken = BackupKeys(args->dir, args->dest, options);
    if (!taken.ok()) Fail("keys backup", taken.status());
    std::cout << "backed up " << WithThousands(taken->keys) << " child keys"
              << (taken->erased
                      ? " and " + WithThousands(taken->erased) + " erased case streams' tombstones"
                      : "")
              << " of " << args->dir << " to " << args->dest << " (" << std::fixed
              << std::setprecision(1) << static_cast<double>(taken->bytes) / 1e3
              << " kB); checked: the master key opens every key in it\n";
  });
}

void AddKeysRestoreCommand(CLI::App& keys) {
  struct Args {
    std::string dir, backup;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = keys.add_subcommand(
      "restore",
      "Restore a lost DIR/keys from a key backup, erasing again every child the log says is "
      "erased");
  cmd->footer(kRestoreFooter);
  AddDirArgument(*cmd, args->dir);
  cmd->add_option("--from", args->backup, "A directory written by `caseledger keys backup`")
      ->required()
      ->type_name("BACKUP");
  cmd->callback([args] {
    LedgerOptions options;
    options.master_key_file = MasterKeyFile();
    auto restored = RestoreKeys(args->backup, args->dir, options);
    if (!restored.ok()) Fail("keys restore", restored.status());
    std::cout << "restored " << WithThousands(restored->keys) << " child keys to " << args->dir
              << "/keys from the key backup taken " << restored->taken_at << "\n";
    if (!restored->children_erased_again.empty())
      std::cout << "erased again, as the log records (the backup predates their erasure): "
                << Names(restored->children_erased_again) << "\n";
    if (!restored->streams_recorded_erased.empty())
      std::cout << WithThousands(restored->streams_recorded_erased.size())
                << " case streams were erased after the backup was taken, with keys it never "
                   "held: recorded as erased, their fields read erased: "
                << Names(restored->streams_recorded_erased) << "\n";
    if (!restored->streams_with_lost_key.empty())
      std::cout << WithThousands(restored->streams_with_lost_key.size())
                << " case streams have keys made after the backup was taken, now lost: their "
                   "fields so far stay sealed; each got a new key for the fields to come: "
                << Names(restored->streams_with_lost_key) << "\n";
  });
}

}  // namespace

void AddKeysCommand(CLI::App& app) {
  CLI::App* keys = app.add_subcommand(
      "keys", "Manage the child-key store: rotate the master key, back up and restore DIR/keys");
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
  AddKeysBackupCommand(*keys);
  AddKeysRestoreCommand(*keys);
}

}  // namespace caseledger::cli
