// What every `caseledger` subcommand shares: opening a ledger, reporting a failed Status
// and terminal progress.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "caseledger/client.h"
#include "caseledger/ledger.h"

namespace caseledger::cli {

// Exit codes: 0 success; 1 the operation failed or found problems; 2 bad usage.
inline constexpr int kExitFailure = 1;

// Prints "caseledger <command>: <status>" to stderr and ends the command with exit code 1
// (throws CLI::RuntimeError, which main turns into the exit code).
[[noreturn]] void Fail(const std::string& command, const Status& status);

// Opens DIR as the writer (recovering it if needed), or fails with the reason.
std::unique_ptr<Ledger> OpenForWriting(const std::string& command, const std::string& dir);
// Opens DIR as the writer if no other process is; beside a running writer, or when
// recovery finds the log damaged, read-only.
std::unique_ptr<Ledger> OpenForReading(const std::string& command, const std::string& dir);

// Adds the DIR positional argument every ledger command takes, and --master-key-file,
// which OpenForWriting / OpenForReading pass on.
void AddDirArgument(CLI::App& command, std::string& dir);
// The --master-key-file given to this command, or "".
const std::string& MasterKeyFile();

// Where a command that can go through a server reaches the ledger: DIR, or a server
// (while `caseledger serve` owns DIR, CLI commands go through it).
struct LedgerTarget {
  std::string dir;
  std::string server;  // HOST:PORT or unix:PATH; empty: DIR
  std::string token;   // --token, else $CASELEDGER_TOKEN
  std::string tls_ca;  // the server's certificate (or its CA), PEM; empty: plain, loopback
  bool remote() const { return !server.empty(); }
};
// Adds DIR (not needed with --server), --server, --token, --tls-ca and --master-key-file.
void AddLedgerTarget(CLI::App& command, LedgerTarget& target);
// Settles the positional arguments, then fails the command unless exactly one of DIR and
// --server is given. With --server DIR is left out, so what was parsed as DIR is the
// first of `positionals` (the command's later positional arguments, in order), and each
// moves up one: `caseledger read --server ADDR case-1` reads case-1.
void CheckLedgerTarget(const std::string& command, LedgerTarget& target,
                       std::initializer_list<std::string*> positionals);
// Connects to --server with the token. Fails the command.
std::unique_ptr<Client> ConnectToServer(const std::string& command, const LedgerTarget& target);

// Progress on stderr when it is a terminal: "label: 12,345 / 100,000 (12%), 45,000/s, ETA 0:02".
class Progress {
 public:
  explicit Progress(std::string label);
  void Update(uint64_t done, uint64_t total);
  void Finish();  // clears the line

 private:
  std::string label_;
  bool tty_;
  std::chrono::steady_clock::time_point started_;
  int64_t last_ms_ = 0;
};

std::string WithThousands(uint64_t n);  // 1234567 -> "1,234,567"

// True when `s` is empty or only whitespace.
bool Blank(const std::string& s);

// The actor of an event a command records (a read, an export): --actor's JSON
// ({"user":..,"role":..,"agency":..}) when given, else the unix user. Fails the command on
// malformed JSON.
Actor CommandActor(const std::string& command, const std::string& actor_json);

// True if `path` is DIR or lies under it (both made absolute; neither need exist yet):
// key files must be kept outside the ledger directory, which backups and copies carry.
bool IsInside(const std::string& path, const std::string& dir);

}  // namespace caseledger::cli
