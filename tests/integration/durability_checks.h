// What the durability tests (power_loss_test, kill9_test, disk_full_test) check after a
// crash or a failure: the reopened ledger holds every acknowledged event exactly where its
// append said, positions and stream versions are still dense, and Verify finds nothing.
//
//   AcknowledgedLog acked;
//   auto r = ledger->Append(request);
//   if (r.ok()) acked.Add(request, *r);
//   ... crash, reopen ...
//   ExpectHoldsEveryAcknowledgedEvent(*reopened, acked.Snapshot());
//
// Every event the tests append carries RequestPayload(tag, i, n): the tag of its append
// and its place in it, so that all-or-nothing can be checked from the ledger alone, for
// appends whose outcome the writer never heard as well (ExpectEveryAppendWhollyPresentOrAbsent).
// RandomAppends makes the mix of appends that the crash tests interrupt.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "caseledger/ledger.h"
#include "events.h"

namespace caseledger::testing {

// One event of an append that returned OK, as its caller was told.
struct AcknowledgedEvent {
  Position position = 0;
  std::string stream;
  StreamVersion version = kNoStream;
  EventId id;
  std::string payload;
};

inline std::vector<AcknowledgedEvent> Acknowledged(const AppendRequest& request,
                                                   const AppendResult& result) {
  std::vector<AcknowledgedEvent> out;
  for (size_t i = 0; i < request.events.size(); ++i)
    out.push_back({result.first_position + i, request.stream,
                   result.first_version + static_cast<StreamVersion>(i), request.events[i].id,
                   request.events[i].payload});
  return out;
}

// Collects acknowledged events from many appender threads.
class AcknowledgedLog {
 public:
  void Add(const AppendRequest& request, const AppendResult& result) {
    auto events = Acknowledged(request, result);
    std::lock_guard lock(mutex_);
    events_.insert(events_.end(), events.begin(), events.end());
  }
  void Add(const AcknowledgedEvent& event) {
    std::lock_guard lock(mutex_);
    events_.push_back(event);
  }
  std::vector<AcknowledgedEvent> Snapshot() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  size_t size() const {
    std::lock_guard lock(mutex_);
    return events_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<AcknowledgedEvent> events_;
};

// The payload of event `index` of the `count` events of request `tag`, padded with
// `padding` bytes so that tests can vary record sizes. No spaces: kill9_test passes it
// through a line-oriented pipe.
inline std::string RequestPayload(std::string_view tag, size_t index, size_t count,
                                  size_t padding = 0) {
  return "{\"request\":\"" + std::string(tag) + "\",\"event\":" + std::to_string(index) +
         ",\"of\":" + std::to_string(count) + ",\"pad\":\"" + std::string(padding, 'x') + "\"}";
}

struct RequestTag {
  std::string tag;
  size_t index = 0;
  size_t count = 0;
};

inline std::optional<RequestTag> ParseRequestPayload(std::string_view payload) {
  auto field = [&](std::string_view name, char end) -> std::optional<std::string_view> {
    const std::string key = "\"" + std::string(name) + "\":";
    size_t at = payload.find(key);
    if (at == std::string_view::npos) return std::nullopt;
    at += key.size();
    size_t stop = payload.find(end, at + 1);
    if (stop == std::string_view::npos) return std::nullopt;
    return payload.substr(at, stop - at);
  };
  auto tag = field("request", ',');
  auto index = field("event", ',');
  auto count = field("of", ',');
  if (!tag || !index || !count || tag->size() < 2) return std::nullopt;
  return RequestTag{std::string(tag->substr(1, tag->size() - 2)), std::stoul(std::string(*index)),
                    std::stoul(std::string(*count))};
}

// Reads every committed event, checking on the way that positions run 1..CommittedPosition()
// without a gap and that each stream's versions run 0, 1, 2, ... in position order.
inline std::vector<RecordedEvent> ReadWholeLedger(Ledger& ledger) {
  const Position committed = ledger.CommittedPosition();
  // Ask for more than is committed: nothing beyond CommittedPosition() may come back.
  auto all = ledger.ReadAll(1, committed + 100);
  if (!all.ok()) {
    ADD_FAILURE() << "ReadAll: " << all.status().ToString();
    return {};
  }
  EXPECT_EQ(all->size(), committed) << "ReadAll(1, ...) should return every committed event";
  std::map<std::string, StreamVersion, std::less<>> next_version;
  int reported = 0;
  for (size_t i = 0; i < all->size(); ++i) {
    const RecordedEvent& e = (*all)[i];
    StreamVersion& next = next_version[e.stream];
    if ((e.position != i + 1 || e.stream_version != next) && reported++ < 10)
      ADD_FAILURE() << "event " << i << " of ReadAll has position " << e.position << " (expected "
                    << i + 1 << ") and version " << e.stream_version << " of stream " << e.stream
                    << " (expected " << next << ")";
    next = e.stream_version + 1;
  }
  for (const auto& [stream, next] : next_version) {
    auto head = ledger.GetStreamVersion(stream);
    EXPECT_TRUE(head.ok() && *head == next - 1)
        << "GetStreamVersion(" << stream
        << ") = " << (head.ok() ? std::to_string(*head) : head.status().ToString()) << ", expected "
        << next - 1;
  }
  return std::move(all).value();
}

// The reopened `ledger` holds every event of `acked` at its acknowledged position and
// stream version, with its id and payload, whether read by position or by stream;
// positions and versions are dense; Verify reports no problem.
inline void ExpectHoldsEveryAcknowledgedEvent(Ledger& ledger,
                                              const std::vector<AcknowledgedEvent>& acked) {
  const std::vector<RecordedEvent> all = ReadWholeLedger(ledger);
  int reported = 0;
  auto report = [&](const AcknowledgedEvent& a, const std::string& what) {
    if (reported++ < 10)
      ADD_FAILURE() << "acknowledged event " << a.id.ToHex() << " (position " << a.position << ", "
                    << a.stream << "@" << a.version << "): " << what;
  };
  std::map<std::string, std::vector<const AcknowledgedEvent*>> by_stream;
  for (const AcknowledgedEvent& a : acked) {
    by_stream[a.stream].push_back(&a);
    if (a.position == 0 || a.position > all.size()) {
      report(a, "lost: the ledger ends at position " + std::to_string(all.size()));
      continue;
    }
    const RecordedEvent& e = all[a.position - 1];
    if (e.event.id != a.id || e.stream != a.stream || e.stream_version != a.version ||
        e.event.payload != a.payload)
      report(a, "position " + std::to_string(a.position) + " holds event " + e.event.id.ToHex() +
                    " (" + e.stream + "@" + std::to_string(e.stream_version) + ") instead");
  }
  for (const auto& [stream, events] : by_stream) {
    auto read = ledger.ReadStream(stream, 0, Direction::kForward, all.size() + 1);
    if (!read.ok()) {
      ADD_FAILURE() << "ReadStream(" << stream << "): " << read.status().ToString();
      continue;
    }
    for (const AcknowledgedEvent* a : events) {
      const auto v = static_cast<size_t>(a->version);
      if (v >= read->size() || (*read)[v].position != a->position || (*read)[v].event.id != a->id ||
          (*read)[v].event.payload != a->payload)
        report(*a, "ReadStream(" + stream + ") does not return it at version " +
                       std::to_string(a->version));
    }
  }
  if (reported > 10) ADD_FAILURE() << reported - 10 << " more acknowledged events are wrong";
  auto verify = ledger.Verify({});
  ASSERT_TRUE(verify.ok()) << verify.status().ToString();
  EXPECT_TRUE(verify->ok()) << verify->problems.front().ToString();
  EXPECT_EQ(verify->events, all.size());
}

// Every append (a request, or a batch of them) whose events carry RequestPayload is in the
// ledger wholly (all its events, in order, at consecutive positions) or not at all, whether
// it was acknowledged or not.
inline void ExpectEveryAppendWhollyPresentOrAbsent(Ledger& ledger) {
  const std::vector<RecordedEvent> all = ReadWholeLedger(ledger);
  struct Seen {
    std::vector<const RecordedEvent*> events;
    size_t count = 0;
  };
  std::map<std::string, Seen> appends;
  for (const RecordedEvent& e : all) {
    auto tag = ParseRequestPayload(e.event.payload);
    if (!tag) continue;  // not written by a durability test
    Seen& seen = appends[tag->tag];
    seen.count = tag->count;
    seen.events.push_back(&e);
  }
  int reported = 0;
  for (const auto& [tag, seen] : appends) {
    bool whole = seen.events.size() == seen.count;
    for (size_t i = 0; whole && i < seen.events.size(); ++i)
      whole = ParseRequestPayload(seen.events[i]->event.payload)->index == i &&
              seen.events[i]->position == seen.events[0]->position + i;
    if (!whole && reported++ < 10)
      ADD_FAILURE() << "append " << tag << " of " << seen.count << " events is in the ledger "
                    << "only in part: " << seen.events.size() << " of its events, from position "
                    << seen.events.front()->position << " to " << seen.events.back()->position
                    << " (CommittedPosition() = " << ledger.CommittedPosition() << ")";
  }
}

// A random mix of appends as applications make them: mostly single requests, some batches
// of two or three (AppendBatch); one request in three has 2..8 events; half of the requests
// go to streams only this appender writes, with the exact expected version, the others to
// shared streams with ExpectedVersion::Any(). Every event carries RequestPayload with the
// append's tag. Not thread-safe: one per appender thread.
class RandomAppends {
 public:
  // `name` names this appender's own streams: unique among the appenders of a ledger, and
  // the same in a later run that should continue them. `tag_prefix` + `name` prefixes the
  // tags of its appends: unique over the ledger's life.
  RandomAppends(std::string name, std::string tag_prefix, uint64_t seed, size_t max_padding)
      : name_(std::move(name)),
        tag_prefix_(std::move(tag_prefix)),
        rng_(seed),
        max_padding_(max_padding) {}

