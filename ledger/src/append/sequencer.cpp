#include "append/sequencer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "envelope/envelope_codec.h"
#include "merkle/hashing.h"

namespace caseledger {
namespace {

// A group stops growing at this many events or payload bytes, so that one burst cannot
// hold every caller behind a single enormous write. With a batch's own limit
// (max_append_bytes <= 32 MiB) this keeps a group's frames under log::kMaxUnsyncedBytes,
// which recovery relies on.
constexpr size_t kMaxGroupEvents = 20'000;
constexpr size_t kMaxGroupPayloadBytes = 16u << 20;

}  // namespace

Sequencer::Sequencer(log::SegmentLog& log, index::LedgerIndex& index, const store::LedgerMeta& meta,
                     const LedgerOptions& options, CommitState& commits,
                     index::IndexState recovered)
    : log_(log),
      meta_(meta),
      options_(options),
      commits_(commits),
      writer_(index, std::move(recovered)) {}

Sequencer::~Sequencer() {
  std::unique_lock lock(mutex_);
  closing_ = true;
  // Appends already queued are committed by their leaders; wait for them.
  idle_cv_.wait(lock, [&] { return queue_.empty() && !leader_active_; });
}

Status Sequencer::Health() const {
  std::lock_guard lock(mutex_);
  return health_;
}

Result<std::vector<AppendResult>> Sequencer::Append(const AdmittedBatch& batch,
                                                    std::string_view recorded_by) {
  Pending pending;
  pending.requests = batch.requests;
  pending.digests = batch.digests;
  pending.events = batch.events;
  pending.payload_bytes = batch.payload_bytes;
  pending.recorded_by =
      recorded_by.empty() ? std::string_view(options_.local_principal) : recorded_by;

  std::unique_lock lock(mutex_);
  if (!health_.ok()) return health_;
  if (closing_) return Status::Cancelled("the ledger is closing");
  queue_.push_back(&pending);
  arrivals_cv_.notify_one();
  pending.cv.wait(lock,
                  [&] { return pending.done || (queue_.front() == &pending && !leader_active_); });
  if (pending.done) return std::move(pending.result);

  // This caller leads the next group commit; the others queued behind it wait.
  leader_active_ = true;
  // Several writers were active last time: give them a moment to queue again, so that
  // one fdatasync serves them all. A lone writer never waits.
  if (last_group_size_ > 1 && queue_.size() < last_group_size_) {
    arrivals_cv_.wait_for(lock, options_.group_commit_max_wait,
                          [&] { return queue_.size() >= last_group_size_; });
  }
  group_.clear();
  size_t events = 0, bytes = 0;
  while (!queue_.empty() && events < kMaxGroupEvents && bytes < kMaxGroupPayloadBytes) {
    events += queue_.front()->events;
    bytes += queue_.front()->payload_bytes;
    group_.push_back(queue_.front());
    queue_.pop_front();
  }
  last_group_size_ = group_.size();
  lock.unlock();
  CommitGroup(group_);
  lock.lock();
  for (Pending* p : group_) {
    p->done = true;
    if (p != &pending) p->cv.notify_one();
  }
  leader_active_ = false;
  if (!queue_.empty()) queue_.front()->cv.notify_one();  // the next leader
  if (queue_.empty()) idle_cv_.notify_all();
  return std::move(pending.result);
}

Status Sequencer::Stop(const Status& cause) {
  Status stopped = Status::Stopped("appends stopped after a failure: " + cause.ToString());
  spdlog::error("ledger: {}", stopped.message());
  std::lock_guard lock(mutex_);
  if (health_.ok()) health_ = stopped;
  return health_;
}

void Sequencer::CommitGroup(std::vector<Pending*>& group) {
  Status failure = Health();
  // One recorded-at for the group: now, but never before the previous commit.
  const Timestamp recorded_at = std::max(Now(), writer_.state().last_recorded_at);
  const Position before = writer_.state().indexed_position;
  for (Pending* p : group) {
    if (!failure.ok()) break;
    auto write = Decide(*p, bases_);
    Status s =
        write.ok() ? (*write ? Write(*p, bases_, recorded_at) : Status::Ok()) : write.status();
    if (!s.ok()) failure = Stop(s);
  }
  if (failure.ok() && writer_.state().indexed_position > before) {
    Status s = log_.Sync();
    if (!s.ok()) {
      failure = Stop(s);
    } else if (s = writer_.Commit(log_.write_end()); !s.ok()) {
      failure =
          Stop(Status::IOError(s.ToString() +
                               "; the records of this append are durable in the log and will be "
                               "indexed when the ledger reopens (retrying with the same event ids "
                               "then returns their positions)"));
    } else {
      commits_.Publish(writer_.state().frontier.Head());
    }
  }
  // After a failure no answer of this group can be trusted: refusals and deduplications
  // may rest on records of the group that are not durable.
  if (!failure.ok())
    for (Pending* p : group) p->result = failure;
}

Result<bool> Sequencer::Decide(Pending& p, std::vector<StreamVersion>& bases) {
  const auto& requests = p.requests;

  // Idempotency first: a retry of an acknowledged append must succeed even though its
  // streams have moved on since.
  std::vector<AppendResult> original(requests.size());
  size_t found = 0, k = 0;
  for (size_t r = 0; r < requests.size(); ++r) {
    for (size_t i = 0; i < requests[r].events.size(); ++i, ++k) {
      const EventId& id = requests[r].events[i].id;
      CASELEDGER_ASSIGN_OR_RETURN(auto entry, writer_.FindId(id.bytes));
      if (!entry) continue;
      if (entry->digest != p.digests[k]) {
        p.result = Status::IdempotencyConflict(
            RequestPrefix(r, requests.size()) + "event " + std::to_string(i) + ": id " +
            id.ToHex() + " was already used at position " + std::to_string(entry->position) +
            " for different content");
        return false;
      }
      AppendResult& o = original[r];
      if (i == 0) {
        o.first_position = entry->position;
        o.first_version = entry->version;
      }
      o.last_position = entry->position;
      o.last_version = entry->version;
      o.deduplicated = true;
      ++found;
    }
  }
  if (found == p.events) {
    p.result = std::move(original);
    return false;
  }
  if (found > 0) {
    p.result = Status::IdempotencyConflict(
        std::to_string(found) + " of the " + std::to_string(p.events) +
        " event ids of this append were already appended, the others not; a retry must "
        "resend exactly the original append");
    return false;
  }

  // A correction names an earlier event: a position this append's own event follows.
  const Position first = writer_.next_position();
  k = 0;
  for (size_t r = 0; r < requests.size(); ++r) {
    for (size_t i = 0; i < requests[r].events.size(); ++i, ++k) {
      const Position corrects = requests[r].events[i].corrects;
      if (corrects != 0 && corrects >= first + k) {
        p.result = Status::InvalidArgument(
            RequestPrefix(r, requests.size()) + "event " + std::to_string(i) +
            ": corrects position " + std::to_string(corrects) +
            ", which is not an earlier event (this event would be position " +
            std::to_string(first + k) + ")");
        return false;
      }
    }
  }

  // Expected versions, in order: a later request on the same stream counts the earlier.
  std::unordered_map<std::string_view, StreamVersion> batch_heads;
  bases.clear();
  for (size_t r = 0; r < requests.size(); ++r) {
    const AppendRequest& request = requests[r];
    StreamVersion current;
    if (auto it = batch_heads.find(request.stream); it != batch_heads.end()) {
      current = it->second;
    } else {
      CASELEDGER_ASSIGN_OR_RETURN(current, writer_.CurrentVersion(request.stream));
    }
    if (!request.expected_version.IsSatisfiedBy(current)) {
      p.result = Status::WrongExpectedVersion(
          RequestPrefix(r, requests.size()) + "stream " + request.stream + " is at version " +
              (current == kNoStream ? std::string("no_stream") : std::to_string(current)) +
              ", the append expected " + request.expected_version.ToString(),
          current);
      return false;
    }
    bases.push_back(current);
    batch_heads[request.stream] = current + StreamVersion(request.events.size());
  }
  return true;
}

Status Sequencer::Write(Pending& p, const std::vector<StreamVersion>& bases,
                        Timestamp recorded_at) {
  const auto& requests = p.requests;
  frames_.clear();
  frame_sizes_.clear();
  leaves_.clear();
  locations_.clear();
  const Position first = writer_.next_position();
  const Position last = first + p.events - 1;
  size_t k = 0;
  for (size_t r = 0; r < requests.size(); ++r) {
    for (size_t i = 0; i < requests[r].events.size(); ++i, ++k) {
      const size_t before = frames_.size();
      envelope::EnvelopeFields fields{
          first + k,     requests[r].stream, bases[r] + 1 + StreamVersion(i), recorded_at,
          p.recorded_by, p.digests[k],       requests[r].events[i],           last};
      leaves_.push_back(merkle::LeafHash(envelope::AppendFramedRecord(fields, frames_)));
      frame_sizes_.push_back(static_cast<uint32_t>(frames_.size() - before));
    }
  }
  CASELEDGER_RETURN_IF_ERROR(log_.Append(frames_, frame_sizes_, locations_));
  std::vector<AppendResult> results;
  results.reserve(requests.size());
  k = 0;
  for (size_t r = 0; r < requests.size(); ++r) {
    const AppendRequest& request = requests[r];
    AppendResult& result = results.emplace_back();
    result.first_position = first + k;
    result.first_version = bases[r] + 1;
    for (size_t i = 0; i < request.events.size(); ++i, ++k)
      writer_.AddRecord(request.stream, bases[r] + 1 + StreamVersion(i), locations_[k],
                        request.events[i].id.bytes, p.digests[k], leaves_[k], recorded_at);
    result.last_position = first + k - 1;
    result.last_version = bases[r] + StreamVersion(request.events.size());
  }
  p.result = std::move(results);
  return Status::Ok();
}

}  // namespace caseledger
