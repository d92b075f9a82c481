// Running a program as a user would, with its output captured: how the CLI tests drive
// `caseledger`.
#pragma once

#include <string>
#include <vector>

namespace caseledger::testing {

struct ProgramRun {
  int exit_code = -1;  // 128 + signal if it was killed by one; -1 if it could not run
  std::string out, err;
};

// Runs `binary args...` with the test's environment, waits at most `timeout_s` seconds
// (then kills it and fails the test), and returns its exit code, stdout and stderr.
ProgramRun RunProgram(const std::string& binary, const std::vector<std::string>& args,
                      int timeout_s = 30);

// "exit 1\n--- stdout:\n...--- stderr:\n...", for test failure messages.
std::string Describe(const ProgramRun& run);

}  // namespace caseledger::testing
