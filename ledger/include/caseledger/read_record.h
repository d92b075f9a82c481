// The record of a read of a case's history (DESIGN.md "Who may read what"): before a
// case's events are returned to anyone, through `caseledger history`, a Client or the
// server, a CaseHistoryRead {case stream, purpose} is appended durably to the stream
// access-<case stream>, by the reader. The case's own versions never move.
//
//   auto recorded = caseledger::RecordCaseHistoryRead(ledger, "case-00042",
//                                                     "Quarterly audit, county 130111",
//                                                     actor, "worker:a-3");
//   if (!recorded.ok()) return recorded.status();  // nothing may be shown
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "caseledger/event.h"
#include "caseledger/history_as_of.h"
#include "caseledger/ledger.h"
#include "caseledger/status.h"

namespace caseledger {
inline namespace v1 {

inline constexpr std::string_view kCaseStreamPrefix = "case-";
inline constexpr std::string_view kAccessStreamPrefix = "access-";

// True for case-<id> streams (a non-empty id).
bool IsCaseStream(std::string_view stream);

// OK if a read of `case_stream` for `purpose` may be recorded: a case stream, whose
// access stream is a valid stream id, and a purpose that is not blank (it is recorded in
// clear: it must say why, not name anyone). kInvalidArgument naming what is wrong.
Status CheckCaseHistoryRead(std::string_view case_stream, std::string_view purpose);

// Checks as above, then appends the CaseHistoryRead and waits until it is durable.
// `actor` is who reads as the caller's system states it; `principal` the recorded-by
// (empty: the ledger's local principal).
Result<AppendResult> RecordCaseHistoryRead(Ledger& ledger, std::string_view case_stream,
                                           std::string_view purpose, const Actor& actor,
                                           std::string_view principal);

// A case's history as of `as_of`, its read recorded once, before it is returned (as
// above). The events and reads are gathered first; every check that can refuse the
// request (purpose, stream, no such case, a moment beyond the ledger, then `admit` on
// what was gathered, e.g. a size limit) runs before the read is recorded, so a refused
// request records nothing. The events come as stored (personal fields sealed); the
// caller opens what the reader may see.
Result<CaseHistoryAsOf> ReadCaseHistory(
    Ledger& ledger, std::string_view case_stream, std::string_view purpose, const AsOf& as_of,
    const Actor& actor, std::string_view principal,
    const std::function<Status(const CaseHistoryAsOf&)>& admit = nullptr);

}  // namespace v1
}  // namespace caseledger
