#include "server_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace caseledger::testing {

ServerProcess::ServerProcess(const std::string& binary,
                             const std::vector<std::string>& serve_args) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return;
  }
  std::vector<std::string> storage = {binary, "serve"};
  storage.insert(storage.end(), serve_args.begin(), serve_args.end());
  bool has_listen = false;
  for (const std::string& a : serve_args) has_listen = has_listen || a == "--listen";
  if (!has_listen) storage.insert(storage.end(), {"--listen", "127.0.0.1:0"});
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  const std::string err_path = scratch_.Sub("stderr");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  const int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) {
    ADD_FAILURE() << "cannot run " << binary << ": " << std::strerror(rc);
    ::close(out[0]);
    pid_ = -1;
    return;
  }
  // Read stdout until the "listening on" line, the end of the process, or 30 s.
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buffer[256];
    const ssize_t n = ::read(out[0], buffer, sizeof(buffer));
    if (n <= 0) break;  // the server ended before listening
    seen.append(buffer, static_cast<size_t>(n));
    const size_t at = seen.find("listening on ");
    const size_t end = at == std::string::npos ? at : seen.find('\n', at);
    if (end != std::string::npos) {
      address_ = seen.substr(at + 13, end - at - 13);
      break;
    }
  }
  ::close(out[0]);  // the server writes nothing more to stdout
}

ServerProcess::~ServerProcess() { Stop(); }

std::string ServerProcess::log() const {
  std::ifstream in(scratch_.Sub("stderr"), std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int ServerProcess::Stop() {
  if (pid_ <= 0) return exit_code_;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "caseledger serve did not stop within 30 s of SIGTERM";
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  pid_ = -1;
  return exit_code_;
}

void ServerProcess::Kill(int signal) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  pid_ = -1;
}

}  // namespace caseledger::testing
