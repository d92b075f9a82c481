// caseledger types [TYPE]: the event catalogue, for whoever writes JSON for the ledger.
#include <iostream>

#include "caseledger/case_events.h"
#include "command_support.h"
#include "commands.h"
#include "output.h"

namespace caseledger::cli {

void AddTypesCommand(CLI::App& app) {
  struct Args {
    std::string type;
    OutputFormat format = OutputFormat::kTable;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("types",
                                     "List the event types of the catalogue "
                                     "(sdk/schema/case_events.capnp) with their data fields: JSON "
                                     "name, type (enums with their values), whether required, "
                                     "whether personal (sealed by the ledger). "
                                     "docs/events.md has examples");
  cmd->add_option("TYPE", args->type, "Only this event type, e.g. ReferralMade");
  AddFormatOption(*cmd, args->format);
  cmd->callback([args] {
    Table table{{{"event_type", false},
                 {"field", false},
                 {"type", false},
                 {"required", false},
                 {"personal", false}},
                {}};
    if (!args->type.empty()) {
      auto type = LookupEventType(args->type);
      if (!type.ok()) Fail("types", type.status());
    }
    for (const EventType& type : EventCatalogue()) {
      if (!args->type.empty() && type.name != args->type) continue;
      for (const FieldInfo& f : DescribeFields(type))
        table.rows.push_back(
            {type.name, f.name, f.type, f.required ? "yes" : "", f.personal ? "yes" : ""});
    }
    PrintTable(table, args->format, std::cout);
  });
}

}  // namespace caseledger::cli
