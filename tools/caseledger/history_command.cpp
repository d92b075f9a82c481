// caseledger history DIR STREAM --purpose TEXT [--as-of TIME | --at-position P]: a case's
// timeline and derived state as of any moment, and who looked at it before.
//
// The read is recorded before anything is shown (DESIGN.md "Who may read what"): a
// CaseHistoryRead {caseStream, purpose} is appended durably to access-<STREAM>; only once
// that append returned OK are the events read, and the whole output is built in memory
// before its first byte is written. Every check that can refuse the request (purpose,
// stream, moment) runs before the append, so a refused request records nothing.

#include <iostream>
#include <limits>
#include <optional>

#include "caseledger/case_events.h"
#include "caseledger/json.h"
#include "caseledger/read_record.h"
#include "command_support.h"
#include "commands.h"
#include "history_report.h"

namespace caseledger::cli {
namespace {

// The recorded-at of `position` (>= 1, committed).
Result<Timestamp> RecordedAt(Ledger& ledger, Position position) {
  CASELEDGER_ASSIGN_OR_RETURN(auto one, ledger.ReadAll(position, 1));
  if (one.empty())
    return Status::NotFound("position " + std::to_string(position) + " cannot be read");
  return one.front().recorded_at;
}

// The last position recorded at or before `time` (0 if none): recorded-at never decreases
// along positions, so a binary search over 1..committed. (The projector answers as_of the
// same way.)
Result<Position> LastPositionRecordedBy(Ledger& ledger, Timestamp time, Position committed) {
  Position low = 0, high = committed;
  while (low < high) {
    const Position mid = low + (high - low + 1) / 2;
    CASELEDGER_ASSIGN_OR_RETURN(Timestamp at, RecordedAt(ledger, mid));
    if (at <= time)
      low = mid;
    else
      high = mid - 1;
  }
  return low;
}

// Every event of `stream` at positions <= `last`, in order.
Result<std::vector<RecordedEvent>> ReadStreamUpTo(Ledger& ledger, const std::string& stream,
                                                  Position last) {
  constexpr size_t kPage = 1000;
  std::vector<RecordedEvent> out;
  StreamVersion from = 0;
  while (true) {
    CASELEDGER_ASSIGN_OR_RETURN(auto page,
                                ledger.ReadStream(stream, from, Direction::kForward, kPage));
    for (RecordedEvent& e : page) {
      if (e.position > last) return out;
      out.push_back(std::move(e));
    }
    if (page.size() < kPage) return out;
    from = out.back().stream_version + 1;
  }
}

constexpr const char* kFooter = R"(
What it records: before anything is shown, a CaseHistoryRead {caseStream, purpose} event is
appended durably to the stream access-STREAM (the case's own versions never move). Its
recorded-by is set by the ledger (local:<unix user> here); its actor is --actor, else the
unix user. If that append fails, nothing but the error is printed. A request refused for
its arguments (empty purpose, unknown or non-case stream, bad time, position beyond the
ledger) records nothing.

As of: --as-of TIME shows what the ledger knew at TIME: the events recorded at or before
TIME (up to the last position recorded by then). --at-position P shows positions 1..P.
Default: every committed event. Corrections and voids count from their own positions, so
as of an earlier moment the original data shows. The state (status, stage, owner, risk,
open referrals, pending approvals) is the SDK's case reducer over those events, the one
the caseload figures use; "who looked" lists the earlier reads as of the same moment.

Personal fields are shown in clear with the master key (--master-key-file or
CASELEDGER_MASTER_KEY_FILE), otherwise as [sealed] ({"sealed": "<key id>"} in JSON).

Example:
  caseledger history /srv/ledger case-00042 --master-key-file /etc/caseledger/master.key \
      --purpose "Quarterly audit of referrals, county 130111" --as-of 2026-03-01T00:00:00Z
)";

}  // namespace

void AddHistoryCommand(CLI::App& app) {
  struct Args {
    std::string dir, stream, purpose, actor, format = "table";
    std::optional<std::string> as_of;
    std::optional<uint64_t> at_position;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "history",
      "A case's timeline and state as of any moment, and who looked; records the read first");
  cmd->footer(kFooter);
  AddDirArgument(*cmd, args->dir);
  cmd->add_option("STREAM", args->stream, "The case stream, e.g. case-00042")->required();
  cmd->add_option("--purpose", args->purpose,
                  "Why you read it (required, recorded in clear in access-STREAM: no names)")
      ->required();
  auto* as_of =
      cmd->add_option(
             "--as-of", args->as_of,
             "Show what the ledger knew at this time (RFC 3339, e.g. 2026-03-01T10:00:00Z)")
          ->type_name("TIME");
  auto* at_position = cmd->add_option("--at-position", args->at_position,
                                      "Show the events at positions 1..P of the ledger")
                          ->type_name("P");
  as_of->excludes(at_position);
  cmd->add_option(
         "--actor", args->actor,
         R"(Who reads, as your system states it: {"user":"a-3","role":"auditor","agency":"..."} )"
         "(default: the unix user)")
      ->type_name("JSON");
  cmd->add_option("--format", args->format, "Output format: table or json")
      ->transform(CLI::IsMember({"table", "json"}, CLI::ignore_case))
      ->default_str("table");
  cmd->callback([args] {
    const std::string name = "history";
    // Everything that can refuse the request, before anything is recorded.
    if (Blank(args->purpose))
      Fail(name, Status::InvalidArgument("--purpose: required, and not blank: say why you read "
                                         "the case (it is recorded with the read)"));
    if (Status valid = CheckCaseHistoryRead(args->stream, args->purpose); !valid.ok())
      Fail(name, valid.WithContext("STREAM"));
    HistoryMoment moment;
    if (args->as_of) {
      auto time = ParseTimestamp(*args->as_of);
      if (!time.ok()) Fail(name, time.status().WithContext("--as-of"));
      moment.asked = HistoryMoment::Asked::kTime;
      moment.time = *time;
    }
    const Actor actor = CommandActor(name, args->actor);

    // Recording the read needs the ledger as the writer.
    auto ledger = OpenForWriting(name, args->dir);
    auto version = ledger->GetStreamVersion(args->stream);
    if (!version.ok()) Fail(name, version.status());
    if (*version == kNoStream)
      Fail(name, Status::NotFound("no stream \"" + args->stream + "\" in the ledger " + args->dir));
    const Position committed = ledger->CommittedPosition();
    moment.ledger_position = committed;
    if (args->at_position) {
      if (*args->at_position > committed)
        Fail(name, Status::InvalidArgument("--at-position " + std::to_string(*args->at_position) +
                                           " is beyond the ledger, whose last position is " +
                                           std::to_string(committed)));
      moment.asked = HistoryMoment::Asked::kPosition;
      moment.position = *args->at_position;
    } else if (moment.asked == HistoryMoment::Asked::kTime) {
      auto last = LastPositionRecordedBy(*ledger, moment.time, committed);
      if (!last.ok()) Fail(name, last.status());
      moment.position = *last;
    } else {
      moment.position = committed;
    }
    if (moment.position != 0) {
      auto at = RecordedAt(*ledger, moment.position);
      if (!at.ok()) Fail(name, at.status());
      moment.recorded_at = *at;
    }

    // The record of the read: durable before a byte of the case is read or shown.
    auto appended = RecordCaseHistoryRead(*ledger, args->stream, args->purpose, actor, {});
    if (!appended.ok()) Fail(name, appended.status());
    const std::string access_stream = std::string(kAccessStreamPrefix) + args->stream;

    HistoryInput input;
    input.stream = args->stream;
    input.moment = moment;
    auto recorded = ledger->ReadAll(appended->first_position, 1);
    if (!recorded.ok() || recorded->empty())
      Fail(name, recorded.ok() ? Status::NotFound("the read just recorded cannot be read back")
                               : recorded.status());
    input.this_read = RecordedRead{access_stream,
                                   appended->first_position,
                                   recorded->front().recorded_at,
                                   recorded->front().recorded_by,
                                   actor,
                                   args->purpose};
    auto events = ReadStreamUpTo(*ledger, args->stream, moment.position);
    if (!events.ok()) Fail(name, events.status());
    for (RecordedEvent& stored : *events) {
      CaseEventRecord r{std::move(stored), {}};
      r.shown_payload = r.stored.event.payload;
      // As `read` does: in clear where the master key opens them, otherwise still sealed.
      const EventType* type = FindEventType(r.stored.event.type);
      if (type && type->has_personal_fields) {
        if (auto open = ledger->OpenPersonalFields(r.stored); open.ok())
          r.shown_payload = std::move(*open);
      }
      input.events.push_back(std::move(r));
    }
    auto reads = ReadStreamUpTo(*ledger, access_stream, moment.position);
    if (!reads.ok()) Fail(name, reads.status());
    input.reads = std::move(*reads);

    auto report = BuildHistoryReport(std::move(input));
    if (!report.ok()) Fail(name, report.status());
    const std::string out = args->format == "json" ? HistoryJson(*report) : HistoryTable(*report);
    std::cout << out << std::flush;
    if (!std::cout)
      Fail(name, Status::IOError("cannot write the output (the read is recorded at position " +
                                 std::to_string(appended->first_position) + ")"));
  });
}

}  // namespace caseledger::cli
