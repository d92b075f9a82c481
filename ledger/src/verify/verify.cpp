// Ledger::Verify: recompute everything from the log and compare it with what is stored.
//
// Pass 1 (verify/log_pass.h) walks the log on all cores: frames, checksums, envelopes,
// dense positions, recorded-at order, leaf hashes and the Merkle tree (stored nodes
// compared as they complete), and an order-independent digest of the index entries each
// record implies. Pass 2 walks the
// index and computes the same digests from what is stored; it also checks that every
// stream's versions run 0..n without gaps and that its head is n. If a digest differs,
// pass 3 looks records up one by one to name the first position whose entries are wrong.
#include <future>

#include "index/keys.h"
#include "ledger_impl.h"
#include "verify/log_pass.h"

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

// Pass 2: what the index holds, as digests comparable with the ones pass 1 computes from
// the log, and the checks that need the index alone. Entries of positions beyond `n`
// (committed after verify started) are left out.
struct IndexWalk {
  verify::MultisetDigest streams, ids, positions;
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
  verify::MultisetDigest index_heads, implied_heads;
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
  CASELEDGER_ASSIGN_OR_RETURN(verify::LogPass log,
                              verify::CheckLog(*log_, *index, stored_head, options));
  report.events = log.events;
  report.record_bytes = log.record_bytes;
  report.recomputed = log.recomputed;
  for (auto& p : log.problems) problem(p.kind, p.position, std::move(p.detail));
  const bool log_readable = log.readable;

  // ---- pass 2: the index (already walked beside pass 1) ----
  auto walked = index_walk.get();
  CASELEDGER_RETURN_IF_ERROR(walked.status);
  if (options.check_index && log_readable && !full) {
    for (auto& p : walked.problems) problem(p.kind, p.position, std::move(p.detail));
    const bool streams_ok = walked.streams == log.streams, ids_ok = walked.ids == log.ids,
               positions_ok = walked.positions == log.positions;

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
