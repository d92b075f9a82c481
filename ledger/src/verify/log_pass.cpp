#include "verify/log_pass.h"

#include <algorithm>
#include <deque>
#include <future>
#include <optional>
#include <thread>

#include "envelope/envelope_codec.h"
#include "index/keys.h"
#include "log/frame.h"
#include "merkle/frontier.h"
#include "merkle/hashing.h"

namespace caseledger::verify {
namespace {

using Kind = VerifyProblem::Kind;

class ProblemList {
 public:
  explicit ProblemList(size_t max) : max_(max) {}
  void Add(Kind kind, Position position, std::string detail) {
    if (!full()) list_.push_back({kind, position, std::move(detail)});
  }
  void Add(VerifyProblem p) { Add(p.kind, p.position, std::move(p.detail)); }
  bool full() const { return list_.size() >= max_; }
  std::vector<VerifyProblem> Take() { return std::move(list_); }

 private:
  size_t max_;
  std::vector<VerifyProblem> list_;
};

// The problem of a recomputed Merkle node that differs from the stored one (or that was
// not stored).
VerifyProblem TreeProblem(uint32_t level, uint64_t node_index, bool was_stored) {
  const Position first = (node_index << level) + 1;
  const Position last = (node_index + 1) << level;
  return {Kind::kTree, first,
          std::string(was_stored ? "the stored" : "no stored") + " Merkle node over positions " +
              std::to_string(first) + ".." + std::to_string(last) +
              (was_stored ? " differs from the one recomputed from the log" : "")};
}

// Compares completed Merkle nodes with the stored ones; only the first mismatch is
// reported (the ones above it differ too).
class StoredNodes {
 public:
  explicit StoredNodes(index::LedgerIndex& index) : index_(index) {}
  bool reported() const { return reported_; }
  void set_reported() { reported_ = true; }

  Status Check(uint32_t level, uint64_t node_index, const Hash256& hash, ProblemList& problems) {
    if (level < index::kStoredMerkleLevel || reported_) return Status::Ok();
    auto stored = index_.GetMerkleNode(level, node_index);
    if (!stored.ok()) return stored.status();
    if (stored->has_value() && **stored == hash) return Status::Ok();
    problems.Add(TreeProblem(level, node_index, stored->has_value()));
    reported_ = true;
    return Status::Ok();
  }

