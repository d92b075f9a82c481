// append_worker DIR SEED: the process kill9_test kills. Opens the ledger in DIR as the
// writer, writes "opened", and appends from three threads until it is killed, writing one
// line to stdout per event of each append only after Append returned OK:
//
//   <position> <event id, 32 hex digits> <stream> <stream version> <payload>
//
// The lines go straight to the pipe with write(2), no stdio buffer in between: every line
// the test reads is an acknowledgement the worker had received (the test ignores a last
// line the kill cut short). Anything unexpected is reported as a line "error <status>" and
// ends the worker.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "caseledger/ledger.h"
#include "durability_checks.h"

namespace {

using caseledger::Ledger;
using caseledger::Status;

std::mutex stdout_mutex;

void WriteOut(const std::string& text) {
  std::lock_guard lock(stdout_mutex);
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(STDOUT_FILENO, p, left);
    if (n <= 0) std::_Exit(3);  // the test is gone
    p += n;
    left -= static_cast<size_t>(n);
  }
}

[[noreturn]] void Fail(const Status& status) {
  WriteOut("error " + status.ToString() + "\n");
  std::_Exit(1);
}

// Appends for ever, a random mix of requests and batches (see RandomAppends). Its own
// streams are named after `thread`, not the process, so that each worker continues the
// streams of the one killed before it, with exact expected versions.
void AppendForever(Ledger& ledger, int thread, uint64_t seed) {
  // Small payloads: the test reads every event back through a pipe.
  caseledger::testing::RandomAppends appends("t" + std::to_string(thread),
                                             "p" + std::to_string(::getpid()), seed, 100);
  while (true) {
    auto events = appends.Next(ledger);
    if (!events.ok()) Fail(events.status());
    std::string lines;
    for (const auto& e : *events)
      lines += std::to_string(e.position) + " " + e.id.ToHex() + " " + e.stream + " " +
               std::to_string(e.version) + " " + e.payload + "\n";
    WriteOut(lines);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: append_worker DIR SEED\n");
    return 2;
  }
  const uint64_t seed = std::strtoull(argv[2], nullptr, 0);
  auto ledger = Ledger::Open(argv[1], {});
  if (!ledger.ok()) Fail(ledger.status());
  WriteOut("opened\n");  // recovery is done; appends start
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] { AppendForever(**ledger, t, seed * 31 + uint64_t(t)); });
  for (auto& t : threads) t.join();  // never: the test kills the process
  return 0;
}
