// RFC 9162 inclusion and consistency proofs: building (from subtree hashes) and verifying.
#include "merkle/proof.h"

#include <bit>
#include <string>

#include "merkle/hashing.h"

namespace caseledger {
namespace merkle {
namespace {

std::string Sizes(uint64_t a, uint64_t b) {
  return std::to_string(a) + " and " + std::to_string(b);
}

// PATH(m, D[begin:end]), appended to `path` leaf side first.
Status AppendPath(uint64_t m, uint64_t begin, uint64_t end, const SubtreeHashFn& subtree,
                  std::vector<Hash256>& path) {
  const uint64_t n = end - begin;
  if (n == 1) return Status::Ok();
  const uint64_t k = SplitPoint(n);
  if (m < k) {
    CASELEDGER_RETURN_IF_ERROR(AppendPath(m, begin, begin + k, subtree, path));
    CASELEDGER_ASSIGN_OR_RETURN(Hash256 right, subtree(begin + k, end));
    path.push_back(right);
  } else {
    CASELEDGER_RETURN_IF_ERROR(AppendPath(m - k, begin + k, end, subtree, path));
    CASELEDGER_ASSIGN_OR_RETURN(Hash256 left, subtree(begin, begin + k));
    path.push_back(left);
  }
  return Status::Ok();
}

// SUBPROOF(m, D[begin:end], b), appended to `proof`.
Status AppendSubproof(uint64_t m, uint64_t begin, uint64_t end, bool b,
                      const SubtreeHashFn& subtree, std::vector<Hash256>& proof) {
  const uint64_t n = end - begin;
  if (m == n) {
    if (b) return Status::Ok();
    CASELEDGER_ASSIGN_OR_RETURN(Hash256 whole, subtree(begin, end));
    proof.push_back(whole);
    return Status::Ok();
  }
  const uint64_t k = SplitPoint(n);
  if (m <= k) {
    CASELEDGER_RETURN_IF_ERROR(AppendSubproof(m, begin, begin + k, b, subtree, proof));
    CASELEDGER_ASSIGN_OR_RETURN(Hash256 right, subtree(begin + k, end));
    proof.push_back(right);
  } else {
    CASELEDGER_RETURN_IF_ERROR(AppendSubproof(m - k, begin + k, end, false, subtree, proof));
    CASELEDGER_ASSIGN_OR_RETURN(Hash256 left, subtree(begin, begin + k));
    proof.push_back(left);
  }
  return Status::Ok();
}

}  // namespace

uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

Result<std::vector<Hash256>> InclusionPath(uint64_t index, uint64_t size,
                                           const SubtreeHashFn& subtree) {
  if (index >= size)
    return Status::InvalidArgument("leaf " + std::to_string(index) + " is not in a tree of " +
                                   std::to_string(size) + " leaves");
  std::vector<Hash256> path;
  CASELEDGER_RETURN_IF_ERROR(AppendPath(index, 0, size, subtree, path));
  return path;
}

Result<std::vector<Hash256>> ConsistencyPath(uint64_t first, uint64_t second,
                                             const SubtreeHashFn& subtree) {
  if (first == 0 || first > second)
    return Status::InvalidArgument("no consistency proof between tree sizes " +
                                   Sizes(first, second) + " (0 < first <= second)");
  std::vector<Hash256> proof;
  if (first == second) return proof;
  CASELEDGER_RETURN_IF_ERROR(AppendSubproof(first, 0, second, true, subtree, proof));
  return proof;
}

}  // namespace merkle

inline namespace v1 {

Hash256 RecordLeafHash(std::span<const std::byte> record) { return merkle::LeafHash(record); }

Status VerifyInclusion(const Hash256& leaf_hash, const InclusionProof& proof, const Hash256& root) {
  if (proof.leaf_index >= proof.tree_size)
    return Status::InvalidArgument("inclusion proof: leaf index " +
                                   std::to_string(proof.leaf_index) + " is not below tree size " +
                                   std::to_string(proof.tree_size));
  // RFC 9162 2.1.3.2.
  uint64_t fn = proof.leaf_index;
  uint64_t sn = proof.tree_size - 1;
  Hash256 r = leaf_hash;
  for (const Hash256& p : proof.path) {
    if (sn == 0)
      return Status::InvalidArgument("inclusion proof: the path is longer than a tree of " +
                                     std::to_string(proof.tree_size) + " leaves allows");
    if ((fn & 1) != 0 || fn == sn) {
      r = merkle::NodeHash(p, r);
      if ((fn & 1) == 0)
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      r = merkle::NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0)
    return Status::InvalidArgument("inclusion proof: the path is shorter than a tree of " +
                                   std::to_string(proof.tree_size) + " leaves needs");
  if (r != root)
    return Status::Corruption("the inclusion proof does not lead to the root " + HashToHex(root) +
                              ": leaf " + std::to_string(proof.leaf_index) + " (position " +
                              std::to_string(proof.leaf_index + 1) +
                              ") is not in that tree as given");
  return Status::Ok();
}

Status VerifyConsistency(const ConsistencyProof& proof, const Hash256& first_root,
                         const Hash256& second_root) {
  const uint64_t first = proof.first_size, second = proof.second_size;
  if (first == 0 || first > second)
    return Status::InvalidArgument("consistency proof: tree sizes " + merkle::Sizes(first, second) +
                                   " are not 0 < first <= second");
  if (first == second) {
    if (!proof.path.empty())
      return Status::InvalidArgument("consistency proof: equal sizes need an empty proof");
    if (first_root != second_root)
      return Status::Corruption("two trees of " + std::to_string(first) +
                                " leaves with different roots");
    return Status::Ok();
  }
  // RFC 9162 2.1.4.2.
  if (proof.path.empty())
    return Status::InvalidArgument("consistency proof: empty for different sizes");
  std::vector<Hash256> path = proof.path;
  if (std::has_single_bit(first)) path.insert(path.begin(), first_root);
  uint64_t fn = first - 1;
  uint64_t sn = second - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash256 fr = path.front();
  Hash256 sr = path.front();
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash256& c = path[i];
    if (sn == 0)
      return Status::InvalidArgument("consistency proof: longer than sizes " +
                                     merkle::Sizes(first, second) + " allow");
    if ((fn & 1) != 0 || fn == sn) {
      fr = merkle::NodeHash(c, fr);
      sr = merkle::NodeHash(c, sr);
      if ((fn & 1) == 0)
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      sr = merkle::NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0)
    return Status::InvalidArgument("consistency proof: shorter than sizes " +
                                   merkle::Sizes(first, second) + " need");
  if (fr != first_root)
    return Status::Corruption("the consistency proof does not lead to the first root " +
                              HashToHex(first_root) + " (tree of " + std::to_string(first) +
                              " leaves)");
  if (sr != second_root)
    return Status::Corruption("the consistency proof does not lead to the second root " +
                              HashToHex(second_root) + " (tree of " + std::to_string(second) +
                              " leaves): the first " + std::to_string(first) +
                              " positions are not a prefix of it");
  return Status::Ok();
}

}  // namespace v1
}  // namespace caseledger
