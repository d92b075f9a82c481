#include "events.h"

#include <gtest/gtest.h>

namespace caseledger::testing {

ProposedEvent Event(std::string type, std::string payload) {
  ProposedEvent e;
  e.id = EventId::Random();
  e.type = std::move(type);
  e.payload = std::move(payload);
  e.actor = Actor{"w-17", "caseworker", "county-civil-affairs"};
  e.occurred_at = FromMicros(1'772'000'000'000'000);  // 2026-02-25
  return e;
}

AppendRequest Request(std::string stream, ExpectedVersion expected,
                      std::vector<ProposedEvent> events) {
  AppendRequest r;
  r.stream = std::move(stream);
  r.expected_version = expected;
  r.events = std::move(events);
  return r;
}

CreateOptions OpaqueLedger(uint64_t segment_bytes) {
  CreateOptions create;
  create.segment_bytes = segment_bytes;
  create.events = EventSchema::kOpaque;
  return create;
}

std::unique_ptr<Ledger> CreateAndOpen(const std::string& dir, uint64_t segment_bytes,
                                      LedgerOptions options) {
  Status s = Ledger::Create(dir, OpaqueLedger(segment_bytes));
  if (!s.ok()) {
    ADD_FAILURE() << "Ledger::Create(" << dir << "): " << s.ToString();
    return nullptr;
  }
  auto ledger = Ledger::Open(dir, options);
  if (!ledger.ok()) {
    ADD_FAILURE() << "Ledger::Open(" << dir << "): " << ledger.status().ToString();
    return nullptr;
  }
  return std::move(ledger).value();
}

}  // namespace caseledger::testing
