// The segment log: DIR/log/NNNNNNNN.seg, the events themselves and the source of truth.
//
// Segments are preallocated and zero-filled ahead of need by a background thread (so an
// fdatasync flushes data, not file metadata), named by index, and never resized. The
// writer appends whole frames (log/frame.h); a frame that does not fit the rest of the
// current segment starts the next one, leaving zeros behind it.
//
// Thread-safety: the read side (Segment, SegmentFileCount) is safe from any thread; the
// write side (StartWriting, Append, Sync, WriteZeros) belongs to one writer thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "caseledger/file_system.h"
#include "caseledger/status.h"
#include "log/segment.h"

namespace caseledger::log {

// The writer never has more than this many bytes written and not yet synced (one group
// commit; see append/sequencer.cpp). After a crash, recovery clears stale bytes up to this
// far beyond the last good record, so that they can never be mistaken for records later.
inline constexpr uint64_t kMaxUnsyncedBytes = 64ull << 20;

class SegmentLog {
 public:
  struct Options {
    std::string log_dir;
    LedgerId ledger_id{};
    uint64_t segment_bytes = 0;
    std::shared_ptr<FileSystem> file_system;  // used by the writer only
    bool writable = false;
  };

  // Creates segment `index` (header, zeros to full size, synced, renamed into place).
  static Status CreateSegment(const Options& options, uint32_t index);

  // Opens the log directory. A writable log removes half-made segment files (*.tmp) that
  // a crash during preallocation left behind. The segments present must be numbered
  // 0..n-1 without gaps.
  static Result<std::unique_ptr<SegmentLog>> Open(const Options& options);
  ~SegmentLog();

  // ---- read side ----
  // The mapped segment `index`; NotFound if no such file exists (yet).
  Result<std::shared_ptr<const MappedSegment>> Segment(uint32_t index) const;
  uint32_t SegmentFileCount() const;
  // Notes a read at random of [offset, offset + length) of `segment`. What random reads
  // keep mapped is bounded by kRandomReadBudget: beyond it, every window they mapped is
  // released (the page cache keeps the pages, and a view still held faults them back in),
  // so that reads over a log larger than memory do not grow the resident set.
  static constexpr size_t kRandomReadBudget = 128 << 20;
  void NoteRandomRead(const MappedSegment& segment, size_t offset, size_t length) const;
  uint64_t segment_bytes() const { return options_.segment_bytes; }
  const std::string& log_dir() const { return options_.log_dir; }

  // ---- write side ----
  // Sets where the next frame goes and starts preallocating the segment after it.
  Status StartWriting(Location end);
  Location write_end() const { return write_end_; }
  // Writes `frames` (whole frames back to back; frame i is frame_sizes[i] bytes) at
  // write_end(), and appends each frame's location to `locations`. Not durable until
  // Sync(). On error nothing can be assumed about the bytes written.
  Status Append(std::span<const std::byte> frames, std::span<const uint32_t> frame_sizes,
                std::vector<Location>& locations);
  // fdatasync of every segment written since the last Sync.
  Status Sync();
  // Overwrites `length` bytes at `offset` of segment `index` with zeros; synced.
  Status ZeroAndSync(uint32_t index, uint64_t offset, uint64_t length);

 private:
  explicit SegmentLog(Options options) : options_(std::move(options)) {}
  Status OpenWriteFile(uint32_t index);
  Status WaitForSegment(uint32_t index);
  void RequestPreallocation(uint32_t index);
  void PreallocatorLoop(std::stop_token stop);

  const Options options_;

  mutable std::atomic<size_t> random_read_windows_{0};  // marked since the last release

  // Read side: mapped segments by index, mapped lazily.
  mutable std::mutex map_mutex_;
  mutable std::vector<std::shared_ptr<const MappedSegment>> mapped_;

  // Write side.
  Location write_end_;
  std::unique_ptr<WritableFile> write_file_;             // segment write_end_.segment
  std::vector<std::unique_ptr<WritableFile>> unsynced_;  // earlier segments awaiting Sync
  bool write_file_dirty_ = false;

  // Preallocation: segments 0..ready_count_-1 exist; want_count_ is how many should.
  std::mutex prealloc_mutex_;
  std::condition_variable_any prealloc_cv_;
  uint32_t ready_count_ = 0;
  uint32_t want_count_ = 0;
  Status prealloc_error_;
  std::jthread preallocator_;
};

}  // namespace caseledger::log
