// caseledger verify --proof FILE --checkpoint CP [--checkpoint CP2] --public-key KEY: checks
// a stand-alone proof (from `caseledger prove`) offline, with no access to the ledger,
// against checkpoints the auditor holds and the one public key they trust.
#include "verify_proof.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "caseledger/checkpoint.h"
#include "caseledger/proof.h"

namespace caseledger::cli {
namespace {

constexpr size_t kMaxProofFileBytes = 16 << 20;  // a record and 64 hashes fit many times

Result<ProofDocument> ReadProofFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open the proof file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxProofFileBytes)
    return Status::InvalidArgument(path + " is larger than a proof can be");
  auto proof = ProofFromJson(text.str());
  if (!proof.ok()) return Status::InvalidArgument(path + ": " + proof.status().message());
  return proof;
}

// The held checkpoints, each verified against the trusted key (rotations followed through
// the others, in the order given) and of the proof's ledger.
Result<std::vector<Checkpoint>> TrustedCheckpoints(const std::vector<std::string>& files,
                                                   const PublicKey& key,
                                                   const LedgerIdBytes& ledger) {
  std::vector<Checkpoint> held;
  for (const std::string& file : files) {
    auto cp = ReadCheckpointFile(file);
    if (!cp.ok()) return Status::InvalidArgument(file + ": " + cp.status().message());
    held.push_back(*cp);
  }
  for (size_t i = 0; i < held.size(); ++i)
    if (Status s = VerifyCheckpoint(held[i], key, held, ledger); !s.ok())
      return Status::Corruption(files[i] + ": " + s.message());
  return held;
}

}  // namespace

Status VerifyProofFile(const std::string& proof_file,
                       const std::vector<std::string>& checkpoint_files,
                       const std::string& public_key_file) {
  CASELEDGER_ASSIGN_OR_RETURN(ProofDocument proof, ReadProofFile(proof_file));
  CASELEDGER_ASSIGN_OR_RETURN(PublicKey key, ReadPublicKeyFile(public_key_file));
  CASELEDGER_ASSIGN_OR_RETURN(std::vector<Checkpoint> held,
                              TrustedCheckpoints(checkpoint_files, key, proof.ledger_id));
  std::cout << "checkpoint signature OK, signed by " << KeyFingerprint(held.front().signer) << "\n";

  if (proof.kind == ProofDocument::Kind::kInclusion) {
    const Checkpoint& cp = held.front();
    if (proof.inclusion.tree_size != cp.tree_size)
      return Status::InvalidArgument("the proof is for a tree of " +
                                     std::to_string(proof.inclusion.tree_size) +
                                     " events, the checkpoint for " + std::to_string(cp.tree_size) +
                                     ": ask for `caseledger prove DIR --position " +
                                     std::to_string(proof.inclusion.leaf_index + 1) + " --size " +
                                     std::to_string(cp.tree_size) + "`");
    const Hash256 leaf = RecordLeafHash(proof.record);
    CASELEDGER_RETURN_IF_ERROR(VerifyInclusion(leaf, proof.inclusion, cp.root));
    std::cout << "OK: the record at position " << proof.inclusion.leaf_index + 1 << " (leaf hash "
              << HashToHex(leaf) << ") is in the tree of " << cp.tree_size
              << " events whose root the checkpoint signs (" << HashToHex(cp.root) << ")\n";
    return Status::Ok();
  }

  // Consistency: the first checkpoint is the older tree; a second one, if given, the newer.
  const Checkpoint& first = held.front();
  if (proof.consistency.first_size != first.tree_size)
    return Status::InvalidArgument(
        "the proof starts from a tree of " + std::to_string(proof.consistency.first_size) +
        " events, the checkpoint is of " + std::to_string(first.tree_size) +
        ": ask for `caseledger prove DIR --consistency " + std::to_string(first.tree_size) + " " +
        std::to_string(proof.consistency.second_size) + "`");
  Hash256 second_root = proof.second_root;
  if (held.size() > 1) {
    const Checkpoint& second = held[1];
    if (proof.consistency.second_size != second.tree_size)
      return Status::InvalidArgument(
          "the proof ends at a tree of " + std::to_string(proof.consistency.second_size) +
          " events, the second checkpoint is of " + std::to_string(second.tree_size));
    second_root = second.root;
  }
  CASELEDGER_RETURN_IF_ERROR(VerifyConsistency(proof.consistency, first.root, second_root));
  std::cout << "OK: the tree of " << proof.consistency.second_size << " events (root "
            << HashToHex(second_root) << (held.size() > 1 ? ", signed" : ", as the ledger gave it")
            << ") extends the checkpoint's tree of " << first.tree_size
            << " events: nothing in positions 1.." << first.tree_size
            << " was altered, removed, inserted or reordered\n";
  return Status::Ok();
}

}  // namespace caseledger::cli
