// Inclusion and consistency proofs (caseledger/proof.h, Ledger::ProveInclusion and
// ProveConsistency) against a plain reference implementation of RFC 9162's algorithms
// written here: MTH, PATH (2.1.3.1) and PROOF/SUBPROOF (2.1.4.1), straight from the RFC's
// recursive definitions, over leaf hashes computed here with OpenSSL's SHA-256 from the
// records the ledger returns. Nothing of the ledger's Merkle code is used to compute the
// expected proofs.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "caseledger/ledger.h"
#include "caseledger/proof.h"
#include "events.h"
#include "temp_dir.h"

namespace caseledger {
namespace {

using testing::CreateAndOpen;
using testing::Event;
using testing::Request;
using testing::TempDir;

// --- The reference: RFC 9162 section 2.1, as written. ---

Hash256 Sha256(uint8_t prefix, std::span<const uint8_t> a, std::span<const uint8_t> b = {}) {
  std::vector<uint8_t> bytes{prefix};
  bytes.insert(bytes.end(), a.begin(), a.end());
  bytes.insert(bytes.end(), b.begin(), b.end());
  Hash256 out;
  SHA256(bytes.data(), bytes.size(), out.data());
  return out;
}

Hash256 Leaf(std::span<const std::byte> record) {
  return Sha256(0x00, {reinterpret_cast<const uint8_t*>(record.data()), record.size()});
}

Hash256 Node(const Hash256& left, const Hash256& right) { return Sha256(0x01, left, right); }

// The largest power of two smaller than n.
uint64_t K(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

using Leaves = std::vector<Hash256>;

Leaves Slice(const Leaves& d, uint64_t from, uint64_t to) {
  return Leaves(d.begin() + static_cast<ptrdiff_t>(from), d.begin() + static_cast<ptrdiff_t>(to));
}

Hash256 Mth(const Leaves& d) {
  if (d.size() == 1) return d[0];
  const uint64_t k = K(d.size());
  return Node(Mth(Slice(d, 0, k)), Mth(Slice(d, k, d.size())));
}

std::vector<Hash256> Path(uint64_t m, const Leaves& d) {
  if (d.size() == 1) return {};
  const uint64_t n = d.size(), k = K(n);
  std::vector<Hash256> path;
  if (m < k) {
    path = Path(m, Slice(d, 0, k));
    path.push_back(Mth(Slice(d, k, n)));
  } else {
    path = Path(m - k, Slice(d, k, n));
    path.push_back(Mth(Slice(d, 0, k)));
  }
  return path;
}

std::vector<Hash256> Subproof(uint64_t m, const Leaves& d, bool b) {
  const uint64_t n = d.size();
  if (m == n) return b ? std::vector<Hash256>{} : std::vector<Hash256>{Mth(d)};
  const uint64_t k = K(n);
  std::vector<Hash256> proof;
  if (m <= k) {
    proof = Subproof(m, Slice(d, 0, k), b);
    proof.push_back(Mth(Slice(d, k, n)));
  } else {
    proof = Subproof(m - k, Slice(d, k, n), false);
    proof.push_back(Mth(Slice(d, 0, k)));
  }
  return proof;
}

std::vector<Hash256> Proof(uint64_t m, const Leaves& d) { return Subproof(m, d, true); }

// --- The ledger under test. ---

struct Fixture {
  TempDir dir;
  std::unique_ptr<Ledger> ledger;
  Leaves leaves;  // leaf i = position i + 1
};

std::unique_ptr<Fixture> LedgerOf(uint64_t events) {
  auto f = std::make_unique<Fixture>();
  f->ledger = CreateAndOpen(f->dir.path());
  if (!f->ledger) return f;
  // Requests of up to 50 events (one sync each) keep the larger ledgers quick to build.
  for (uint64_t i = 0; i < events; i += 50) {
    std::vector<ProposedEvent> batch;
    for (uint64_t j = i; j < std::min(events, i + 50); ++j)
      batch.push_back(Event("NoteAdded", std::to_string(j)));
    auto appended = f->ledger->Append(
        Request("case-" + std::to_string(i / 50), ExpectedVersion::Any(), std::move(batch)));
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
  }
  EXPECT_TRUE(f->ledger
                  ->ScanAll(1, 0,
                            [&](const EventView& v) {
                              f->leaves.push_back(Leaf(v.record));
                              return true;
                            })
                  .ok());
  EXPECT_EQ(f->leaves.size(), events);
  return f;
}

Hash256 Flipped(Hash256 h, size_t byte) {
  h[byte % h.size()] ^= 0x01;
  return h;
}

TEST(Proof, InclusionProofsForEveryLeafOfEverySizeUpTo64MatchTheReferenceAndVerify) {
  auto f = LedgerOf(64);
  ASSERT_TRUE(f->ledger);
  for (uint64_t n = 1; n <= 64; ++n) {
    const Leaves d = Slice(f->leaves, 0, n);
    const Hash256 root = Mth(d);
    for (uint64_t m = 0; m < n; ++m) {
      SCOPED_TRACE("leaf " + std::to_string(m) + " of " + std::to_string(n));
      auto proof = f->ledger->ProveInclusion(m + 1, n);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      EXPECT_EQ(proof->leaf_index, m);
      EXPECT_EQ(proof->tree_size, n);
      ASSERT_EQ(proof->path, Path(m, d));
      EXPECT_TRUE(VerifyInclusion(d[m], *proof, root).ok());
      // Another leaf, another root, or any altered node of the path is refused.
      EXPECT_FALSE(VerifyInclusion(Flipped(d[m], m), *proof, root).ok());
      EXPECT_FALSE(VerifyInclusion(d[m], *proof, Flipped(root, n)).ok());
      for (size_t i = 0; i < proof->path.size(); ++i) {
        InclusionProof bad = *proof;
        bad.path[i] = Flipped(bad.path[i], i + m);
        EXPECT_FALSE(VerifyInclusion(d[m], bad, root).ok()) << "node " << i;
      }
      if (n > 1) {  // the same path for a neighbouring index does not hold
        InclusionProof moved = *proof;
        moved.leaf_index = m == 0 ? 1 : m - 1;
        EXPECT_FALSE(VerifyInclusion(d[m], moved, root).ok());
      }
    }
  }
}

TEST(Proof, ConsistencyProofsForEveryPairOfSizesUpTo64MatchTheReferenceAndVerify) {
  auto f = LedgerOf(64);
  ASSERT_TRUE(f->ledger);
  for (uint64_t n = 1; n <= 64; ++n) {
    const Leaves dn = Slice(f->leaves, 0, n);
    const Hash256 second = Mth(dn);
    for (uint64_t m = 1; m <= n; ++m) {
      SCOPED_TRACE("sizes " + std::to_string(m) + " and " + std::to_string(n));
      const Hash256 first = Mth(Slice(f->leaves, 0, m));
      auto proof = f->ledger->ProveConsistency(m, n);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      ASSERT_EQ(proof->path, m == n ? std::vector<Hash256>{} : Proof(m, dn));
      EXPECT_TRUE(VerifyConsistency(*proof, first, second).ok())
          << VerifyConsistency(*proof, first, second).ToString();
      // The ledger's own heads agree with the reference roots.
      auto head = f->ledger->GetTreeHeadAt(m);
      ASSERT_TRUE(head.ok());
      EXPECT_EQ(head->root, first);
      // A forged first or second root, or any altered node, is refused.
      EXPECT_FALSE(VerifyConsistency(*proof, Flipped(first, m), second).ok());
      EXPECT_FALSE(VerifyConsistency(*proof, first, Flipped(second, n)).ok());
      for (size_t i = 0; i < proof->path.size(); ++i) {
        ConsistencyProof bad = *proof;
        bad.path[i] = Flipped(bad.path[i], i);
        EXPECT_FALSE(VerifyConsistency(bad, first, second).ok()) << "node " << i;
      }
    }
  }
}

TEST(Proof, ProofsOfALargerTreeUseTheStoredNodesAndStillMatchTheReference) {
  // 1,000 events: the upper levels come from the index's stored nodes, and the proofs
  // survive reopening the ledger read-only.
  auto f = LedgerOf(1000);
  ASSERT_TRUE(f->ledger);
  f->ledger.reset();
  LedgerOptions read_only;
  read_only.read_only = true;
  auto reader = Ledger::Open(f->dir.path(), read_only);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  for (const auto& [m, n] : std::vector<std::pair<uint64_t, uint64_t>>{
           {1, 1000}, {511, 512}, {512, 1000}, {513, 999}, {999, 1000}, {700, 1000}}) {
    const Leaves dn = Slice(f->leaves, 0, n);
    auto inclusion = (*reader)->ProveInclusion(m, n);
    ASSERT_TRUE(inclusion.ok()) << inclusion.status().ToString();
    EXPECT_EQ(inclusion->path, Path(m - 1, dn)) << m << " in " << n;
    EXPECT_TRUE(VerifyInclusion(dn[m - 1], *inclusion, Mth(dn)).ok());
    auto consistency = (*reader)->ProveConsistency(m, n);
    ASSERT_TRUE(consistency.ok()) << consistency.status().ToString();
    EXPECT_EQ(consistency->path, Proof(m, dn)) << m << " to " << n;
    EXPECT_TRUE(VerifyConsistency(*consistency, Mth(Slice(f->leaves, 0, m)), Mth(dn)).ok());
  }
}

TEST(Proof, ImpossibleRequestsAndMalformedProofsAreRefusedWithTheReason) {
  auto f = LedgerOf(10);
  ASSERT_TRUE(f->ledger);
  auto refused = [](const Status& s, const std::string& words) {
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find(words), std::string::npos) << s.ToString();
  };
  refused(f->ledger->ProveInclusion(0, 10).status(), "position 0 is not in a tree of 10");
  refused(f->ledger->ProveInclusion(11, 10).status(), "position 11 is not in a tree of 10");
  refused(f->ledger->ProveInclusion(1, 11).status(), "beyond the committed position 10");
  refused(f->ledger->ProveConsistency(0, 5).status(), "0 < first <= second");
  refused(f->ledger->ProveConsistency(6, 5).status(), "0 < first <= second");
  refused(f->ledger->ProveConsistency(5, 11).status(), "beyond the committed position 10");

  const Hash256 root = Mth(f->leaves);
  auto proof = f->ledger->ProveInclusion(3, 10);
  ASSERT_TRUE(proof.ok());
  InclusionProof longer = *proof, shorter = *proof, outside = *proof;
  longer.path.push_back(root);
  shorter.path.pop_back();
  outside.leaf_index = 10;
  refused(VerifyInclusion(f->leaves[2], longer, root), "longer");
  refused(VerifyInclusion(f->leaves[2], shorter, root), "shorter");
  refused(VerifyInclusion(f->leaves[2], outside, root), "not below tree size");
  EXPECT_EQ(VerifyInclusion(f->leaves[3], *proof, root).code(), StatusCode::kCorruption);

  auto grown = f->ledger->ProveConsistency(4, 10);
  ASSERT_TRUE(grown.ok());
  const Hash256 first = Mth(Slice(f->leaves, 0, 4));
  ConsistencyProof empty = *grown, same_sizes = *grown, zero = *grown;
  empty.path.clear();
  same_sizes.first_size = same_sizes.second_size = 10;
  zero.first_size = 0;
  refused(VerifyConsistency(empty, first, root), "empty for different sizes");
  refused(VerifyConsistency(same_sizes, root, root), "equal sizes need an empty proof");
  refused(VerifyConsistency(zero, first, root), "0 < first <= second");
  // Equal sizes: an empty proof, and the roots must be the same.
  auto equal = f->ledger->ProveConsistency(10, 10);
  ASSERT_TRUE(equal.ok());
  EXPECT_TRUE(equal->path.empty());
  EXPECT_TRUE(VerifyConsistency(*equal, root, root).ok());
  EXPECT_EQ(VerifyConsistency(*equal, first, root).code(), StatusCode::kCorruption);
}

TEST(Proof, ProofFilesRoundTripAndMalformedOnesAreRefusedNamingTheField) {
  auto f = LedgerOf(20);
  ASSERT_TRUE(f->ledger);
  ProofDocument inclusion;
  inclusion.kind = ProofDocument::Kind::kInclusion;
  inclusion.ledger_id[0] = 0xab;
  auto proof = f->ledger->ProveInclusion(7, 20);
  ASSERT_TRUE(proof.ok());
  inclusion.inclusion = *proof;
  inclusion.record = {std::byte{1}, std::byte{0xff}};
  inclusion.root = Mth(f->leaves);
  auto back = ProofFromJson(ProofToJson(inclusion));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ledger_id, inclusion.ledger_id);
  EXPECT_EQ(back->inclusion.leaf_index, 6u);
  EXPECT_EQ(back->inclusion.tree_size, 20u);
  EXPECT_EQ(back->inclusion.path, proof->path);
  EXPECT_EQ(back->record, inclusion.record);
  EXPECT_EQ(back->root, inclusion.root);

