// The record codec (envelope/envelope_codec.h): every field survives a round trip, and no
// bytes, however damaged, make DecodeRecord crash or hand out a view outside the record.
#include "envelope/envelope_codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "log/frame.h"

namespace caseledger::envelope {
namespace {

EventId Id(uint8_t seed) {
  EventId id;
  for (size_t i = 0; i < 16; ++i) id.bytes[i] = static_cast<uint8_t>(seed + i * 7 + 1);
  return id;
}

ProposedEvent FullEvent() {
  ProposedEvent e;
  e.id = Id(1);
  e.type = "ReferralMade";
  e.schema_version = 7;
  e.occurred_at = FromMicros(1'772'000'000'123'456);
  e.actor = Actor{"w-17", "caseworker", "county-civil-affairs"};
  e.correlation_id = Id(50);
  e.causation_id = Id(100);
  e.corrects = 41;
  e.correction_reason = "wrong date of birth";
  static constexpr char kBinary[] =
      "{\"x\":1}\0\xff\x01"
      "binary";  // NUL and high bytes inside
  e.payload = std::string(kBinary, sizeof kBinary - 1);
  return e;
}

ContentDigest Digest(uint8_t seed) {
  ContentDigest d;
  for (size_t i = 0; i < d.size(); ++i) d[i] = static_cast<uint8_t>(seed ^ (i * 31));
  return d;
}

// A whole frame holding the record of `event`, and the record's bytes inside it.
struct Encoded {
  std::vector<std::byte> frame;
  std::span<const std::byte> record;
};

Encoded Encode(Position position, std::string_view stream, StreamVersion version,
               Timestamp recorded_at, std::string_view recorded_by, const ContentDigest& digest,
               const ProposedEvent& event) {
  Encoded out;
  EnvelopeFields fields{position,    stream, version, recorded_at,
                        recorded_by, digest, event,   position};
  out.record = AppendFramedRecord(fields, out.frame);
  return out;
}

std::vector<uint8_t> Bytes(std::span<const uint8_t> s) { return {s.begin(), s.end()}; }
std::vector<uint8_t> Bytes(const std::array<uint8_t, 16>& a) { return {a.begin(), a.end()}; }

TEST(EnvelopeCodec, EveryFieldSurvivesARoundTrip) {
  const ProposedEvent e = FullEvent();
  const ContentDigest digest = Digest(9);
  const Timestamp recorded_at = FromMicros(1'772'000'001'000'001);
  Encoded enc = Encode(123456789, "case-00042", 17, recorded_at, "token:w-17", digest, e);

  // The frame around it is whole and checksummed.
  ASSERT_EQ(enc.frame.size(), log::FramedSize(enc.record.size()));
  EXPECT_EQ(enc.record.size() % 8, 0u);
  log::FrameParse p = log::ParseFrame(enc.frame.data(), enc.frame.size());
  ASSERT_EQ(p.outcome, log::FrameParse::Outcome::kRecord) << p.error;
  EXPECT_EQ(p.record.data(), enc.record.data());
  EXPECT_EQ(p.record.size(), enc.record.size());

  auto v = DecodeRecord(enc.record);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->position, 123456789u);
  EXPECT_EQ(v->append_last, 123456789u);
  EXPECT_EQ(v->stream, "case-00042");
  EXPECT_EQ(v->stream_version, 17);
  EXPECT_EQ(Bytes(v->event_id), Bytes(e.id.bytes));
  EXPECT_EQ(v->type, "ReferralMade");
  EXPECT_EQ(v->schema_version, 7);
  EXPECT_EQ(v->recorded_at, recorded_at);
  EXPECT_EQ(v->occurred_at, e.occurred_at);
  EXPECT_EQ(v->actor_user, "w-17");
  EXPECT_EQ(v->actor_role, "caseworker");
  EXPECT_EQ(v->actor_agency, "county-civil-affairs");
  EXPECT_EQ(v->recorded_by, "token:w-17");
  EXPECT_EQ(Bytes(v->correlation_id), Bytes(e.correlation_id.bytes));
  EXPECT_EQ(Bytes(v->causation_id), Bytes(e.causation_id.bytes));
  EXPECT_EQ(v->corrects, 41u);
  EXPECT_EQ(v->correction_reason, "wrong date of birth");
  EXPECT_EQ(Bytes(v->content_digest), Bytes(digest));
  EXPECT_EQ(v->payload, e.payload);  // NUL and 0xFF bytes included
  EXPECT_EQ(v->record.data(), enc.record.data());
  EXPECT_EQ(v->record.size(), enc.record.size());

  RecordedEvent r = v->ToRecordedEvent();
  EXPECT_EQ(r.position, 123456789u);
  EXPECT_EQ(r.stream, "case-00042");
  EXPECT_EQ(r.stream_version, 17);
  EXPECT_EQ(r.recorded_at, recorded_at);
  EXPECT_EQ(r.recorded_by, "token:w-17");
  EXPECT_EQ(r.content_digest, digest);
  EXPECT_EQ(r.event, e);
}

TEST(EnvelopeCodec, EmptyStringsAndAbsentIdsStayEmpty) {
  ProposedEvent e;
  e.id = Id(3);
  e.schema_version = 0;
  // type, actor, correction reason, payload: all empty; no correlation or causation id.
  const ContentDigest digest = Digest(1);
  Encoded enc = Encode(1, "s", 0, FromMicros(0), "", digest, e);
  auto v = DecodeRecord(enc.record);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->position, 1u);
  EXPECT_EQ(v->stream, "s");
  EXPECT_EQ(v->stream_version, 0);
  EXPECT_EQ(v->type, "");
  EXPECT_EQ(v->schema_version, 0);
  EXPECT_EQ(ToMicros(v->recorded_at), 0);
  EXPECT_EQ(ToMicros(v->occurred_at), 0);
  EXPECT_EQ(v->actor_user, "");
  EXPECT_EQ(v->actor_role, "");
  EXPECT_EQ(v->actor_agency, "");
  EXPECT_EQ(v->recorded_by, "");
  EXPECT_TRUE(v->correlation_id.empty());
  EXPECT_TRUE(v->causation_id.empty());
  EXPECT_EQ(v->corrects, 0u);
  EXPECT_EQ(v->correction_reason, "");
  EXPECT_EQ(v->payload, "");
  RecordedEvent r = v->ToRecordedEvent();
  EXPECT_EQ(r.event, e);
  EXPECT_TRUE(r.event.correlation_id.IsZero());
  EXPECT_TRUE(r.event.causation_id.IsZero());
}

TEST(EnvelopeCodec, LongestStreamIdAndLargePayloadRoundTrip) {
  const std::string stream(kMaxStreamIdBytes, 'z');
  ASSERT_TRUE(ValidateStreamId(stream).ok());
  ProposedEvent e = FullEvent();
  e.type = std::string(128, 'T');
  e.actor = Actor{std::string(1000, 'u'), std::string(999, 'r'), std::string(1001, 'a')};
  e.correction_reason = std::string(4097, 'w');
  e.payload.assign(1 << 20, '\0');
  std::mt19937 rng(5);
  for (char& c : e.payload) c = static_cast<char>(rng());
  const ContentDigest digest = Digest(200);
  const std::string recorded_by(300, 'p');
  Encoded enc = Encode(~0ull, stream, std::numeric_limits<StreamVersion>::max(),
                       FromMicros(std::numeric_limits<int64_t>::max()), recorded_by, digest, e);
  auto v = DecodeRecord(enc.record);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->position, ~0ull);
  EXPECT_EQ(v->stream, stream);
  EXPECT_EQ(v->stream_version, std::numeric_limits<StreamVersion>::max());
  EXPECT_EQ(ToMicros(v->recorded_at), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(v->recorded_by, recorded_by);
  RecordedEvent r = v->ToRecordedEvent();
  EXPECT_EQ(r.event, e);
}

TEST(EnvelopeCodec, RecordsAppendedOneAfterAnotherAreEachWholeFrames) {
  std::vector<std::byte> out;
  const ContentDigest digest = Digest(4);
  std::vector<ProposedEvent> events;
  for (int i = 0; i < 20; ++i) {
    ProposedEvent e = FullEvent();
    e.id = Id(static_cast<uint8_t>(i));
    e.payload = std::string(static_cast<size_t>(i * 37), static_cast<char>('a' + i));
    events.push_back(e);
  }
  for (int i = 0; i < 20; ++i) {
    EnvelopeFields fields{
        static_cast<Position>(i + 1), "case-1", i, FromMicros(i), "me", digest, events[i],
        static_cast<Position>(i + 1)};
    AppendFramedRecord(fields, out);
  }
  // Decode from a word-aligned copy (a vector<std::byte> is aligned, but be explicit).
  std::vector<uint64_t> aligned((out.size() + 7) / 8);
  std::memcpy(aligned.data(), out.data(), out.size());
  const auto* base = reinterpret_cast<const std::byte*>(aligned.data());
  size_t at = 0;
  for (int i = 0; i < 20; ++i) {
    log::FrameParse p = log::ParseFrame(base + at, out.size() - at);
    ASSERT_EQ(p.outcome, log::FrameParse::Outcome::kRecord) << i;
    auto v = DecodeRecord(p.record);
    ASSERT_TRUE(v.ok()) << i;
    EXPECT_EQ(v->position, static_cast<Position>(i + 1));
    EXPECT_EQ(v->stream_version, i);
    EXPECT_EQ(v->ToRecordedEvent().event, events[i]);
    at += p.framed_size;
  }
  EXPECT_EQ(at, out.size());
}

TEST(EnvelopeCodec, RecordThatIsNotWholeAlignedWordsIsCorruption) {
  const ProposedEvent e = FullEvent();
  Encoded enc = Encode(5, "case-1", 0, FromMicros(1), "me", Digest(2), e);
  EXPECT_EQ(DecodeRecord({}).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(DecodeRecord(enc.record.first(enc.record.size() - 3)).status().code(),
            StatusCode::kCorruption);
  std::vector<std::byte> misaligned(enc.record.size() + 1);
  std::memcpy(misaligned.data() + 1, enc.record.data(), enc.record.size());
  EXPECT_EQ(DecodeRecord(std::span(misaligned).subspan(1)).status().code(),
            StatusCode::kCorruption);
}

TEST(EnvelopeCodec, RecordCutShortIsCorruption) {
  const ProposedEvent e = FullEvent();
  Encoded enc = Encode(5, "case-1", 0, FromMicros(1), "me", Digest(2), e);
  for (size_t words = 1; words < enc.record.size() / 8; ++words) {
    auto v = DecodeRecord(enc.record.first(words * 8));
    EXPECT_FALSE(v.ok()) << words << " words";
    if (!v.ok()) {
      EXPECT_EQ(v.status().code(), StatusCode::kCorruption);
    }
  }
}

// A decoded view must point only into the record's own bytes.
void ExpectInside(const EventView& v, std::span<const std::byte> record, const std::string& what) {
  const auto* lo = reinterpret_cast<const char*>(record.data());
  const auto* hi = lo + record.size();
  auto inside = [&](const void* p, size_t n) {
    const auto* c = static_cast<const char*>(p);
    return n == 0 || (c >= lo && c + n <= hi);
  };
  EXPECT_TRUE(inside(v.stream.data(), v.stream.size())) << what << ": stream";
  EXPECT_TRUE(inside(v.event_id.data(), v.event_id.size())) << what << ": event id";
  EXPECT_TRUE(inside(v.type.data(), v.type.size())) << what << ": type";
  EXPECT_TRUE(inside(v.actor_user.data(), v.actor_user.size())) << what << ": actor user";
  EXPECT_TRUE(inside(v.actor_role.data(), v.actor_role.size())) << what << ": actor role";
  EXPECT_TRUE(inside(v.actor_agency.data(), v.actor_agency.size())) << what << ": actor agency";
  EXPECT_TRUE(inside(v.recorded_by.data(), v.recorded_by.size())) << what << ": recorded by";
  EXPECT_TRUE(inside(v.correlation_id.data(), v.correlation_id.size())) << what << ": correlation";
  EXPECT_TRUE(inside(v.causation_id.data(), v.causation_id.size())) << what << ": causation";
  EXPECT_TRUE(inside(v.correction_reason.data(), v.correction_reason.size())) << what << ": reason";
  EXPECT_TRUE(inside(v.content_digest.data(), v.content_digest.size())) << what << ": digest";
  EXPECT_TRUE(inside(v.payload.data(), v.payload.size())) << what << ": payload";
  EXPECT_EQ(v.event_id.size(), 16u) << what;
  EXPECT_EQ(v.content_digest.size(), 16u) << what;
  EXPECT_GT(v.position, 0u) << what;
  EXPECT_GE(v.stream_version, 0) << what;
}

TEST(EnvelopeCodec, EverySingleByteFlipOfAValidRecordIsCorruptionOrAViewInsideTheRecord) {
  const ProposedEvent e = FullEvent();
  Encoded enc =
      Encode(77, "case-00042", 3, FromMicros(1'772'000'000'000'000), "local:me", Digest(8), e);
  const size_t n = enc.record.size();
  std::vector<uint64_t> buf(n / 8);
  auto* bytes = reinterpret_cast<std::byte*>(buf.data());
  std::span<const std::byte> record(bytes, n);
  int corrupt = 0, decoded = 0;
  for (size_t i = 0; i < n; ++i) {
    for (uint8_t mask : {0x01, 0x04, 0x20, 0x80, 0xFF, 0x7F}) {
      std::memcpy(bytes, enc.record.data(), n);
      bytes[i] ^= std::byte{mask};
      auto v = DecodeRecord(record);
      if (v.ok()) {
        ++decoded;
        ExpectInside(*v, record, "byte " + std::to_string(i) + " ^ " + std::to_string(mask));
        (void)v->ToRecordedEvent();
      } else {
        ++corrupt;
        ASSERT_EQ(v.status().code(), StatusCode::kCorruption) << v.status().ToString();
        EXPECT_FALSE(v.status().message().empty());
      }
    }
  }
  EXPECT_EQ(corrupt + decoded, static_cast<int>(n * 6));
  EXPECT_GT(corrupt, 0);  // pointer and length damage is caught
}

TEST(EnvelopeCodec, RandomMultiByteDamageNeverCrashes) {
  const ProposedEvent e = FullEvent();
  Encoded enc = Encode(77, "case-00042", 3, FromMicros(1), "local:me", Digest(8), e);
  const size_t n = enc.record.size();
  std::vector<uint64_t> buf(n / 8);
  auto* bytes = reinterpret_cast<std::byte*>(buf.data());
  std::span<const std::byte> record(bytes, n);
  std::mt19937_64 rng(2024);
  for (int round = 0; round < 20000; ++round) {
    std::memcpy(bytes, enc.record.data(), n);
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f) bytes[rng() % n] = static_cast<std::byte>(rng());
    auto v = DecodeRecord(record);
    if (v.ok()) {
      ExpectInside(*v, record, "round " + std::to_string(round));
    } else {
      ASSERT_EQ(v.status().code(), StatusCode::kCorruption);
    }
  }
}

TEST(EnvelopeCodec, RandomGarbageIsCorruptionOrAViewInsideItNeverACrash) {
  std::mt19937_64 rng(77);
  int ok = 0;
  for (int round = 0; round < 50000; ++round) {
    const size_t words = 1 + rng() % 64;
    std::vector<uint64_t> buf(words);
    for (auto& w : buf) w = rng();
    if (round % 2 == 0) {
      // A plausible root pointer (struct, offset 0, 16 data words, 14 pointers) so that
      // decoding gets past the first check and into the fields.
      buf[0] = (uint64_t{14} << 48) | (uint64_t{16} << 32);
    }
    std::span<const std::byte> record(reinterpret_cast<const std::byte*>(buf.data()), words * 8);
    auto v = DecodeRecord(record);
    if (v.ok()) {
      ++ok;
      ExpectInside(*v, record, "round " + std::to_string(round));
    } else {
      ASSERT_EQ(v.status().code(), StatusCode::kCorruption) << v.status().ToString();
    }
  }
  RecordProperty("decoded_garbage", ok);
}

}  // namespace
}  // namespace caseledger::envelope
