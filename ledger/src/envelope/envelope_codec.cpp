#include "envelope/envelope_codec.h"

#include <capnp/message.h>
#include <kj/exception.h>

#include <cstdio>
#include <cstdlib>

#include "log/frame.h"
#include "schema/envelope.capnp.h"

namespace caseledger::envelope {
namespace {

capnp::Data::Reader AsData(std::span<const uint8_t> bytes) {
  return capnp::Data::Reader(bytes.data(), bytes.size());
}
capnp::Text::Reader AsText(std::string_view s) { return capnp::Text::Reader(s.data(), s.size()); }

size_t TextWords(std::string_view s) { return (s.size() + 1 + 7) / 8; }
size_t DataWords(size_t n) { return (n + 7) / 8; }

// An upper bound on the words of the encoded envelope, so that it is built into one
// segment of known size.
size_t EstimateWords(const EnvelopeFields& f) {
  const ProposedEvent& e = f.event;
  return 16 /* Envelope struct */ + 4 /* Actor */ + TextWords(f.stream) + TextWords(e.type) +
         TextWords(e.actor.user) + TextWords(e.actor.role) + TextWords(e.actor.agency) +
         TextWords(f.recorded_by) + TextWords(e.correction_reason) + DataWords(16) * 4 +
         DataWords(e.payload.size()) + 8;
}

template <typename T>
std::span<const uint8_t> Bytes(const T& reader) {
  return {reinterpret_cast<const uint8_t*>(reader.begin()), reader.size()};
}
std::string_view View(capnp::Text::Reader t) { return {t.begin(), t.size()}; }

}  // namespace

std::span<const std::byte> AppendFramedRecord(const EnvelopeFields& f,
                                              std::vector<std::byte>& out) {
  // The message is built in a zeroed scratch segment (capnp requires zeroed memory, and
  // the builder's destructor zeroes what it used, ready for the next record), then copied
  // into its frame.
  thread_local std::vector<uint64_t> scratch;
  const size_t max_words = EstimateWords(f);
  if (scratch.size() < max_words) scratch.resize(max_words);
  auto* segment_begin = reinterpret_cast<capnp::word*>(scratch.data());
  const size_t frame_start = out.size();
  capnp::MallocMessageBuilder message(kj::arrayPtr(segment_begin, max_words),
                                      capnp::AllocationStrategy::FIXED_SIZE);
  auto env = message.initRoot<schema::Envelope>();
  const ProposedEvent& e = f.event;
  env.setPosition(f.position);
  env.setStream(AsText(f.stream));
  env.setStreamVersion(static_cast<uint64_t>(f.stream_version));
  env.setEventId(AsData(e.id.bytes));
  env.setType(AsText(e.type));
  env.setSchemaVersion(e.schema_version);
  env.setRecordedAt(ToMicros(f.recorded_at));
  env.setOccurredAt(ToMicros(e.occurred_at));
  auto actor = env.initActor();
  actor.setUser(AsText(e.actor.user));
  actor.setRole(AsText(e.actor.role));
  actor.setAgency(AsText(e.actor.agency));
  env.setRecordedBy(AsText(f.recorded_by));
  if (!e.correlation_id.IsZero()) env.setCorrelationId(AsData(e.correlation_id.bytes));
  if (!e.causation_id.IsZero()) env.setCausationId(AsData(e.causation_id.bytes));
  env.setCorrects(e.corrects);
  env.setCorrectionReason(AsText(e.correction_reason));
  env.setContentDigest(AsData(f.content_digest));
  env.setPayload(
      capnp::Data::Reader(reinterpret_cast<const uint8_t*>(e.payload.data()), e.payload.size()));
  env.setAppendLast(f.append_last);
  auto segments = message.getSegmentsForOutput();
  // EstimateWords bounds the message, so it always fits the first segment; anything else
  // is a bug in EstimateWords, and writing a record that readers would misparse is worse
  // than stopping.
  if (segments.size() != 1 || segments[0].begin() != segment_begin) {
    std::fprintf(stderr, "caseledger: envelope outgrew its estimated size (%zu words)\n",
                 max_words);
    std::abort();
  }
  auto record = std::as_bytes(std::span(segments[0].begin(), segments[0].size()));
  out.resize(frame_start + log::FramedSize(record.size()));
  log::EncodeFrame(record, out.data() + frame_start);
  return {out.data() + frame_start + log::kFrameHeaderBytes, record.size()};
}

Result<EventView> DecodeRecord(std::span<const std::byte> record) {
  if (record.empty() || record.size() % 8 != 0 ||
      reinterpret_cast<uintptr_t>(record.data()) % 8 != 0)
    return Status::Corruption("record of " + std::to_string(record.size()) +
                              " bytes is not whole aligned words");
  EventView v;
  Status failure;
  kj::Maybe<kj::Exception> exception = kj::runCatchingExceptions([&]() {
    kj::ArrayPtr<const capnp::word> words(reinterpret_cast<const capnp::word*>(record.data()),
                                          record.size() / 8);
    capnp::ReaderOptions options;
    // Each field is read once, so a well-formed record needs about its own size; the margin
    // covers capnp counting the root struct on every access.
    options.traversalLimitInWords = 4 * words.size() + 64;
    options.nestingLimit = 8;
    capnp::SegmentArrayMessageReader message(kj::arrayPtr(&words, 1), options);
    auto env = message.getRoot<schema::Envelope>();
    v.position = env.getPosition();
    v.stream = View(env.getStream());
    v.stream_version = static_cast<StreamVersion>(env.getStreamVersion());
    v.event_id = Bytes(env.getEventId());
    v.type = View(env.getType());
    v.schema_version = env.getSchemaVersion();
    v.recorded_at = FromMicros(env.getRecordedAt());
    v.occurred_at = FromMicros(env.getOccurredAt());
    auto actor = env.getActor();
    v.actor_user = View(actor.getUser());
    v.actor_role = View(actor.getRole());
    v.actor_agency = View(actor.getAgency());
    v.recorded_by = View(env.getRecordedBy());
    v.correlation_id = Bytes(env.getCorrelationId());
    v.causation_id = Bytes(env.getCausationId());
    v.corrects = env.getCorrects();
    v.correction_reason = View(env.getCorrectionReason());
    v.content_digest = Bytes(env.getContentDigest());
    auto payload = env.getPayload();
    v.payload = {reinterpret_cast<const char*>(payload.begin()), payload.size()};
    v.append_last = env.getAppendLast();
  });
  KJ_IF_MAYBE (e, exception) {
    return Status::Corruption("record cannot be decoded: " +
                              std::string(e->getDescription().cStr()));
  }
  if (v.position == 0) return Status::Corruption("record has position 0");
  if (v.event_id.size() != 16) return Status::Corruption("record's event id is not 16 bytes");
  if (v.content_digest.size() != 16)
    return Status::Corruption("record's content digest is not 16 bytes");
  if ((!v.correlation_id.empty() && v.correlation_id.size() != 16) ||
      (!v.causation_id.empty() && v.causation_id.size() != 16))
    return Status::Corruption("record's correlation or causation id is not 16 bytes");
  if (v.stream_version < 0) return Status::Corruption("record's stream version is out of range");
  if (v.append_last < v.position)
    return Status::Corruption("record's append ends at position " + std::to_string(v.append_last) +
                              ", before the record itself");
  v.record = record;
  return v;
}

}  // namespace caseledger::envelope

namespace caseledger {
inline namespace v1 {

RecordedEvent EventView::ToRecordedEvent() const {
  RecordedEvent r;
  r.position = position;
  r.stream.assign(stream);
  r.stream_version = stream_version;
  r.recorded_at = recorded_at;
  r.recorded_by.assign(recorded_by);
  std::copy(content_digest.begin(), content_digest.end(), r.content_digest.begin());
  ProposedEvent& e = r.event;
  std::copy(event_id.begin(), event_id.end(), e.id.bytes.begin());
  e.type.assign(type);
  e.schema_version = schema_version;
  e.occurred_at = occurred_at;
  e.actor = Actor{std::string(actor_user), std::string(actor_role), std::string(actor_agency)};
  if (!correlation_id.empty())
    std::copy(correlation_id.begin(), correlation_id.end(), e.correlation_id.bytes.begin());
  if (!causation_id.empty())
    std::copy(causation_id.begin(), causation_id.end(), e.causation_id.bytes.begin());
  e.corrects = corrects;
  e.correction_reason.assign(correction_reason);
  e.payload.assign(payload);
  return r;
}

}  // namespace v1
}  // namespace caseledger
