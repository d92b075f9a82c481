// Recovery, run by the writer on open: the index may lag the log (it is written without
// sync) and the log may end in a torn write (a crash before fdatasync returned). Both are
// repaired here; nothing that was acknowledged is lost, because every acknowledged record
// was synced before its caller heard back.
#include <spdlog/spdlog.h>

#include <cstring>
#include <fstream>

#include "envelope/envelope_codec.h"
#include "index/index_writer.h"
#include "ledger_impl.h"
#include "log/frame.h"
#include "merkle/hashing.h"
#include "util/endian.h"

namespace caseledger {

namespace {

constexpr size_t kRecoveryBatchRecords = 50'000;

std::string Where(Position position, log::Location at) {
  return "position " + std::to_string(position) + " (segment " + std::to_string(at.segment) +
         ", offset " + std::to_string(at.offset) + ")";
}

}  // namespace

Result<index::IndexState> LedgerImpl::RecoverTail(index::IndexState state) {
  // The index must not be ahead of the log: the frame that ends at log_end must hold the
  // last indexed position. Read it alone, walking back by its trailer, so that damage to
  // earlier records does not keep the ledger from opening (verify reports those).
  if (state.indexed_position > 0) {
    Status mismatch = LastRecordEndsAt(state.log_end, state.indexed_position);
    if (!mismatch.ok())
      return Status::Corruption("the index covers " + std::to_string(state.indexed_position) +
                                " events but the log does not end where the index says (" +
                                mismatch.message() +
                                "); run `caseledger verify` and then `caseledger reindex`");
  }

  index::IndexWriter writer(*index_, state);
  log::Location at = state.log_end;
  uint64_t recovered = 0;
  bool cut = false;
  // The records of an append whose last record has not been read yet: an append is kept
  // only whole, so a crash in the middle of writing one leaves no part of it behind.
  struct Held {
    EventView view;
    log::Location at;
  };
  std::vector<Held> held;
  while (true) {
    const Position expected = writer.next_position() + held.size();
    CASELEDGER_ASSIGN_OR_RETURN(auto seg, log_->Segment(at.segment));
    auto parse = log::ParseFrame(seg->data() + at.offset, seg->size() - at.offset);
    if (parse.outcome == log::FrameParse::Outcome::kEnd) {
      // The writer may have continued in the next segment with this very position.
      auto next = log_->Segment(at.segment + 1);
      if (!next.ok()) break;
      auto first = log::ParseFrame((*next)->data() + log::kSegmentHeaderBytes,
                                   (*next)->size() - log::kSegmentHeaderBytes);
      if (first.outcome != log::FrameParse::Outcome::kRecord) break;
      auto view = envelope::DecodeRecord(first.record);
      if (!view.ok() || view->position != expected) break;
      at = log::Location{at.segment + 1, static_cast<uint32_t>(log::kSegmentHeaderBytes)};
      continue;
    }
    if (parse.outcome != log::FrameParse::Outcome::kRecord) {
      cut = true;  // a frame torn by a crash mid-write
      break;
    }
    auto view = envelope::DecodeRecord(parse.record);
    if (!view.ok() || view->position != expected ||
        (!held.empty() && view->append_last != held.front().view.append_last)) {
      // A whole frame that is not the next record of the log (or of the append being
      // read): left over from a write that was never acknowledged.
      cut = true;
      break;
    }
    held.push_back({*view, at});
    at.offset += static_cast<uint32_t>(parse.framed_size);
    if (view->position < view->append_last) continue;  // the append goes on

    for (const Held& h : held) {
      const EventView& v = h.view;
      CASELEDGER_ASSIGN_OR_RETURN(StreamVersion current, writer.CurrentVersion(v.stream));
      if (v.stream_version != current + 1 || v.recorded_at < writer.state().last_recorded_at)
        return Status::Corruption(Where(v.position, h.at) + ": stream " + std::string(v.stream) +
                                  " version " + std::to_string(v.stream_version) +
                                  " does not follow the stream's version " +
                                  std::to_string(current) +
                                  " or its recorded-at goes back in time; run `caseledger verify`");
      envelope::ContentDigest digest;
      std::memcpy(digest.data(), v.content_digest.data(), digest.size());
      writer.AddRecord(v.stream, v.stream_version, h.at, v.event_id, digest,
                       merkle::LeafHash(v.record), v.recorded_at);
      ++recovered;
    }
    held.clear();
    if (writer.pending_records() >= kRecoveryBatchRecords) {
      CASELEDGER_RETURN_IF_ERROR(writer.Commit(at));
    }
  }
  if (!held.empty()) {
    // The log ends inside an append: it was never acknowledged; cut all of it.
    at = held.front().at;
    cut = true;
  }
  CASELEDGER_RETURN_IF_ERROR(CutTornTail(at, writer.next_position()));
  if (recovered > 0 || writer.state().indexed_position != state.indexed_position || cut)
    CASELEDGER_RETURN_IF_ERROR(writer.Commit(at));
  if (recovered > 0)
    spdlog::info("ledger {}: indexed {} events from the log's tail (positions up to {})", dir_,
                 recovered, writer.state().indexed_position);
  return writer.state();
}

Status LedgerImpl::LastRecordEndsAt(log::Location end, Position position) {
  CASELEDGER_ASSIGN_OR_RETURN(auto seg, log_->Segment(end.segment));
  if (end.offset < log::kSegmentHeaderBytes + log::kFrameOverheadBytes + 8 ||
      end.offset > seg->size())
    return Status::Corruption("log end offset " + std::to_string(end.offset) + " is impossible");
  const std::byte* trailer = seg->data() + end.offset - log::kFrameTrailerBytes;
  const uint32_t length = LoadLE32(trailer);
  const uint64_t framed = log::FramedSize(length);
  if (length == 0 || length % 8 != 0 || framed > end.offset - log::kSegmentHeaderBytes)
    return Status::Corruption("no frame ends at " + Where(position, end));
  const log::Location start{end.segment, static_cast<uint32_t>(end.offset - framed)};
  return log::ReadRecordAt(*log_, start, position).status();
}

Status LedgerImpl::CutTornTail(log::Location at, Position position) {
  // Find every non-zero byte the last (unsynced) write may have left beyond `at`.
  struct Range {
    uint32_t segment;
    uint64_t begin, end;
  };
  std::vector<Range> ranges;
  uint64_t budget = log::kMaxUnsyncedBytes;
  for (log::Location from = at; budget > 0;
       from = {from.segment + 1, uint32_t(log::kSegmentHeaderBytes)}) {
    auto seg = log_->Segment(from.segment);
    if (!seg.ok()) break;
    const std::byte* data = (*seg)->data();
    const uint64_t limit = std::min<uint64_t>((*seg)->size(), from.offset + budget);
    uint64_t first = limit, last = from.offset;
    for (uint64_t off = from.offset; off < limit; off += 8) {
      uint64_t word;
      std::memcpy(&word, data + off, 8);
      if (word != 0) {
        if (first == limit) first = off;
        last = off + 8;
      }
    }
    (*seg)->ReleasePages(from.offset, limit - from.offset);
    if (first < limit) ranges.push_back({from.segment, first, last});
    budget -= limit - from.offset;
  }
  if (ranges.empty()) return Status::Ok();

  // Keep the bytes as evidence before clearing them: they were never acknowledged, but an
  // operator may want to see what a crash interrupted.
  const std::string evidence = log_->log_dir() + "/torn-" + std::to_string(position) + "-" +
                               std::to_string(ToMicros(Now())) + ".bin";
  {
    std::ofstream out(evidence, std::ios::binary);
    for (const Range& r : ranges) {
      CASELEDGER_ASSIGN_OR_RETURN(auto seg, log_->Segment(r.segment));
      out << "segment " << r.segment << " offset " << r.begin << " length " << (r.end - r.begin)
          << "\n";
      out.write(reinterpret_cast<const char*>(seg->data() + r.begin),
                std::streamsize(r.end - r.begin));
      out << "\n";
    }
    out.flush();
    if (!out) return Status::IOError("cannot write " + evidence);
  }
  uint64_t total = 0;
  for (const Range& r : ranges) {
    CASELEDGER_RETURN_IF_ERROR(log_->ZeroAndSync(r.segment, r.begin, r.end - r.begin));
    total += r.end - r.begin;
  }
  spdlog::warn(
      "ledger {}: cut an unfinished write at {}: {} bytes that were never acknowledged, saved to "
      "{}",
      dir_, Where(position, at), total, evidence);
  return Status::Ok();
}

}  // namespace caseledger
