// The one place that turns events into record bytes and record bytes back into events.
//
// A record is an unpacked, single-segment Cap'n Proto message of schema::Envelope
// (sdk/schema/envelope.capnp) without a segment table. Encoding builds it in place inside
// its frame; decoding reads it straight from the mapped segment.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "caseledger/event.h"
#include "caseledger/ledger.h"
#include "envelope/content_digest.h"

namespace caseledger::envelope {

// Everything a record holds: what the writer proposed plus what the sequencer decided.
struct EnvelopeFields {
  Position position;
  std::string_view stream;
  StreamVersion stream_version;
  Timestamp recorded_at;
  std::string_view recorded_by;
  const ContentDigest& content_digest;
  const ProposedEvent& event;
  Position append_last;  // the last position of the atomic append this record belongs to
};

// Appends the whole frame of the record (log/frame.h) to `out` and returns the span of
// the record bytes inside it (valid until `out` grows again).
std::span<const std::byte> AppendFramedRecord(const EnvelopeFields& fields,
                                              std::vector<std::byte>& out);

// Decodes record bytes (checksummed already) into a view that points into them. Any
// malformation, including a record whose pointers leave its bytes, is kCorruption.
Result<EventView> DecodeRecord(std::span<const std::byte> record);

}  // namespace caseledger::envelope
