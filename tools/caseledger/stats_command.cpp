// caseledger stats DIR: size and shape of a ledger.
#include <iostream>

#include "command_support.h"
#include "commands.h"
#include "output.h"

namespace caseledger::cli {

void AddStatsCommand(CLI::App& app) {
  struct Args {
    std::string dir;
    OutputFormat format = OutputFormat::kTable;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "stats", "Events, streams, segments, bytes on disk, and the Merkle tree's size and root");
  AddDirArgument(*cmd, args->dir);
  AddFormatOption(*cmd, args->format);
  cmd->callback([args] {
    auto ledger = OpenForReading("stats", args->dir);
    auto s = ledger->GetStats();
    if (!s.ok()) Fail("stats", s.status());
    Table t{{{"ledger_id", false}, {"events", true}, {"streams", true}, {"segments", true},
             {"segment_bytes", true}, {"log_bytes", true}, {"bytes_on_disk", true},
             {"tree_size", true}, {"tree_root", false}},
            {{s->ledger_id, std::to_string(s->events), std::to_string(s->streams),
              std::to_string(s->segments), std::to_string(s->segment_bytes),
              std::to_string(s->log_bytes), std::to_string(s->bytes_on_disk),
              std::to_string(s->tree.size), HashToHex(s->tree.root)}}};
    PrintTable(t, args->format, std::cout);
  });
}

}  // namespace caseledger::cli
