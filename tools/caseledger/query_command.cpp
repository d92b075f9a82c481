// caseledger query DIR PLUGIN QUERY [--param k=v ...]: asks a projection, through the
// projector (no plugin code runs in the CLI).
#include <iostream>

#include "command_support.h"
#include "commands.h"
#include "output.h"
#include "plugin_table.h"

namespace caseledger::cli {

void AddQueryCommand(CLI::App& app) {
  struct Args {
    LedgerTarget target;
    std::string plugin, query;
    std::vector<std::string> params;
    std::vector<std::string> plugin_dirs;
    OutputFormat format = OutputFormat::kTable;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "query",
      "Ask a projection plugin a query (see `caseledger plugins DIR list` for the queries).\n"
      "Goes to the ledger's running projector, or starts one for the call. The answer covers\n"
      "every event committed when the query arrived, or the moment asked for:\n"
      "  --param as_of=2026-03-01T00:00:00Z   what the ledger knew then (recorded-at <= T)\n"
      "  --param as_of_position=12345         the events up to that position");
  AddLedgerTarget(*cmd, args->target);
  cmd->add_option("plugin", args->plugin, "The plugin's name (required)");
  cmd->add_option("query", args->query, "The query's name (required)");
  cmd->add_option("--param", args->params, "A parameter NAME=VALUE; repeatable");
  AddPluginDirOption(*cmd, args->plugin_dirs);
  AddFormatOption(*cmd, args->format);
  cmd->callback([args] {
    std::vector<std::pair<std::string, std::string>> params;
    for (const std::string& p : args->params) {
      const size_t eq = p.find('=');
      if (eq == std::string::npos || eq == 0)
        Fail("query", Status::InvalidArgument("--param " + p + ": expected NAME=VALUE"));
      params.emplace_back(p.substr(0, eq), p.substr(eq + 1));
    }
    CheckLedgerTarget("query", args->target, {&args->plugin, &args->query});
    if (args->query.empty())
      Fail("query", Status::InvalidArgument("name the plugin and the query, e.g. `caseledger "
                                            "query DIR caseload open_cases`"));
    // Through a server, its projector answers, cut to the worker's scope.
    auto result =
        args->target.remote()
            ? ConnectToServer("query", args->target)->Query(args->plugin, args->query, params)
            : ConnectProjector("query", args->target.dir, args->plugin_dirs)
                  ->Query(args->plugin, args->query, params);
    if (!result.ok()) Fail("query", result.status());
    PrintTable(QueryResultTable(*result), args->format, std::cout);
  });
}

}  // namespace caseledger::cli
