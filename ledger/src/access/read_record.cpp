#include "caseledger/read_record.h"

#include <capnp/message.h>

#include <algorithm>
#include <cctype>

#include "caseledger/case_events.h"
#include "schema/case_events.capnp.h"

namespace caseledger {
inline namespace v1 {

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

}  // namespace v1
}  // namespace caseledger
