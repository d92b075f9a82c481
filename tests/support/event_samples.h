// One realistic "data" object per event type of the catalogue, setting every field: the
// round-trip samples of the codec tests and of the ledger's own round-trip test.
#pragma once

#include <map>
#include <string>

namespace caseledger::testing {

// Event type name -> its "data" JSON. A type added to the catalogue without a sample here
// fails EventJsonCatalogue.EveryCatalogueTypeHasASample.
const std::map<std::string, std::string>& EventSamples();

}  // namespace caseledger::testing
