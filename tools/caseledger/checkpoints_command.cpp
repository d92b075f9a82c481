// caseledger checkpoints DIR: the signed checkpoints stored in DIR/meta/checkpoints.
#include <iostream>

#include "caseledger/checkpoint.h"
#include "command_support.h"
#include "commands.h"
#include "output.h"

namespace caseledger::cli {

void AddCheckpointsCommand(CLI::App& app) {
  struct Args {
    std::string dir;
    OutputFormat format = OutputFormat::kTable;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "checkpoints",
      "List the signed checkpoints stored in DIR/meta/checkpoints, oldest first: tree size, "
      "time, root, the signer's key fingerprint, the next key a rotation announces. "
      "\"signature\" is checked against the checkpoint's own signer key only; whether that key "
      "is to be trusted is for `caseledger verify DIR --trusted-checkpoint CP --public-key KEY`. "
      "Exit code 1 if a line is damaged or a signature invalid");
  AddDirArgument(*cmd, args->dir);
  AddFormatOption(*cmd, args->format);
  cmd->callback([args] {
    const std::string name = "checkpoints";
    auto stored = ReadCheckpointStore(args->dir);
    if (!stored.ok()) Fail(name, stored.status());
    Table t{{{"tree_size", true},
             {"time", false},
             {"root", false},
             {"signer", false},
             {"next_key", false},
             {"signature", false}},
            {}};
    for (const Checkpoint& cp : stored->checkpoints)
      t.rows.push_back({std::to_string(cp.tree_size), FormatTimestamp(cp.time), HashToHex(cp.root),
                        KeyFingerprint(cp.signer), cp.next_key ? KeyFingerprint(*cp.next_key) : "",
                        CheckCheckpointSignature(cp).ok() ? "valid" : "INVALID"});
    PrintTable(t, args->format, std::cout);
    for (const auto& bad : stored->bad_lines)
      std::cerr << "caseledger " << name << ": damaged: " << bad << "\n";
    if (!stored->torn_tail.empty())
      std::cerr << "caseledger " << name << ": " << stored->torn_tail << "\n";
    bool invalid = false;
    for (const auto& row : t.rows) invalid = invalid || row.back() == "INVALID";
    if (invalid)
      std::cerr << "caseledger " << name
                << ": a stored checkpoint does not verify under its own signer key\n";
    if (!stored->bad_lines.empty() || invalid) throw CLI::RuntimeError(kExitFailure);
  });
}

}  // namespace caseledger::cli
