#include "append/sequencer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_set>

#include "envelope/envelope_codec.h"
#include "merkle/hashing.h"

namespace caseledger {
namespace {

// A group stops growing at this many events or payload bytes, so that one burst cannot
// hold every caller behind a single enormous write. With a request's own limit
// (max_append_bytes <= 32 MiB) this keeps a group's frames under log::kMaxUnsyncedBytes,
// which recovery relies on.
constexpr size_t kMaxGroupEvents = 20'000;
constexpr size_t kMaxGroupPayloadBytes = 16u << 20;

size_t PayloadBytes(const AppendRequest& request) {
  size_t n = 0;
  for (const ProposedEvent& e : request.events) n += e.payload.size();
  return n;
}

Status ValidateRequest(const AppendRequest& request, const LedgerOptions& options) {
  CASELEDGER_RETURN_IF_ERROR(ValidateStreamId(request.stream));
  if (request.events.empty()) return Status::InvalidArgument("append request has no events");
  if (request.events.size() > options.max_events_per_append)
    return Status::InvalidArgument("append request has " + std::to_string(request.events.size()) +
                                   " events; at most " +
                                   std::to_string(options.max_events_per_append) + " are allowed");
  if (size_t bytes = PayloadBytes(request); bytes > std::min<size_t>(options.max_append_bytes, 32u << 20))
    return Status::InvalidArgument("append request carries " + std::to_string(bytes) +
                                   " payload bytes; at most " +
                                   std::to_string(options.max_append_bytes) + " are allowed");
  std::unordered_set<std::string_view> ids;
  for (size_t i = 0; i < request.events.size(); ++i) {
    const ProposedEvent& e = request.events[i];
    auto where = [&] { return "event " + std::to_string(i) + " (id " + e.id.ToHex() + ")"; };
    Status s = ValidateProposedEvent(e);
    if (!s.ok()) return s.WithContext(where());
    if (e.payload.size() > options.max_payload_bytes)
      return Status::InvalidArgument(where() + ": payload of " + std::to_string(e.payload.size()) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(options.max_payload_bytes));
    std::string_view key(reinterpret_cast<const char*>(e.id.bytes.data()), 16);
    if (!ids.insert(key).second)
      return Status::InvalidArgument(where() + ": the same event id appears twice in one request");
  }
  return Status::Ok();
}

}  // namespace

Sequencer::Sequencer(log::SegmentLog& log, index::LedgerIndex& index,
                     const store::LedgerMeta& meta, const LedgerOptions& options,
                     CommitState& commits, index::IndexState recovered)
    : log_(log), meta_(meta), options_(options), commits_(commits),
      writer_(index, std::move(recovered)) {
  thread_ = std::jthread([this](std::stop_token st) { Run(st); });
}

Sequencer::~Sequencer() {
  thread_.request_stop();
  queued_cv_.notify_all();
  thread_.join();
  // Anything still queued arrived after the thread's last drain.
  std::lock_guard lock(mutex_);
  for (Pending* p : queue_) {
    p->result = Status::Cancelled("the ledger is closing");
    p->done.store(true, std::memory_order_release);
    p->done.notify_one();
  }
  queue_.clear();
}

Status Sequencer::Health() const {
  std::lock_guard lock(mutex_);
  return health_;
}

Result<AppendResult> Sequencer::Append(const AppendRequest& request, std::string_view recorded_by) {
  CASELEDGER_RETURN_IF_ERROR(ValidateRequest(request, options_));
  Pending pending;
  pending.request = &request;
  pending.recorded_by = recorded_by;
  pending.digests.reserve(request.events.size());
  for (const ProposedEvent& e : request.events)
    pending.digests.push_back(envelope::ComputeContentDigest(meta_.digest_key, request.stream, e));
  {
    std::lock_guard lock(mutex_);
    if (!health_.ok()) return health_;
    if (thread_.get_stop_token().stop_requested())
      return Status::Cancelled("the ledger is closing");
    queue_.push_back(&pending);
  }
  queued_cv_.notify_one();
  pending.done.wait(false, std::memory_order_acquire);
  return std::move(pending.result);
}

void Sequencer::Run(std::stop_token stop) {
  std::vector<Pending*> group;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      queued_cv_.wait(lock, stop, [&] { return !queue_.empty(); });
      if (queue_.empty()) return;  // stop requested and nothing left to answer
      // Several writers were active last time: give them a moment to queue again, so
      // that one fdatasync serves them all. A lone writer never waits.
      if (last_group_size_ > 1 && queue_.size() < last_group_size_) {
        auto deadline = std::chrono::steady_clock::now() + options_.group_commit_max_wait;
        queued_cv_.wait_until(lock, stop, deadline,
                              [&] { return queue_.size() >= last_group_size_; });
      }
      size_t events = 0, bytes = 0;
      while (!queue_.empty() && events < kMaxGroupEvents && bytes < kMaxGroupPayloadBytes) {
        events += queue_.front()->request->events.size();
        bytes += PayloadBytes(*queue_.front()->request);
        group.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    last_group_size_ = group.size();
    CommitGroup(group);
    group.clear();
  }
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
    Status s = Decide(*p, recorded_at);
    if (!s.ok()) failure = Stop(s);
  }
  if (failure.ok() && writer_.state().indexed_position > before) {
    Status s = log_.Sync();
    if (s.ok()) {
      s = writer_.Commit(log_.write_end());
      if (!s.ok()) {
        failure = Stop(Status::IOError(
            s.ToString() + "; the records of this append are durable in the log and will be "
                           "indexed when the ledger reopens (retrying with the same event ids "
                           "then returns their positions)"));
      }
    } else {
      failure = Stop(s);
    }
    if (failure.ok()) commits_.Publish(writer_.state().frontier.Head());
  }
  for (Pending* p : group) {
    // After a failure no answer of this group can be trusted: refusals and deduplications
    // may rest on records of the group that are not durable.
    if (!failure.ok()) p->result = failure;
    p->done.store(true, std::memory_order_release);
    p->done.notify_one();
  }
}

