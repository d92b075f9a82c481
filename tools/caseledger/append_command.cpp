// caseledger append DIR --stream S --type T --data JSON ...: append one event durably.
#include <iostream>

#include "caseledger/case_events.h"
#include "caseledger/json.h"
#include "command_support.h"
#include "commands.h"
#include "output.h"

namespace caseledger::cli {

void AddAppendCommand(CLI::App& app) {
  struct Args {
    LedgerTarget target;
    std::string stream, type, data, expected = "any", event_id, occurred_at, actor, reason;
    uint64_t corrects = 0;
    OutputFormat format = OutputFormat::kTable;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "append", "Append one event to a stream, durably (it returns once the event is fdatasync'd)");
  AddLedgerTarget(*cmd, args->target);
  cmd->add_option("--stream", args->stream, "Stream id, e.g. case-00042")->required();
  cmd->add_option("--type", args->type, "Event type, e.g. CaseOpened")->required();
  cmd->add_option(
         "--data", args->data,
         "The event's data as JSON, personal fields in clear (the ledger seals them), e.g. "
         R"({"referralId":"r-1","serviceType":"education","toAgency":"school-3"}; )"
         "docs/events.md lists every type's fields. An opaque ledger stores it as given")
      ->required();
  cmd->add_option("--expected-version", args->expected,
                  "any, no_stream, stream_exists, or the stream's current version N")
      ->default_str("any");
  cmd->add_option("--event-id", args->event_id,
                  "32 hex digits; a retry with the same id and content is answered with the "
                  "original position and writes nothing (default: a new random id)");
  cmd->add_option("--occurred-at", args->occurred_at,
                  "When it happened, RFC 3339 (e.g. 2026-03-01T10:00:00Z)");
  cmd->add_option(
      "--actor", args->actor,
      R"(Who did it, as the source states it: {"user":"w-17","role":"caseworker","agency":"..."})");
  cmd->add_option("--corrects", args->corrects, "The position this event corrects");
  cmd->add_option("--reason", args->reason, "Why (required with --corrects)");
  AddFormatOption(*cmd, args->format);
  cmd->callback([args] {
    const std::string name = "append";
    CheckLedgerTarget(name, args->target, {});
    AppendRequest request;
    request.stream = args->stream;
    auto expected = ExpectedVersion::Parse(args->expected);
    if (!expected.ok()) Fail(name, expected.status());
    request.expected_version = *expected;
    ProposedEvent& e = request.events.emplace_back();
    if (args->event_id.empty()) {
      e.id = EventId::Random();
    } else {
      auto id = EventId::FromHex(args->event_id);
      if (!id.ok()) Fail(name, id.status());
      e.id = *id;
    }
    e.type = args->type;
    e.payload = args->data;
    if (const EventType* type = FindEventType(e.type)) {
      auto payload = PayloadFromJson(*type, args->data);
      if (!payload.ok()) Fail(name, payload.status().WithContext("--data"));
      e.payload = std::move(*payload);
    }
    if (!args->occurred_at.empty()) {
      auto t = ParseTimestamp(args->occurred_at);
      if (!t.ok()) Fail(name, t.status().WithContext("--occurred-at"));
      e.occurred_at = *t;
    }
    if (!args->actor.empty()) {
      auto actor = ActorFromJson(args->actor);
      if (!actor.ok()) Fail(name, actor.status().WithContext("--actor"));
      e.actor = *actor;
    }
    e.corrects = args->corrects;
    e.correction_reason = args->reason;

    // Through a server the actor and recorded-by are the token's worker, whatever --actor says.
    auto result = args->target.remote() ? ConnectToServer(name, args->target)->Append(request)
                                        : OpenForWriting(name, args->target.dir)->Append(request);
    if (!result.ok()) Fail(name, result.status());
    Table table{{{"position", true},
                 {"stream", false},
                 {"version", true},
                 {"event_id", false},
                 {"deduplicated", false}},
                {{std::to_string(result->first_position), request.stream,
                  std::to_string(result->first_version), e.id.ToHex(),
                  result->deduplicated ? "true" : "false"}}};
    PrintTable(table, args->format, std::cout);
  });
}

}  // namespace caseledger::cli
