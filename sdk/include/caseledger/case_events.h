// The event catalogue (sdk/schema/case_events.capnp) and the JSON form of its events.
//
//   const caseledger::EventType* t = caseledger::FindEventType("ReferralMade");
//   caseledger::Result<std::string> payload = caseledger::PayloadFromJson(*t, R"({...})");
//   caseledger::Result<std::string> json = caseledger::PayloadToJson(*t, *payload);
//
// A payload is an unpacked Cap'n Proto message whose root is the type's struct. Personal
// fields (type Sealed) travel in clear between a caller and the ledger; the ledger seals
// them before anything is written (ledger/src/seal/). In JSON a Sealed field is a plain
// string; one the reader cannot open is written as {"sealed": "<key id, hex>"}, one the
// reader may not see in clear as {"redacted": "<key id, hex>"} (no ciphertext travels),
// and one whose child was erased (its key destroyed) as {"erased": "<key id, hex>"}.
#pragma once

#include <capnp/dynamic.h>
#include <capnp/schema.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "caseledger/event.h"
#include "caseledger/status.h"

namespace caseledger {
inline namespace v1 {

struct EventType {
  std::string name;            // the envelope's type, e.g. "ReferralMade"
  capnp::StructSchema schema;  // the payload's struct
  bool has_personal_fields;    // at least one Sealed field, directly or nested
};

// One field of an event's data, as `caseledger types` lists it.
struct FieldInfo {
  std::string name;  // as in JSON, e.g. "referralId"
  std::string
      type;  // "Text", "Time", "Sealed", "List(Vulnerability)", "enum RiskLevel: low|medium|high"
  bool required = false;  // $required in the schema
  bool personal = false;  // Sealed: given in clear, stored sealed under the child's key
};
std::vector<FieldInfo> DescribeFields(const EventType& type);

// Every type of the catalogue, in the order of the schema's CaseEvent union.
std::span<const EventType> EventCatalogue();
// The type named `name`; nullptr if the catalogue has none.
const EventType* FindEventType(std::string_view name);
// As FindEventType, or kInvalidArgument naming the unknown type.
Result<const EventType*> LookupEventType(std::string_view name);

// The payload encoded from the "data" object of a JSON event. Malformed JSON, an unknown
// field, a missing required field, a wrong type or an unknown enum value is
// kInvalidArgument naming the field, e.g. "data.sex: \"boy\" is not one of female, male,
// unknown".
Result<std::string> PayloadFromJson(const EventType& type, std::string_view json);
// The "data" object of a payload. A payload that does not decode is kCorruption.
Result<std::string> PayloadToJson(const EventType& type, std::string_view payload);
// kInvalidArgument unless `payload` decodes as `type` and holds every required field.
Status ValidatePayload(const EventType& type, std::string_view payload);

// The payload bytes of `root`, in capnp's canonical form (one segment, objects in
// pre-order) behind a one-segment table: the same data always gives the same bytes,
// whatever order it was built or given in. Content digests, and so retries, rely on it.
std::string CanonicalPayload(capnp::DynamicStruct::Reader root);

// True if the payload holds at least one personal field: a type may have only optional
// ones (RiskAssessed.rationale). Only such an event needs the master key to be written.
bool CarriesPersonalData(const EventType& type, std::string_view payload);

// One line of NDJSON: an event and where it goes.
//   {"stream":"case-00042","type":"ReferralMade","expectedVersion":7,
//    "eventId":"<32 hex>","occurredAt":"2026-03-01T10:00:00Z",
//    "actor":{"user":"w-17","role":"caseworker","agency":"..."},"data":{...}}
// Required: stream, type, eventId, data. Optional: expectedVersion ("any" | "no_stream" |
// "stream_exists" | N; default "any"), occurredAt, actor, schemaVersion (1),
// correlationId, causationId, corrects with correctionReason.
struct EventLine {
  std::string stream;
  ExpectedVersion expected_version = ExpectedVersion::Any();
  ProposedEvent event;  // payload encoded from "data"
};
Result<EventLine> ParseEventLine(std::string_view line);

// A recorded event as one line of JSON, the fields of an EventLine plus position,
// streamVersion, recordedAt and recordedBy. "data" is PayloadToJson of the payload as
// given (sealed fields stay {"sealed": ...} unless the caller opened them).
Result<std::string> RecordedEventToJson(const RecordedEvent& event);

}  // namespace v1
}  // namespace caseledger
