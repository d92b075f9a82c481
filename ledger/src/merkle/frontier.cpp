#include "merkle/frontier.h"

#include <bit>
#include <cassert>
#include <cstring>

#include "merkle/hashing.h"
#include "util/endian.h"

namespace caseledger::merkle {

void MerkleFrontier::Append(const Hash256& leaf,
                            const std::function<void(const CompletedNode&)>& on_completed) {
  AppendSubtree(leaf, 0, on_completed);
}

void MerkleFrontier::Append(const MerkleFrontier& next,
                            const std::function<void(const CompletedNode&)>& on_completed) {
  // next.roots_ are its perfect subtrees, largest first: one per set bit of next.size_.
  assert(next.size_ == 0 || size_ % std::bit_floor(next.size_) == 0);
  size_t i = 0;
  for (uint32_t level = 64; level-- > 0;)
    if ((next.size_ >> level) & 1) AppendSubtree(next.roots_[i++], level, on_completed);
}

// Adds a perfect subtree of 2^level leaves; size_ is a multiple of 2^level.
void MerkleFrontier::AppendSubtree(const Hash256& root, uint32_t level,
                                   const std::function<void(const CompletedNode&)>& on_completed) {
  const uint64_t added = uint64_t{1} << level;
  Hash256 carry = root;
  uint64_t index = size_ >> level;  // index of `carry` at its level
  // Each one bit of size_ from `level` up is a subtree of the same height as `carry`:
  // merge.
  for (uint64_t s = size_ >> level; s & 1; s >>= 1) {
    carry = NodeHash(roots_.back(), carry);
    roots_.pop_back();
    ++level;
    index >>= 1;
    if (on_completed) on_completed(CompletedNode{level, index, carry});
  }
  roots_.push_back(carry);
  size_ += added;
}

TreeHead MerkleFrontier::Head() const {
  TreeHead head;
  head.size = size_;
  if (roots_.empty()) {
    head.root = EmptyTreeRoot();
    return head;
  }
  // Combine from the smallest (rightmost) subtree up: MTH splits at the largest power of
  // two below n, so the right part is always folded first.
  Hash256 acc = roots_.back();
  for (size_t i = roots_.size() - 1; i-- > 0;) acc = NodeHash(roots_[i], acc);
  head.root = acc;
  return head;
}

std::string MerkleFrontier::Serialize() const {
  std::string out;
  AppendBE64(out, size_);
  for (const auto& h : roots_) out.append(reinterpret_cast<const char*>(h.data()), h.size());
  return out;
}

Result<MerkleFrontier> MerkleFrontier::Parse(std::string_view bytes) {
  if (bytes.size() < 8) return Status::Corruption("Merkle frontier record is truncated");
  MerkleFrontier f;
  f.size_ = LoadBE64(bytes.data());
  const size_t n = static_cast<size_t>(std::popcount(f.size_));
  if (bytes.size() != 8 + 32 * n)
    return Status::Corruption("Merkle frontier record has " + std::to_string(bytes.size()) +
                              " bytes; a tree of " + std::to_string(f.size_) + " leaves needs " +
                              std::to_string(8 + 32 * n));
  f.roots_.resize(n);
  for (size_t i = 0; i < n; ++i) std::memcpy(f.roots_[i].data(), bytes.data() + 8 + 32 * i, 32);
  return f;
}

}  // namespace caseledger::merkle
