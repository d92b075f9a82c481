#include "command_support.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
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
  command
      .add_option("--master-key-file", MasterKeyFileFlag(),
                  "The master key (a file of 64 hex digits, kept outside DIR) that opens the "
                  "child keys in DIR/keys: needed to append events with personal fields and "
                  "to read them in clear (default: the file $CASELEDGER_MASTER_KEY_FILE names)")
      ->type_name("FILE");
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

}  // namespace caseledger::cli
