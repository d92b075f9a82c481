// caseledger reindex DIR: rebuild DIR/index from DIR/log.
#include <iostream>

#include "command_support.h"
#include "commands.h"

namespace caseledger::cli {

void AddReindexCommand(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "reindex",
      "Delete DIR/index and rebuild it from the log alone (DIR/meta is kept). Needs the "
      "ledger closed: no server or other writer may have it open");
  AddDirArgument(*cmd, *dir);
  cmd->callback([dir] {
    Status s = Ledger::Reindex(*dir, LedgerOptions{});
    if (!s.ok()) Fail("reindex", s);
    auto ledger = OpenForReading("reindex", *dir);
    TreeHead head = ledger->GetTreeHead();
    std::cout << "reindexed " << WithThousands(head.size) << " events; tree root "
              << HashToHex(head.root) << "\n";
  });
}

}  // namespace caseledger::cli