Status Sequencer::Decide(Pending& p, Timestamp recorded_at) {
  const AppendRequest& request = *p.request;
  const std::vector<ProposedEvent>& events = request.events;

  // Idempotency first: a retry of an acknowledged append must succeed even though the
  // stream has moved on since.
  size_t found = 0;
  AppendResult original;
  for (size_t i = 0; i < events.size(); ++i) {
    auto entry = writer_.FindId(events[i].id.bytes);
    if (!entry.ok()) return entry.status();
    if (!entry->has_value()) continue;
    const index::IdEntry& e = **entry;
    if (e.digest != p.digests[i]) {
      p.result = Status::IdempotencyConflict(
          "event " + std::to_string(i) + ": id " + events[i].id.ToHex() +
          " was already used at position " + std::to_string(e.position) +
          " for different content");
      return Status::Ok();
    }
    if (found == 0) {
      original.first_position = e.position;
      original.first_version = e.version;
    }
    original.last_position = e.position;
    original.last_version = e.version;
    ++found;
  }
  if (found == events.size()) {
    original.deduplicated = true;
    p.result = original;
    return Status::Ok();
  }
  if (found > 0) {
    p.result = Status::IdempotencyConflict(
        std::to_string(found) + " of the " + std::to_string(events.size()) +
        " event ids of this request were already appended, the others not; a retry must "
        "resend exactly the original request");
    return Status::Ok();
  }

  auto current = writer_.CurrentVersion(request.stream);
  if (!current.ok()) return current.status();
  if (!request.expected_version.IsSatisfiedBy(*current)) {
    p.result = Status::WrongExpectedVersion(
        "stream " + request.stream + " is at version " +
        (*current == kNoStream ? std::string("no_stream") : std::to_string(*current)) +
        ", the append expected " + request.expected_version.ToString(),
        *current);
    return Status::Ok();
  }

  frames_.clear();
  frame_sizes_.clear();
  leaves_.clear();
  locations_.clear();
  Position position = writer_.next_position();
  const std::string_view recorded_by =
      p.recorded_by.empty() ? std::string_view(options_.local_principal) : p.recorded_by;
  for (size_t i = 0; i < events.size(); ++i) {
    const size_t before = frames_.size();
    envelope::EnvelopeFields fields{position + i, request.stream, *current + 1 + StreamVersion(i),
                                    recorded_at,  recorded_by,    p.digests[i],
                                    events[i]};
    auto record = envelope::AppendFramedRecord(fields, frames_);
    leaves_.push_back(merkle::LeafHash(record));
    frame_sizes_.push_back(static_cast<uint32_t>(frames_.size() - before));
  }
  CASELEDGER_RETURN_IF_ERROR(log_.Append(frames_, frame_sizes_, locations_));
  for (size_t i = 0; i < events.size(); ++i)
    writer_.AddRecord(request.stream, *current + 1 + StreamVersion(i), locations_[i],
                      events[i].id.bytes, p.digests[i], leaves_[i], recorded_at);
  p.written = true;
  p.result = AppendResult{position, position + events.size() - 1, *current + 1,
                          *current + StreamVersion(events.size()), false};
  return Status::Ok();
}

}  // namespace caseledger