 private:
  index::LedgerIndex& index_;
  bool reported_ = false;
};

// ---- chunks ----

// What the checks between consecutive records carry from one record to the next.
struct Carried {
  Timestamp last_recorded{};  // of the last record decoded at its position
  Position append_last = 0;   // the last position of the append that record belongs to
};

// The chunk's first record decoded at its position, when the chunk was checked without
// knowing what the chunk before carries: it continues that chunk if ContinuesFrom.
struct Boundary {
  Position position;
  Timestamp recorded_at;
  Position append_last;
  bool ContinuesFrom(const Carried& before) const {
    return !(recorded_at < before.last_recorded) &&
           (position > before.append_last || append_last == before.append_last);
  }
};

struct ChunkResult {
  std::vector<VerifyProblem> problems;  // at most max_problems
  bool readable = true;                 // every record decoded at its position
  bool stopped = false;                 // the framing is lost: nothing after can be located
  log::Location end;                    // where the frame of the next position starts
  std::optional<Boundary> first;        // only when checked without `before`
  bool decoded_any = false;             // `carried` is the chunk's own
  Carried carried;                      // after its last record decoded at its position
  merkle::MerkleFrontier tree;
  MultisetDigest streams, ids, positions;
  uint64_t record_bytes = 0;
  Status status;  // the index could not be read
};

struct ExpectedEntries {
  std::string stream_key, stream_value, id_value, position_value;
};

// The index entries record `v` at `at` implies (index/keys.h).
void ImpliedEntries(const EventView& v, log::Location at, ExpectedEntries& e) {
  e.stream_key = index::StreamKey(v.stream, v.stream_version);
  e.stream_value.clear();
  AppendBE64(e.stream_value, v.position);
  AppendBE64(e.stream_value, at.Pack());
  e.id_value.clear();
  AppendBE64(e.id_value, v.position);
  AppendBE64(e.id_value, static_cast<uint64_t>(v.stream_version));
  e.id_value.append(reinterpret_cast<const char*>(v.content_digest.data()), 16);
  e.position_value.clear();
  AppendBE64(e.position_value, at.Pack());
}

std::string WhereInLog(log::Location at) {
  return "segment " + std::to_string(at.segment) + ", offset " + std::to_string(at.offset);
}

// Compares the stored Merkle nodes inside the chunk with the ones recomputed, one range
// scan per level. Reports the mismatch a leaf-by-leaf walk meets first (the node that
// completes earliest, the lowest level first), among the chunk's problems where that walk
// would have reported it.
Status CheckStoredNodes(index::LedgerIndex& index,
                        const std::vector<merkle::CompletedNode>& completed,
                        std::vector<VerifyProblem>& problems, size_t max_problems) {
  std::optional<merkle::CompletedNode> first_mismatch;
  std::optional<Hash256> mismatch_stored;
  auto completes = [](const merkle::CompletedNode& n) {
    return std::pair((n.index + 1) << n.level, n.level);
  };
  for (uint32_t level = index::kStoredMerkleLevel; level <= kChunkLevel; ++level) {
    uint64_t lo = UINT64_MAX, hi = 0;
    for (const auto& node : completed)
      if (node.level == level) lo = std::min(lo, node.index), hi = std::max(hi, node.index);
    if (lo > hi) continue;
    CASELEDGER_ASSIGN_OR_RETURN(auto stored, index.GetMerkleNodes(level, lo, hi - lo + 1));
    for (const auto& node : completed) {
      if (node.level != level) continue;
      const auto& s = stored[node.index - lo];
      if (s && *s == node.hash) continue;
      if (!first_mismatch || completes(node) < completes(*first_mismatch)) {
        first_mismatch = node;
        mismatch_stored = s;
      }
    }
  }
  if (!first_mismatch) return Status::Ok();
  const merkle::CompletedNode& node = *first_mismatch;
  const Position last = (node.index + 1) << node.level;
  auto before = std::find_if(problems.begin(), problems.end(),
                             [&](const VerifyProblem& p) { return p.position > last; });
  problems.insert(before, TreeProblem(node.level, node.index, mismatch_stored.has_value()));
  if (problems.size() > max_problems) problems.resize(max_problems);
  return Status::Ok();
}

// Checks positions first..last, whose frames start at `start`: frames, checksums,
// envelopes, the checks between records of the chunk, leaf hashes and the chunk's
// subtrees. first - 1 is a multiple of 2^kChunkLevel. With `before` (what the previous
// chunk carries), its first record is checked against it too; without, that record is
// left to the caller (ChunkResult::first).
ChunkResult CheckChunk(const log::SegmentLog& log, index::LedgerIndex& index,
                       const VerifyOptions& options, Position first, Position last,
                       log::Location start, Position n, std::optional<Carried> before) {
  ChunkResult r;
  ProblemList problems(options.max_problems);
  const uint64_t first_leaf = first - 1;
  std::vector<merkle::CompletedNode> completed;  // the nodes to compare with stored ones
  Timestamp last_recorded = before ? before->last_recorded : Timestamp{};
  Position append_last = before ? before->append_last : 0;
  bool carried = before.has_value();  // the checks against the record before can be made
  ExpectedEntries implied;
  log::Location at = start;
  std::shared_ptr<const log::MappedSegment> seg;  // the segment `at` is in, once mapped
  size_t read_from = at.offset;                   // where this chunk began reading in `seg`
  // The pages read are given back to the kernel (the page cache keeps them), so that
  // verifying a log larger than memory does not grow the resident set.
  auto release = [&] {
    if (seg) seg->ReleasePages(read_from, at.offset - read_from);
  };
  auto lost = [&](Position pos, std::string detail) {
    problems.Add(Kind::kFrame, pos, std::move(detail));
    r.readable = false;
    r.stopped = true;
  };
  for (Position pos = first; pos <= last; ++pos) {
    if (!seg) {
      auto mapped = log.Segment(at.segment);
      if (!mapped.ok()) {
        lost(pos, mapped.status().message());
        break;
      }
      seg = *mapped;
      if (at.offset < log::kSegmentHeaderBytes || at.offset > seg->size()) {
        seg = nullptr;  // a start outside the segment (a wrong hint): nothing was read
        lost(pos, "no frame at " + WhereInLog(at));
        break;
      }
    }
    auto parse = log::ParseFrame(seg->data() + at.offset, seg->size() - at.offset);
    if (parse.outcome == log::FrameParse::Outcome::kEnd) {
      auto next = log.Segment(at.segment + 1);
      if (!next.ok() && next.status().code() != StatusCode::kNotFound) {
        lost(pos, next.status().message());
        break;
      }
      if (next.ok()) {
        release();
        at = {at.segment + 1, static_cast<uint32_t>(log::kSegmentHeaderBytes)};
        seg = *next;
        read_from = at.offset;
        parse = log::ParseFrame(seg->data() + at.offset, seg->size() - at.offset);
      }
      if (parse.outcome == log::FrameParse::Outcome::kEnd) {
        lost(pos, "the log ends here, but " + std::to_string(n) + " events were committed");
        break;
      }
    }
    if (parse.outcome == log::FrameParse::Outcome::kBadFrame) {
      lost(pos, parse.error + " (" + WhereInLog(at) + ")");
      break;
    }
    std::span<const std::byte> record;
    if (parse.outcome == log::FrameParse::Outcome::kBadChecksum) {
      problems.Add(Kind::kChecksum, pos,
                   "the record's bytes do not match its frame checksum (" + WhereInLog(at) + ")");
      r.readable = false;
      // The framing itself was intact.
      record = {seg->data() + at.offset + log::kFrameHeaderBytes,
                LoadLE32(seg->data() + at.offset)};
    } else if (record = parse.record; true) {
      auto view = envelope::DecodeRecord(record);
      if (!view.ok()) {
        problems.Add(Kind::kRecord, pos, view.status().message());
        r.readable = false;
      } else if (view->position != pos) {
        problems.Add(Kind::kRecord, pos,
                     "the record holds position " + std::to_string(view->position));
        r.readable = false;
      } else {
        if (!carried) {
          // Checked against the previous chunk when the chunks are joined.
          r.first = Boundary{pos, view->recorded_at, view->append_last};
          append_last = view->append_last;
          carried = true;
        } else {
          if (view->recorded_at < last_recorded)
            problems.Add(Kind::kRecord, pos,
                         "recorded-at " + FormatTimestamp(view->recorded_at) +
                             " is earlier than the previous event's");
          // Appends are whole: a record either starts a new append or continues the
          // current one up to the same last position.
          if (pos > append_last) {
            append_last = view->append_last;
          } else if (view->append_last != append_last) {
            problems.Add(Kind::kRecord, pos,
                         "the record says its append ends at position " +
                             std::to_string(view->append_last) + ", the append it continues at " +
                             std::to_string(append_last));
          }
        }
        last_recorded = view->recorded_at;
        r.decoded_any = true;
        if (options.check_index) {
          ImpliedEntries(*view, at, implied);
          r.streams.Add(implied.stream_key, implied.stream_value);
          r.ids.Add({reinterpret_cast<const char*>(view->event_id.data()), view->event_id.size()},
                    implied.id_value);
          if (index::IsIndexedPosition(pos))
            r.positions.Add(index::PositionKey(pos), implied.position_value);
        }
      }
    }
    r.tree.Append(merkle::LeafHash(record), [&](const merkle::CompletedNode& node) {
      if (node.level >= index::kStoredMerkleLevel)
        completed.push_back({node.level, (first_leaf >> node.level) + node.index, node.hash});
    });
    r.record_bytes += record.size();
    at.offset += static_cast<uint32_t>(log::FramedSize(record.size()));
  }
  release();
  // The next position's frame starts here, or at the next segment's first frame.
  if (seg && log::IsEnd(seg->data() + at.offset, seg->size() - at.offset))
    at = {at.segment + 1, static_cast<uint32_t>(log::kSegmentHeaderBytes)};
  r.end = at;
  r.carried = {last_recorded, append_last};
  r.problems = problems.Take();
  r.status = CheckStoredNodes(index, completed, r.problems, options.max_problems);
  return r;
}

}  // namespace

Result<LogPass> CheckLog(const log::SegmentLog& log, index::LedgerIndex& index,
                         const TreeHead& stored_head, const VerifyOptions& options) {
  const Position n = stored_head.size;
  LogPass pass;
  ProblemList problems(options.max_problems);
  StoredNodes stored(index);
  merkle::MerkleFrontier tree;
  Carried carried;  // by the chunks joined so far

  // Joins the next chunk's result (checked from where the chunk before ended, its first
  // record against what that chunk carries): its problems, its subtrees into the tree.
  auto join = [&](ChunkResult r) -> Status {
    CASELEDGER_RETURN_IF_ERROR(r.status);
    for (VerifyProblem& p : r.problems) {
      if (p.kind == Kind::kTree) {
        if (stored.reported()) continue;
        stored.set_reported();
      }
      problems.Add(std::move(p));
    }
    if (r.decoded_any) carried = r.carried;
    pass.readable = pass.readable && r.readable;
    pass.events += r.tree.size();
    pass.record_bytes += r.record_bytes;
    pass.streams += r.streams;
    pass.ids += r.ids;
    pass.positions += r.positions;
    Status node_error;
    tree.Append(r.tree, [&](const merkle::CompletedNode& node) {
      if (node_error.ok()) node_error = stored.Check(node.level, node.index, node.hash, problems);
    });
    CASELEDGER_RETURN_IF_ERROR(node_error);
    if (options.progress) options.progress(pass.events, n);
    return Status::Ok();
  };

  // Each chunk after the first starts where the positions index says its first frame is,
  // so that workers need not wait for the chunk before. The index is only a hint: a
  // chunk is kept only if it starts exactly where the chunk before it ended, and checked
  // again from there otherwise, so every frame is located from the log's start.
  const unsigned workers =
      options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  const auto policy = workers > 1 ? std::launch::async : std::launch::deferred;
  constexpr Position kChunk = Position{1} << kChunkLevel;
  static_assert(kChunk % index::kPositionStride == 0);
  auto check = [&, n](Position first, log::Location start, std::optional<Carried> before) {
    return std::async(policy, [&log, &index, &options, first, start, n, before] {
      return CheckChunk(log, index, options, first, std::min(n, first + kChunk - 1), start, n,
                        before);
    });
  };
  struct Pending {
    Position first;
    log::Location start;
    std::future<ChunkResult> result;
  };
  std::deque<Pending> running;
  log::Location expected{};  // where the next chunk to join starts: after the last joined
  Position next = 1;         // the first position of the next chunk to start
  bool stopped = false;
  while (!stopped && !problems.full()) {
    while (running.size() < workers && next <= n) {
      log::Location start = expected;
      if (!running.empty()) {
        CASELEDGER_ASSIGN_OR_RETURN(auto hint, index.FloorPosition(next));
        if (!hint || hint->first != next) break;  // wait for the chunk before
        start = hint->second;
      }
      running.push_back({next, start, check(next, start, std::nullopt)});
      next += kChunk;
    }
    if (running.empty()) break;
    Pending p = std::move(running.front());
    running.pop_front();
    ChunkResult r = p.result.get();
    // Checked again from where the chunk before ended if the hint was wrong, and with
    // what that chunk carries if its first record does not simply continue it (so that
    // every record is checked against the one before it, as in one walk).
    if (p.start != expected || (r.first && !r.first->ContinuesFrom(carried)))
      r = check(p.first, expected, carried).get();
    expected = r.end;
    stopped = r.stopped;
    CASELEDGER_RETURN_IF_ERROR(join(std::move(r)));
  }
  pass.full = problems.full();
  pass.recomputed = tree.Head();
  if (!pass.full && pass.readable && pass.events == n && carried.append_last > n)
    problems.Add(Kind::kRecord, n,
                 "the last committed append ends at position " +
                     std::to_string(carried.append_last) + ", beyond the committed log");
  if (!pass.full && pass.recomputed.size == n && pass.recomputed.root != stored_head.root &&
      !stored.reported())
    problems.Add(Kind::kTree, 0,
                 "the root recomputed from the log (" + HashToHex(pass.recomputed.root) +
                     ") differs from the stored tree head (" + HashToHex(stored_head.root) + ")");
  pass.full = problems.full();
  pass.problems = problems.Take();
  return pass;
}

}  // namespace caseledger::verify
