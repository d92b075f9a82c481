// A full disk and a failing fdatasync: the ledger must stop taking appends with a status
// that says why, keep answering reads, never acknowledge what it could not make durable,
// and recover everything acknowledged when it is reopened on a healthy disk.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "durability_checks.h"
#include "events.h"
#include "fault_injection_file_system.h"
#include "temp_dir.h"

namespace caseledger {
namespace {

using testing::AcknowledgedLog;
using testing::Event;
using testing::ExpectEveryAppendWhollyPresentOrAbsent;
using testing::ExpectHoldsEveryAcknowledgedEvent;
using testing::FaultInjectionFileSystem;
using testing::OpaqueLedger;
using testing::Request;
using testing::RequestPayload;
using testing::TempDir;

constexpr uint64_t kSegmentBytes = 64 << 10;
constexpr uint64_t kSegmentHeaderBytes = 64;  // docs/format.md, "Segment files"

class DiskFull : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Ledger::Create(dir_.path(), OpaqueLedger(kSegmentBytes)).ok());
  }

  // Opens the ledger over fs_. A fixed principal keeps every record of the same payload
  // size the same size on any machine.
  void OpenWithFaults() {
    LedgerOptions options;
    options.local_principal = "local:disk-full-test";
    options.file_system = fs_;
    auto ledger = Ledger::Open(dir_.path(), options);
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(ledger).value();
  }

  // Closes the faulty ledger and opens it again on the real file system.
  void ReopenOnHealthyDisk() {
    ledger_.reset();
    auto ledger = Ledger::Open(dir_.path(), {});
    ASSERT_TRUE(ledger.ok()) << "reopening on a healthy disk: " << ledger.status().ToString();
    ledger_ = std::move(ledger).value();
  }

  // A request of `count` (< 10) events with `padding` bytes of payload padding each. Tags
  // of a fixed width keep the records of equal requests equal in size.
  AppendRequest NewRequest(const std::string& stream, size_t count, size_t padding = 200) {
    char tag[16];
    std::snprintf(tag, sizeof tag, "r%05d", requests_++);
    std::vector<ProposedEvent> events;
    for (size_t i = 0; i < count; ++i)
      events.push_back(Event("NoteAdded", RequestPayload(tag, i, count, padding)));
    return Request(stream, ExpectedVersion::Any(), std::move(events));
  }

  // Appends `request`, recording it as acknowledged if it succeeds.
  Result<AppendResult> Append(const AppendRequest& request) {
    auto r = ledger_->Append(request);
    if (r.ok()) acked_.Add(request, *r);
    return r;
  }

  Position LastAcknowledgedPosition() const {
    Position last = 0;
    for (const auto& a : acked_.Snapshot()) last = std::max(last, a.position);
    return last;
  }

  uint64_t LogBytes() {
    auto stats = ledger_->GetStats();
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    return stats.ok() ? stats->log_bytes : 0;
  }

  // What a stopped ledger must do: report `failure` from Health() and from every later
  // append without trying to write (even once the disk has room again: only reopening can
  // tell what the failed write left behind), and go on serving every acknowledged event.
  void ExpectStoppedButReadable(const Status& failure) {
    EXPECT_EQ(ledger_->Health().code(), StatusCode::kStopped);
    EXPECT_EQ(ledger_->Health().message(), failure.message());
    fs_->FailWritesAfter(-1);
    const uint64_t syncs = fs_->syncs();
    auto later = ledger_->Append(NewRequest("case-later", 1));
    ASSERT_FALSE(later.ok()) << "an append succeeded after the ledger stopped";
    EXPECT_EQ(later.status().code(), StatusCode::kStopped);
    EXPECT_EQ(later.status().message(), failure.message());
    EXPECT_EQ(fs_->syncs(), syncs) << "a stopped ledger synced again";
    EXPECT_EQ(ledger_->CommittedPosition(), LastAcknowledgedPosition());
    ExpectHoldsEveryAcknowledgedEvent(*ledger_, acked_.Snapshot());
  }

  // After reopening: everything acknowledged is there, no request is there in part, and
  // appending works again.
  void ExpectRecoveredAndWritable() {
    ExpectHoldsEveryAcknowledgedEvent(*ledger_, acked_.Snapshot());
    const Position committed = ledger_->CommittedPosition();
    auto r = Append(NewRequest("case-after", 2));
    ASSERT_TRUE(r.ok()) << "appending after reopening: " << r.status().ToString();
    EXPECT_EQ(r->first_position, committed + 1);
    ExpectHoldsEveryAcknowledgedEvent(*ledger_, acked_.Snapshot());
  }

  // Fills segment 0 with three-event requests on a disk that has room for everything but
  // the next segment's preallocation, until an append fails. The request that fails is the
  // one that no longer fits in segment 0: it must start segment 1, which does not exist.
  // Returns the failure; the request is in failed_.
  Status FillUntilRolloverFails() {
    // Room for segment 0's records and segment 1's 64-byte header, not for its zeros.
    fs_->FailWritesAfter(kSegmentBytes - 1);
    OpenWithFaults();
    if (HasFatalFailure()) return Status::Ok();
    // One event first, to learn the framed size of every event of these requests.
    const uint64_t start = LogBytes();
    EXPECT_TRUE(Append(NewRequest("case-1", 1)).ok());
    const uint64_t frame = LogBytes() - start;
    const uint64_t room = kSegmentBytes - kSegmentHeaderBytes;
    // If frames filled segment 0 exactly, the record writes would use up the disk before
    // the rollover: then the padding above needs changing.
    EXPECT_NE(room % frame, 0u) << "frames of " << frame << " bytes fill a segment exactly";
    // Make the failing request straddle the end of segment 0: a whole request of three
    // events never fits in what is left.
    uint64_t left = room / frame - 1;
    if (left % 3 == 0) {
      EXPECT_TRUE(Append(NewRequest("case-1", 1)).ok());
      --left;
    }
    for (int n = 0; n < 1000; ++n) {
      AppendRequest request = NewRequest("case-" + std::to_string(n % 3), 3);
      auto r = Append(request);
      if (!r.ok()) {
        failed_ = request;
        EXPECT_LT(left, 3u) << "an append failed before segment 0 was full";
        return r.status();
      }
      left -= 3;
    }
    ADD_FAILURE() << "1000 appends succeeded on a full disk";
    return Status::Ok();
  }

  TempDir dir_;
  std::shared_ptr<FaultInjectionFileSystem> fs_ = std::make_shared<FaultInjectionFileSystem>();
  std::unique_ptr<Ledger> ledger_;
  AcknowledgedLog acked_;
  AppendRequest failed_;
  int requests_ = 0;
};

