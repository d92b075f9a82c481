// The Merkle frontier (merkle/frontier.h) against an independent, deliberately naive
// RFC 9162 Merkle Tree Hash written here with OpenSSL's EVP interface directly: it shares
// no code with ledger/src/merkle, so a mistake in one is not repeated in the other.
#include "merkle/frontier.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <bit>
#include <map>
#include <string>
#include <vector>

#include "merkle/hashing.h"

namespace caseledger::merkle {
namespace {

Hash256 Sha256(const std::string& bytes) {
  Hash256 out{};
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr), 1);
  EXPECT_EQ(len, 32u);
  return out;
}

std::string Str(const Hash256& h) {
  return std::string(reinterpret_cast<const char*>(h.data()), 32);
}

// RFC 9162, section 2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0)); for n > 1 with k the
// largest power of two smaller than n, MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])).
Hash256 NaiveLeafHash(const std::string& data) { return Sha256(std::string(1, '\0') + data); }

Hash256 NaiveMth(const std::vector<std::string>& leaves, size_t begin, size_t end) {
  const size_t n = end - begin;
  if (n == 0) return Sha256("");
  if (n == 1) return NaiveLeafHash(leaves[begin]);
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return Sha256(std::string(1, '\1') + Str(NaiveMth(leaves, begin, begin + k)) +
                Str(NaiveMth(leaves, begin + k, end)));
}

std::vector<std::string> Leaves(size_t n) {
  std::vector<std::string> leaves;
  for (size_t i = 0; i < n; ++i)
    leaves.push_back("record " + std::to_string(i) + std::string(i % 13, 'x'));
  return leaves;
}

std::string Hex(const Hash256& h) { return HashToHex(h); }

