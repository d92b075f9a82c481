// Timestamps (caseledger/time.h), event ids, expected versions and stream ids
// (caseledger/event.h): the small values every request and every CLI flag goes through.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

#include "caseledger/event.h"
#include "caseledger/time.h"

namespace caseledger {
namespace {

Timestamp At(const char* text) {
  auto t = ParseTimestamp(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  return t.ok() ? *t : Timestamp{};
}

// ---- timestamps ----

TEST(Timestamp, FormatsAsRfc3339UtcWithFractionOnlyWhenNonZero) {
  EXPECT_EQ(FormatTimestamp(FromMicros(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(FromMicros(1'772'000'000'000'000)), "2026-02-25T06:13:20Z");
  EXPECT_EQ(FormatTimestamp(FromMicros(1'772'000'000'500'000)), "2026-02-25T06:13:20.5Z");
  EXPECT_EQ(FormatTimestamp(FromMicros(1'772'000'000'120'000)), "2026-02-25T06:13:20.12Z");
  EXPECT_EQ(FormatTimestamp(FromMicros(1'772'000'000'000'001)), "2026-02-25T06:13:20.000001Z");
  EXPECT_EQ(FormatTimestamp(FromMicros(1'772'000'000'999'999)), "2026-02-25T06:13:20.999999Z");
  EXPECT_EQ(FormatTimestamp(At("2024-02-29T23:59:59Z")), "2024-02-29T23:59:59Z");
  EXPECT_EQ(FormatTimestamp(At("9999-12-31T23:59:59.999999Z")), "9999-12-31T23:59:59.999999Z");
}

TEST(Timestamp, ParsesZuluTimesDatesAndFractions) {
  EXPECT_EQ(ToMicros(At("1970-01-01T00:00:00Z")), 0);
  EXPECT_EQ(ToMicros(At("2026-02-25T06:13:20Z")), 1'772'000'000'000'000);
  EXPECT_EQ(ToMicros(At("2026-02-25T06:13:20.5Z")), 1'772'000'000'500'000);
  EXPECT_EQ(ToMicros(At("2026-02-25T06:13:20.000001Z")), 1'772'000'000'000'001);
  // Digits beyond microseconds are truncated, not rounded.
  EXPECT_EQ(ToMicros(At("2026-02-25T06:13:20.123456789Z")), 1'772'000'000'123'456);
  EXPECT_EQ(ToMicros(At("2026-02-25T06:13:20.9999999Z")), 1'772'000'000'999'999);
  // A date alone is midnight UTC.
  EXPECT_EQ(At("2026-02-25"), At("2026-02-25T00:00:00Z"));
  // RFC 3339 allows lower-case t and z, and a space between date and time.
  EXPECT_EQ(At("2026-02-25t06:13:20z"), At("2026-02-25T06:13:20Z"));
  EXPECT_EQ(At("2026-02-25 06:13:20Z"), At("2026-02-25T06:13:20Z"));
  EXPECT_EQ(ToMicros(At("2024-02-29T12:00:00Z")) - ToMicros(At("2024-02-28T12:00:00Z")),
            86'400'000'000);
}

TEST(Timestamp, OffsetsAreConvertedToUtc) {
  EXPECT_EQ(At("2026-03-01T12:00:00+02:00"), At("2026-03-01T10:00:00Z"));
  EXPECT_EQ(At("2026-03-01T10:00:00-05:30"), At("2026-03-01T15:30:00Z"));
  EXPECT_EQ(At("2026-03-01T10:00:00+00:00"), At("2026-03-01T10:00:00Z"));
  EXPECT_EQ(At("2026-03-01T10:00:00-00:00"), At("2026-03-01T10:00:00Z"));
  // Across a day (and a year) boundary.
  EXPECT_EQ(At("2026-01-01T01:00:00+08:00"), At("2025-12-31T17:00:00Z"));
  EXPECT_EQ(At("2025-12-31T23:30:00.25-01:00"), At("2026-01-01T00:30:00.25Z"));
}

TEST(Timestamp, FormatThenParseRoundTripsEveryMicrosecond) {
  std::mt19937_64 rng(1);
  const int64_t max = ToMicros(At("9999-12-31T23:59:59.999999Z"));
  for (int i = 0; i < 20000; ++i) {
    int64_t micros = static_cast<int64_t>(rng() % static_cast<uint64_t>(max + 1));
    if (i % 4 == 0) micros -= micros % 1'000'000;  // whole seconds too
    Timestamp t = FromMicros(micros);
    std::string text = FormatTimestamp(t);
    auto back = ParseTimestamp(text);
    ASSERT_TRUE(back.ok()) << text;
    ASSERT_EQ(ToMicros(*back), micros) << text;
  }
}

TEST(Timestamp, ParseThenFormatGivesTheCanonicalForm) {
  EXPECT_EQ(FormatTimestamp(At("2026-03-01T12:00:00.500+02:00")), "2026-03-01T10:00:00.5Z");
  EXPECT_EQ(FormatTimestamp(At("2026-03-01")), "2026-03-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(At("2026-03-01T10:00:00.000000Z")), "2026-03-01T10:00:00Z");
}

void ExpectRejected(const std::string& text) {
  auto t = ParseTimestamp(text);
  ASSERT_FALSE(t.ok()) << "\"" << text << "\" was accepted as " << FormatTimestamp(*t);
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << text;
  EXPECT_NE(t.status().message().find("\"" + text + "\""), std::string::npos)
      << "the message should name the text: " << t.status().message();
}

TEST(Timestamp, RejectsDatesThatDoNotExist) {
  for (const char* text : {"2026-02-29", "2025-02-29T00:00:00Z", "2026-02-30T00:00:00Z",
                           "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
                           "2026-01-00T00:00:00Z", "2026-01-32T00:00:00Z", "1900-02-29"})
    ExpectRejected(text);
}

TEST(Timestamp, RejectsMalformedDates) {
  for (const char* text :
       {"", "2026", "2026-03", "2026-3-01", "2026-03-1", "26-03-01", "2026/03/01", "20260301",
        "abcd-ef-gh", "2026-03-01x", "２０２６-03-01", " 2026-03-01", "2026-03-01 "})
    ExpectRejected(text);
}

TEST(Timestamp, RejectsTimesWithoutAZone) {
  for (const char* text : {"2026-03-01T10:00:00", "2026-03-01T10:00:00.5", "2026-03-01 10:00:00"})
    ExpectRejected(text);
}

TEST(Timestamp, RejectsMalformedTimesOfDay) {
  for (const char* text :
       {"2026-03-01T", "2026-03-01T10Z", "2026-03-01T10:00Z", "2026-03-01T1:00:00Z",
        "2026-03-01T10:0:00Z", "2026-03-01T10-00-00Z", "2026-03-01T24:00:00Z",
        "2026-03-01T10:60:00Z", "2026-03-01T10:00:61Z", "2026-03-01X10:00:00Z",
        "2026-03-01T10:00:00.Z", "2026-03-01T10:00:00.1234567890Z", "2026-03-01T10:00:00,5Z",
        "2026-03-01T10:00:00ZZ", "2026-03-01T10:00:00Z ", "2026-03-01T10:00:00UTC"})
    ExpectRejected(text);
}

TEST(Timestamp, RejectsMalformedOffsets) {
  for (const char* text :
       {"2026-03-01T10:00:00+", "2026-03-01T10:00:00+02", "2026-03-01T10:00:00+0200",
        "2026-03-01T10:00:00+2:00", "2026-03-01T10:00:00+02:0", "2026-03-01T10:00:00+24:00",
        "2026-03-01T10:00:00+02:60", "2026-03-01T10:00:00+02:00Z", "2026-03-01T10:00:00 +02:00"})
    ExpectRejected(text);
}

// Every field of RFC 3339 is unsigned digits: a minus sign inside a field is not a number
// of this grammar, whatever strtol-like parsers accept.
TEST(Timestamp, RejectsSignsInsideNumericFields) {
  for (const char* text : {"-999-03-01", "-001-01-01T00:00:00Z", "2026--1-01", "2026-03--1",
                           "2026-03-01T-1:00:00Z", "2026-03-01T10:-1:00Z", "2026-03-01T10:00:-1Z",
                           "2026-03-01T10:00:00+-1:00", "2026-03-01T10:00:00+02:-1", "+026-03-01"})
    ExpectRejected(text);
}

// ---- event ids ----

TEST(EventIdTest, HexRoundTripIsLowerCaseAndAcceptsEitherCase) {
  auto id = EventId::FromHex("00112233445566778899AABBCCDDEEFF");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->bytes[0], 0x00);
  EXPECT_EQ(id->bytes[1], 0x11);
  EXPECT_EQ(id->bytes[15], 0xFF);
  EXPECT_EQ(id->ToHex(), "00112233445566778899aabbccddeeff");
  auto lower = EventId::FromHex("00112233445566778899aabbccddeeff");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(*lower, *id);
  for (int i = 0; i < 1000; ++i) {
    EventId r = EventId::Random();
    auto back = EventId::FromHex(r.ToHex());
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, r);
    EXPECT_EQ(r.ToHex().size(), 32u);
  }
}

TEST(EventIdTest, FromHexRejectsAnythingButThirtyTwoHexDigits) {
  for (const char* text :
       {"", "0", "0011223344556677889aabbccddeeff", "00112233445566778899aabbccddeeff0",
        "00112233445566778899aabbccddeefg", "00112233-4455-6677-8899-aabbccddeeff",
        " 0112233445566778899aabbccddeeff", "0x112233445566778899aabbccddeeff",
        "00112233445566778899aabbccddee f"}) {
    auto id = EventId::FromHex(text);
    EXPECT_FALSE(id.ok()) << "\"" << text << "\" was accepted";
    if (!id.ok()) {
      EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(EventIdTest, RandomIdsAreNeverZeroAndDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    EventId id = EventId::Random();
    EXPECT_FALSE(id.IsZero());
    EXPECT_TRUE(seen.insert(id.ToHex()).second);
  }
  EXPECT_TRUE(EventId{}.IsZero());
  EXPECT_EQ(EventId{}.ToHex(), std::string(32, '0'));
}

// ---- expected versions ----

TEST(ExpectedVersionTest, ParsesTheFourFormsAndPrintsThemBack) {
  for (const char* text :
       {"any", "no_stream", "stream_exists", "0", "1", "42", "9223372036854775807"}) {
    auto v = ExpectedVersion::Parse(text);
    ASSERT_TRUE(v.ok()) << text << ": " << v.status().ToString();
    EXPECT_EQ(v->ToString(), text);
  }
  EXPECT_EQ(ExpectedVersion::Parse("any")->kind(), ExpectedVersion::Kind::kAny);
  EXPECT_EQ(ExpectedVersion::Parse("no_stream")->kind(), ExpectedVersion::Kind::kNoStream);
  EXPECT_EQ(ExpectedVersion::Parse("stream_exists")->kind(), ExpectedVersion::Kind::kStreamExists);
  auto exact = ExpectedVersion::Parse("42");
  EXPECT_EQ(exact->kind(), ExpectedVersion::Kind::kExact);
  EXPECT_EQ(exact->version(), 42);
}

TEST(ExpectedVersionTest, RejectsEverythingElse) {
  for (const char* text :
       {"", "-1", "+1", "ANY", "Any", "nostream", "no-stream", "exists", " 1", "1 ", "1.5", "1e3",
        "0x10", "one", "9223372036854775808", "99999999999999999999"}) {
    auto v = ExpectedVersion::Parse(text);
    EXPECT_FALSE(v.ok()) << "\"" << text << "\" was accepted as " << v->ToString();
    if (!v.ok()) {
      EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(v.status().message().find(std::string("\"") + text + "\""), std::string::npos)
          << v.status().message();
    }
  }
}

TEST(ExpectedVersionTest, IsSatisfiedByFollowsItsKind) {
  EXPECT_TRUE(ExpectedVersion::Any().IsSatisfiedBy(kNoStream));
  EXPECT_TRUE(ExpectedVersion::Any().IsSatisfiedBy(5));
  EXPECT_TRUE(ExpectedVersion::NoStream().IsSatisfiedBy(kNoStream));
  EXPECT_FALSE(ExpectedVersion::NoStream().IsSatisfiedBy(0));
  EXPECT_FALSE(ExpectedVersion::StreamExists().IsSatisfiedBy(kNoStream));
  EXPECT_TRUE(ExpectedVersion::StreamExists().IsSatisfiedBy(0));
  EXPECT_TRUE(ExpectedVersion::Exact(3).IsSatisfiedBy(3));
  EXPECT_FALSE(ExpectedVersion::Exact(3).IsSatisfiedBy(2));
  EXPECT_FALSE(ExpectedVersion::Exact(0).IsSatisfiedBy(kNoStream));
}

// ---- stream ids ----

TEST(StreamId, AcceptsOneTo256PrintableAsciiBytes) {
  EXPECT_TRUE(ValidateStreamId("a").ok());
  EXPECT_TRUE(ValidateStreamId("case-00042").ok());
  EXPECT_TRUE(ValidateStreamId(std::string(256, 'x')).ok());
  std::string every_printable;
  for (char c = 0x21; c <= 0x7E; ++c) every_printable += c;
  EXPECT_TRUE(ValidateStreamId(every_printable).ok());
  EXPECT_EQ(kMaxStreamIdBytes, 256u);
}

TEST(StreamId, RejectsEmptyTooLongAndUnprintable) {
  auto empty = ValidateStreamId("");
  EXPECT_EQ(empty.code(), StatusCode::kInvalidArgument);
  auto long_id = ValidateStreamId(std::string(257, 'x'));
  EXPECT_EQ(long_id.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(long_id.message().find("257"), std::string::npos) << long_id.message();
  EXPECT_NE(long_id.message().find("256"), std::string::npos) << long_id.message();
  EXPECT_FALSE(ValidateStreamId(std::string(100000, 'x')).ok());
  for (std::string bad : {std::string("case 1"), std::string("case\t1"), std::string("case\n"),
                          std::string("case\0"
                                      "1",
                                      6),
                          std::string("case\x7f"), std::string("case\x80"),
                          std::string("caf\xc3\xa9"), std::string(" "), std::string(1, '\0')}) {
    Status s = ValidateStreamId(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument)
        << "accepted a stream id of " << bad.size() << " bytes";
  }
}

}  // namespace
}  // namespace caseledger
