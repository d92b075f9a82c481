// caseledger read DIR STREAM | --all: print events. A case event's data is shown as the
// JSON it was appended as, personal fields in clear when the master key opens them.
#include <iostream>
#include <limits>

#include "caseledger/case_events.h"
#include "caseledger/json.h"
#include "command_support.h"
#include "commands.h"
#include "output.h"

namespace caseledger::cli {
namespace {

// The data column: JSON for a catalogue type, the stored bytes otherwise (opaque ledgers).
std::string Data(const RecordedEvent& r) {
  const EventType* type = FindEventType(r.event.type);
  if (!type) return r.event.payload;
  auto json = PayloadToJson(*type, r.event.payload);
  return json.ok() ? *json : r.event.payload;
}

Table EventTable(const std::vector<RecordedEvent>& events) {
  Table t{{{"position", true},
           {"stream", false},
           {"version", true},
           {"type", false},
           {"recorded_at", false},
           {"occurred_at", false},
           {"actor", false},
           {"recorded_by", false},
           {"event_id", false},
           {"corrects", true},
           {"reason", false},
           {"data", false}},
          {}};
  for (const RecordedEvent& r : events) {
    const ProposedEvent& e = r.event;
    t.rows.push_back({std::to_string(r.position), r.stream, std::to_string(r.stream_version),
                      e.type, FormatTimestamp(r.recorded_at),
                      ToMicros(e.occurred_at) ? FormatTimestamp(e.occurred_at) : "",
                      e.actor == Actor{} ? "" : ActorToJson(e.actor), r.recorded_by, e.id.ToHex(),
                      e.corrects ? std::to_string(e.corrects) : "", e.correction_reason, Data(r)});
  }
  return t;
}

}  // namespace

void AddReadCommand(CLI::App& app) {
  struct Args {
    LedgerTarget target;
    std::string stream, purpose;
    bool all = false, backward = false;
    int64_t from_version = -1;
    uint64_t from_position = 1;
    size_t limit = 1000;
    OutputFormat format = OutputFormat::kTable;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "read", "Print a stream's events in version order, or all events in position order (--all)");
  AddLedgerTarget(*cmd, args->target);
  auto* stream = cmd->add_option("STREAM", args->stream, "The stream to read, e.g. case-00042");
  auto* all = cmd->add_flag("--all", args->all, "Read every stream, in position order");
  stream->excludes(all);
  cmd->add_option("--from", args->from_version,
                  "Stream version to start at (default: 0, or the last with --backward)");
  cmd->add_flag("--backward", args->backward, "Newest first (stream reads only)");
  cmd->add_option("--from-position", args->from_position, "Position to start at (with --all)")
      ->default_str("1")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--limit", args->limit, "At most this many events")->default_str("1000");
  cmd->add_option("--purpose", args->purpose,
                  "With --server, reading a case stream: why (recorded with the read before the "
                  "events are sent, as `history` does)");
  AddFormatOption(*cmd, args->format);
  cmd->callback([args] {
    const std::string name = "read";
    CheckLedgerTarget(name, args->target, {&args->stream});
    if (args->stream.empty() && !args->all)
      Fail(name, Status::InvalidArgument("name a STREAM, or give --all"));
    StreamVersion from = args->from_version;
    if (from < 0) from = args->backward ? std::numeric_limits<StreamVersion>::max() : 0;
    const Direction direction = args->backward ? Direction::kBackward : Direction::kForward;
    Result<std::vector<RecordedEvent>> events = std::vector<RecordedEvent>();
    if (args->target.remote()) {
      // The server opens personal fields where the worker may see them, and records the
      // read of a case's history first.
      auto client = ConnectToServer(name, args->target);
      events = args->all
                   ? client->ReadAll(args->from_position, args->limit)
                   : client->ReadStream(args->stream, from, direction, args->limit, args->purpose);
      if (!events.ok()) Fail(name, events.status());
    } else {
      auto ledger = OpenForReading(name, args->target.dir);
      events = args->all ? ledger->ReadAll(args->from_position, args->limit)
                         : ledger->ReadStream(args->stream, from, direction, args->limit);
      if (!events.ok()) Fail(name, events.status());
      // In clear where the master key opens them; otherwise {"sealed": "<key id>"}.
      OpenPersonalFieldsWherePossible(*ledger, *events);
    }
    if (args->format == OutputFormat::kJson) {
      // Case events as JSON objects with "data" as appended; the table's rows otherwise.
      std::string out = "[";
      bool all_case_events = true;
      for (const RecordedEvent& r : *events) {
        auto json = RecordedEventToJson(r);
        if (!json.ok()) {
          all_case_events = false;
          break;
        }
        out += (out.size() > 1 ? ",\n" : "\n") + *json;
      }
      if (all_case_events) {
        std::cout << out << (events->empty() ? "]\n" : "\n]\n");
        return;
      }
    }
    PrintTable(EventTable(*events), args->format, std::cout);
  });
}

}  // namespace caseledger::cli
