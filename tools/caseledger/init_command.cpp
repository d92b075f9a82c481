// caseledger init DIR: create an empty ledger.
#include <iostream>

#include "command_support.h"
#include "commands.h"

namespace caseledger::cli {

void AddInitCommand(CLI::App& app) {
  struct Args {
    std::string dir;
    uint64_t segment_bytes = CreateOptions{}.segment_bytes;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("init", "Create an empty ledger in DIR");
  AddDirArgument(*cmd, args->dir);
  cmd->add_option("--segment-size", args->segment_bytes,
                  "Size of each preallocated log segment file, e.g. 64MiB (fixed for the "
                  "ledger's life; a record never spans segments)")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("64MiB");
  cmd->callback([args] {
    CreateOptions options;
    options.segment_bytes = args->segment_bytes;
    Status s = Ledger::Create(args->dir, options);
    if (!s.ok()) Fail("init", s);
    auto ledger = OpenForReading("init", args->dir);
    auto stats = ledger->GetStats();
    if (!stats.ok()) Fail("init", stats.status());
    std::cout << "created ledger " << stats->ledger_id << " in " << args->dir << " (segments of "
              << WithThousands(stats->segment_bytes) << " bytes)\n";
  });
}

}  // namespace caseledger::cli
