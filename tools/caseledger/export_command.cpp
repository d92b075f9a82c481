// caseledger export DIR --out FILE --purpose TEXT [--key KEYFILE]: the log and its signed
// checkpoints in one archive for an auditor, checked offline by `caseledger verify --archive`.
//
// The export is recorded first (DESIGN.md "Who may read what"): a LedgerExported
// {fromPosition, toPosition, purpose} is appended durably to the stream ledger-exports
// before the archive is written; the archive holds positions 1..toPosition, so the record
// of an export is in the next one. Never carries DIR/keys or the master key.
#include <capnp/message.h>

#include <filesystem>
#include <iomanip>
#include <iostream>

#include "caseledger/archive.h"
#include "caseledger/case_events.h"
#include "checkpoint_signing.h"
#include "command_support.h"
#include "commands.h"
#include "schema/case_events.capnp.h"

namespace caseledger::cli {
namespace {

constexpr const char* kExportStream = "ledger-exports";

std::string ExportedPayload(Position last, const std::string& purpose) {
  capnp::MallocMessageBuilder message;
  auto exported = message.initRoot<schema::LedgerExported>();
  exported.setFromPosition(1);
  exported.setToPosition(last);
  exported.setPurpose(purpose);
  return CanonicalPayload(capnp::toDynamic(exported.asReader()));
}

constexpr const char* kFooter = R"(
What it writes: one file holding positions 1..N of the log, record by record exactly as
stored (sealed personal fields stay sealed: DIR/keys and the master key never leave), and
the signed checkpoints of DIR/meta/checkpoints that cover at most N events. N is the last
committed position when the export starts. Format: docs/format.md, "Archives".

What it records: before the archive is written, a LedgerExported {fromPosition 1,
toPosition N, purpose} is appended durably to the stream ledger-exports.

An auditor checks the archive with the public key alone:
  caseledger verify --archive FILE --public-key signing.key.pub [--trusted-checkpoint CP]
Positions after the last signed checkpoint are vouched for by nothing: sign one first
(`caseledger checkpoint DIR --key KEYFILE`) or give --key here.

Example:
  caseledger export /srv/ledger --out 2026-q1.clarc --key /etc/caseledger/signing.key \
      --purpose "Annual report to the provincial civil-affairs department"
)";

}  // namespace

void AddExportCommand(CLI::App& app) {
  struct Args {
    std::string dir, out, purpose, key, actor;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write the log and its signed checkpoints to one archive an auditor verifies offline; "
      "records the export first");
  cmd->footer(kFooter);
  AddDirArgument(*cmd, args->dir);
  cmd->add_option("--out", args->out, "The archive to write (must not exist)")
      ->type_name("FILE")
      ->required();
  cmd->add_option("--purpose", args->purpose,
                  "Why you export (required, recorded in clear in ledger-exports: no names)")
      ->required();
  cmd->add_option("--key", args->key,
                  "Sign a checkpoint of the ledger as it is exported first, with this private "
                  "key (from `caseledger keygen`), so that the archive is vouched for up to its "
                  "last event")
      ->type_name("KEYFILE");
  cmd->add_option(
         "--actor", args->actor,
         R"(Who exports, as your system states it: {"user":"a-3","role":"auditor","agency":"..."} )"
         "(default: the unix user)")
      ->type_name("JSON");
  cmd->callback([args] {
    const std::string name = "export";
    if (Blank(args->purpose))
      Fail(name, Status::InvalidArgument("--purpose: required, and not blank: say why you export "
                                         "(it is recorded with the export)"));
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::symlink_status(args->out, ec)))
      Fail(name, Status::AlreadyExists("--out " + args->out + " already exists; not overwritten"));
    const Actor actor = CommandActor(name, args->actor);

    auto ledger = OpenForWriting(name, args->dir);
    if (!args->key.empty()) {
      const Checkpoint cp = SignAndStoreCheckpoint(name, args->dir, *ledger, args->key, "");
      std::cerr << "signed a checkpoint of tree size " << cp.tree_size << " with "
                << KeyFingerprint(cp.signer) << "\n";
    }
    const Position last = ledger->CommittedPosition();
    if (last == 0) Fail(name, Status::InvalidArgument("the ledger is empty: nothing to export"));

    // The record of the export: durable before a byte of the archive is written.
    AppendRequest request;
    request.stream = kExportStream;
    ProposedEvent& e = request.events.emplace_back();
    e.id = EventId::Random();
    e.type = "LedgerExported";
    e.occurred_at = Now();
    e.actor = actor;
    e.payload = ExportedPayload(last, args->purpose);
    auto appended = ledger->Append(request);
    if (!appended.ok())
      Fail(name, appended.status().WithContext("recording the export in " + request.stream +
                                               " (nothing is exported unless it is recorded)"));

    auto written = WriteArchive(*ledger, args->dir, args->out, last);
    if (!written.ok())
      Fail(name, written.status().WithContext("writing " + args->out +
                                              " (the export was recorded at position " +
                                              std::to_string(appended->first_position) + ")"));
    std::cout << "exported positions 1.." << written->events << " (" << std::fixed
              << std::setprecision(1) << written->bytes / 1e6 << " MB) to " << args->out
              << "\ntree root " << HashToHex(written->tree.root) << "; " << written->checkpoints
              << " signed checkpoint" << (written->checkpoints == 1 ? "" : "s");
    if (written->vouched > 0) std::cout << ", the latest covering 1.." << written->vouched;
    std::cout << "\nrecorded as LedgerExported at position " << appended->first_position << " of "
              << kExportStream << "\n";
    if (written->vouched < written->events)
      std::cerr << "caseledger export: warning: positions " << written->vouched + 1 << ".."
                << written->events
                << " are in no signed checkpoint, so `verify --archive` will not vouch for them: "
                   "sign one (`caseledger checkpoint DIR --key KEYFILE`, or --key here) and "
                   "export again\n";
  });
}

}  // namespace caseledger::cli
