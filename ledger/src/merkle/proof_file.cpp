// The JSON form of proofs (caseledger/proof.h, docs/format.md "Proofs").
#include <cstring>

#include "caseledger/checkpoint.h"  // the hex helpers
#include "caseledger/proof.h"
#include "util/json_object.h"

namespace caseledger {
inline namespace v1 {
namespace {

constexpr std::string_view kFormat = "caseledger-proof-v1";
constexpr size_t kMaxPath = 64;  // a tree of 2^64 leaves needs no more

std::string HexOf(std::span<const uint8_t> bytes) { return BytesToHex(bytes); }

std::string PathJson(const std::vector<Hash256>& path) {
  std::string out = "[";
  for (size_t i = 0; i < path.size(); ++i) out += (i ? ",\"" : "\"") + HexOf(path[i]) + "\"";
  return out + "]";
}

Result<std::vector<Hash256>> ParsePath(const util::StrictJsonObject& o) {
  CASELEDGER_ASSIGN_OR_RETURN(std::vector<std::string> nodes, o.TextArray("path"));
  if (nodes.size() > kMaxPath)
    return Status::InvalidArgument("proof: field \"path\" holds " + std::to_string(nodes.size()) +
                                   " nodes; at most 64");
  std::vector<Hash256> path(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i)
    CASELEDGER_RETURN_IF_ERROR(
        HexToBytes(nodes[i], path[i], "proof: node " + std::to_string(i) + " of field \"path\""));
  return path;
}

}  // namespace

std::string ProofToJson(const ProofDocument& p) {
  std::string out = "{\"format\":\"" + std::string(kFormat) + "\"";
  if (p.kind == ProofDocument::Kind::kInclusion) {
    out += ",\"kind\":\"inclusion\",\"ledger_id\":\"" + HexOf(p.ledger_id) + "\"";
    out += ",\"position\":" + std::to_string(p.inclusion.leaf_index + 1);
    out += ",\"tree_size\":" + std::to_string(p.inclusion.tree_size);
    out += ",\"record\":\"" +
           HexOf({reinterpret_cast<const uint8_t*>(p.record.data()), p.record.size()}) + "\"";
    out += ",\"path\":" + PathJson(p.inclusion.path);
    out += ",\"root\":\"" + HexOf(p.root) + "\"}";
  } else {
    out += ",\"kind\":\"consistency\",\"ledger_id\":\"" + HexOf(p.ledger_id) + "\"";
    out += ",\"first_size\":" + std::to_string(p.consistency.first_size);
    out += ",\"second_size\":" + std::to_string(p.consistency.second_size);
    out += ",\"first_root\":\"" + HexOf(p.first_root) + "\"";
    out += ",\"second_root\":\"" + HexOf(p.second_root) + "\"";
    out += ",\"path\":" + PathJson(p.consistency.path) + "}";
  }
  return out;
}

Result<ProofDocument> ProofFromJson(std::string_view json) {
  CASELEDGER_ASSIGN_OR_RETURN(std::string kind,
                              util::StrictJsonObject::Peek(json, "proof", "kind"));
  ProofDocument p;
  auto check_format = [](const util::StrictJsonObject& o) -> Status {
    CASELEDGER_ASSIGN_OR_RETURN(std::string format, o.Text("format"));
    if (format != kFormat)
      return Status::InvalidArgument("proof: field \"format\" is \"" + format +
                                     "\"; this build reads \"" + std::string(kFormat) + "\"");
    return Status::Ok();
  };
  if (kind == "inclusion") {
    CASELEDGER_ASSIGN_OR_RETURN(
        auto o, util::StrictJsonObject::Parse(json, "proof",
                                              {"format", "kind", "ledger_id", "position",
                                               "tree_size", "record", "path", "root"}));
    CASELEDGER_RETURN_IF_ERROR(check_format(o));
    p.kind = ProofDocument::Kind::kInclusion;
    CASELEDGER_RETURN_IF_ERROR(o.Hex("ledger_id", p.ledger_id));
    CASELEDGER_ASSIGN_OR_RETURN(uint64_t position, o.Integer("position"));
    CASELEDGER_ASSIGN_OR_RETURN(p.inclusion.tree_size, o.Integer("tree_size"));
    if (position == 0 || position > p.inclusion.tree_size)
      return Status::InvalidArgument("proof: field \"position\" (" + std::to_string(position) +
                                     ") is not in 1..tree_size (" +
                                     std::to_string(p.inclusion.tree_size) + ")");
    p.inclusion.leaf_index = position - 1;
    CASELEDGER_ASSIGN_OR_RETURN(std::vector<uint8_t> record, o.HexBytes("record"));
    p.record.resize(record.size());
    if (!record.empty()) std::memcpy(p.record.data(), record.data(), record.size());
    CASELEDGER_ASSIGN_OR_RETURN(p.inclusion.path, ParsePath(o));
    CASELEDGER_RETURN_IF_ERROR(o.Hex("root", p.root));
    return p;
  }
  if (kind == "consistency") {
    CASELEDGER_ASSIGN_OR_RETURN(auto o, util::StrictJsonObject::Parse(
                                            json, "proof",
                                            {"format", "kind", "ledger_id", "first_size",
                                             "second_size", "first_root", "second_root", "path"}));
    CASELEDGER_RETURN_IF_ERROR(check_format(o));
    p.kind = ProofDocument::Kind::kConsistency;
    CASELEDGER_RETURN_IF_ERROR(o.Hex("ledger_id", p.ledger_id));
    CASELEDGER_ASSIGN_OR_RETURN(p.consistency.first_size, o.Integer("first_size"));
    CASELEDGER_ASSIGN_OR_RETURN(p.consistency.second_size, o.Integer("second_size"));
    if (p.consistency.first_size == 0 || p.consistency.first_size > p.consistency.second_size)
      return Status::InvalidArgument("proof: sizes " + std::to_string(p.consistency.first_size) +
                                     " and " + std::to_string(p.consistency.second_size) +
                                     " are not 0 < first_size <= second_size");
    CASELEDGER_RETURN_IF_ERROR(o.Hex("first_root", p.first_root));
    CASELEDGER_RETURN_IF_ERROR(o.Hex("second_root", p.second_root));
    CASELEDGER_ASSIGN_OR_RETURN(p.consistency.path, ParsePath(o));
    return p;
  }
  return Status::InvalidArgument("proof: field \"kind\" is \"" + kind +
                                 "\"; it is inclusion or consistency");
}

}  // namespace v1
}  // namespace caseledger
