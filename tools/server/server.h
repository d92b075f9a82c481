// `caseledger serve DIR`: the ledger over Cap'n Proto RPC (sdk/schema/rpc.capnp).
//
//   ServerOptions options{.dir = "/srv/ledger", .listen = "127.0.0.1:7400"};
//   Status s = RunServer(options, [] { return StopRequested(); },
//                        [](const std::string& bound) { std::cout << bound << std::endl; });
//
// The server owns DIR: it opens the ledger as its only writer (CLI commands then go
// through it with --server) and starts the projector for its queries. Plain connections
// are accepted on loopback only; anywhere else it refuses to listen without TLS.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "caseledger/status.h"

namespace caseledger::server {

struct ServerOptions {
  std::string dir;
  // "HOST:PORT" (port 0: any free port) or "unix:PATH". Default: 127.0.0.1:7400.
  std::string listen = "127.0.0.1:7400";
  // PEM files of the server's certificate chain and private key: TLS on every connection.
  // Required unless `listen` is a loopback address or a Unix socket. Default: none.
  std::string tls_cert, tls_key;
  // The master key file (LedgerOptions::master_key_file): without one, appends that carry
  // personal fields are refused and reads show them sealed. Default: none.
  std::string master_key_file;
  // How to start the projector (`caseledger project DIR --follow ...`); empty: no queries.
  std::vector<std::string> projector_argv;
  // Signs a checkpoint (SignAndStoreCheckpoint) with the private key in `signing_key`
  // whenever `checkpoint_every` events were committed since the last stored one, and once
  // when stopping if any were. Both or neither. Default: none.
  std::string signing_key;
  uint64_t checkpoint_every = 0;
  // Threads for blocking calls: appends wait for their fdatasync there, so this bounds how
  // many appends one group commit can gather. Default: 64.
  size_t threads = 64;
};

// Opens DIR, listens, and serves until `stop_requested()` returns true (polled every
// 100 ms); `on_listening` is called once with the address bound (the port filled in).
// Errors: the ledger cannot be opened (kBusy: another process owns it), the address
// cannot be bound, TLS is missing off loopback, the projector cannot be started.
Status RunServer(const ServerOptions& options, const std::function<bool()>& stop_requested,
                 const std::function<void(const std::string&)>& on_listening);

}  // namespace caseledger::server
