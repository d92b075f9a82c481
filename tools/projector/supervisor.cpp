#include "supervisor.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

namespace caseledger::projector {
namespace {

std::atomic<bool> stop_requested{false};
volatile sig_atomic_t child_pid = 0;

bool IsCrashSignal(int sig) {
  return sig == SIGSEGV || sig == SIGBUS || sig == SIGABRT || sig == SIGFPE || sig == SIGILL ||
         sig == SIGSYS || sig == SIGTRAP;
}

void ForwardToChild(int sig) {
  stop_requested.store(true);
  if (child_pid > 0) ::kill(child_pid, sig);
}

void OnStop(int) { stop_requested.store(true); }

}  // namespace

bool StopRequested() { return stop_requested.load(); }

void InstallStopHandlers() {
  struct sigaction action {};
  action.sa_handler = &OnStop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int Supervise(const std::function<int()>& child, const std::string& crash_marker_path,
              int max_restarts) {
  struct sigaction action {};
  action.sa_handler = &ForwardToChild;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  int restarts = 0;
  auto delay = std::chrono::milliseconds(100);
  while (true) {
    const auto started = std::chrono::steady_clock::now();
    spdlog::default_logger()->flush();
    const pid_t pid = ::fork();
    if (pid < 0) {
      spdlog::error("projector: fork failed: {}", strerror(errno));
      return 1;
    }
    if (pid == 0) {
      stop_requested.store(false);
      InstallStopHandlers();
      std::_Exit(child());
    }
    child_pid = pid;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    child_pid = 0;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    const int sig = WTERMSIG(status);
    if (stop_requested.load()) return 128 + sig;
    if (!IsCrashSignal(sig)) {
      // Not a plugin's fault as far as anyone can tell: do not charge it.
      const int fd = ::open(crash_marker_path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
      if (fd >= 0) ::close(fd);
    }
    if (std::chrono::steady_clock::now() - started > std::chrono::minutes(1)) {
      restarts = 0;
      delay = std::chrono::milliseconds(100);
    }
    if (stop_requested.load()) return 128 + sig;
    if (++restarts > max_restarts) {
      spdlog::error("projector: died {} times in a row (last: {}); giving up", restarts,
                    strsignal(sig));
      return 1;
    }
    spdlog::warn("projector: died of {}; restarting in {} ms", strsignal(sig), delay.count());
    // A stop requested while waiting is honoured: no new child is started.
    for (auto waited = std::chrono::milliseconds(0); waited < delay && !stop_requested.load();
         waited += std::chrono::milliseconds(10))
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (stop_requested.load()) return 128 + sig;
    delay = std::min(delay * 2, std::chrono::milliseconds(5000));
  }
}

}  // namespace caseledger::projector