  ProofDocument consistency;
  consistency.kind = ProofDocument::Kind::kConsistency;
  auto grown = f->ledger->ProveConsistency(5, 20);
  ASSERT_TRUE(grown.ok());
  consistency.consistency = *grown;
  consistency.first_root = Mth(Slice(f->leaves, 0, 5));
  consistency.second_root = inclusion.root;
  auto again = ProofFromJson(ProofToJson(consistency));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->kind, ProofDocument::Kind::kConsistency);
  EXPECT_EQ(again->consistency.path, grown->path);
  EXPECT_EQ(again->first_root, consistency.first_root);
  EXPECT_EQ(again->second_root, consistency.second_root);

  const std::string good = ProofToJson(inclusion);
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string json = good;
    const size_t at = json.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return json.replace(at, from.size(), to);
  };
  const std::pair<std::string, std::string> bad[] = {
      {good.substr(0, good.size() / 2), "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {replaced("\"kind\":\"inclusion\"", "\"kind\":\"membership\""), "inclusion or consistency"},
      {replaced("{", "{\"extra\":1,"), "unknown field \"extra\""},
      {replaced(",\"root\":", ",\"tree_size\":3,\"root\":"), "\"tree_size\" given twice"},
      {replaced("\"position\":7", "\"position\":0"), "\"position\" (0) is not in 1..tree_size"},
      {replaced("\"position\":7", "\"position\":21"), "is not in 1..tree_size (20)"},
      {replaced("\"position\":7", "\"position\":7.5"), "whole number"},
      {replaced("\"record\":\"01ff\"", "\"record\":\"01f\""), "odd number of hex digits"},
      {replaced("\"record\":\"01ff\"", "\"record\":\"01FF\""), "lowercase hex"},
      {replaced("\"ledger_id\":\"ab", "\"ledger_id\":\"a"), "\"ledger_id\": expected 32"},
      {replaced("caseledger-proof-v1", "caseledger-proof-v9"), "this build reads"},
      {replaced("\"path\":[\"", "\"path\":[\"00\",\""), "node 0 of field \"path\""},
  };
  for (const auto& [json, words] : bad) {
    auto parsed = ProofFromJson(json);
    ASSERT_FALSE(parsed.ok()) << json;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(words), std::string::npos)
        << parsed.status().ToString() << "\n  wanted: " << words;
  }
  std::string long_path = "[";
  for (int i = 0; i < 65; ++i) long_path += (i ? ",\"" : "\"") + std::string(64, '0') + "\"";
  const size_t from = good.find("\"path\":[") + 7, to = good.find(']', from) + 1;
  std::string too_long = good;
  too_long.replace(from, to - from, long_path + "]");
  auto refused = ProofFromJson(too_long);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("at most 64"), std::string::npos)
      << refused.status().ToString();
}

}  // namespace
}  // namespace caseledger
