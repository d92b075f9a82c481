// Reading the PEM files of TLS (a server's certificate and key, a client's trusted CA):
// one reader for the remote Client and the server.
#pragma once

#include <string>
#include <string_view>

#include "caseledger/status.h"

namespace caseledger::client_internal {

// The whole file at `path` (at most 1 MiB: a certificate chain fits many times).
// kNotFound naming `what` (e.g. "--tls-cert") and the path if it cannot be read;
// kInvalidArgument if it is larger.
Result<std::string> ReadPemFile(const std::string& path, std::string_view what);

}  // namespace caseledger::client_internal
