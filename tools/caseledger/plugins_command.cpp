// caseledger plugins DIR list|status|rebuild NAME: the projection plugins of a ledger, through
// its projector.
#include <iostream>

#include "command_support.h"
#include "commands.h"
#include "output.h"
#include "plugin_table.h"

namespace caseledger::cli {

void AddPluginsCommand(CLI::App& app) {
  struct Args {
    std::string dir, action, name;
    std::vector<std::string> plugin_dirs;
    OutputFormat format = OutputFormat::kTable;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "plugins",
      "The projection plugins of a ledger, through its projector. A running projector reports\n"
      "where it is now; without one, one is started for the call and catches up first:\n"
      "  list          every plugin found: loaded, or refused and why; its queries\n"
      "  status        each plugin's checkpoint (position, Merkle root), lag and health\n"
      "  rebuild NAME  forget NAME's view and derive it again from position 1 (also what\n"
      "                brings back a failed or quarantined plugin)");
  AddDirArgument(*cmd, args->dir);
  cmd->add_option("action", args->action, "list, status or rebuild")
      ->required()
      ->check(CLI::IsMember({"list", "status", "rebuild"}));
  cmd->add_option("name", args->name, "The plugin to rebuild");
  AddPluginDirOption(*cmd, args->plugin_dirs);
  AddFormatOption(*cmd, args->format);
  cmd->callback([args] {
    if (args->action == "rebuild" && args->name.empty())
      Fail("plugins", Status::InvalidArgument("rebuild needs the plugin's NAME"));
    if (args->action != "rebuild" && !args->name.empty())
      Fail("plugins", Status::InvalidArgument("unexpected argument " + args->name));
    auto client = ConnectProjector("plugins", args->dir, args->plugin_dirs);
    if (args->action == "rebuild") {
      if (Status s = client->Rebuild(args->name); !s.ok()) Fail("plugins", s);
    }
    // A projector started for this call first catches up, so that the answer describes the
    // ledger; a running one reports where it is (a rebuild in progress shows as lag).
    auto list = client->Plugins(/*catch_up=*/client->started_projector());
    if (!list.ok()) Fail("plugins", list.status());
    if (args->action == "list") {
      Table t{{{"plugin", false},
               {"version", false},
               {"state", false},
               {"description", false},
               {"queries", false},
               {"file", false},
               {"sha256", false}},
              {}};
      for (const auto& p : list->plugins) {
        std::string queries;
        for (const auto& q : p.queries) queries += (queries.empty() ? "" : "; ") + q;
        t.rows.push_back(
            {p.name, p.version, "loaded", p.description, queries, p.path, HashToHex(p.sha256)});
      }
      for (const auto& r : list->refused)
        t.rows.push_back({"", "", "refused", r.reason, "", r.path, ""});
      PrintTable(t, args->format, std::cout);
      return;
    }
    std::vector<projector::PluginStatus> shown;
    for (const auto& p : list->plugins)
      if (args->name.empty() || p.name == args->name) shown.push_back(p);
    PrintTable(PluginStatusTable(shown), args->format, std::cout);
  });
}

}  // namespace caseledger::cli
