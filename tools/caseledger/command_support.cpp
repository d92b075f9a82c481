#include "command_support.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "caseledger/json.h"

namespace caseledger::cli {

void Fail(const std::string& command, const Status& status) {
  std::cerr << "caseledger " << command << ": " << status.ToString() << "\n";
  throw CLI::RuntimeError(kExitFailure);
}

namespace {

// --master-key-file of the command being run (one command per process).
std::string& MasterKeyFileFlag() {
  static std::string path;
  return path;
}

LedgerOptions Options() {
  LedgerOptions options;
  options.master_key_file = MasterKeyFileFlag();  // empty: the library reads the variable
  return options;
}

}  // namespace

const std::string& MasterKeyFile() { return MasterKeyFileFlag(); }

namespace {

void AddMasterKeyOption(CLI::App& command) {
  command
      .add_option("--master-key-file", MasterKeyFileFlag(),
                  "The master key (a file of 64 hex digits, kept outside DIR) that opens the "
                  "child keys in DIR/keys: needed to append events with personal fields and "
                  "to read them in clear (default: the file $CASELEDGER_MASTER_KEY_FILE names)")
      ->type_name("FILE");
}

}  // namespace

std::unique_ptr<Ledger> OpenForWriting(const std::string& command, const std::string& dir) {
  auto ledger = Ledger::Open(dir, Options());
  if (!ledger.ok()) Fail(command, ledger.status());
  return std::move(ledger).value();
}

std::unique_ptr<Ledger> OpenForReading(const std::string& command, const std::string& dir) {
  auto ledger = Ledger::Open(dir, Options());
  if (!ledger.ok() && ledger.status().code() == StatusCode::kCorruption) {
    // Recovery refused to open for writing; reading (and verifying) what the index holds
    // still works and is how the damage gets examined.
    std::cerr << "caseledger " << command << ": cannot open for writing ("
              << ledger.status().ToString() << "); reading what the index covers\n";
  }
  if (!ledger.ok() && (ledger.status().code() == StatusCode::kBusy ||
                       ledger.status().code() == StatusCode::kCorruption)) {
    LedgerOptions options = Options();
    options.read_only = true;
    ledger = Ledger::Open(dir, options);
  }
  if (!ledger.ok()) Fail(command, ledger.status());
  return std::move(ledger).value();
}

void AddDirArgument(CLI::App& command, std::string& dir) {
  command.add_option("DIR", dir, "The ledger directory")->required()->type_name("DIR");
  AddMasterKeyOption(command);
}

void AddLedgerTarget(CLI::App& command, LedgerTarget& target) {
  command.add_option("DIR", target.dir, "The ledger directory (not with --server)")
      ->type_name("DIR");
  AddMasterKeyOption(command);
  command
      .add_option("--server", target.server,
                  "Go through `caseledger serve` at HOST:PORT (or unix:PATH) instead of DIR, as "
                  "the worker the token was issued to")
      ->type_name("ADDR");
  command
      .add_option("--token", target.token,
                  "The worker's token (`caseledger users DIR add`); default: $CASELEDGER_TOKEN, "
                  "which keeps it out of the process list")
      ->type_name("TOKEN");
  command.add_option("--tls-ca", target.tls_ca, "PEM certificate the server's TLS must chain to")
      ->type_name("FILE");
}

void CheckLedgerTarget(const std::string& command, LedgerTarget& target,
                       std::initializer_list<std::string*> positionals) {
  if (target.remote() && !target.dir.empty()) {
    std::vector<std::string*> rest(positionals);
    if (rest.empty() || !rest.back()->empty())
      Fail(command, Status::InvalidArgument("DIR and --server both given: a command goes to "
                                            "the directory or to the server that owns it"));
    for (size_t i = rest.size() - 1; i > 0; --i) *rest[i] = std::move(*rest[i - 1]);
    *rest[0] = std::move(target.dir);
    target.dir.clear();
  }
  if (target.dir.empty() == target.server.empty())
    Fail(command, Status::InvalidArgument(
                      target.dir.empty() ? "name the ledger: DIR, or --server ADDR"
                                         : "DIR and --server both given: a command goes to the "
                                           "directory or to the server that owns it"));
}

std::unique_ptr<Client> ConnectToServer(const std::string& command, const LedgerTarget& target) {
  RemoteOptions options;
  options.address = target.server;
  options.token = target.token;
  if (options.token.empty())
    if (const char* env = std::getenv("CASELEDGER_TOKEN")) options.token = env;
  if (options.token.empty())
    Fail(command, Status::InvalidArgument("--server needs a token: --token or $CASELEDGER_TOKEN"));
  options.tls_ca_file = target.tls_ca;
  auto client = ConnectClient(options);
  if (!client.ok()) Fail(command, client.status());
  return std::move(*client);
}

Progress::Progress(std::string label)
    : label_(std::move(label)),
      tty_(::isatty(STDERR_FILENO)),
      started_(std::chrono::steady_clock::now()) {}

void Progress::Update(uint64_t done, uint64_t total) {
  if (!tty_) return;
  const auto now = std::chrono::steady_clock::now();
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  if (now_ms - last_ms_ < 100 && done != total) return;
  last_ms_ = now_ms;
  const unsigned pct = total ? static_cast<unsigned>(done * 100 / total) : 100;
  const double seconds = std::chrono::duration<double>(now - started_).count();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::string eta = "-";
  if (rate > 0 && total >= done) {
    const auto left = static_cast<uint64_t>(static_cast<double>(total - done) / rate);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%llu:%02llu", static_cast<unsigned long long>(left / 60),
                  static_cast<unsigned long long>(left % 60));
    eta = buf;
  }
  std::fprintf(stderr, "\r\033[K%s: %s / %s (%u%%), %s/s, ETA %s", label_.c_str(),
               WithThousands(done).c_str(), WithThousands(total).c_str(), pct,
               WithThousands(static_cast<uint64_t>(rate)).c_str(), eta.c_str());
  std::fflush(stderr);
}

void Progress::Finish() {
  if (tty_) std::fprintf(stderr, "\r\033[K");
}

std::string WithThousands(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

bool Blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

Actor CommandActor(const std::string& command, const std::string& actor_json) {
  if (!actor_json.empty()) {
    auto given = ActorFromJson(actor_json);
    if (!given.ok()) Fail(command, given.status().WithContext("--actor"));
    return *given;
  }
  const passwd* pw = ::getpwuid(::geteuid());
  return Actor{pw && pw->pw_name ? pw->pw_name : std::to_string(::geteuid()), "", ""};
}

bool IsInside(const std::string& path, const std::string& dir) {
  namespace fs = std::filesystem;
  const auto p = fs::weakly_canonical(fs::absolute(path)),
             d = fs::weakly_canonical(fs::absolute(dir));
  auto [end, _] = std::mismatch(d.begin(), d.end(), p.begin(), p.end());
  return end == d.end();
}

}  // namespace caseledger::cli
