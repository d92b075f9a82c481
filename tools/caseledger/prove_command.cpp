// caseledger prove DIR --position P [--size N] | --consistency M N: an RFC 9162 inclusion
// or consistency proof as JSON (caseledger/proof.h), for an auditor to check offline with
// `caseledger verify --proof FILE --checkpoint CP --public-key KEY`.
#include <array>
#include <fstream>
#include <iostream>

#include "caseledger/checkpoint.h"
#include "caseledger/proof.h"
#include "command_support.h"
#include "commands.h"

namespace caseledger::cli {
namespace {

constexpr const char* kName = "prove";

// What a proof is built from, the same from DIR and through a server.
std::array<uint8_t, 16> LedgerIdOf(Ledger& ledger) { return ledger.LedgerId(); }
std::array<uint8_t, 16> LedgerIdOf(Client& client) {
  auto who = client.WhoAmI();
  if (!who.ok()) Fail(kName, who.status());
  if (who->ledger_id == std::array<uint8_t, 16>{})
    Fail(kName, Status::InvalidArgument("the server does not name its ledger (it is older than "
                                        "this caseledger): prove on DIR, or upgrade the server"));
  return who->ledger_id;
}
uint64_t CommittedSize(Ledger& ledger) { return ledger.CommittedPosition(); }
uint64_t CommittedSize(Client& client) {
  auto head = client.GetTreeHead();
  if (!head.ok()) Fail(kName, head.status());
  return head->size;
}
Result<std::string> RecordAt(Ledger& ledger, Position p) { return ReadRecord(ledger, p); }
Result<std::string> RecordAt(Client& client, Position p) { return client.ReadRecord(p); }

// `source` is a Ledger or a Client.
template <typename Source>
ProofDocument Prove(Source& source, Position position, uint64_t size,
                    const std::vector<uint64_t>& consistency) {
  ProofDocument doc;
  doc.ledger_id = LedgerIdOf(source);
  auto root_at = [&](uint64_t tree_size) {
    auto head = source.GetTreeHeadAt(tree_size);
    if (!head.ok()) Fail(kName, head.status());
    return head->root;
  };
  if (!consistency.empty()) {
    doc.kind = ProofDocument::Kind::kConsistency;
    auto proof = source.ProveConsistency(consistency[0], consistency[1]);
    if (!proof.ok()) Fail(kName, proof.status());
    doc.consistency = *proof;
    doc.first_root = root_at(consistency[0]);
    doc.second_root = root_at(consistency[1]);
    return doc;
  }
  doc.kind = ProofDocument::Kind::kInclusion;
  if (size == 0) size = CommittedSize(source);
  auto proof = source.ProveInclusion(position, size);
  if (!proof.ok()) Fail(kName, proof.status());
  doc.inclusion = *proof;
  auto record = RecordAt(source, position);
  if (!record.ok()) Fail(kName, record.status());
  const auto* bytes = reinterpret_cast<const std::byte*>(record->data());
  doc.record.assign(bytes, bytes + record->size());
  doc.root = root_at(size);
  return doc;
}

}  // namespace

void AddProveCommand(CLI::App& app) {
  struct Args {
    LedgerTarget target;
    Position position = 0;
    uint64_t size = 0;
    std::vector<uint64_t> consistency;
    std::string out;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "prove",
      "Print an RFC 9162 proof as JSON: that the event at a position is in the tree of N "
      "events (inclusion), or that the tree of M events is a prefix of the tree of N "
      "(consistency: nothing in positions 1..M was altered, removed, inserted or reordered "
      "since). An auditor checks it offline against a checkpoint they hold: `caseledger verify "
      "--proof FILE --checkpoint CP --public-key KEY`. Example: caseledger prove DIR "
      "--position 42 --size 1000 --out p.json (or, while a server owns DIR: caseledger prove "
      "--server ADDR --token T ...)");
  AddLedgerTarget(*cmd, args->target);
  auto* position = cmd->add_option("--position", args->position,
                                   "Prove that the event at this position is in the tree")
                       ->check(CLI::PositiveNumber);
  cmd->add_option("--size", args->size,
                  "With --position: the tree size N, e.g. that of the auditor's checkpoint "
                  "(default: every committed event)")
      ->needs(position);
  auto* consistency =
      cmd->add_option("--consistency", args->consistency,
                      "M N: prove that the tree of M events is a prefix of the tree of N "
                      "(0 < M <= N; M = N gives an empty proof)")
          ->expected(2)
          ->type_name("M N");
  position->excludes(consistency);
  cmd->add_option("--out", args->out, "Write the proof to FILE (default: standard output)")
      ->type_name("FILE");
  cmd->callback([args, position, consistency] {
    CheckLedgerTarget(kName, args->target, {});
    if (position->count() == 0 && consistency->count() == 0)
      Fail(kName, Status::InvalidArgument("give --position P [--size N] or --consistency M N"));
    ProofDocument doc;
    if (args->target.remote()) {
      // Through the server: proofs for any worker; the record of --position for auditors.
      auto client = ConnectToServer(kName, args->target);
      doc = Prove(*client, args->position, args->size, args->consistency);
    } else {
      auto ledger = OpenForReading(kName, args->target.dir);
      doc = Prove(*ledger, args->position, args->size, args->consistency);
    }
    const std::string json = ProofToJson(doc) + "\n";
    if (args->out.empty()) {
      std::cout << json;
      return;
    }
    std::ofstream out(args->out, std::ios::binary | std::ios::trunc);
    out << json;
    out.close();
    if (!out) Fail(kName, Status::IOError("cannot write " + args->out));
  });
}

}  // namespace caseledger::cli
