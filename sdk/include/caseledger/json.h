// JSON forms of the SDK's values, through Cap'n Proto's JsonCodec (the project's one JSON
// codec), with unknown fields rejected.
//
//   caseledger::Result<caseledger::Actor> a =
//       caseledger::ActorFromJson(R"({"user":"w-17","role":"caseworker","agency":"CA-01"})");
#pragma once

#include <string>
#include <string_view>

#include "caseledger/event.h"
#include "caseledger/status.h"

namespace caseledger {
inline namespace v1 {

// Parses {"user": ..., "role": ..., "agency": ...} (each optional, strings). Malformed
// JSON, an unknown field or a wrong type is kInvalidArgument naming it.
Result<Actor> ActorFromJson(std::string_view json);
std::string ActorToJson(const Actor& actor);

}  // namespace v1
}  // namespace caseledger
