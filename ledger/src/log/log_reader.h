// Reading records back from the segment log: one at a known location, or sequentially.
// Every record read is framed, checksummed and decoded (envelope/envelope_codec.h), and
// its position checked; anything else is kCorruption naming the position.
#pragma once

#include <memory>

#include "caseledger/ledger.h"
#include "log/segment_log.h"

namespace caseledger::log {

// The record at `location`, which must hold position `position`. A read at random: what
// it maps counts against SegmentLog::kRandomReadBudget.
Result<EventView> ReadRecordAt(const SegmentLog& log, Location location, Position position);

// Walks the log forward from a known location, one record at a time.
class LogCursor {
 public:
  // `at` is where the frame of `next_position` starts.
  LogCursor(const SegmentLog& log, Location at, Position next_position)
      : log_(log), at_(at), next_(next_position) {}

  // Reads the record at the cursor into `out` and advances. Returns false (and reads
  // nothing) once the next position is beyond `last`.
  Result<bool> Next(Position last, EventView& out);

  Location location() const { return at_; }  // where the next frame starts
  Position next_position() const { return next_; }

 private:
  const SegmentLog& log_;
  Location at_;
  Position next_;
  std::shared_ptr<const MappedSegment> segment_;
  uint32_t current_segment_ = 0;  // index of segment_
  size_t released_up_to_ = 0;     // pages before this offset were handed back (see Next)
};

}  // namespace caseledger::log
