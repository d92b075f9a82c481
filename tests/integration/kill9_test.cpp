// kill -9 of the writer process: written but unsynced bytes survive in the page cache and
// the process dies at any instruction, in an append, a segment rollover, recovery itself.
// Every append the process was told about (and told us about) must survive.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "durability_checks.h"
#include "events.h"
#include "temp_dir.h"

extern char** environ;

namespace caseledger {
namespace {

using testing::AcknowledgedEvent;
using testing::ExpectHoldsEveryAcknowledgedEvent;
using testing::OpaqueLedger;
using testing::TempDir;

uint64_t Seed() {
  const char* env = std::getenv("CASELEDGER_TEST_SEED");
  return env && *env ? std::strtoull(env, nullptr, 0) : 20260225;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One run of append_worker: what it printed before it died, and how it died.
struct WorkerRun {
  std::string out;
  int wait_status = 0;
};

// Starts append_worker on `dir`, collects its stdout for `window` (counted from its
// "opened" line if `after_open`, else from its start), SIGKILLs it, and then collects what it
// had written before it died (those lines were acknowledged too).
WorkerRun RunAndKill(const std::string& dir, uint64_t seed, bool after_open,
                     std::chrono::milliseconds window, const std::string& stderr_path) {
  WorkerRun run;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2 failed";
    return run;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::string seed_text = std::to_string(seed);
  char* argv[] = {const_cast<char*>(APPEND_WORKER), const_cast<char*>(dir.c_str()),
                  seed_text.data(), nullptr};
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, APPEND_WORKER, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    ADD_FAILURE() << "posix_spawn(" << APPEND_WORKER << "): " << std::strerror(rc);
    return run;
  }
  auto read_some = [&](int timeout_ms) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return true;
    char buf[1 << 16];
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) return false;  // EOF: the worker is gone
    run.out.append(buf, static_cast<size_t>(n));
    return true;
  };
  if (after_open) {
    // Opening (RocksDB, recovery) can take long on a busy machine; the window is for appends.
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (run.out.find("opened\n") == std::string::npos &&
           std::chrono::steady_clock::now() < limit && read_some(100)) {
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + window;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!read_some(static_cast<int>(left.count()) + 1)) break;
  }
  ::kill(pid, SIGKILL);
  while (read_some(-1)) {
  }
  ::close(fds[0]);
  ::waitpid(pid, &run.wait_status, 0);
  return run;
}

// Parses the worker's complete lines; a line cut short can only be the last one.
std::vector<AcknowledgedEvent> ParseAcknowledgements(const std::string& out) {
  std::vector<AcknowledgedEvent> events;
  std::istringstream in(out.substr(0, out.rfind('\n') + 1));
  std::string line;
  while (std::getline(in, line)) {
    if (line == "opened") continue;
    std::istringstream fields(line);
    AcknowledgedEvent a;
    std::string id;
    fields >> a.position >> id >> a.stream >> a.version >> a.payload;
    auto parsed = EventId::FromHex(id);
    if (!fields || !parsed.ok()) {
      ADD_FAILURE() << "append_worker wrote: " << line;
      continue;
    }
    a.id = *parsed;
    events.push_back(std::move(a));
  }
  return events;
}

TEST(Kill9, EveryAcknowledgedAppendSurvivesTwentySigkills) {
  const uint64_t seed = Seed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (set CASELEDGER_TEST_SEED to replay another)");
  std::mt19937_64 rng(seed);
  TempDir tmp;
  const std::string dir = tmp.Sub("ledger");
  ASSERT_TRUE(Ledger::Create(dir, OpaqueLedger(64 << 10)).ok());
  std::vector<AcknowledgedEvent> acked;
  int killed_while_appending = 0;
  for (int cycle = 0; cycle < 20; ++cycle) {
    // Mostly kill while appends are in flight; every fifth time early, while the worker is
    // likely still opening the ledger and recovering the previous kill's tail.
    const bool after_open = cycle % 5 != 4;
    const auto window = std::chrono::milliseconds(after_open ? 50 + rng() % 251 : rng() % 60);
    SCOPED_TRACE("cycle " + std::to_string(cycle) + ", killed " + std::to_string(window.count()) +
                 " ms after " + (after_open ? "opening" : "starting"));
    const std::string log = tmp.Sub("worker-" + std::to_string(cycle) + ".stderr");
    WorkerRun run = RunAndKill(dir, rng(), after_open, window, log);
    ASSERT_TRUE(WIFSIGNALED(run.wait_status) && WTERMSIG(run.wait_status) == SIGKILL)
        << "append_worker ended by itself; its last output: "
        << run.out.substr(run.out.size() > 500 ? run.out.size() - 500 : 0) << "\nits stderr:\n"
        << ReadFile(log);
    auto events = ParseAcknowledgements(run.out);
    killed_while_appending += !events.empty();
    acked.insert(acked.end(), events.begin(), events.end());

    auto ledger = Ledger::Open(dir, {});
    ASSERT_TRUE(ledger.ok()) << "reopening after kill -9: " << ledger.status().ToString()
                             << "\nthe worker's stderr:\n"
                             << ReadFile(log);
    ExpectHoldsEveryAcknowledgedEvent(**ledger, acked);
    ASSERT_FALSE(HasFailure()) << "stopping after the first cycle that failed; the worker's "
                               << "stderr:\n"
                               << ReadFile(log);
  }
  std::printf("%zu acknowledged events; %d of 20 kills hit a worker that had appended\n",
              acked.size(), killed_while_appending);
  // The kills after opening must land while appends are in flight, or the test proves little.
  EXPECT_GE(killed_while_appending, 14);
}

}  // namespace
}  // namespace caseledger