  // Performs the next append. On OK returns its events as acknowledged; otherwise the
  // status, and the appender should not be used again.
  Result<std::vector<AcknowledgedEvent>> Next(Ledger& ledger) {
    const std::string tag = tag_prefix_ + name_ + "-" + std::to_string(appends_++);
    const size_t request_count = rng_() % 6 == 0 ? 2 + rng_() % 2 : 1;
    std::vector<AppendRequest> requests(request_count);
    std::map<std::string, StreamVersion> batch_versions;  // own streams, counting this batch
    size_t total = 0;
    for (AppendRequest& request : requests) {
      const bool own = rng_() % 2 == 0;
      request.stream = own ? "case-" + name_ + "-" + std::to_string(rng_() % 3)
                           : "shared-" + std::to_string(rng_() % 4);
      request.events.resize(rng_() % 3 == 0 ? 2 + rng_() % 7 : 1);
      total += request.events.size();
      if (own) {
        auto known = batch_versions.find(request.stream);
        if (known == batch_versions.end()) {
          auto version = OwnVersion(ledger, request.stream);
          if (!version.ok()) return version.status();
          known = batch_versions.emplace(request.stream, *version).first;
        }
        request.expected_version = known->second == kNoStream
                                       ? ExpectedVersion::NoStream()
                                       : ExpectedVersion::Exact(known->second);
        known->second += static_cast<StreamVersion>(request.events.size());
      }
    }
    size_t index = 0;
    for (AppendRequest& request : requests)
      for (ProposedEvent& e : request.events) {
        e = Event("NoteAdded", RequestPayload(tag, index++, total, rng_() % (max_padding_ + 1)));
      }
    std::vector<AppendResult> results;
    if (requests.size() == 1) {
      auto r = ledger.Append(requests[0]);
      if (!r.ok()) return r.status();
      results.push_back(*r);
    } else {
      auto r = ledger.AppendBatch(requests);
      if (!r.ok()) return r.status();
      results = std::move(r).value();
    }
    std::vector<AcknowledgedEvent> acked;
    for (size_t r = 0; r < requests.size(); ++r) {
      auto events = Acknowledged(requests[r], results[r]);
      acked.insert(acked.end(), events.begin(), events.end());
      if (own_.count(requests[r].stream)) own_[requests[r].stream] = results[r].last_version;
    }
    return acked;
  }

 private:
  // The version of one of this appender's own streams: read from the ledger the first time
  // (an earlier run may have written it), then tracked.
  Result<StreamVersion> OwnVersion(Ledger& ledger, const std::string& stream) {
    if (auto it = own_.find(stream); it != own_.end()) return it->second;
    auto version = ledger.GetStreamVersion(stream);
    if (version.ok()) own_[stream] = *version;
    return version;
  }

  const std::string name_;
  const std::string tag_prefix_;
  std::mt19937_64 rng_;
  const size_t max_padding_;
  uint64_t appends_ = 0;
  std::map<std::string, StreamVersion> own_;
};

}  // namespace caseledger::testing