TEST_F(DiskFull, FailedRecordWriteStopsAppendsWithTheCauseAndKeepsReads) {
  ASSERT_NO_FATAL_FAILURE(OpenWithFaults());
  // The spare segment is preallocated in the background after opening; let it finish, so
  // that the full disk hits a record write.
  for (int i = 0; i < 500 && !std::filesystem::exists(dir_.Sub("log/00000001.seg")); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(std::filesystem::exists(dir_.Sub("log/00000001.seg")));
  for (int n = 0; n < 10; ++n)
    ASSERT_TRUE(Append(NewRequest("case-" + std::to_string(n % 3), 1 + n % 3)).ok());

  fs_->FailWritesAfter(8 << 10);
  Status failure;
  for (int n = 0; n < 1000 && failure.ok(); ++n) {
    AppendRequest request = NewRequest("case-" + std::to_string(n % 3), 1 + n % 3);
    failure = Append(request).status();
  }
  ASSERT_FALSE(failure.ok()) << "1000 appends succeeded on a full disk";
  EXPECT_EQ(failure.code(), StatusCode::kStopped) << failure.ToString();
  EXPECT_NE(failure.message().find("No space left on device"), std::string::npos)
      << failure.ToString();
  EXPECT_NE(failure.message().find("00000000.seg"), std::string::npos) << failure.ToString();
  ASSERT_NO_FATAL_FAILURE(ExpectStoppedButReadable(failure));

  ASSERT_NO_FATAL_FAILURE(ReopenOnHealthyDisk());
  ExpectRecoveredAndWritable();
  ExpectEveryAppendWhollyPresentOrAbsent(*ledger_);
}

TEST_F(DiskFull, FailedSegmentPreallocationStopsAppendsWithTheCauseAndKeepsReads) {
  const Status failure = FillUntilRolloverFails();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_FALSE(failure.ok());
  EXPECT_EQ(failure.code(), StatusCode::kStopped) << failure.ToString();
  EXPECT_NE(failure.message().find("No space left on device"), std::string::npos)
      << failure.ToString();
  EXPECT_NE(failure.message().find("segment 1"), std::string::npos) << failure.ToString();
  ASSERT_NO_FATAL_FAILURE(ExpectStoppedButReadable(failure));

  ASSERT_NO_FATAL_FAILURE(ReopenOnHealthyDisk());
  ExpectRecoveredAndWritable();
}

// The request the full disk cut off at the segment boundary had its first events written
// to segment 0 before the rollover failed. It was never acknowledged, so after reopening it
// may be there or not, but only as a whole: a retry with the same event ids (what a client
// does after an error) must then succeed, not fail with kIdempotencyConflict.
TEST_F(DiskFull, RequestCutOffAtAFailedRolloverIsNotHalfThereAfterReopening) {
  const Status failure = FillUntilRolloverFails();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(failure.code(), StatusCode::kStopped) << failure.ToString();
  ASSERT_NO_FATAL_FAILURE(ReopenOnHealthyDisk());

  ExpectEveryAppendWhollyPresentOrAbsent(*ledger_);
  auto retry = Append(failed_);
  ASSERT_TRUE(retry.ok()) << "retrying the failed request: " << retry.status().ToString();
  ExpectHoldsEveryAcknowledgedEvent(*ledger_, acked_.Snapshot());
}

// A full disk may also surface only at fdatasync (thin provisioning, network storage);
// any failed sync leaves the data's fate unknown and must never be taken for success.
TEST_F(DiskFull, FailedSyncIsNotAcknowledgedAndReopeningLosesNothingAcknowledged) {
  ASSERT_NO_FATAL_FAILURE(OpenWithFaults());
  for (int n = 0; n < 20; ++n)
    ASSERT_TRUE(Append(NewRequest("case-" + std::to_string(n % 3), 1 + n % 4)).ok());
  const Position committed = ledger_->CommittedPosition();
  const StreamVersion version = *ledger_->GetStreamVersion("case-1");

  fs_->FailSyncs();
  AppendRequest request = NewRequest("case-1", 3);
  auto r = Append(request);
  ASSERT_FALSE(r.ok()) << "an append was acknowledged although its fdatasync failed";
  EXPECT_EQ(r.status().code(), StatusCode::kStopped) << r.status().ToString();
  EXPECT_NE(r.status().message().find("fdatasync"), std::string::npos) << r.status().ToString();
  // Readers never see records whose sync failed.
  EXPECT_EQ(ledger_->CommittedPosition(), committed);
  EXPECT_TRUE(ledger_->ReadAll(committed + 1, 10)->empty());
  EXPECT_EQ(*ledger_->GetStreamVersion("case-1"), version);
  ASSERT_NO_FATAL_FAILURE(ExpectStoppedButReadable(r.status()));

  ASSERT_NO_FATAL_FAILURE(ReopenOnHealthyDisk());
  ExpectHoldsEveryAcknowledgedEvent(*ledger_, acked_.Snapshot());
  ExpectEveryAppendWhollyPresentOrAbsent(*ledger_);
  // The client retries the request it got an error for: the retry returns its positions
  // whether or not the records had reached the disk.
  auto retry = Append(request);
  ASSERT_TRUE(retry.ok()) << "retrying after reopening: " << retry.status().ToString();
  EXPECT_EQ(retry->first_position, committed + 1);
  ExpectRecoveredAndWritable();
}

}  // namespace
}  // namespace caseledger
