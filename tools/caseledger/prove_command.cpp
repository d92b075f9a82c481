// caseledger prove DIR --position P [--size N] | --consistency M N: an RFC 9162 inclusion
// or consistency proof as JSON (caseledger/proof.h), for an auditor to check offline with
// `caseledger verify --proof FILE --checkpoint CP --public-key KEY`.
#include <fstream>
#include <iostream>

#include "caseledger/checkpoint.h"
#include "caseledger/proof.h"
#include "command_support.h"
#include "commands.h"

namespace caseledger::cli {
namespace {

constexpr const char* kName = "prove";

ProofDocument Prove(Ledger& ledger, Position position, uint64_t size,
                    const std::vector<uint64_t>& consistency) {
  ProofDocument doc;
  doc.ledger_id = ledger.LedgerId();
  if (!consistency.empty()) {
    doc.kind = ProofDocument::Kind::kConsistency;
    auto proof = ledger.ProveConsistency(consistency[0], consistency[1]);
    if (!proof.ok()) Fail(kName, proof.status());
    doc.consistency = *proof;
    auto first = ledger.GetTreeHeadAt(consistency[0]);
    auto second = ledger.GetTreeHeadAt(consistency[1]);
    if (!first.ok()) Fail(kName, first.status());
    if (!second.ok()) Fail(kName, second.status());
    doc.first_root = first->root;
    doc.second_root = second->root;
    return doc;
  }
  doc.kind = ProofDocument::Kind::kInclusion;
  if (size == 0) size = ledger.CommittedPosition();
  auto proof = ledger.ProveInclusion(position, size);
  if (!proof.ok()) Fail(kName, proof.status());
  doc.inclusion = *proof;
  Status read = ledger.ScanAll(position, position, [&](const EventView& v) {
    doc.record.assign(v.record.begin(), v.record.end());
    return false;
  });
  if (!read.ok()) Fail(kName, read);
  auto head = ledger.GetTreeHeadAt(size);
  if (!head.ok()) Fail(kName, head.status());
  doc.root = head->root;
  return doc;
}

}  // namespace

void AddProveCommand(CLI::App& app) {
  struct Args {
    std::string dir;
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
      "--position 42 --size 1000 --out p.json");
  AddDirArgument(*cmd, args->dir);
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
    if (position->count() == 0 && consistency->count() == 0)
      Fail(kName, Status::InvalidArgument("give --position P [--size N] or --consistency M N"));
    auto ledger = OpenForReading(kName, args->dir);
    const std::string json =
        ProofToJson(Prove(*ledger, args->position, args->size, args->consistency)) + "\n";
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
