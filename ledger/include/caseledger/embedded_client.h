// The embedded caseledger::Client (caseledger/client.h): the ledger in DIR opened in this
// process, behind the same API as a remote Client. Library caseledger::embedded.
//
//   auto client = caseledger::OpenEmbeddedClient("/srv/ledger", {.master_key_file = key});
//   auto appended = (*client)->Append(request);
//
// Who it acts as: the local principal (recorded-by "local:<unix user>", as every
// embedded use of the ledger): whoever can open DIR can read its files anyway, so no
// role applies. Reads of a case's history are still recorded first, with the purpose
// the caller states; personal fields are in clear where the master key opens them.
// Queries go to the projector running for DIR (`caseledger project DIR --follow`, or a
// server's); without one they are kNotFound, saying how to start it.
#pragma once

#include <memory>
#include <string>

#include "caseledger/client.h"
#include "caseledger/ledger.h"

namespace caseledger {
inline namespace v1 {

// Opens DIR as its writer (kBusy while another process, e.g. a server, owns it: connect
// to that server instead) with `options` (caseledger/ledger.h).
Result<std::unique_ptr<Client>> OpenEmbeddedClient(const std::string& dir,
                                                   const LedgerOptions& options);

}  // namespace v1
}  // namespace caseledger
