// The benchmark's data set: N case events over N/10 streams, generated from a seed one at
// a time (10 million events never sit in memory), with JSON payloads of about 300 bytes
// and the stream/version layout of ../shared/peers (events land on random streams; each
// stream's versions run 0, 1, 2, ...).
//
// Until the domain generator exists (`caseledger gen`), this is a synthetic stand-in of
// the same shape as the peers' data set, so that figures compare like for like.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caseledger/event.h"

namespace caseledger::bench {

inline constexpr int kEventTypeCount = 12;
extern const char* const kEventTypes[kEventTypeCount];

struct DatasetEvent {
  uint32_t stream;
  StreamVersion version;
  int type;
  std::string payload;
};

class Dataset {
 public:
  Dataset(uint64_t events, uint64_t seed);

  uint64_t size() const { return events_; }
  uint64_t stream_count() const { return streams_; }
  std::string StreamId(uint32_t stream) const;  // "case-000042"
  // The events in order, regenerated from the seed on each pass.
  class Cursor {
   public:
    explicit Cursor(const Dataset& ds);
    bool Next(DatasetEvent& out);  // false after the last event
    uint64_t index() const { return i_; }

   private:
    const Dataset& ds_;
    uint64_t i_ = 0, rng_;
    std::vector<uint32_t> lengths_;
  };

  // Filled by a first pass: each stream's length and each type's count.
  const std::vector<uint32_t>& stream_lengths() const { return stream_lengths_; }
  const std::vector<uint64_t>& type_counts() const { return type_counts_; }
  double average_payload_bytes() const { return average_payload_; }

 private:
  uint64_t events_, streams_, seed_;
  std::vector<uint32_t> stream_lengths_;
  std::vector<uint64_t> type_counts_;
  double average_payload_ = 0;
};

// A ProposedEvent for a data set event, with a deterministic event id.
ProposedEvent ToProposedEvent(const DatasetEvent& e, uint64_t index, uint64_t seed);

}  // namespace caseledger::bench