TEST(Merkle, EmptyTreeRootIsSha256OfTheEmptyString) {
  MerkleFrontier f;
  TreeHead head = f.Head();
  EXPECT_EQ(head.size, 0u);
  EXPECT_EQ(Hex(head.root), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(head.root, Sha256(""));
  EXPECT_EQ(EmptyTreeRoot(), Sha256(""));
}

TEST(Merkle, LeafAndNodeHashesUseTheRfc9162Prefixes) {
  const std::string record = "an envelope";
  EXPECT_EQ(LeafHash(std::as_bytes(std::span(record))), NaiveLeafHash(record));
  EXPECT_EQ(LeafHash({}), Sha256(std::string(1, '\0')));
  Hash256 a = Sha256("a"), b = Sha256("b");
  EXPECT_EQ(NodeHash(a, b), Sha256(std::string(1, '\1') + Str(a) + Str(b)));
  EXPECT_NE(NodeHash(a, b), NodeHash(b, a));
}

TEST(Merkle, RootsForEverySizeUpTo70MatchTheNaiveTreeHash) {
  const auto leaves = Leaves(70);
  MerkleFrontier f;
  EXPECT_EQ(f.Head().root, NaiveMth(leaves, 0, 0));
  for (size_t n = 1; n <= 70; ++n) {
    f.Append(NaiveLeafHash(leaves[n - 1]), {});
    TreeHead head = f.Head();
    ASSERT_EQ(head.size, n);
    ASSERT_EQ(f.size(), n);
    ASSERT_EQ(Hex(head.root), Hex(NaiveMth(leaves, 0, n))) << "tree of " << n << " leaves";
  }
}

TEST(Merkle, KnownRootOfThreeLeaves) {
  // Spelled out once by hand: root = H(1 || H(1 || L0 || L1) || L2).
  const auto leaves = Leaves(3);
  Hash256 l0 = NaiveLeafHash(leaves[0]), l1 = NaiveLeafHash(leaves[1]),
          l2 = NaiveLeafHash(leaves[2]);
  Hash256 left = Sha256(std::string(1, '\1') + Str(l0) + Str(l1));
  Hash256 root = Sha256(std::string(1, '\1') + Str(left) + Str(l2));
  MerkleFrontier f;
  for (const auto& l : {l0, l1, l2}) f.Append(l, {});
  EXPECT_EQ(f.Head().root, root);
}

TEST(Merkle, CompletedNodesReportLevelIndexAndHashOfEachPerfectSubtree) {
  const auto leaves = Leaves(70);
  MerkleFrontier f;
  std::map<std::pair<uint32_t, uint64_t>, Hash256> seen;
  for (size_t i = 0; i < leaves.size(); ++i) {
    std::vector<CompletedNode> nodes;
    f.Append(NaiveLeafHash(leaves[i]), [&](const CompletedNode& n) { nodes.push_back(n); });
    // Leaf i completes one subtree per trailing one bit of i: levels 1, 2, ... in order.
    const size_t size = i + 1;
    ASSERT_EQ(nodes.size(), static_cast<size_t>(std::countr_zero(size))) << "leaf " << i;
    for (size_t k = 0; k < nodes.size(); ++k) {
      const CompletedNode& n = nodes[k];
      EXPECT_EQ(n.level, k + 1) << "leaf " << i;
      EXPECT_EQ(n.index, (size >> n.level) - 1) << "leaf " << i << " level " << n.level;
      const size_t first = n.index << n.level, last = (n.index + 1) << n.level;
      EXPECT_EQ(last, size);
      EXPECT_EQ(Hex(n.hash), Hex(NaiveMth(leaves, first, last)))
          << "level " << n.level << " index " << n.index;
      EXPECT_TRUE(seen.emplace(std::pair(n.level, n.index), n.hash).second) << "reported twice";
    }
  }
  // 70 leaves: 35 + 17 + 8 + 4 + 2 + 1 perfect subtrees above the leaves.
  EXPECT_EQ(seen.size(), 35u + 17 + 8 + 4 + 2 + 1);
}

TEST(Merkle, AppendWithoutCallbackGivesTheSameTree) {
  const auto leaves = Leaves(33);
  MerkleFrontier with, without;
  for (const auto& l : leaves) {
    with.Append(NaiveLeafHash(l), [](const CompletedNode&) {});
    without.Append(NaiveLeafHash(l), {});
  }
  EXPECT_EQ(with.Head(), without.Head());
}

// Verify builds aligned chunks of the tree on separate threads and joins them: the joined
// tree has the naive root at every size, and the nodes the join completes are exactly the
// ones above the chunks that a leaf-by-leaf build completes.
TEST(Merkle, JoiningAlignedChunksGivesTheTreeBuiltLeafByLeaf) {
  const auto leaves = Leaves(100);
  for (size_t chunk : {1, 2, 4, 8, 32}) {
    for (size_t n = 0; n <= leaves.size(); n += 7) {
      MerkleFrontier joined;
      std::map<std::pair<uint32_t, uint64_t>, std::string> join_nodes;
      for (size_t first = 0; first < n; first += chunk) {
        MerkleFrontier part;
        for (size_t i = first; i < std::min(n, first + chunk); ++i)
          part.Append(NaiveLeafHash(leaves[i]), {});
        joined.Append(part, [&](const CompletedNode& node) {
          EXPECT_TRUE(join_nodes.emplace(std::pair(node.level, node.index), Hex(node.hash)).second);
        });
      }
      ASSERT_EQ(joined.size(), n);
      EXPECT_EQ(Hex(joined.Head().root), Hex(NaiveMth(leaves, 0, n)))
          << n << " leaves, chunks of " << chunk;

      MerkleFrontier whole;
      std::map<std::pair<uint32_t, uint64_t>, std::string> above_chunks;
      for (size_t i = 0; i < n; ++i)
        whole.Append(NaiveLeafHash(leaves[i]), [&](const CompletedNode& node) {
          if ((uint64_t{1} << node.level) > chunk)
            above_chunks[{node.level, node.index}] = Hex(node.hash);
        });
      EXPECT_EQ(join_nodes, above_chunks) << n << " leaves, chunks of " << chunk;
    }
  }
}

TEST(Merkle, SerializeThenParseGivesAnEquivalentFrontierAtEverySize) {
  const auto leaves = Leaves(71);
  MerkleFrontier f;
  for (size_t n = 0; n <= 70; ++n) {
    std::string bytes = f.Serialize();
    ASSERT_EQ(bytes.size(), 8 + 32 * static_cast<size_t>(std::popcount(n))) << n;
    // Size first, big-endian.
    uint64_t size = 0;
    for (int i = 0; i < 8; ++i) size = size << 8 | static_cast<uint8_t>(bytes[i]);
    EXPECT_EQ(size, n);
    auto parsed = MerkleFrontier::Parse(bytes);
    ASSERT_TRUE(parsed.ok()) << n << ": " << parsed.status().ToString();
    EXPECT_EQ(parsed->size(), n);
    EXPECT_EQ(parsed->Head(), f.Head()) << n;
    EXPECT_EQ(parsed->Serialize(), bytes);
    // The parsed frontier keeps growing into the same tree.
    parsed->Append(NaiveLeafHash(leaves[n]), {});
    f.Append(NaiveLeafHash(leaves[n]), {});
    EXPECT_EQ(Hex(parsed->Head().root), Hex(NaiveMth(leaves, 0, n + 1))) << n;
  }
}

TEST(Merkle, ParseRejectsEveryWrongLength) {
  const auto leaves = Leaves(13);  // 13 = 0b1101: three subtree roots
  MerkleFrontier f;
  for (const auto& l : leaves) f.Append(NaiveLeafHash(l), {});
  const std::string good = f.Serialize();
  ASSERT_EQ(good.size(), 8u + 3 * 32);
  for (size_t len = 0; len <= good.size() + 40; ++len) {
    if (len == good.size()) continue;
    std::string bytes = good.substr(0, std::min(len, good.size()));
    bytes.resize(len, '\0');
    auto parsed = MerkleFrontier::Parse(bytes);
    ASSERT_FALSE(parsed.ok()) << "length " << len;
    EXPECT_EQ(parsed.status().code(), StatusCode::kCorruption) << len;
  }
  // A size whose bit count disagrees with the roots that follow.
  std::string wrong_size = good;
  wrong_size[7] = 14;  // 0b1110: also three roots, so this one parses ...
  EXPECT_TRUE(MerkleFrontier::Parse(wrong_size).ok());
  wrong_size[7] = 15;  // ... 0b1111: four roots needed, three given
  EXPECT_EQ(MerkleFrontier::Parse(wrong_size).status().code(), StatusCode::kCorruption);
  wrong_size[7] = 8;  // one root needed, three given
  EXPECT_EQ(MerkleFrontier::Parse(wrong_size).status().code(), StatusCode::kCorruption);
  std::string all_ones(8, '\xFF');  // 64 roots needed
  EXPECT_EQ(MerkleFrontier::Parse(all_ones).status().code(), StatusCode::kCorruption);
}

TEST(Merkle, EmptyFrontierSerializesToEightZeroBytes) {
  MerkleFrontier f;
  EXPECT_EQ(f.Serialize(), std::string(8, '\0'));
  auto parsed = MerkleFrontier::Parse(std::string(8, '\0'));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->size(), 0u);
  EXPECT_EQ(parsed->Head().root, Sha256(""));
}

}  // namespace
}  // namespace caseledger::merkle
