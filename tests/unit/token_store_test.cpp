// The server's token file DIR/meta/tokens: tokens shown once and stored as hashes only,
// revocation, malformed tokens, a crash mid-append, damage, and concurrent issuers.
#include "token_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "files.h"
#include "temp_dir.h"

namespace caseledger::server {
namespace {

using testing::Contains;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

// A directory with DIR/meta, as a ledger has (the token file needs nothing else).
class TokenStore : public ::testing::Test {
 protected:
  void SetUp() override { std::filesystem::create_directories(dir_ + "/meta"); }
  std::string TokensFile() const { return dir_ + "/meta/tokens"; }

  IssuedToken Issue(const std::string& worker) {
    auto issued = IssueToken(dir_, worker);
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.ok() ? *issued : IssuedToken{};
  }

  TempDir tmp_;
  std::string dir_ = tmp_.Sub("ledger");
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_F(TokenStore, AnIssuedTokenNamesItsWorker) {
  const IssuedToken issued = Issue("w-17");
  EXPECT_EQ(issued.token.size(), 4u + 64u);
  EXPECT_EQ(issued.token.rfind("clt_", 0), 0u);
  EXPECT_EQ(issued.record.token_id.size(), 12u);
  EXPECT_EQ(issued.record.worker_id, "w-17");
  EXPECT_FALSE(issued.record.revoked_at);

  auto worker = WorkerOfToken(dir_, issued.token);
  ASSERT_TRUE(worker.ok()) << worker.status().ToString();
  EXPECT_EQ(*worker, "w-17");

  auto listed = ListTokens(dir_);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].token_id, issued.record.token_id);
  EXPECT_EQ((*listed)[0].worker_id, "w-17");
  EXPECT_EQ((*listed)[0].issued_at, issued.record.issued_at);
  EXPECT_FALSE((*listed)[0].revoked_at);
}

TEST_F(TokenStore, TheFileHoldsNoTokenText) {
  const IssuedToken issued = Issue("w-17");
  const std::string bytes = ReadFile(TokensFile());
  ASSERT_FALSE(bytes.empty());
  EXPECT_FALSE(Contains(bytes, issued.token));
  const std::string secret = issued.token.substr(4);
  EXPECT_FALSE(Contains(bytes, secret));
  EXPECT_FALSE(Contains(bytes, secret.substr(0, 16)));  // not even a part of it
  EXPECT_FALSE(Contains(bytes, secret.substr(48)));
  // One whole JSON line: what token_store.h documents.
  const auto lines = Lines(bytes);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind(R"({"op":"issue","tokenId":")" + issued.record.token_id +
                               R"(","worker":"w-17","sha256":")",
                           0),
            0u)
      << lines[0];
  EXPECT_EQ(bytes.back(), '\n');
  EXPECT_EQ(std::filesystem::status(TokensFile()).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(TokenStore, ARevokedTokenNoLongerAuthenticates) {
  const IssuedToken kept = Issue("w-17");
  const IssuedToken revoked = Issue("w-17");
  ASSERT_TRUE(RevokeToken(dir_, revoked.record.token_id).ok());
  auto refused = WorkerOfToken(dir_, revoked.token);
  EXPECT_EQ(refused.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(*WorkerOfToken(dir_, kept.token), "w-17");

  // Revoking again is OK and writes nothing.
  const std::string before = ReadFile(TokensFile());
  EXPECT_TRUE(RevokeToken(dir_, revoked.record.token_id).ok());
  EXPECT_EQ(ReadFile(TokensFile()), before);

  auto listed = ListTokens(dir_);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_FALSE((*listed)[0].revoked_at);
  ASSERT_TRUE((*listed)[1].revoked_at);
  EXPECT_GE(*(*listed)[1].revoked_at, (*listed)[1].issued_at);
}

// The server's verifier keeps the parsed file between calls: every change to the file,
// however quick, must count at the very next call.
TEST_F(TokenStore, AVerifierSeesEveryIssueAndRevokeAtTheNextCall) {
  TokenVerifier verifier(dir_);
  const IssuedToken first = Issue("w-1");
  EXPECT_EQ(*verifier.WorkerOf(first.token), "w-1");
  for (int i = 0; i < 20; ++i) {
    // Issue and revoke back to back (well inside one timestamp tick of a coarse clock).
    const IssuedToken next = Issue("w-" + std::to_string(i + 2));
    auto worker = verifier.WorkerOf(next.token);
    ASSERT_TRUE(worker.ok()) << i << ": " << worker.status().ToString();
    EXPECT_EQ(*worker, "w-" + std::to_string(i + 2));
    ASSERT_TRUE(RevokeToken(dir_, next.record.token_id).ok());
    EXPECT_EQ(verifier.WorkerOf(next.token).status().code(), StatusCode::kUnauthenticated) << i;
  }
  EXPECT_EQ(*verifier.WorkerOf(first.token), "w-1");

  // The file replaced by another (restored, say): the new file counts.
  const std::string saved = ReadFile(TokensFile());
  std::filesystem::remove(TokensFile());
  EXPECT_EQ(verifier.WorkerOf(first.token).status().code(), StatusCode::kUnauthenticated);
  WriteFile(TokensFile() + ".new", saved);
  std::filesystem::rename(TokensFile() + ".new", TokensFile());
  EXPECT_EQ(*verifier.WorkerOf(first.token), "w-1");
  EXPECT_EQ(verifier.WorkerOf("clt_" + std::string(64, '0')).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(TokenStore, RevokingAnUnknownTokenIsNotFound) {
  Issue("w-17");
  EXPECT_EQ(RevokeToken(dir_, "0123456789ab").code(), StatusCode::kNotFound);
  EXPECT_EQ(RevokeToken(dir_, "").code(), StatusCode::kNotFound);
}

TEST_F(TokenStore, MalformedOrUnknownTokensAreUnauthenticated) {
  const IssuedToken issued = Issue("w-17");
  const std::string hex = issued.token.substr(4);
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& bad :
       {std::string(), std::string("clt_"), "xyz_" + hex, "clt-" + hex, hex,
        issued.token.substr(0, 67), issued.token + "0", "clt_" + std::string(63, '0') + "g",
        "clt_" + upper, "clt_" + std::string(64, '0'), " " + issued.token}) {
    auto worker = WorkerOfToken(dir_, bad);
    EXPECT_EQ(worker.status().code(), StatusCode::kUnauthenticated) << "\"" << bad << "\"";
    // The refusal says nothing of which check failed.
    EXPECT_EQ(worker.status().message(), "the token is malformed, unknown or revoked");
  }
}

TEST_F(TokenStore, NoFileMeansNoTokensAndNoMetaIsNotFound) {
  auto listed = ListTokens(dir_);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  EXPECT_EQ(WorkerOfToken(dir_, "clt_" + std::string(64, 'a')).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(IssueToken(tmp_.Sub("no-ledger"), "w-17").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(tmp_.Sub("no-ledger")));
}

TEST_F(TokenStore, WorkerIdsAreCheckedAndEscaped) {
  EXPECT_EQ(IssueToken(dir_, "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(IssueToken(dir_, "w 17").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(IssueToken(dir_, std::string(129, 'w')).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(IssueToken(dir_, "w-\n").status().code(), StatusCode::kInvalidArgument);
  const IssuedToken odd = Issue(R"(w"1\x)");
  EXPECT_EQ(*WorkerOfToken(dir_, odd.token), R"(w"1\x)");
  EXPECT_EQ(Lines(ReadFile(TokensFile())).size(), 1u);
}

TEST_F(TokenStore, ATornLastLineIsIgnoredAndCutBeforeTheNextAppend) {
  const IssuedToken first = Issue("w-17");
  // A crash in the middle of writing the next line.
  const std::string whole = ReadFile(TokensFile());
  WriteFile(TokensFile(), whole + R"({"op":"issue","tokenId":"0123)");

  auto listed = ListTokens(dir_);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(listed->size(), 1u);
  EXPECT_EQ(*WorkerOfToken(dir_, first.token), "w-17");

  const IssuedToken second = Issue("w-18");
  EXPECT_EQ(*WorkerOfToken(dir_, second.token), "w-18");
  const std::string after = ReadFile(TokensFile());
  EXPECT_EQ(after.back(), '\n');
  EXPECT_EQ(after.rfind(whole, 0), 0u) << "the whole lines before the torn one are kept";
  EXPECT_FALSE(Contains(after, R"("tokenId":"0123)"));
  EXPECT_EQ(Lines(after).size(), 2u);
  listed = ListTokens(dir_);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);
}

TEST_F(TokenStore, ADamagedCompleteLineIsCorruptionNamingTheLine) {
  Issue("w-17");
  Issue("w-18");
  auto lines = Lines(ReadFile(TokensFile()));
  ASSERT_EQ(lines.size(), 2u);
  std::string renamed = lines[1];
  renamed.replace(renamed.find("w-18"), 4, "w 18");
  for (const std::string& damaged :
       {std::string("not json"), lines[1].substr(0, lines[1].size() - 3),
        std::string(R"({"op":"issue"})"),
        std::string(R"({"op":"revoke","tokenId":"0123456789ab","at":"2026-03-01T00:00:00Z"})"),
        renamed}) {
    WriteFile(TokensFile(), lines[0] + "\n" + damaged + "\n");
    auto listed = ListTokens(dir_);
    EXPECT_EQ(listed.status().code(), StatusCode::kCorruption) << damaged;
    EXPECT_NE(listed.status().message().find(TokensFile() + " line 2"), std::string::npos)
        << listed.status().message();
    EXPECT_EQ(IssueToken(dir_, "w-19").status().code(), StatusCode::kCorruption);
  }
}

TEST_F(TokenStore, TwoThreadsIssuingTogetherLoseNothing) {
  constexpr int kPerThread = 50;
  std::vector<IssuedToken> issued[2];
  auto issue = [&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      auto token = IssueToken(dir_, "w-" + std::to_string(t));
      if (token.ok()) issued[t].push_back(*token);
    }
  };
  std::thread a(issue, 0), b(issue, 1);
  a.join();
  b.join();
  ASSERT_EQ(issued[0].size() + issued[1].size(), 2u * kPerThread);

  auto listed = ListTokens(dir_);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(listed->size(), 2u * kPerThread);
  std::set<std::string> ids;
  for (const TokenRecord& r : *listed) ids.insert(r.token_id);
  EXPECT_EQ(ids.size(), 2u * kPerThread);
  for (int t = 0; t < 2; ++t)
    for (const IssuedToken& token : issued[t]) {
      EXPECT_TRUE(ids.count(token.record.token_id)) << token.record.token_id;
      EXPECT_EQ(*WorkerOfToken(dir_, token.token), "w-" + std::to_string(t));
    }
  EXPECT_EQ(Lines(ReadFile(TokensFile())).size(), 2u * kPerThread);
}

}  // namespace
}  // namespace caseledger::server
