#include "log/log_reader.h"

#include "envelope/envelope_codec.h"
#include "log/frame.h"

namespace caseledger::log {
namespace {

Status CorruptAt(Position position, Location at, const std::string& what) {
  return Status::Corruption("position " + std::to_string(position) + " (segment " +
                            std::to_string(at.segment) + ", offset " + std::to_string(at.offset) +
                            "): " + what);
}

Result<EventView> DecodeAt(const MappedSegment& seg, Location at, Position position) {
  FrameParse p = ParseFrame(seg.data() + at.offset, seg.size() - at.offset);
  if (p.outcome == FrameParse::Outcome::kEnd) return CorruptAt(position, at, "the log ends here");
  if (p.outcome != FrameParse::Outcome::kRecord) return CorruptAt(position, at, p.error);
  auto view = envelope::DecodeRecord(p.record);
  if (!view.ok()) return CorruptAt(position, at, view.status().message());
  if (view->position != position)
    return CorruptAt(position, at,
                     "the record there holds position " + std::to_string(view->position));
  return view;
}

}  // namespace

Result<EventView> ReadRecordAt(const SegmentLog& log, Location location, Position position) {
  CASELEDGER_ASSIGN_OR_RETURN(auto seg, log.Segment(location.segment));
  if (location.offset < kSegmentHeaderBytes || location.offset >= seg->size())
    return CorruptAt(position, location, "location lies outside the segment");
  auto view = DecodeAt(*seg, location, position);
  if (view.ok()) log.NoteRandomRead(*seg, location.offset, FramedSize(view->record.size()));
  return view;
}

Result<bool> LogCursor::Next(Position last, EventView& out) {
  if (next_ > last) return false;
  if (!segment_ || at_.segment != current_segment_) {
    CASELEDGER_ASSIGN_OR_RETURN(segment_, log_.Segment(at_.segment));
    current_segment_ = at_.segment;
    released_up_to_ = at_.offset;
  }
  FrameParse p = ParseFrame(segment_->data() + at_.offset, segment_->size() - at_.offset);
  if (p.outcome == FrameParse::Outcome::kEnd) {
    // The writer moved to the next segment because the frame did not fit here.
    Location next{at_.segment + 1, static_cast<uint32_t>(kSegmentHeaderBytes)};
    auto seg = log_.Segment(next.segment);
    if (!seg.ok()) {
      if (seg.status().code() != StatusCode::kNotFound) return seg.status();
      return CorruptAt(next_, at_, "the log ends before this committed position");
    }
    segment_->ReleasePages(released_up_to_, segment_->size() - released_up_to_);
    segment_ = *seg;
    current_segment_ = next.segment;
    released_up_to_ = next.offset;
    at_ = next;
    p = ParseFrame(segment_->data() + at_.offset, segment_->size() - at_.offset);
    if (p.outcome == FrameParse::Outcome::kEnd)
      return CorruptAt(next_, at_, "the log ends before this committed position");
  }
  if (p.outcome != FrameParse::Outcome::kRecord) return CorruptAt(next_, at_, p.error);
  auto view = envelope::DecodeRecord(p.record);
  if (!view.ok()) return CorruptAt(next_, at_, view.status().message());
  if (view->position != next_)
    return CorruptAt(next_, at_,
                     "the record there holds position " + std::to_string(view->position));
  out = *view;
  at_.offset += static_cast<uint32_t>(p.framed_size);
  ++next_;
  // Long scans hand pages back behind them, so that resident memory stays bounded
  // however much of the log they read.
  constexpr size_t kReleaseChunk = 32 << 20;
  if (at_.offset - released_up_to_ > 2 * kReleaseChunk) {
    segment_->ReleasePages(released_up_to_, kReleaseChunk);
    released_up_to_ += kReleaseChunk;
  }
  return true;
}

}  // namespace caseledger::log
