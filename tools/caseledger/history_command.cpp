// caseledger history DIR|--server ADDR STREAM --purpose TEXT [--as-of TIME | --at-position P]:
// a case's timeline and derived state as of any moment, and who looked at it before.
//
// The read is recorded before anything is shown (DESIGN.md "Who may read what"): the
// ledger's ReadCaseHistory (caseledger/read_record.h), here or in the server, gathers the
// case's events, appends a CaseHistoryRead {caseStream, purpose} durably to
// access-<STREAM>, and only then returns them; the whole output is built in memory before
// its first byte is written. Every check that can refuse the request (purpose, stream,
// moment, the worker's scope) runs before the append, so a refused request records
// nothing.

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

constexpr const char* kFooter = R"(
What it records: before anything is shown, a CaseHistoryRead {caseStream, purpose} event is
appended durably to the stream access-STREAM (the case's own versions never move). Its
recorded-by is set by the ledger (local:<unix user> with DIR); its actor is --actor, else
the unix user. Through a server (--server, while `caseledger serve` owns DIR) both are the
token's worker, and the worker's role and scope must allow reading the case. If that
append fails, nothing but the error is printed. A request refused for its arguments (empty
purpose, unknown or non-case stream, bad time, position beyond the ledger) or its rights
records nothing.

As of: --as-of TIME shows what the ledger knew at TIME: the events recorded at or before
TIME (up to the last position recorded by then). --at-position P shows positions 1..P.
Default: every committed event. Corrections and voids count from their own positions, so
as of an earlier moment the original data shows. The state (status, stage, owner, risk,
open referrals, pending approvals) is the SDK's case reducer over those events, the one
the caseload figures use; "who looked" lists the earlier reads as of the same moment.

Personal fields are shown in clear with the master key (--master-key-file or
CASELEDGER_MASTER_KEY_FILE; through a server: where the worker's role may see them),
otherwise as [sealed] ({"sealed": "<key id>"} in JSON); an erased child's as [erased].

Examples:
  caseledger history /srv/ledger case-00042 --master-key-file /etc/caseledger/master.key \
      --purpose "Quarterly audit of referrals, county 130111" --as-of 2026-03-01T00:00:00Z
  CASELEDGER_TOKEN=clt_... caseledger history --server 127.0.0.1:7400 case-00042 \
      --purpose "Referral follow-up"
)";

}  // namespace

void AddHistoryCommand(CLI::App& app) {
  struct Args {
    LedgerTarget target;
    std::string stream, purpose, actor, format = "table";
    std::optional<std::string> as_of;
    std::optional<uint64_t> at_position;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "history",
      "A case's timeline and state as of any moment, and who looked; records the read first");
  cmd->footer(kFooter);
  AddLedgerTarget(*cmd, args->target);
  cmd->add_option("STREAM", args->stream, "The case stream, e.g. case-00042 (required)");
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
         "(default: the unix user; not with --server, where it is the token's worker)")
      ->type_name("JSON");
  cmd->add_option("--format", args->format, "Output format: table or json")
      ->transform(CLI::IsMember({"table", "json"}, CLI::ignore_case))
      ->default_str("table");
  cmd->callback([args] {
    const std::string name = "history";
    CheckLedgerTarget(name, args->target, {&args->stream});
    // Everything that can refuse the request here, before anything is recorded.
    if (args->stream.empty()) Fail(name, Status::InvalidArgument("STREAM is required"));
    if (Blank(args->purpose))
      Fail(name, Status::InvalidArgument("--purpose: required, and not blank: say why you read "
                                         "the case (it is recorded with the read)"));
    if (Status valid = CheckCaseHistoryRead(args->stream, args->purpose); !valid.ok())
      Fail(name, valid.WithContext("STREAM"));
    AsOf moment = AsOf::Latest();
    if (args->as_of) {
      auto time = ParseTimestamp(*args->as_of);
      if (!time.ok()) Fail(name, time.status().WithContext("--as-of"));
      moment = AsOf::Time(*time);
    } else if (args->at_position) {
      moment = AsOf::AtPosition(*args->at_position);
    }

    Result<CaseHistoryAsOf> history = CaseHistoryAsOf{};
    if (args->target.remote()) {
      if (!args->actor.empty())
        Fail(name, Status::InvalidArgument(
                       "--actor: not with --server: the reader is the token's worker"));
      // The server records the read as the worker and opens what the worker may see.
      history =
          ConnectToServer(name, args->target)->ReadCaseHistory(args->stream, args->purpose, moment);
    } else {
      const Actor actor = CommandActor(name, args->actor);
      // Recording the read needs the ledger as the writer.
      auto ledger = OpenForWriting(name, args->target.dir);
      history = ReadCaseHistory(*ledger, args->stream, args->purpose, moment, actor, {});
      // As `read` does: in clear where the master key opens them, otherwise still sealed.
      if (history.ok()) OpenPersonalFieldsWherePossible(*ledger, history->events);
    }
    if (!history.ok()) {
      Status s = history.status();
      if (s.code() == StatusCode::kInvalidArgument && args->at_position)
        s = s.WithContext("--at-position");
      Fail(name, s);
    }
    const Position recorded_at = history->this_read.position;
    auto report = BuildHistoryReport(HistoryInput{std::move(*history), args->purpose});
    if (!report.ok()) Fail(name, report.status());
    const std::string out = args->format == "json" ? HistoryJson(*report) : HistoryTable(*report);
    std::cout << out << std::flush;
    if (!std::cout)
      Fail(name, Status::IOError("cannot write the output (the read is recorded at position " +
                                 std::to_string(recorded_at) + ")"));
  });
}

}  // namespace caseledger::cli
