// Building append requests in tests with as little noise as possible.
//
//   AppendRequest r = Request("case-1", ExpectedVersion::NoStream(), {Event("CaseOpened")});
#pragma once

#include <string>
#include <vector>

#include "caseledger/event.h"
#include "caseledger/ledger.h"

namespace caseledger::testing {

// An event with a fresh random id, the given type and payload, and a fixed actor.
ProposedEvent Event(std::string type, std::string payload = "{}");

AppendRequest Request(std::string stream, ExpectedVersion expected,
                      std::vector<ProposedEvent> events);

// Options of an opaque ledger (any type, payload stored as given): the engine's tests
// exercise the log, the index and the append path, not the catalogue.
CreateOptions OpaqueLedger(uint64_t segment_bytes);

// An opaque ledger created in `dir` with small segments (`segment_bytes`), opened as the writer.
// Aborts the test (ADD_FAILURE + nullptr) if either step fails.
std::unique_ptr<Ledger> CreateAndOpen(const std::string& dir, uint64_t segment_bytes = 1 << 20,
                                      LedgerOptions options = {});

}  // namespace caseledger::testing
