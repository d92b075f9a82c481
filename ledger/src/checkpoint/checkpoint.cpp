// Checkpoints: the signed byte string, signing, verification along key rotations, and the
// JSON form (docs/format.md, "Checkpoints").
#include <sodium.h>

#include <set>

#include "caseledger/checkpoint.h"
#include "util/file_util.h"
#include "util/json_object.h"

namespace caseledger {
inline namespace v1 {
namespace {

constexpr std::string_view kFormat = "caseledger-checkpoint-v1";
constexpr size_t kMaxCheckpointFileBytes = 64 * 1024;

std::string Describe(const Checkpoint& cp) {
  return "the checkpoint of tree size " + std::to_string(cp.tree_size) + " (" +
         FormatTimestamp(cp.time) + ")";
}

}  // namespace

std::string CheckpointSignedBytes(const Checkpoint& cp) {
  std::string out = "caseledger checkpoint v1\n";
  out += "ledger_id " + BytesToHex(cp.ledger_id) + "\n";
  out += "tree_size " + std::to_string(cp.tree_size) + "\n";
  out += "root " + BytesToHex(cp.root) + "\n";
  out += "time_us " + std::to_string(ToMicros(cp.time)) + "\n";
  out += "signer " + BytesToHex(cp.signer) + "\n";
  out += "next_key " + (cp.next_key ? BytesToHex(*cp.next_key) : std::string("none")) + "\n";
  return out;
}

Checkpoint SignCheckpoint(Checkpoint cp, const SigningKey& key) {
  cp.signer = key.public_key();
  cp.signature = key.Sign(CheckpointSignedBytes(cp));
  return cp;
}

Status CheckCheckpointSignature(const Checkpoint& cp) {
  const std::string bytes = CheckpointSignedBytes(cp);
  if (crypto_sign_verify_detached(cp.signature.data(),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  bytes.size(), cp.signer.data()) != 0)
    return Status::Corruption("bad signature: " + Describe(cp) +
                              " does not verify under its signer key " + KeyFingerprint(cp.signer) +
                              ": a field or the signature was altered, or it was never signed "
                              "by that key");
  return Status::Ok();
}

CheckpointTrust::CheckpointTrust(const PublicKey& trusted_key, std::span<const Checkpoint> chain,
                                 const LedgerIdBytes& ledger_id)
    : trusted_key_(trusted_key), ledger_id_(ledger_id), keys_{trusted_key} {
  constexpr size_t kRefusedShown = 10;  // enough to explain; a hostile chain stays cheap
  for (size_t i = 0; i < chain.size(); ++i) {
    const Checkpoint& c = chain[i];
    if (!c.next_key || keys_.contains(*c.next_key)) continue;
    std::string why;
    if (c.ledger_id != ledger_id)
      why = "is of another ledger (ledger id mismatch: " + BytesToHex(c.ledger_id) + ")";
    else if (!keys_.contains(c.signer))
      why = "is signed by " + KeyFingerprint(c.signer) + ", not a trusted key at that point";
    else if (!CheckCheckpointSignature(c).ok())
      why = "has a bad signature";
    if (why.empty()) {
      keys_.insert(*c.next_key);
    } else if (refused_.size() < kRefusedShown) {
      refused_.push_back("checkpoint " + std::to_string(i + 1) + " of the chain (tree size " +
                         std::to_string(c.tree_size) + ") announcing " +
                         KeyFingerprint(*c.next_key) + " " + why);
    } else {
      ++refused_more_;
    }
  }
}

Status CheckpointTrust::Verify(const Checkpoint& cp) const {
  if (cp.ledger_id != ledger_id_)
    return Status::Corruption("ledger id mismatch: " + Describe(cp) + " is of ledger " +
                              BytesToHex(cp.ledger_id) + ", not of ledger " +
                              BytesToHex(ledger_id_));
  if (!keys_.contains(cp.signer)) {
    std::string message = "signed by an unknown key: " + Describe(cp) + " is signed by " +
                          KeyFingerprint(cp.signer) + ", which is neither the trusted key " +
                          KeyFingerprint(trusted_key_) +
                          " nor a key announced from it by a verified rotation";
    if (!refused_.empty()) {
      message += " (refused announcements: ";
      for (size_t i = 0; i < refused_.size(); ++i) message += (i ? "; " : "") + refused_[i];
      if (refused_more_ > 0) message += "; and " + std::to_string(refused_more_) + " more";
      message += ")";
    }
    return Status::Corruption(message);
  }
  return CheckCheckpointSignature(cp);
}

Status VerifyCheckpoint(const Checkpoint& cp, const PublicKey& trusted_key,
                        std::span<const Checkpoint> chain,
                        const std::optional<LedgerIdBytes>& ledger_id) {
  return CheckpointTrust(trusted_key, chain, ledger_id.value_or(cp.ledger_id)).Verify(cp);
}

std::string CheckpointToJson(const Checkpoint& cp) {
  std::string out = "{\"format\":\"" + std::string(kFormat) + "\"";
  out += ",\"ledger_id\":\"" + BytesToHex(cp.ledger_id) + "\"";
  out += ",\"tree_size\":" + std::to_string(cp.tree_size);
  out += ",\"root\":\"" + BytesToHex(cp.root) + "\"";
  out += ",\"time\":\"" + FormatTimestamp(cp.time) + "\"";
  out += ",\"signer\":\"" + BytesToHex(cp.signer) + "\"";
  out += ",\"next_key\":" + (cp.next_key ? "\"" + BytesToHex(*cp.next_key) + "\"" : "null");
  out += ",\"signature\":\"" + BytesToHex(cp.signature) + "\"}";
  return out;
}

Result<Checkpoint> CheckpointFromJson(std::string_view json) {
  CASELEDGER_ASSIGN_OR_RETURN(
      auto o, util::StrictJsonObject::Parse(json, "checkpoint",
                                            {"format", "ledger_id", "tree_size", "root", "time",
                                             "signer", "next_key", "signature"}));
  Checkpoint cp;
  CASELEDGER_ASSIGN_OR_RETURN(std::string format, o.Text("format"));
  if (format != kFormat)
    return Status::InvalidArgument("checkpoint: field \"format\" is \"" + format +
                                   "\"; this build reads \"" + std::string(kFormat) + "\"");
  CASELEDGER_RETURN_IF_ERROR(o.Hex("ledger_id", cp.ledger_id));
  CASELEDGER_ASSIGN_OR_RETURN(cp.tree_size, o.Integer("tree_size"));
  CASELEDGER_RETURN_IF_ERROR(o.Hex("root", cp.root));
  {
    CASELEDGER_ASSIGN_OR_RETURN(std::string t, o.Text("time"));
    auto parsed = ParseTimestamp(t);
    if (!parsed.ok() || FormatTimestamp(*parsed) != t || ToMicros(*parsed) < 0)
      return Status::InvalidArgument("checkpoint: field \"time\" (\"" + t +
                                     "\") is not a UTC time of the form "
                                     "2026-03-01T10:00:00.123456Z (fraction only when not zero)");
    cp.time = *parsed;
  }
  CASELEDGER_RETURN_IF_ERROR(o.Hex("signer", cp.signer));
  if (!o.IsNull("next_key")) {
    PublicKey next{};
    CASELEDGER_RETURN_IF_ERROR(o.Hex("next_key", next));
    cp.next_key = next;
  }
  CASELEDGER_RETURN_IF_ERROR(o.Hex("signature", cp.signature));
  return cp;
}

Status WriteCheckpointFile(const std::string& path, const Checkpoint& cp) {
  return util::WriteNewFile(path, CheckpointToJson(cp) + "\n", 0644);
}

Result<Checkpoint> ReadCheckpointFile(const std::string& path) {
  auto text = util::ReadSmallFile(path, kMaxCheckpointFileBytes);
  if (!text.ok()) return text.status().WithContext("checkpoint file " + path);
  auto cp = CheckpointFromJson(*text);
  if (!cp.ok()) return cp.status().WithContext(path);
  return cp;
}

Result<std::vector<HeldCheckpoint>> ReadHeldCheckpoints(std::span<const std::string> files) {
  std::vector<HeldCheckpoint> held;
  for (const std::string& file : files) {
    CASELEDGER_ASSIGN_OR_RETURN(Checkpoint cp, ReadCheckpointFile(file));
    held.push_back({file, cp});
  }
  return held;
}

}  // namespace v1
}  // namespace caseledger
