// The values an append carries in and a read carries out.
//
//   caseledger::AppendRequest request;
//   request.stream = "case-00042";
//   request.expected_version = caseledger::ExpectedVersion::NoStream();
//   caseledger::ProposedEvent& e = request.events.emplace_back();
//   e.id = caseledger::EventId::Random();
//   e.type = "CaseOpened";
//   e.payload = encoded_case_opened;  // bytes; the ledger does not interpret them
//
// A RecordedEvent is what the ledger stored: the proposed fields plus what the ledger set
// itself (position, stream version, recorded-at, recorded-by, content digest).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "caseledger/status.h"
#include "caseledger/time.h"

namespace caseledger {
inline namespace v1 {

// Positions in the global log are dense from 1; 0 means "none" / "before the first".
using Position = uint64_t;
// Versions within a stream are dense from 0. kNoStream is the version of a stream that
// has no events.
using StreamVersion = int64_t;
inline constexpr StreamVersion kNoStream = -1;

// The longest stream id accepted, in bytes.
inline constexpr size_t kMaxStreamIdBytes = 256;
// Returns OK if `stream` is a valid stream id: 1..256 bytes of printable ASCII
// (0x21..0x7E: no spaces, no control bytes, no NUL).
Status ValidateStreamId(std::string_view stream);

// A 16-byte identifier chosen by the writer; it makes retries idempotent. All-zero is
// "no id" and is refused for events (allowed for correlation and causation ids).
struct EventId {
  std::array<uint8_t, 16> bytes{};

  static EventId Random();
  // Parses 32 hexadecimal digits (either case); InvalidArgument otherwise.
  static Result<EventId> FromHex(std::string_view hex);
  std::string ToHex() const;  // 32 lowercase hexadecimal digits
  bool IsZero() const;
  auto operator<=>(const EventId&) const = default;
};

// The optimistic-concurrency condition of an append.
class ExpectedVersion {
 public:
  enum class Kind { kAny, kNoStream, kStreamExists, kExact };

  static ExpectedVersion Any() { return ExpectedVersion(Kind::kAny, 0); }
  static ExpectedVersion NoStream() { return ExpectedVersion(Kind::kNoStream, 0); }
  static ExpectedVersion StreamExists() { return ExpectedVersion(Kind::kStreamExists, 0); }
  // The stream's current version (that of its last event) must be exactly `version`.
  static ExpectedVersion Exact(StreamVersion version) { return ExpectedVersion(Kind::kExact, version); }
  // Parses "any", "no_stream", "stream_exists" or a version number >= 0.
  static Result<ExpectedVersion> Parse(std::string_view text);

  Kind kind() const { return kind_; }
  StreamVersion version() const { return version_; }  // meaningful for kExact only
  // True if a stream whose current version is `current` (kNoStream: absent) satisfies it.
  bool IsSatisfiedBy(StreamVersion current) const;
  std::string ToString() const;  // the form Parse accepts

 private:
  ExpectedVersion(Kind kind, StreamVersion version) : kind_(kind), version_(version) {}
  Kind kind_;
  StreamVersion version_;
};

// Who did it, as the source system states it. Kept as given; never used for access control.
struct Actor {
  std::string user;
  std::string role;
  std::string agency;
  bool operator==(const Actor&) const = default;
};

// One event as the writer submits it.
struct ProposedEvent {
  EventId id;                  // required, non-zero; see EventId
  std::string type;            // required: 1..128 printable ASCII bytes, e.g. "ReferralMade"
  uint16_t schema_version = 1;
  Timestamp occurred_at{};     // when it happened, as the writer says; epoch = not given
  Actor actor;
  EventId correlation_id;      // zero = none
  EventId causation_id;        // zero = none
  Position corrects = 0;       // the position this event corrects; 0 = none
  std::string correction_reason;  // required when `corrects` is set
  std::string payload;         // the event's bytes; at most LedgerOptions::max_event_bytes
  bool operator==(const ProposedEvent&) const = default;
};

// Returns OK if `event` may be appended; the message names the field that is wrong.
Status ValidateProposedEvent(const ProposedEvent& event);

// One append: all of `events` are written to `stream`, or none is.
struct AppendRequest {
  std::string stream;
  ExpectedVersion expected_version = ExpectedVersion::Any();
  std::vector<ProposedEvent> events;  // 1..LedgerOptions::max_events_per_append
};

struct AppendResult {
  Position first_position = 0;   // position of events[0]
  Position last_position = 0;    // position of events.back()
  StreamVersion first_version = kNoStream;  // stream version of events[0]
  StreamVersion last_version = kNoStream;   // the stream's version after the append
  // True if every event id was already recorded with the same content: nothing was
  // written and the positions are those of the original append.
  bool deduplicated = false;
};

// One event as the ledger stored it.
struct RecordedEvent {
  Position position = 0;
  std::string stream;
  StreamVersion stream_version = 0;
  Timestamp recorded_at{};  // ledger time, UTC, never decreasing along positions
  std::string recorded_by;  // the authenticated principal that appended it
  std::array<uint8_t, 16> content_digest{};  // keyed digest of what was submitted
  ProposedEvent event;
};

}  // namespace v1
}  // namespace caseledger
