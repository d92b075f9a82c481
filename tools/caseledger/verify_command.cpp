// caseledger verify DIR: recompute everything from the log and report the first problems.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <optional>
#include <thread>

#include "caseledger/checkpoint.h"
#include "command_support.h"
#include "commands.h"
#include "verify_archive.h"
#include "verify_proof.h"

namespace caseledger::cli {
namespace {

// verify --trusted-checkpoint CP... --public-key KEY, after the usual checks: each CP is
// signed by KEY or by a key announced from it (rotations are followed through the held
// checkpoints, in the order given, then DIR/meta/checkpoints, each announcement verified),
// is of this ledger, is not ahead of it, and the tree recomputed from the log at CP's size
// has CP's root. Prints one line per finding; returns false on any failure.
bool CheckTrustedCheckpoints(Ledger& ledger, const std::string& dir,
                             const std::vector<HeldCheckpoint>& held, const PublicKey& key) {
  std::string label;  // the file, when there are several
  auto failed = [&](const std::string& why) {
    std::cout << "checkpoint FAILED: " << label << why << "\n";
    return false;
  };
  const LedgerIdBytes id = ledger.LedgerId();
  std::vector<Checkpoint> chain;
  for (const auto& h : held) chain.push_back(h.checkpoint);
  auto stored = ReadCheckpointStore(dir);
  if (!stored.ok()) {
    std::cout << "checkpoint: warning: cannot read the rotations of " << CheckpointStorePath(dir)
              << ": " << stored.status().ToString() << "\n";
  } else {
    for (const auto& bad : stored->bad_lines)
      std::cout << "checkpoint: warning: damaged: " << bad << "\n";
    if (!stored->torn_tail.empty())
      std::cout << "checkpoint: warning: " << stored->torn_tail << "\n";
    chain.insert(chain.end(), stored->checkpoints.begin(), stored->checkpoints.end());
  }
  const uint64_t events = ledger.CommittedPosition();
  const CheckpointTrust trust(key, chain, id);
  // Where an alteration begins: after the largest checkpoint below `size` (held or stored,
  // verified) whose root the log still has. Each probe hashes the log up to that size, so
  // the candidates are bisected (a log that matches at size s matches at every smaller
  // checkpoint too, unless it was altered twice).
  auto last_matching_below = [&](uint64_t size) -> std::optional<Checkpoint> {
    std::vector<Checkpoint> candidates;
    for (const Checkpoint& c : chain)
      if (c.tree_size < size && c.tree_size > 0 && trust.Verify(c).ok()) candidates.push_back(c);
    std::sort(candidates.begin(), candidates.end(),
              [](const Checkpoint& a, const Checkpoint& b) { return a.tree_size < b.tree_size; });
    std::optional<Checkpoint> found;
    size_t low = 0, high = candidates.size();
    while (low < high) {
      const size_t mid = low + (high - low) / 2;
      auto at = TreeHeadFromLog(ledger, candidates[mid].tree_size);
      if (at.ok() && at->root == candidates[mid].root) {
        found = candidates[mid];
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return found;
  };
  auto altered = [&](uint64_t size) {
    const std::optional<Checkpoint> good = last_matching_below(size);
    if (!good) return "the log was altered at or before position " + std::to_string(size);
    return "the log was altered after position " + std::to_string(good->tree_size) +
           " and at or before position " + std::to_string(size) + " (positions 1.." +
           std::to_string(good->tree_size) +
           " still have the root of the checkpoint of tree size " +
           std::to_string(good->tree_size) + " signed at " + FormatTimestamp(good->time) + ")";
  };
  bool all_ok = true;
  for (const auto& [file, cp] : held) {
    label = held.size() > 1 ? file + ": " : "";
    const Status s = trust.Verify(cp);
    if (!s.ok()) {
      all_ok = failed(s.message());
      if (s.message().starts_with("signed by an unknown key"))
        std::cout << "checkpoint: a key rotation is followed through the checkpoints you give "
                     "and DIR/meta/checkpoints; if DIR lost the announcement (rolled back, "
                     "replaced), give the announcing checkpoint too (--trusted-checkpoint again)\n";
      continue;
    }
    std::cout << "checkpoint: " << label << "signature OK: tree size " << cp.tree_size << " ("
              << FormatTimestamp(cp.time) << "), signed by " << KeyFingerprint(cp.signer)
              << (cp.signer == key ? ", the trusted key" : ", announced from the trusted key")
              << "\n";
    if (events < cp.tree_size) {
      all_ok = failed("rolled back behind a checkpoint you hold: the ledger has " +
                      std::to_string(events) + " events, the checkpoint " +
                      std::to_string(cp.tree_size));
      continue;
    }
    auto then = TreeHeadFromLog(ledger, cp.tree_size);
    if (!then.ok()) {
      all_ok = failed(altered(cp.tree_size) + ": its tree at that size cannot be recomputed (" +
                      then.status().message() + ")");
      continue;
    }
    if (then->root != cp.root) {
      all_ok = failed(altered(cp.tree_size) + ": its tree at size " + std::to_string(cp.tree_size) +
                      " has root " + HashToHex(then->root) + ", the checkpoint you hold says " +
                      HashToHex(cp.root));
      continue;
    }
    std::cout << "checkpoint: " << label << "OK: the log's tree at size " << cp.tree_size
              << " has the checkpoint's root " << HashToHex(cp.root) << "; the ledger has "
              << events << " events\n";
  }
  return all_ok;
}

}  // namespace

void AddVerifyCommand(CLI::App& app) {
  struct Args {
    std::string dir;
    size_t max_problems = 20;
    std::vector<std::string> trusted_checkpoints;
    std::string public_key;
    std::string proof;
    std::vector<std::string> checkpoints;
    std::string archive;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "verify",
      "Recompute the ledger from its log: frames, checksums, records, dense positions and "
      "versions, the Merkle tree and every index entry. Exit code 0: all good; 1: problems "
      "(each names its position and what is wrong). With --proof or --archive instead of DIR: "
      "check a proof from `caseledger prove`, or an archive from `caseledger export`, offline "
      "against a public key and the checkpoints you hold");
  AddDirArgument(*cmd, args->dir);
  cmd->get_option("DIR")->required(false);
  cmd->add_option("--max-problems", args->max_problems, "Stop after this many problems")
      ->default_str("20");
  auto* trusted =
      cmd->add_option("--trusted-checkpoint", args->trusted_checkpoints,
                      "Also check DIR against a checkpoint you hold (from `caseledger checkpoint "
                      "--export`): signed by --public-key (or a key rotated to from it), of this "
                      "ledger, not rolled back, and the log's tree at its size has its root. May "
                      "be given several times (oldest first); key rotations announced in them "
                      "are followed too")
          ->type_name("CP");
  auto* public_key =
      cmd->add_option("--public-key", args->public_key,
                      "The public key you trust (KEYFILE.pub of `caseledger keygen`)")
          ->type_name("KEY");
  auto* proof =
      cmd->add_option("--proof", args->proof,
                      "Check this proof file (`caseledger prove`) offline, without DIR: an "
                      "inclusion proof against the tree of --checkpoint; a consistency proof "
                      "from the tree of --checkpoint (to that of a second --checkpoint, if given)")
          ->type_name("FILE");
  auto* checkpoints =
      cmd->add_option("--checkpoint", args->checkpoints,
                      "With --proof: a checkpoint you hold, signed by --public-key (given once, or "
                      "twice for a consistency proof: older first)")
          ->type_name("CP")
          ->expected(1, 2);
  auto* archive =
      cmd->add_option("--archive", args->archive,
                      "Check this archive (`caseledger export`) offline, without DIR: every "
                      "record in order, and every checkpoint in it and given with "
                      "--trusted-checkpoint, against --public-key; names the first position "
                      "where the evidence breaks")
          ->type_name("FILE");
  trusted->needs(public_key);
  proof->needs(checkpoints)->needs(public_key)->excludes(trusted)->excludes(archive);
  archive->needs(public_key);
  checkpoints->needs(proof);
  cmd->callback([args] {
    if (!args->proof.empty()) {
      if (!args->dir.empty())
        Fail("verify",
             Status::InvalidArgument("--proof is checked without DIR: drop " + args->dir));
      if (Status s = VerifyProofFile(args->proof, args->checkpoints, args->public_key); !s.ok())
        Fail("verify", s);
      return;
    }
    if (!args->archive.empty()) {
      if (!args->dir.empty())
        Fail("verify",
             Status::InvalidArgument("--archive is checked without DIR: drop " + args->dir));
      if (!VerifyArchiveFile(args->archive, args->trusted_checkpoints, args->public_key))
        throw CLI::RuntimeError(kExitFailure);
      return;
    }
    // Bad usage (exit code 2), like the option rules CLI11 checks itself.
    if (args->dir.empty())
      throw CLI::ValidationError("DIR", "give DIR, or --proof FILE, or --archive FILE");
    if (!args->public_key.empty() && args->trusted_checkpoints.empty())
      throw CLI::ValidationError("--public-key", "needs --trusted-checkpoint, or --proof");
    auto read = ReadHeldCheckpoints(args->trusted_checkpoints);
    if (!read.ok()) Fail("verify", read.status());
    const std::vector<HeldCheckpoint>& held = *read;
    PublicKey key{};
    if (!held.empty()) {
      auto pk = ReadPublicKeyFile(args->public_key);
      if (!pk.ok()) Fail("verify", pk.status());
      key = *pk;
    }
    auto ledger = OpenForReading("verify", args->dir);
    Progress progress("verifying");
    VerifyOptions options;
    options.max_problems = args->max_problems;
    options.progress = [&](uint64_t done, uint64_t total) { progress.Update(done, total); };
    auto report = ledger->Verify(options);
    progress.Finish();
    if (!report.ok()) Fail("verify", report.status());
    const double secs = std::max(report->seconds, 1e-9);
    for (const auto& p : report->problems) std::cout << "problem: " << p.ToString() << "\n";
    std::cout << (report->ok() ? "OK: " : "FAILED: ") << WithThousands(report->events)
              << " events, " << WithThousands(report->record_bytes) << " record bytes, tree root "
              << HashToHex(report->recomputed.root) << "\n"
              << std::fixed << std::setprecision(2) << report->seconds << " s, "
              << WithThousands(static_cast<uint64_t>(report->events / secs)) << " events/s, "
              << std::setprecision(1) << report->record_bytes / secs / 1e6 << " MB/s\n";
    const bool checkpoint_ok =
        held.empty() || CheckTrustedCheckpoints(*ledger, args->dir, held, key);
    if (!report->ok() || !checkpoint_ok) throw CLI::RuntimeError(kExitFailure);
  });
}

}  // namespace caseledger::cli
