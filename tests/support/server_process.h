// ServerProcess: `caseledger serve` running as a user would start it, for the tests that
// talk to it over loopback.
//
//   ServerProcess server(CASELEDGER_BIN, {dir, "--master-key-file", key, "--no-projector"});
//   ASSERT_TRUE(server.running()) << server.log();
//   auto client = caseledger::ConnectClient({.address = server.address(), .token = token});
//   server.Kill(SIGKILL);   // a crash; server.Stop() is SIGTERM and a wait
//
// It listens on 127.0.0.1 with a free port (--listen 127.0.0.1:0 unless args say) and
// waits, up to 30 s, for the "listening on ADDRESS" line. stderr goes to a file (log()).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "temp_dir.h"

namespace caseledger::testing {

class ServerProcess {
 public:
  ServerProcess(const std::string& binary, const std::vector<std::string>& serve_args);
  ~ServerProcess();  // Stop()
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool running() const { return pid_ > 0 && !address_.empty(); }
  const std::string& address() const { return address_; }  // e.g. "127.0.0.1:40123"
  std::string log() const;                                 // its stderr so far

  // SIGTERM, then waits (at most 30 s, then SIGKILL); returns the exit code (128 + signal
  // if killed). Idempotent.
  int Stop();
  // Sends `signal` and waits for the process to end.
  void Kill(int signal);

 private:
  TempDir scratch_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string address_;
};

}  // namespace caseledger::testing
