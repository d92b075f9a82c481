#include "caseledger/event.h"

#include <sodium.h>

#include <charconv>

namespace caseledger {
inline namespace v1 {

namespace {

bool IsPrintableAscii(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7E) return false;
  return true;
}

}  // namespace

Status ValidateStreamId(std::string_view stream) {
  if (stream.empty()) return Status::InvalidArgument("stream id is empty");
  if (stream.size() > kMaxStreamIdBytes)
    return Status::InvalidArgument("stream id is " + std::to_string(stream.size()) +
                                   " bytes; at most " + std::to_string(kMaxStreamIdBytes) +
                                   " are allowed");
  if (!IsPrintableAscii(stream))
    return Status::InvalidArgument("stream id \"" + std::string(stream) +
                                   "\" contains a byte outside printable ASCII (0x21..0x7E)");
  return Status::Ok();
}

EventId EventId::Random() {
  EventId id;
  do {
    randombytes_buf(id.bytes.data(), id.bytes.size());
  } while (id.IsZero());
  return id;
}

Result<EventId> EventId::FromHex(std::string_view hex) {
  EventId id;
  size_t bin_len = 0;
  if (hex.size() != 32 ||
      sodium_hex2bin(id.bytes.data(), id.bytes.size(), hex.data(), hex.size(), nullptr, &bin_len,
                     nullptr) != 0 ||
      bin_len != 16)
    return Status::InvalidArgument("event id \"" + std::string(hex) +
                                   "\" is not 32 hexadecimal digits");
  return id;
}

std::string EventId::ToHex() const {
  char buf[33];
  sodium_bin2hex(buf, sizeof buf, bytes.data(), bytes.size());
  return std::string(buf, 32);
}

bool EventId::IsZero() const {
  for (uint8_t b : bytes)
    if (b != 0) return false;
  return true;
}

Result<ExpectedVersion> ExpectedVersion::Parse(std::string_view text) {
  if (text == "any") return Any();
  if (text == "no_stream") return NoStream();
  if (text == "stream_exists") return StreamExists();
  StreamVersion v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || text[0] < '0' || text[0] > '9' || ec != std::errc() ||
      end != text.data() + text.size())
    return Status::InvalidArgument("expected version \"" + std::string(text) +
                                   "\" is not any, no_stream, stream_exists or a version >= 0");
  return Exact(v);
}

bool ExpectedVersion::IsSatisfiedBy(StreamVersion current) const {
  switch (kind_) {
    case Kind::kAny:
      return true;
    case Kind::kNoStream:
      return current == kNoStream;
    case Kind::kStreamExists:
      return current != kNoStream;
    case Kind::kExact:
      return current == version_;
  }
  return false;
}

std::string ExpectedVersion::ToString() const {
  switch (kind_) {
    case Kind::kAny:
      return "any";
    case Kind::kNoStream:
      return "no_stream";
    case Kind::kStreamExists:
      return "stream_exists";
    case Kind::kExact:
      return std::to_string(version_);
  }
  return "?";
}

Status ValidateProposedEvent(const ProposedEvent& event) {
  if (event.id.IsZero()) return Status::InvalidArgument("event id is missing (all zero)");
  if (event.type.empty() || event.type.size() > 128 || !IsPrintableAscii(event.type))
    return Status::InvalidArgument("event type \"" + event.type +
                                   "\" must be 1..128 bytes of printable ASCII");
  if (event.corrects == 0 && !event.correction_reason.empty())
    return Status::InvalidArgument("a correction reason is given but `corrects` names no position");
  if (event.corrects != 0 && event.correction_reason.empty())
    return Status::InvalidArgument("event corrects position " + std::to_string(event.corrects) +
                                   " but gives no correction reason");
  if (ToMicros(event.occurred_at) < 0)
    return Status::InvalidArgument("occurred-at is before 1970-01-01");
  return Status::Ok();
}

}  // namespace v1
}  // namespace caseledger
