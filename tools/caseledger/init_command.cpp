// caseledger init DIR: create an empty ledger (and its master key, if the file is new).
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "command_support.h"
#include "commands.h"

namespace caseledger::cli {

void AddInitCommand(CLI::App& app) {
  struct Args {
    std::string dir;
    uint64_t segment_bytes = CreateOptions{}.segment_bytes;
    bool opaque = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "init",
      "Create an empty ledger in DIR. A case-event ledger (the default) seals personal fields "
      "under "
      "per-child keys kept in DIR/keys, each sealed under the master key: give --master-key-file "
      "FILE "
      "(or set CASELEDGER_MASTER_KEY_FILE); if FILE does not exist, a new random key is written "
      "there. "
      "Keep it outside DIR and back it up: without it no personal field can be read.");
  AddDirArgument(*cmd, args->dir);
  cmd->add_option("--segment-size", args->segment_bytes,
                  "Size of each preallocated log segment file, e.g. 64MiB (fixed for the "
                  "ledger's life; a record never spans segments)")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("64MiB");
  cmd->add_flag("--opaque", args->opaque,
                "Accept any event type and store payloads as given: no catalogue, no sealing. For "
                "testing the engine and benchmarks; never for personal data");
  cmd->callback([args] {
    const std::string name = "init";
    CreateOptions options;
    options.segment_bytes = args->segment_bytes;
    bool created_key = false;
    if (args->opaque) {
      options.events = EventSchema::kOpaque;
    } else {
      std::string key = MasterKeyFile();
      if (key.empty() && std::getenv("CASELEDGER_MASTER_KEY_FILE"))
        key = std::getenv("CASELEDGER_MASTER_KEY_FILE");
      // Without a key, Ledger::Create says what is missing (after checking DIR is free).
      if (!key.empty() && IsInside(key, args->dir))
        Fail(name,
             Status::InvalidArgument("the master key file " + key + " is inside " + args->dir +
                                     "; keep it outside the ledger directory, which backups and "
                                     "copies carry"));
      std::error_code ec;
      if (!key.empty() && !std::filesystem::exists(args->dir + "/meta/ledger", ec) &&
          !std::filesystem::exists(key, ec)) {
        Status s = CreateMasterKeyFile(key);
        if (!s.ok()) Fail(name, s);
        created_key = true;
      }
      options.master_key_file = key;
    }
    Status s = Ledger::Create(args->dir, options);
    if (!s.ok()) {
      if (created_key) std::filesystem::remove(options.master_key_file);
      Fail(name, s);
    }
    auto ledger = OpenForReading(name, args->dir);
    auto stats = ledger->GetStats();
    if (!stats.ok()) Fail(name, stats.status());
    std::cout << "created ledger " << stats->ledger_id << " in " << args->dir << " (segments of "
              << WithThousands(stats->segment_bytes) << " bytes"
              << (args->opaque ? "; opaque: any event type, nothing sealed" : "; case events")
              << ")\n";
    if (created_key)
      std::cout << "wrote a new master key to " << options.master_key_file
                << " (mode 0600): keep it outside the ledger directory and back it up\n";
  });
}

}  // namespace caseledger::cli
