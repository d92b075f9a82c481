#include "caseledger/read_record.h"

#include <capnp/message.h>

#include <algorithm>
#include <cctype>

#include "caseledger/case_events.h"
#include "schema/case_events.capnp.h"

namespace caseledger {
inline namespace v1 {
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

}  // namespace

bool IsCaseStream(std::string_view stream) {
  return stream.starts_with(kCaseStreamPrefix) && stream.size() > kCaseStreamPrefix.size();
}

Status CheckCaseHistoryRead(std::string_view case_stream, std::string_view purpose) {
  if (std::all_of(purpose.begin(), purpose.end(),
                  [](unsigned char c) { return std::isspace(c) != 0; }))
    return Status::InvalidArgument(
        "purpose: required, and not blank: say why you read the case (it is recorded with "
        "the read)");
  if (!IsCaseStream(case_stream))
    return Status::InvalidArgument("\"" + std::string(case_stream) +
                                   "\" is not a case stream (case-<id>, e.g. case-00042)");
  return ValidateStreamId(std::string(kAccessStreamPrefix) + std::string(case_stream));
}

Result<AppendResult> RecordCaseHistoryRead(Ledger& ledger, std::string_view case_stream,
                                           std::string_view purpose, const Actor& actor,
                                           std::string_view principal) {
  CASELEDGER_RETURN_IF_ERROR(CheckCaseHistoryRead(case_stream, purpose));
  capnp::MallocMessageBuilder message;
  auto read = message.initRoot<schema::CaseHistoryRead>();
  // capnp's Text must be NUL-terminated; a string_view need not be.
  const std::string stream_text(case_stream), purpose_text(purpose);
  read.setCaseStream(capnp::Text::Reader(stream_text.c_str(), stream_text.size()));
  read.setPurpose(capnp::Text::Reader(purpose_text.c_str(), purpose_text.size()));

  AppendRequest request;
  request.stream = std::string(kAccessStreamPrefix) + std::string(case_stream);
  ProposedEvent& e = request.events.emplace_back();
  e.id = EventId::Random();
  e.type = "CaseHistoryRead";
  e.occurred_at = Now();
  e.actor = actor;
  e.payload = CanonicalPayload(capnp::toDynamic(read.asReader()));
  auto appended = ledger.Append(request, principal);
  if (!appended.ok())
    return appended.status().WithContext("recording the read in " + request.stream +
                                         " (nothing is shown unless it is recorded)");
  return appended;
}

Result<CaseHistoryAsOf> ReadCaseHistory(
    Ledger& ledger, std::string_view case_stream, std::string_view purpose, const AsOf& as_of,
    const Actor& actor, std::string_view principal,
    const std::function<Status(const CaseHistoryAsOf&)>& admit) {
  // Everything that can refuse the request, before anything is recorded.
  CASELEDGER_RETURN_IF_ERROR(CheckCaseHistoryRead(case_stream, purpose));
  CASELEDGER_ASSIGN_OR_RETURN(StreamVersion version, ledger.GetStreamVersion(case_stream));
  if (version == kNoStream)
    return Status::NotFound("no stream \"" + std::string(case_stream) + "\" in the ledger");
  CaseHistoryAsOf history;
  history.stream = std::string(case_stream);
  history.asked = as_of;
  const Position committed = ledger.CommittedPosition();
  history.ledger_position = committed;
  switch (as_of.kind) {
    case AsOf::Kind::kPosition:
      if (as_of.position > committed)
        return Status::InvalidArgument("position " + std::to_string(as_of.position) +
                                       " is beyond the ledger, whose last position is " +
                                       std::to_string(committed));
      history.position = as_of.position;
      break;
    case AsOf::Kind::kTime: {
      CASELEDGER_ASSIGN_OR_RETURN(history.position,
                                  LastPositionRecordedBy(ledger, as_of.time, committed));
      break;
    }
    case AsOf::Kind::kLatest:
      history.position = committed;
      break;
  }
  if (history.position != 0) {
    CASELEDGER_ASSIGN_OR_RETURN(history.recorded_at, RecordedAt(ledger, history.position));
  }

  // Gathered first (positions <= history.position, so the new read is not among them),
  // so that nothing gathered can refuse the read after it was recorded.
  const std::string access_stream = std::string(kAccessStreamPrefix) + std::string(case_stream);
  CASELEDGER_ASSIGN_OR_RETURN(history.events,
                              ReadWholeStream(ledger, case_stream, history.position));
  CASELEDGER_ASSIGN_OR_RETURN(history.reads,
                              ReadWholeStream(ledger, access_stream, history.position));
  if (admit) CASELEDGER_RETURN_IF_ERROR(admit(history));

  // The record of the read: durable before anything of the case is returned.
  CASELEDGER_ASSIGN_OR_RETURN(
      AppendResult recorded, RecordCaseHistoryRead(ledger, case_stream, purpose, actor, principal));
  CASELEDGER_ASSIGN_OR_RETURN(auto this_read, ledger.ReadAll(recorded.first_position, 1));
  if (this_read.empty())
    return Status::NotFound("the read just recorded at position " +
                            std::to_string(recorded.first_position) + " cannot be read back");
  history.this_read = std::move(this_read.front());
  return history;
}

}  // namespace v1
}  // namespace caseledger
