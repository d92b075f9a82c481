// Ledger::Verify: recompute everything from the log and compare it with what is stored.
//
// Pass 1 walks the log: frames, checksums, envelopes, dense positions, recorded-at order,
// leaf hashes and the Merkle tree (stored nodes compared as they complete), and an
// order-independent digest of the index entries each record implies. Pass 2 walks the
// index and computes the same digests from what is stored; it also checks that every
// stream's versions run 0..n without gaps and that its head is n. If a digest differs,
// pass 3 looks records up one by one to name the first position whose entries are wrong.
#include <xxhash.h>

#include <cstring>
#include <future>

#include "envelope/envelope_codec.h"
#include "index/keys.h"
#include "ledger_impl.h"
#include "log/frame.h"
#include "merkle/hashing.h"

namespace caseledger {
inline namespace v1 {

const char* VerifyProblemKindName(VerifyProblem::Kind kind) {
  switch (kind) {
    case VerifyProblem::Kind::kFrame:
      return "frame";
    case VerifyProblem::Kind::kChecksum:
      return "checksum";
    case VerifyProblem::Kind::kRecord:
      return "record";
    case VerifyProblem::Kind::kIndex:
      return "index";
    case VerifyProblem::Kind::kTree:
      return "tree";
  }
  return "?";
}

std::string VerifyProblem::ToString() const {
  std::string where = position ? "position " + std::to_string(position) + ": " : std::string();
  return where + VerifyProblemKindName(kind) + ": " + detail;
}

}  // namespace v1

namespace {

using Kind = VerifyProblem::Kind;

// A digest of a multiset of (key, value) pairs: the sum of their 128-bit hashes. Equal
// multisets give equal digests; a missing, extra or altered entry changes it.
struct MultisetDigest {
  uint64_t low = 0, high = 0;
  void Add(std::string_view key, std::string_view value) {
    scratch_.assign(key);
    scratch_.append(value);
    XXH128_hash_t h = XXH3_128bits(scratch_.data(), scratch_.size());
    low += h.low64;
    high += h.high64;
  }
  bool operator==(const MultisetDigest& o) const { return low == o.low && high == o.high; }

