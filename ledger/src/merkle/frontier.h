// MerkleFrontier: the right edge of the RFC 9162 tree, enough to extend it leaf by leaf
// and to compute its root, in O(log n) memory.
//
//   MerkleFrontier f;
//   f.Append(LeafHash(record), [&](const CompletedNode& n) { store(n); });
//   TreeHead head = f.Head();
//
// The frontier holds the roots of the perfect subtrees that make up the first `size`
// leaves, largest (leftmost) first: one per set bit of `size`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "caseledger/status.h"
#include "caseledger/tree_head.h"

namespace caseledger::merkle {

// A perfect subtree completed by an Append: it covers leaves
// [index << level, (index + 1) << level).
struct CompletedNode {
  uint32_t level;  // 1 = parent of two leaves
  uint64_t index;
  Hash256 hash;
};

class MerkleFrontier {
 public:
  uint64_t size() const { return size_; }

  // Adds the next leaf; calls `on_completed` for each interior node it completes (lowest
  // level first). `on_completed` may be empty.
  void Append(const Hash256& leaf, const std::function<void(const CompletedNode&)>& on_completed);

  // Adds the leaves `next` summarises (a tree built over the leaves that follow these),
  // by its subtree roots: calls `on_completed` for each node above them it completes.
  // Lets independent workers build aligned parts of a tree. Requires size() to be a
  // multiple of 2^k, where 2^k is the largest power of two <= next.size().
  void Append(const MerkleFrontier& next,
              const std::function<void(const CompletedNode&)>& on_completed);

  // The root over all leaves so far (RFC 9162 MTH).
  TreeHead Head() const;

  std::string Serialize() const;  // size (8 bytes BE) then the subtree roots
  static Result<MerkleFrontier> Parse(std::string_view bytes);

 private:
  void AppendSubtree(const Hash256& root, uint32_t level,
                     const std::function<void(const CompletedNode&)>& on_completed);

  uint64_t size_ = 0;
  std::vector<Hash256> roots_;  // one per set bit of size_, from the highest bit down
};

}  // namespace caseledger::merkle
