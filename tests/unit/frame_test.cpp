// Frames (log/frame.h): what the segment log writes around each record, and the checks a
// reader makes before it trusts a record.
#include "log/frame.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <vector>

#include "util/endian.h"

namespace caseledger::log {
namespace {

using Outcome = FrameParse::Outcome;

std::vector<std::byte> RandomRecord(size_t bytes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::byte> record(bytes);
  for (auto& b : record) b = static_cast<std::byte>(rng());
  return record;
}

std::vector<std::byte> Framed(std::span<const std::byte> record) {
  std::vector<std::byte> frame(FramedSize(record.size()));
  EncodeFrame(record, frame.data());
  return frame;
}

// Memory whose last usable byte is followed by an inaccessible page: a parser that reads
// one byte past what it was given crashes instead of passing by luck.
class GuardedBuffer {
 public:
  explicit GuardedBuffer(size_t usable) {
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    data_pages_ = (usable + page - 1) / page * page;
    total_ = data_pages_ + page;
    void* p = ::mmap(nullptr, total_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
    base_ = static_cast<std::byte*>(p);
    if (::mprotect(base_ + data_pages_, page, PROT_NONE) != 0)
      throw std::runtime_error("mprotect failed");
  }
  ~GuardedBuffer() { ::munmap(base_, total_); }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;

  // Copies `bytes` so that they end right before the guard page; returns where they start.
  // The start stays 8-byte aligned when bytes.size() is a multiple of 8.
  const std::byte* Place(std::span<const std::byte> bytes) {
    std::byte* at = base_ + data_pages_ - bytes.size();
    std::memcpy(at, bytes.data(), bytes.size());
    return at;
  }

 private:
  std::byte* base_ = nullptr;
  size_t data_pages_ = 0, total_ = 0;
};

TEST(Frame, EncodedFrameParsesBackToTheSameRecord) {
  for (size_t words : {1u, 2u, 3u, 17u, 128u, 4096u}) {
    auto record = RandomRecord(words * 8, words);
    auto frame = Framed(record);
    ASSERT_EQ(frame.size(), record.size() + 24);
    FrameParse p = ParseFrame(frame.data(), frame.size());
    ASSERT_EQ(p.outcome, Outcome::kRecord) << words << " words: " << p.error;
    EXPECT_EQ(p.framed_size, frame.size());
    EXPECT_EQ(p.record.data(), frame.data() + kFrameHeaderBytes);  // a view, not a copy
    ASSERT_EQ(p.record.size(), record.size());
    EXPECT_EQ(std::memcmp(p.record.data(), record.data(), record.size()), 0);
  }
}

TEST(Frame, BytesFollowTheDocumentedLayout) {
  auto record = RandomRecord(40, 7);
  auto frame = Framed(record);
  EXPECT_EQ(LoadLE32(frame.data()), 40u);
  EXPECT_EQ(LoadLE32(frame.data() + 4), kFrameMagic);
  EXPECT_EQ(std::memcmp(frame.data() + 4, "CLRF", 4), 0);
  EXPECT_EQ(LoadLE64(frame.data() + 8), FrameChecksum(record));
  EXPECT_EQ(std::memcmp(frame.data() + 16, record.data(), 40), 0);
  EXPECT_EQ(LoadLE32(frame.data() + 56), 40u);
  EXPECT_EQ(LoadLE32(frame.data() + 60), kFrameMagic);
  EXPECT_EQ(frame.size() % 8, 0u);
}

TEST(Frame, ChecksumIsSeededWithTheLength) {
  // The same bytes under another length must not share a checksum: a record cut short
  // at a zero word would otherwise keep checksumming the same.
  std::vector<std::byte> zeros(16, std::byte{0});
  EXPECT_NE(FrameChecksum(std::span(zeros).first(8)), FrameChecksum(zeros));
}

TEST(Frame, FramesBackToBackParseOneAfterAnother) {
  std::vector<std::byte> log;
  std::vector<std::vector<std::byte>> records;
  for (size_t i = 1; i <= 5; ++i) {
    records.push_back(RandomRecord(i * 8, i));
    auto f = Framed(records.back());
    log.insert(log.end(), f.begin(), f.end());
  }
  log.resize(log.size() + 64, std::byte{0});  // the zero-filled rest of the segment
  size_t at = 0;
  for (const auto& r : records) {
    FrameParse p = ParseFrame(log.data() + at, log.size() - at);
    ASSERT_EQ(p.outcome, Outcome::kRecord);
    ASSERT_EQ(p.record.size(), r.size());
    EXPECT_EQ(std::memcmp(p.record.data(), r.data(), r.size()), 0);
    at += p.framed_size;
  }
  EXPECT_EQ(ParseFrame(log.data() + at, log.size() - at).outcome, Outcome::kEnd);
}

TEST(Frame, ZeroHeaderMeansTheEnd) {
  std::vector<std::byte> zeros(4096, std::byte{0});
  FrameParse p = ParseFrame(zeros.data(), zeros.size());
  EXPECT_EQ(p.outcome, Outcome::kEnd);
  EXPECT_TRUE(p.record.empty());
  EXPECT_EQ(p.framed_size, 0u);
}

TEST(Frame, LengthWithoutMagicOrMagicWithoutLengthIsBadNotEnd) {
  std::vector<std::byte> buf(256, std::byte{0});
  StoreLE32(buf.data(), 8);  // a length, but zero magic
  EXPECT_EQ(ParseFrame(buf.data(), buf.size()).outcome, Outcome::kBadFrame);
  StoreLE32(buf.data(), 0);
  StoreLE32(buf.data() + 4, kFrameMagic);  // magic, but zero length
  EXPECT_EQ(ParseFrame(buf.data(), buf.size()).outcome, Outcome::kBadFrame);
}

TEST(Frame, LengthThatIsNotAWholeNumberOfWordsIsBad) {
  auto frame = Framed(RandomRecord(64, 3));
  for (uint32_t length : {1u, 7u, 9u, 63u, 65u}) {
    auto copy = frame;
    StoreLE32(copy.data(), length);
    FrameParse p = ParseFrame(copy.data(), copy.size());
    EXPECT_EQ(p.outcome, Outcome::kBadFrame) << length;
    EXPECT_FALSE(p.error.empty());
  }
}

TEST(Frame, HugeLengthIsBadFrameWithoutReadingPastTheSegment) {
  auto frame = Framed(RandomRecord(64, 4));
  GuardedBuffer guarded(frame.size());
  for (uint32_t length : {72u, 4096u, 0x7FFFFFF8u, 0xFFFFFFF8u}) {
    auto copy = frame;
    StoreLE32(copy.data(), length);
    const std::byte* at = guarded.Place(copy);
    FrameParse p = ParseFrame(at, copy.size());
    EXPECT_EQ(p.outcome, Outcome::kBadFrame) << length;
    EXPECT_NE(p.error.find("past the end"), std::string::npos) << p.error;
  }
}

// Every single-byte change anywhere in a frame (header, record or trailer) is caught as a
// bad frame or a bad checksum, never accepted and never mistaken for the end of the log.
TEST(Frame, EverySingleByteFlipIsDetected) {
  auto record = RandomRecord(96, 5);
  auto frame = Framed(record);
  GuardedBuffer guarded(frame.size());
  size_t checked = 0;
  for (size_t i = 0; i < frame.size(); ++i) {
    for (uint8_t mask : {0x01, 0x02, 0x10, 0x80, 0xFF, 0x5A}) {
      auto copy = frame;
      copy[i] ^= std::byte{mask};
      const std::byte* at = guarded.Place(copy);
      FrameParse p = ParseFrame(at, copy.size());
      ASSERT_TRUE(p.outcome == Outcome::kBadFrame || p.outcome == Outcome::kBadChecksum)
          << "byte " << i << " ^ " << int(mask) << " gave outcome " << int(p.outcome);
      ASSERT_FALSE(p.error.empty()) << "byte " << i;
      if (i >= kFrameHeaderBytes && i < kFrameHeaderBytes + record.size()) {
        EXPECT_EQ(p.outcome, Outcome::kBadChecksum) << "record byte " << i;
      }
      if (i >= 8 && i < 16) {
        EXPECT_EQ(p.outcome, Outcome::kBadChecksum) << "checksum byte " << i;
      }
      if (i < 8 || i >= kFrameHeaderBytes + record.size()) {
        EXPECT_EQ(p.outcome, Outcome::kBadFrame) << "length/magic byte " << i;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, frame.size() * 6);
}

TEST(Frame, EveryTruncationOfAFrameIsEndOrBadFrameAndNeverReadsBeyondIt) {
  auto frame = Framed(RandomRecord(200, 6));
  for (size_t available = 0; available < frame.size(); ++available) {
    GuardedBuffer guarded(available == 0 ? 1 : available);
    const std::byte* at = guarded.Place(std::span(frame).first(available));
    FrameParse p = ParseFrame(at, available);
    if (available < kFrameHeaderBytes) {
      // No room for a header: nothing more can be in this segment.
      EXPECT_EQ(p.outcome, Outcome::kEnd) << available;
    } else {
      EXPECT_EQ(p.outcome, Outcome::kBadFrame) << available;
      EXPECT_NE(p.error.find("past the end"), std::string::npos) << p.error;
    }
  }
  // Exactly enough room is enough.
  GuardedBuffer guarded(frame.size());
  const std::byte* at = guarded.Place(frame);
  EXPECT_EQ(ParseFrame(at, frame.size()).outcome, Outcome::kRecord);
}

TEST(Frame, RandomBytesNeverParseAsARecordOrCrash) {
  std::mt19937_64 rng(99);
  GuardedBuffer guarded(1024);
  int records = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::byte> junk(8 + rng() % 1016);
    for (auto& b : junk) b = static_cast<std::byte>(rng());
    if (i % 3 == 0) StoreLE32(junk.data() + 4, kFrameMagic);  // get past the magic check
    if (i % 6 == 0) StoreLE32(junk.data(), static_cast<uint32_t>((rng() % 128) * 8));
    const std::byte* at = guarded.Place(junk);
    FrameParse p = ParseFrame(at, junk.size());
    if (p.outcome == Outcome::kRecord) ++records;
  }
  EXPECT_EQ(records, 0);
}

}  // namespace
}  // namespace caseledger::log