 private:
  std::string scratch_;
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

std::string_view IdKey(const EventView& v) {
  return {reinterpret_cast<const char*>(v.event_id.data()), v.event_id.size()};
}

// Pass 2: what the index holds, as digests comparable with the ones pass 1 computes from
// the log, and the checks that need the index alone. Entries of positions beyond `n`
// (committed after verify started) are left out.
struct IndexWalk {
  MultisetDigest streams, ids, positions;
  std::vector<VerifyProblem> problems;
  Status status;
};

IndexWalk WalkIndex(index::LedgerIndex& index, Position n, size_t max_problems) {
  IndexWalk walk;
  auto problem = [&](Position position, std::string detail) {
    if (walk.problems.size() < max_problems)
      walk.problems.push_back({Kind::kIndex, position, std::move(detail)});
    return walk.problems.size() < max_problems;
  };
  // The streams family is sorted by (stream, version): each stream's versions must run
  // 0..n, and n must be its head.
  MultisetDigest index_heads, implied_heads;
  std::string current_stream;
  StreamVersion current_version = kNoStream;
  bool have_stream = false;
  auto close_stream = [&] {
    if (!have_stream) return;
    std::string v;
    AppendBE64(v, static_cast<uint64_t>(current_version));
    implied_heads.Add(current_stream, v);
  };
  walk.status = index.ForEach(
      index::LedgerIndex::Family::kStreams, [&](std::string_view key, std::string_view value) {
        if (key.size() < 10 || value.size() != 16 || key[key.size() - 9] != '\0')
          return problem(0, "a malformed entry in the streams index");
        if (LoadBE64(value.data()) > n) return true;
        std::string_view stream = key.substr(0, key.size() - 9);
        const auto version = static_cast<StreamVersion>(LoadBE64(key.data() + key.size() - 8));
        if (!have_stream || stream != current_stream) {
          close_stream();
          current_stream.assign(stream);
          current_version = kNoStream;
          have_stream = true;
        }
        bool more = true;
        if (version != current_version + 1)
          more = problem(LoadBE64(value.data()),
                         "stream " + current_stream + " jumps from version " +
                             std::to_string(current_version) + " to " + std::to_string(version));
        current_version = version;
        walk.streams.Add(key, value);
        return more;
      });
  close_stream();
  if (!walk.status.ok()) return walk;
  walk.status = index.ForEach(index::LedgerIndex::Family::kHeads,
                              [&](std::string_view key, std::string_view value) {
                                index_heads.Add(key, value);
                                return true;
                              });
  if (!walk.status.ok()) return walk;
  if (!(index_heads == implied_heads))
    problem(0, "the heads index disagrees with the streams index");
  walk.status = index.ForEach(index::LedgerIndex::Family::kIds,
                              [&](std::string_view key, std::string_view value) {
                                if (value.size() == 32 && LoadBE64(value.data()) > n) return true;
                                walk.ids.Add(key, value);
                                return true;
                              });
  if (!walk.status.ok()) return walk;
  walk.status = index.ForEach(index::LedgerIndex::Family::kPositions,
                              [&](std::string_view key, std::string_view value) {
                                if (key.size() == 8 && LoadBE64(key.data()) > n) return true;
                                walk.positions.Add(key, value);
                                return true;
                              });
  return walk;
}

}  // namespace

Result<VerifyReport> LedgerImpl::Verify(const VerifyOptions& options) {
  const std::shared_ptr<index::LedgerIndex> index = Index();  // the one this run checks
  VerifyReport report;
  const auto started = std::chrono::steady_clock::now();
  const TreeHead stored_head = commits_.tree_head();
  const Position n = stored_head.size;
  bool full = false;
  auto problem = [&](Kind kind, Position position, std::string detail) {
    if (report.problems.size() < options.max_problems)
      report.problems.push_back({kind, position, std::move(detail)});
    full = report.problems.size() >= options.max_problems;
  };

  // The index walk needs nothing from the log pass, so it runs beside it (on another
  // core when there is one); its digests are compared once both are done.
  const bool parallel = options.threads != 1;
  auto index_walk = std::async(parallel ? std::launch::async : std::launch::deferred, [&] {
    return options.check_index ? WalkIndex(*index, n, options.max_problems) : IndexWalk{};
  });

  // ---- pass 1: the log ----
  merkle::MerkleFrontier frontier;
  MultisetDigest log_streams, log_ids, log_positions;
  ExpectedEntries implied;
  bool log_readable = true;  // every record decoded: the index digests are meaningful
  bool tree_reported = false;
  log::Location at;
  Timestamp last_recorded{};
  Position append_last = 0;                       // the last position of the append being read
  std::shared_ptr<const log::MappedSegment> seg;  // the segment `at` is in, once mapped
  uint32_t seg_index = 0;
  for (Position pos = 1; pos <= n && !full; ++pos) {
    if (!seg || seg_index != at.segment) {
      auto mapped = log_->Segment(at.segment);
      if (!mapped.ok()) {
        problem(Kind::kFrame, pos, mapped.status().message());
        log_readable = false;
        break;
      }
      seg = *mapped;
      seg_index = at.segment;
    }
    auto parse = log::ParseFrame(seg->data() + at.offset, seg->size() - at.offset);
    if (parse.outcome == log::FrameParse::Outcome::kEnd) {
      auto next = log_->Segment(at.segment + 1);
      if (!next.ok() && next.status().code() != StatusCode::kNotFound) {
        problem(Kind::kFrame, pos, next.status().message());
        log_readable = false;
        break;
      }
      if (next.ok()) {
        at = {at.segment + 1, static_cast<uint32_t>(log::kSegmentHeaderBytes)};
        seg = *next;
        seg_index = at.segment;
        parse = log::ParseFrame(seg->data() + at.offset, seg->size() - at.offset);
      }
      if (parse.outcome == log::FrameParse::Outcome::kEnd) {
        problem(Kind::kFrame, pos,
                "the log ends here, but " + std::to_string(n) + " events were committed");
        log_readable = false;
        break;
      }
    }
    if (parse.outcome == log::FrameParse::Outcome::kBadFrame) {
      problem(Kind::kFrame, pos,
              parse.error + " (segment " + std::to_string(at.segment) + ", offset " +
                  std::to_string(at.offset) + ")");
      log_readable = false;
      break;  // the framing is lost: nothing after this can be located
    }
    std::span<const std::byte> record;
    size_t framed = 0;
    if (parse.outcome == log::FrameParse::Outcome::kBadChecksum) {
      problem(Kind::kChecksum, pos,
              "the record's bytes do not match its frame checksum (segment " +
                  std::to_string(at.segment) + ", offset " + std::to_string(at.offset) + ")");
      log_readable = false;
      const uint32_t length = LoadLE32(seg->data() + at.offset);  // framing itself was intact
      record = {seg->data() + at.offset + log::kFrameHeaderBytes, length};
      framed = log::FramedSize(length);
    } else {
      record = parse.record;
      framed = parse.framed_size;
      auto view = envelope::DecodeRecord(record);
      if (!view.ok()) {
        problem(Kind::kRecord, pos, view.status().message());
        log_readable = false;
      } else if (view->position != pos) {
        problem(Kind::kRecord, pos, "the record holds position " + std::to_string(view->position));
        log_readable = false;
      } else {
        if (view->recorded_at < last_recorded)
          problem(Kind::kRecord, pos,
                  "recorded-at " + FormatTimestamp(view->recorded_at) +
                      " is earlier than the previous event's");
        // Appends are whole: a record either starts a new append or continues the
        // current one up to the same last position.
        if (pos > append_last) {
          append_last = view->append_last;
        } else if (view->append_last != append_last) {
          problem(Kind::kRecord, pos,
                  "the record says its append ends at position " +
                      std::to_string(view->append_last) + ", the append it continues at " +
                      std::to_string(append_last));
        }
        last_recorded = view->recorded_at;
        if (options.check_index) {
          ImpliedEntries(*view, at, implied);
          log_streams.Add(implied.stream_key, implied.stream_value);
          log_ids.Add(IdKey(*view), implied.id_value);
          if (index::IsIndexedPosition(pos))
            log_positions.Add(index::PositionKey(pos), implied.position_value);
        }
      }
    }
    Status node_error;
    frontier.Append(merkle::LeafHash(record), [&](const merkle::CompletedNode& node) {
      if (node.level < index::kStoredMerkleLevel || tree_reported || !node_error.ok()) return;
      auto stored = index->GetMerkleNode(node.level, node.index);
      if (!stored.ok()) {
        node_error = stored.status();
        return;
      }
      if (!stored->has_value() || **stored != node.hash) {
        const Position first = (node.index << node.level) + 1;
        const Position last = (node.index + 1) << node.level;
        problem(Kind::kTree, first,
                std::string(stored->has_value() ? "the stored" : "no stored") +
                    " Merkle node over positions " + std::to_string(first) + ".." +
                    std::to_string(last) +
                    (stored->has_value() ? " differs from the one recomputed from the log" : ""));
        tree_reported = true;
      }
    });
    CASELEDGER_RETURN_IF_ERROR(node_error);
    report.events++;
    report.record_bytes += record.size();
    at.offset += static_cast<uint32_t>(framed);
    if (options.progress && (pos & 0xFFFF) == 0) options.progress(pos, n);
  }
  report.recomputed = frontier.Head();
  if (!full && log_readable && report.events == n && append_last > n)
    problem(Kind::kRecord, n,
            "the last committed append ends at position " + std::to_string(append_last) +
                ", beyond the committed log");
  if (!full && report.recomputed.size == n && report.recomputed.root != stored_head.root &&
      !tree_reported)
    problem(Kind::kTree, 0,
            "the root recomputed from the log (" + HashToHex(report.recomputed.root) +
                ") differs from the stored tree head (" + HashToHex(stored_head.root) + ")");
  if (options.progress) options.progress(report.events, n);

  // ---- pass 2: the index (already walked beside pass 1) ----
  auto walked = index_walk.get();
  CASELEDGER_RETURN_IF_ERROR(walked.status);
  if (options.check_index && log_readable && !full) {
    for (auto& p : walked.problems) problem(p.kind, p.position, std::move(p.detail));
    const bool streams_ok = walked.streams == log_streams, ids_ok = walked.ids == log_ids,
               positions_ok = walked.positions == log_positions;

    // ---- pass 3: name the first record whose entries are wrong ----
    if (!(streams_ok && ids_ok && positions_ok) && !full) {
      bool named = false;
      CASELEDGER_RETURN_IF_ERROR(ScanAll(1, n, [&](const EventView& v) {
        auto entries = index->ScanStream(v.stream, v.stream_version, Direction::kForward, 1);
        auto id = index->GetId(v.event_id);
        std::string what;
        if (!entries.ok() || entries->empty() || entries->front().version != v.stream_version ||
            entries->front().position != v.position)
          what = "its streams entry (" + std::string(v.stream) + "@" +
                 std::to_string(v.stream_version) + ")";
        else if (!id.ok() || !id->has_value() || (*id)->position != v.position)
          what = "its event id entry";
        if (what.empty()) return true;
        problem(Kind::kIndex, v.position, what + " is missing or wrong; run `caseledger reindex`");
        named = true;
        return false;
      }));
      if (!named)
        problem(Kind::kIndex, 0,
                std::string("the ") +
                    (!streams_ok ? "streams"
                     : !ids_ok   ? "event id"
                                 : "positions") +
                    " index holds entries the log does not imply; run `caseledger reindex`");
    }
  }
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace caseledger
