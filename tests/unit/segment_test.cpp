// Mapped segments (log/segment.h): what random reads leave mapped is handed back. The
// resident size of the mapping is read from /proc/self/smaps, as the kernel counts it.
#include "log/segment.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "log/segment_log.h"
#include "temp_dir.h"

namespace caseledger::log {
namespace {

constexpr size_t kWindow = MappedSegment::kReadWindowBytes;
constexpr uint64_t kSegmentBytes = 8 * kWindow;

// Resident KiB of the mapping that starts at `start`.
long ResidentKiB(const void* start) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in_mapping = false;
  while (std::getline(smaps, line)) {
    unsigned long from = 0, to = 0;
    char dash = 0;
    std::istringstream header(line);
    if (header >> std::hex >> from >> dash >> to && dash == '-') {
      in_mapping = from == reinterpret_cast<uintptr_t>(start);
      continue;
    }
    if (in_mapping && line.rfind("Rss:", 0) == 0) return std::stol(line.substr(4));
  }
  return -1;
}

std::shared_ptr<const MappedSegment> OneSegment(const testing::TempDir& dir) {
  SegmentLog::Options options;
  options.log_dir = dir.path();
  options.segment_bytes = kSegmentBytes;
  options.file_system = PosixFileSystem();
  Status created = SegmentLog::CreateSegment(options, 0);
  EXPECT_TRUE(created.ok()) << created.ToString();
  auto log = SegmentLog::Open(options);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  auto seg = (*log)->Segment(0);
  EXPECT_TRUE(seg.ok()) << seg.status().ToString();
  return *seg;
}

TEST(Segment, RandomReadsAreCountedOncePerWindow) {
  testing::TempDir dir;
  auto seg = OneSegment(dir);
  EXPECT_EQ(seg->MarkRandomRead(kWindow + 8, 600), 1u);
  EXPECT_EQ(seg->MarkRandomRead(kWindow + 70'000, 600), 0u) << "same window";
  EXPECT_EQ(seg->MarkRandomRead(2 * kWindow - 16, 600), 1u) << "spans windows 1 and 2";
  EXPECT_EQ(seg->MarkRandomRead(kSegmentBytes - 600, 600), 1u) << "the last window";
  seg->ReleaseRandomReads();
  EXPECT_EQ(seg->MarkRandomRead(kWindow + 8, 600), 1u) << "marks are cleared by a release";
}

TEST(Segment, ReleasingRandomReadsDropsTheirPagesFromTheResidentSet) {
  testing::TempDir dir;
  auto seg = OneSegment(dir);
  // Read one byte in every other window, as scattered reads do.
  volatile std::byte sink{};
  for (size_t w = 0; w < kSegmentBytes / kWindow; w += 2) {
    sink = seg->data()[w * kWindow + 100];
    seg->MarkRandomRead(w * kWindow + 100, 1);
  }
  (void)sink;
  const long before = ResidentKiB(seg->data());
  ASSERT_GE(before, 4) << "the reads mapped nothing?";
  seg->ReleaseRandomReads();
  EXPECT_EQ(ResidentKiB(seg->data()), 0) << "was " << before << " KiB";
}

}  // namespace
}  // namespace caseledger::log
