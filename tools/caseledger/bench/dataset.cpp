#include "bench/dataset.h"

#include <cstdio>
#include <cstring>

namespace caseledger::bench {

const char* const kEventTypes[kEventTypeCount] = {
    "CaseOpened",        "ConsentRecorded",   "RiskAssessed",     "AssessmentCompleted",
    "CasePlanSet",       "ReferralMade",      "ReferralAccepted", "ServiceDelivered",
    "FollowUpScheduled", "FollowUpCompleted", "NoteAdded",        "CaseClosed"};

namespace {

uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
uint64_t Below(uint64_t& state, uint64_t n) { return SplitMix(state) % n; }

const char* const kServices[] = {"social_assistance", "education", "health",
                                 "psychosocial",      "legal",     "targeted_protection",
                                 "caregiver_support", "other"};
const char* const kRisk[] = {"low", "medium", "high"};
const char* const kWords[] = {"child",   "caregiver", "visit",      "school",   "attendance",
                              "plan",    "reviewed",  "supervisor", "notified", "safe",
                              "contact", "weekly",    "support",    "referral", "accepted",
                              "consent", "family",    "outcome"};

}  // namespace

Dataset::Dataset(uint64_t events, uint64_t seed)
    : events_(events),
      streams_(events / 10 ? events / 10 : 1),
      seed_(seed),
      type_counts_(kEventTypeCount, 0) {
  Cursor c(*this);
  DatasetEvent e;
  uint64_t bytes = 0;
  stream_lengths_.assign(streams_, 0);
  while (c.Next(e)) {
    ++stream_lengths_[e.stream];
    ++type_counts_[e.type];
    bytes += e.payload.size();
  }
  average_payload_ = events_ ? double(bytes) / double(events_) : 0;
}

std::string Dataset::StreamId(uint32_t stream) const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "case-%06u", stream);
  return buf;
}

Dataset::Cursor::Cursor(const Dataset& ds) : ds_(ds), rng_(ds.seed_), lengths_(ds.streams_, 0) {}

bool Dataset::Cursor::Next(DatasetEvent& e) {
  if (i_ >= ds_.events_) return false;
  e.stream = static_cast<uint32_t>(Below(rng_, ds_.streams_));
  e.version = lengths_[e.stream]++;
  e.type = e.version == 0 ? 0 : 1 + static_cast<int>(Below(rng_, kEventTypeCount - 1));
  char buf[160];
  std::string& d = e.payload;
  d.clear();
  std::snprintf(
      buf, sizeof buf,
      R"({"case":"c-%06u","childRef":"p-%08llx","serviceType":"%s","toAgency":"org-%02llu",)"
      R"("by":"w-%04llu","risk":"%s","consent":%s,"note":")",
      e.stream, static_cast<unsigned long long>(SplitMix(rng_) & 0xffffffff),
      kServices[Below(rng_, 8)], static_cast<unsigned long long>(Below(rng_, 40)),
      static_cast<unsigned long long>(Below(rng_, 500)), kRisk[Below(rng_, 3)],
      Below(rng_, 4) ? "true" : "false");
  d += buf;
  const size_t target = 270 + Below(rng_, 61);
  bool first = true;
  while (d.size() + 2 < target) {
    if (!first) d += ' ';
    d += kWords[Below(rng_, std::size(kWords))];
    first = false;
  }
  d += "\"}";
  ++i_;
  return true;
}

ProposedEvent ToProposedEvent(const DatasetEvent& e, uint64_t index, uint64_t seed) {
  ProposedEvent p;
  uint64_t state = seed ^ (index * 0x9E3779B97F4A7C15ull);
  uint64_t a = SplitMix(state), b = SplitMix(state) | 1;  // never all zero
  std::memcpy(p.id.bytes.data(), &a, 8);
  std::memcpy(p.id.bytes.data() + 8, &b, 8);
  p.type = kEventTypes[e.type];
  p.payload = e.payload;
  p.actor = Actor{"w-" + std::to_string(index % 500), "caseworker", "county-civil-affairs"};
  p.occurred_at = FromMicros(1'767'225'600'000'000 + int64_t(index) * 29'000'000);
  return p;
}

}  // namespace caseledger::bench
