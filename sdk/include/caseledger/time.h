// Timestamps: UTC, microsecond resolution, printed and parsed as RFC 3339.
//
//   caseledger::Result<caseledger::Timestamp> t = caseledger::ParseTimestamp("2026-03-01T10:00:00Z");
//   std::string s = caseledger::FormatTimestamp(*t);  // "2026-03-01T10:00:00Z"
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "caseledger/status.h"

namespace caseledger {
inline namespace v1 {

// Microseconds since 1970-01-01T00:00:00Z. The epoch itself means "not given" where a
// field is optional (e.g. an event's occurred-at).
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// The current UTC time.
Timestamp Now();

inline int64_t ToMicros(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp FromMicros(int64_t micros) { return Timestamp(std::chrono::microseconds(micros)); }

// "YYYY-MM-DDTHH:MM:SS[.ffffff]Z": fractional digits only when non-zero.
std::string FormatTimestamp(Timestamp t);

// Accepts "YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+HH:MM|-HH:MM)" and "YYYY-MM-DD" (midnight UTC).
// Digits beyond microseconds are truncated. Returns InvalidArgument naming the text.
Result<Timestamp> ParseTimestamp(std::string_view text);

}  // namespace v1
}  // namespace caseledger
