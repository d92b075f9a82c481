// Signed checkpoints (caseledger/checkpoint.h): key files, the signed byte string (checked
// by hand and with OpenSSL's Ed25519, which shares no code with libsodium), signing and
// verification along key rotations, the JSON form, and DIR/meta/checkpoints.
#include "caseledger/checkpoint.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "caseledger/ledger.h"
#include "events.h"
#include "files.h"
#include "temp_dir.h"

namespace caseledger {
namespace {

using testing::Contains;
using testing::ReadFile;
using testing::WriteFile;
namespace fs = std::filesystem;
using testing::TempDir;

SigningKey KeyFromByte(uint8_t b) {
  std::array<uint8_t, 32> seed{};
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(b + i);
  return SigningKey::FromSeed(seed);
}

// An unsigned checkpoint with fixed, recognisable fields.
Checkpoint Fields(uint64_t tree_size = 42) {
  Checkpoint cp;
  for (size_t i = 0; i < cp.ledger_id.size(); ++i) cp.ledger_id[i] = static_cast<uint8_t>(0xa0 + i);
  cp.tree_size = tree_size;
  for (size_t i = 0; i < cp.root.size(); ++i) cp.root[i] = static_cast<uint8_t>(i * 7);
  cp.time = FromMicros(1'785'000'000'123'456);  // 2026-07-25T17:20:00.123456Z
  return cp;
}

// Ed25519 verification by OpenSSL: an implementation independent of libsodium.
bool OpenSslVerifies(const PublicKey& key, const std::string& message, const Signature& sig) {
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size());
  if (!pkey) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
      EVP_DigestVerify(ctx, sig.data(), sig.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok;
}

// --- the signed byte string -------------------------------------------------------------

TEST(Checkpoint, SignedBytesAreExactlyTheDocumentedString) {
  const SigningKey key = KeyFromByte(1);
  Checkpoint cp = Fields();
  cp.signer = key.public_key();
  const std::string expected =
      "caseledger checkpoint v1\n"
      "ledger_id a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\n"
      "tree_size 42\n"
      "root 00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9\n"
      "time_us 1785000000123456\n"
      "signer " +
      BytesToHex(key.public_key()) +
      "\n"
      "next_key none\n";
  EXPECT_EQ(CheckpointSignedBytes(cp), expected);
  cp.next_key = KeyFromByte(2).public_key();
  EXPECT_TRUE(CheckpointSignedBytes(cp).ends_with("next_key " + BytesToHex(*cp.next_key) + "\n"));
  cp.tree_size = 0;
  EXPECT_TRUE(Contains(CheckpointSignedBytes(cp), "\ntree_size 0\n"));
}

TEST(Checkpoint, TheSignatureIsEd25519OverTheSignedBytesAsOpenSslChecksIt) {
  const SigningKey key = KeyFromByte(1);
  const Checkpoint cp = SignCheckpoint(Fields(), key);
  EXPECT_EQ(cp.signer, key.public_key());
  EXPECT_TRUE(OpenSslVerifies(cp.signer, CheckpointSignedBytes(cp), cp.signature));
  Checkpoint other = cp;
  other.tree_size = 43;
  EXPECT_FALSE(OpenSslVerifies(cp.signer, CheckpointSignedBytes(other), cp.signature));
}

// The test vector of docs/format.md: a fixed seed gives a fixed key and (Ed25519 being
// deterministic) a fixed signature.
TEST(Checkpoint, DocumentedTestVector) {
  const SigningKey key = KeyFromByte(1);
  EXPECT_EQ(FormatSigningKey(key),
            "caseledger-ed25519-private-v1 "
            "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n");
  const Checkpoint cp = SignCheckpoint(Fields(), key);
  // Printed so that docs/format.md can quote it.
  std::cout << "public key: " << FormatPublicKey(key.public_key())
            << "json: " << CheckpointToJson(cp) << "\n";
  EXPECT_EQ(BytesToHex(key.public_key()),
            "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664");
  EXPECT_EQ(BytesToHex(cp.signature),
            "6721666906e602a5457f0a5fbd55422f18222c8ef6aa7bd53f9fbfa406a9cc42"
            "5fd6876b44de362d15dba50551aad825327d86c0626dfcadeb5afb8eef49ee0d");
}

// --- sign and verify --------------------------------------------------------------------

TEST(Checkpoint, SignVerifyRoundTrip) {
  const SigningKey key = SigningKey::Generate();
  Checkpoint cp = SignCheckpoint(Fields(), key);
  EXPECT_TRUE(CheckCheckpointSignature(cp).ok());
  EXPECT_TRUE(VerifyCheckpoint(cp, key.public_key(), {}).ok());
  EXPECT_TRUE(VerifyCheckpoint(cp, key.public_key(), {}, Fields().ledger_id).ok());
  auto parsed = CheckpointFromJson(CheckpointToJson(cp));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, cp);
  EXPECT_TRUE(VerifyCheckpoint(*parsed, key.public_key(), {}).ok());

  cp = SignCheckpoint(Fields(0), key);  // an empty ledger's checkpoint is fine too
  cp.next_key = KeyFromByte(9).public_key();
  cp = SignCheckpoint(cp, key);
  parsed = CheckpointFromJson(CheckpointToJson(cp));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, cp);
  EXPECT_TRUE(VerifyCheckpoint(*parsed, key.public_key(), {}).ok());
}

TEST(Checkpoint, AnyChangedFieldOrSignatureFails) {
  const SigningKey key = KeyFromByte(1);
  Checkpoint base = Fields();
  base.next_key = KeyFromByte(2).public_key();
  base = SignCheckpoint(base, key);
  ASSERT_TRUE(VerifyCheckpoint(base, key.public_key(), {}).ok());

  std::vector<std::pair<std::string, Checkpoint>> altered;
  for (size_t i = 0; i < base.ledger_id.size(); ++i) {
    Checkpoint c = base;
    c.ledger_id[i] ^= 0x01;
    altered.emplace_back("ledger_id byte " + std::to_string(i), c);
  }
  for (uint64_t size : {uint64_t{41}, uint64_t{43}, uint64_t{0}, uint64_t{42} << 32}) {
    Checkpoint c = base;
    c.tree_size = size;
    altered.emplace_back("tree_size " + std::to_string(size), c);
  }
  for (size_t i = 0; i < base.root.size(); ++i) {
    Checkpoint c = base;
    c.root[i] ^= 0x80;
    altered.emplace_back("root byte " + std::to_string(i), c);
  }
  for (int64_t delta : {1, -1, 1'000'000}) {
    Checkpoint c = base;
    c.time = FromMicros(ToMicros(c.time) + delta);
    altered.emplace_back("time " + std::to_string(delta), c);
  }
  for (size_t i = 0; i < base.next_key->size(); ++i) {
    Checkpoint c = base;
    (*c.next_key)[i] ^= 0x04;
    altered.emplace_back("next_key byte " + std::to_string(i), c);
  }
  {
    Checkpoint c = base;
    c.next_key.reset();
    altered.emplace_back("next_key removed", c);
  }
  for (size_t i = 0; i < base.signature.size(); ++i) {
    Checkpoint c = base;
    c.signature[i] ^= 0x10;
    altered.emplace_back("signature byte " + std::to_string(i), c);
  }
  for (const auto& [what, c] : altered) {
    Status s = VerifyCheckpoint(c, key.public_key(), {});
    EXPECT_FALSE(s.ok()) << what;
    EXPECT_TRUE(s.message().starts_with("bad signature")) << what << ": " << s.ToString();
  }
  // The signer field: another key's bytes make it a key nobody trusts.
  for (size_t i = 0; i < base.signer.size(); i += 5) {
    Checkpoint c = base;
    c.signer[i] ^= 0x01;
    Status s = VerifyCheckpoint(c, key.public_key(), {});
    EXPECT_FALSE(s.ok()) << "signer byte " << i;
    EXPECT_FALSE(CheckCheckpointSignature(c).ok()) << "signer byte " << i;
  }
}

// Every single-byte change of the JSON text either fails to parse or fails to verify: no
// byte of the file is outside what the signature covers.
TEST(Checkpoint, AnyChangedByteOfTheJsonFailsToParseOrToVerify) {
  const SigningKey key = KeyFromByte(3);
  Checkpoint cp = Fields(1234567);
  cp.next_key = KeyFromByte(4).public_key();
  cp = SignCheckpoint(cp, key);
  for (bool with_next : {true, false}) {
    if (!with_next) {
      cp.next_key.reset();
      cp = SignCheckpoint(cp, key);
    }
    const std::string json = CheckpointToJson(cp);
    size_t parsed_ok = 0;
    for (size_t i = 0; i < json.size(); ++i) {
      for (char replacement : {static_cast<char>(json[i] ^ 0x01), static_cast<char>(json[i] ^ 0x20),
                               '0', '9', 'a', 'f', ' ', '"', '\0'}) {
        if (replacement == json[i]) continue;
        std::string changed = json;
        changed[i] = replacement;
        auto parsed = CheckpointFromJson(changed);
        if (!parsed.ok()) continue;
        ++parsed_ok;
        EXPECT_FALSE(VerifyCheckpoint(*parsed, key.public_key(), {}).ok())
            << "byte " << i << " changed to " << int(replacement) << ": " << changed;
      }
    }
    EXPECT_GT(parsed_ok, 100u);  // most changes of hex digits parse, and then fail to verify
  }
}

TEST(Checkpoint, ReSignedWithAnotherKeyFailsAgainstTheTrustedKey) {
  const SigningKey trusted = KeyFromByte(1), other = KeyFromByte(50);
  const Checkpoint genuine = SignCheckpoint(Fields(), trusted);
  Checkpoint forged = genuine;
  forged.root[0] ^= 1;
  forged = SignCheckpoint(forged, other);  // a valid signature, by the wrong key
  EXPECT_TRUE(CheckCheckpointSignature(forged).ok());
  Status s = VerifyCheckpoint(forged, trusted.public_key(), {});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.message().starts_with("signed by an unknown key")) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), KeyFingerprint(other.public_key()))) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), KeyFingerprint(trusted.public_key()))) << s.ToString();
  // The same, claiming to be signed by the trusted key: the signature does not verify.
  forged.signer = trusted.public_key();
  s = VerifyCheckpoint(forged, trusted.public_key(), {});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.message().starts_with("bad signature")) << s.ToString();
}

TEST(Checkpoint, LedgerIdMismatchIsNamed) {
  const SigningKey key = KeyFromByte(1);
  const Checkpoint cp = SignCheckpoint(Fields(), key);
  LedgerIdBytes other = cp.ledger_id;
  other[15] ^= 1;
  Status s = VerifyCheckpoint(cp, key.public_key(), {}, other);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.message().starts_with("ledger id mismatch")) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), BytesToHex(other))) << s.ToString();
}

// --- key rotation -----------------------------------------------------------------------

TEST(Checkpoint, RotationChainOldToNewVerifies) {
  const SigningKey k1 = KeyFromByte(1), k2 = KeyFromByte(2), k3 = KeyFromByte(3);
  Checkpoint a = Fields(10);
  a.next_key = k2.public_key();
  a = SignCheckpoint(a, k1);
  Checkpoint b = Fields(20);
  b.next_key = k3.public_key();
  b = SignCheckpoint(b, k2);
  const Checkpoint c = SignCheckpoint(Fields(30), k3);
  const std::vector<Checkpoint> chain = {a, b, c};

  EXPECT_TRUE(VerifyCheckpoint(a, k1.public_key(), chain).ok());
  EXPECT_TRUE(VerifyCheckpoint(b, k1.public_key(), chain).ok());
  Status s = VerifyCheckpoint(c, k1.public_key(), chain);
  EXPECT_TRUE(s.ok()) << s.ToString();
  // The old key stays trusted for what it signed (and signs) after announcing its successor.
  EXPECT_TRUE(VerifyCheckpoint(SignCheckpoint(Fields(40), k1), k1.public_key(), chain).ok());
  // Without the chain, or with it cut, the new keys are unknown.
  EXPECT_FALSE(VerifyCheckpoint(c, k1.public_key(), {}).ok());
  EXPECT_FALSE(VerifyCheckpoint(c, k1.public_key(), std::vector<Checkpoint>{b, c}).ok());
  // In order: an announcement by k2 that comes before k2 is announced is not followed.
  s = VerifyCheckpoint(c, k1.public_key(), std::vector<Checkpoint>{b, a});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.message().starts_with("signed by an unknown key")) << s.ToString();
  // Trusting k2 directly, the earlier part of the chain is not needed.
  EXPECT_TRUE(VerifyCheckpoint(c, k2.public_key(), std::vector<Checkpoint>{b}).ok());
}

TEST(Checkpoint, AForgedAnnouncementIsNotFollowed) {
  const SigningKey k1 = KeyFromByte(1), k2 = KeyFromByte(2);
  const SigningKey attacker = KeyFromByte(66), attacker2 = KeyFromByte(77);

  // Signed by a key nobody trusts.
  Checkpoint forged = Fields(10);
  forged.next_key = attacker2.public_key();
  forged = SignCheckpoint(forged, attacker);
  const Checkpoint by_attacker2 = SignCheckpoint(Fields(20), attacker2);
  Status s = VerifyCheckpoint(by_attacker2, k1.public_key(),
                              std::vector<Checkpoint>{forged, by_attacker2});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.message().starts_with("signed by an unknown key")) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), "not a trusted key")) << s.ToString();

  // A genuine announcement by k1 whose next key was replaced: its signature fails.
  Checkpoint genuine = Fields(10);
  genuine.next_key = k2.public_key();
  genuine = SignCheckpoint(genuine, k1);
  Checkpoint tampered = genuine;
  tampered.next_key = attacker.public_key();
  const Checkpoint by_attacker = SignCheckpoint(Fields(20), attacker);
  s = VerifyCheckpoint(by_attacker, k1.public_key(), std::vector<Checkpoint>{tampered});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.message(), "bad signature")) << s.ToString();

  // An announcement of another ledger does not carry over.
  Checkpoint elsewhere = genuine;
  elsewhere.ledger_id[0] ^= 1;
  elsewhere = SignCheckpoint(elsewhere, k1);
  s = VerifyCheckpoint(SignCheckpoint(Fields(20), k2), k1.public_key(),
                       std::vector<Checkpoint>{elsewhere});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.message(), "ledger id mismatch")) << s.ToString();
  // The genuine one does.
  EXPECT_TRUE(VerifyCheckpoint(SignCheckpoint(Fields(20), k2), k1.public_key(),
                               std::vector<Checkpoint>{tampered, genuine})
                  .ok());
}

// An archive carries many checkpoints: the chain is followed once for all of them, and a
// chain full of forged announcements gives a bounded message.
TEST(Checkpoint, CheckpointTrustFollowsTheChainOnceForManyCheckpoints) {
  const SigningKey k1 = KeyFromByte(1), k2 = KeyFromByte(2), attacker = KeyFromByte(66);
  std::vector<Checkpoint> chain;
  for (int i = 0; i < 25; ++i) {
    Checkpoint forged = Fields(i + 1);
    forged.next_key = KeyFromByte(static_cast<uint8_t>(100 + i)).public_key();
    chain.push_back(SignCheckpoint(forged, attacker));
  }
  Checkpoint rotation = Fields(30);
  rotation.next_key = k2.public_key();
  chain.push_back(SignCheckpoint(rotation, k1));
  const CheckpointTrust trust(k1.public_key(), chain, Fields().ledger_id);
  for (uint64_t size = 31; size < 40; ++size) {
    const Checkpoint cp = SignCheckpoint(Fields(size), k2);
    EXPECT_TRUE(trust.Verify(cp).ok()) << size;
    EXPECT_EQ(trust.Verify(cp).ok(), VerifyCheckpoint(cp, k1.public_key(), chain).ok());
  }
  const Status s = trust.Verify(SignCheckpoint(Fields(40), attacker));
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.message().starts_with("signed by an unknown key")) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), "checkpoint 10 of the chain")) << s.ToString();
  EXPECT_FALSE(Contains(s.message(), "checkpoint 11 of the chain")) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), "and 15 more")) << s.ToString();
  Checkpoint other = Fields(41);
  other.ledger_id[0] ^= 1;
  EXPECT_TRUE(Contains(trust.Verify(SignCheckpoint(other, k1)).message(), "ledger id mismatch"));
}

// --- key files --------------------------------------------------------------------------

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(KeyFiles, PrivateKeyIsMode0600AndNeverOverwritten) {
  TempDir dir;
  const std::string path = dir.Sub("signing.key");
  const mode_t old_umask = ::umask(0);  // the mode must not depend on the umask
  const SigningKey key = SigningKey::Generate();
  Status s = WriteKeyFiles(path, key);
  ::umask(old_umask);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(ModeOf(path + ".pub"), 0644u);
  EXPECT_EQ(ReadFile(path + ".pub"), FormatPublicKey(key.public_key()));
  EXPECT_TRUE(ReadFile(path).starts_with("caseledger-ed25519-private-v1 "));

  auto read = ReadSigningKeyFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->public_key(), key.public_key());
  auto pub = ReadPublicKeyFile(path + ".pub");
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_EQ(*pub, key.public_key());

  const std::string before = ReadFile(path), before_pub = ReadFile(path + ".pub");
  s = WriteKeyFiles(path, SigningKey::Generate());
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  EXPECT_EQ(ReadFile(path), before);
  EXPECT_EQ(ReadFile(path + ".pub"), before_pub);
  // Only the .pub exists: nothing is written either.
  fs::remove(path);
  s = WriteKeyFiles(path, SigningKey::Generate());
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  EXPECT_FALSE(fs::exists(path));
}

TEST(KeyFiles, APrivateKeyOpenToGroupOrOthersIsRefused) {
  TempDir dir;
  const std::string path = dir.Sub("signing.key");
  ASSERT_TRUE(WriteKeyFiles(path, SigningKey::Generate()).ok());
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    auto key = ReadSigningKeyFile(path);
    ASSERT_FALSE(key.ok()) << std::oct << mode;
    EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument);
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
    EXPECT_TRUE(Contains(key.status().message(), octal)) << key.status().ToString();
    EXPECT_TRUE(Contains(key.status().message(), "chmod 600")) << key.status().ToString();
  }
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(ReadSigningKeyFile(path).ok());
}

TEST(KeyFiles, MalformedKeyFilesGiveClearErrors) {
  const std::string hex64(64, 'a');
  struct Case {
    std::string text, expect;
  };
  const std::vector<Case> private_cases = {
      {"", "not a private key file"},
      {"\n", "not a private key file"},
      {"caseledger-ed25519-private-v1", "not a private key file"},
      {"caseledger-ed25519-private-v1 ", "got 0 characters"},
      {"caseledger-ed25519-private-v1 " + hex64.substr(1), "got 63 characters"},
      {"caseledger-ed25519-private-v1 " + hex64 + "a", "got 65 characters"},
      {"caseledger-ed25519-private-v1 " + std::string(63, 'a') + "G", "not a lowercase hex"},
      {"caseledger-ed25519-private-v1 " + std::string(64, 'A'), "not a lowercase hex"},
      {"caseledger-ed25519-private-v1 " + std::string(63, 'a') + "\x01", "\\x01"},
      {"caseledger-ed25519-private-v1 " + hex64 + "\n\n", "more than one line"},
      {"caseledger-ed25519-private-v1 " + hex64 + "\r\n", "got 65 characters"},
      {"caseledger-ed25519-private-v2 " + hex64, "not a private key file"},
      {"caseledger-ed25519-public-v1 " + hex64, "this is a public key file"},
      {std::string("\0\xff\xfe garbage", 11), "not a private key file"},
  };
  for (const auto& c : private_cases) {
    auto key = ParseSigningKey(c.text);
    ASSERT_FALSE(key.ok()) << c.text;
    EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_TRUE(Contains(key.status().message(), c.expect))
        << c.text << " -> " << key.status().ToString();
  }
  EXPECT_TRUE(ParseSigningKey("caseledger-ed25519-private-v1 " + hex64).ok());
  EXPECT_TRUE(ParseSigningKey("caseledger-ed25519-private-v1 " + hex64 + "\n").ok());

  const std::string good_pub = BytesToHex(KeyFromByte(1).public_key());
  const std::vector<Case> public_cases = {
      {"", "not a public key file"},
      {"caseledger-ed25519-public-v1 " + good_pub.substr(2), "got 62 characters"},
      {"caseledger-ed25519-private-v1 " + hex64, "this is a private key file"},
      {"caseledger-ed25519-public-v1 zz" + good_pub.substr(2), "not a lowercase hex"},
      // 32 bytes that are not a point of the curve
      {"caseledger-ed25519-public-v1 " + std::string(62, 'f') + "7f", "not a valid Ed25519"},
  };
  for (const auto& c : public_cases) {
    auto key = ParsePublicKey(c.text);
    ASSERT_FALSE(key.ok()) << c.text;
    EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_TRUE(Contains(key.status().message(), c.expect))
        << c.text << " -> " << key.status().ToString();
  }
  EXPECT_TRUE(ParsePublicKey("caseledger-ed25519-public-v1 " + good_pub + "\n").ok());

  // Files: missing, a directory, too large, malformed (the path is named).
  TempDir dir;
  auto missing = ReadPublicKeyFile(dir.Sub("none.pub"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
  auto directory = ReadPublicKeyFile(dir.path());
  EXPECT_TRUE(Contains(directory.status().message(), "not a regular file"))
      << directory.status().ToString();
  WriteFile(dir.Sub("big.pub"), std::string(1 << 20, 'a'));
  auto big = ReadPublicKeyFile(dir.Sub("big.pub"));
  EXPECT_TRUE(Contains(big.status().message(), "larger than")) << big.status().ToString();
  WriteFile(dir.Sub("bad.key"), "hello\n");
  ASSERT_EQ(::chmod(dir.Sub("bad.key").c_str(), 0600), 0);
  auto bad = ReadSigningKeyFile(dir.Sub("bad.key"));
  EXPECT_TRUE(Contains(bad.status().message(), dir.Sub("bad.key"))) << bad.status().ToString();
  EXPECT_TRUE(Contains(bad.status().message(), "not a private key file"))
      << bad.status().ToString();
}

TEST(KeyFiles, LedgerDirContainingFindsTheLedgerAbove) {
  TempDir dir;
  const std::string ledger = dir.Sub("ledger");
  ASSERT_TRUE(Ledger::Create(ledger, testing::OpaqueLedger(1 << 20)).ok());
  EXPECT_EQ(LedgerDirContaining(ledger + "/signing.key"), fs::canonical(ledger).string());
  EXPECT_EQ(LedgerDirContaining(ledger + "/meta/x/y/signing.key"), fs::canonical(ledger).string());
  EXPECT_EQ(LedgerDirContaining(ledger), fs::canonical(ledger).string());
  EXPECT_EQ(LedgerDirContaining(dir.path() + "/other/../ledger/k"), fs::canonical(ledger).string());
  EXPECT_EQ(LedgerDirContaining(dir.Sub("signing.key")), std::nullopt);
  EXPECT_EQ(LedgerDirContaining(dir.Sub("elsewhere/deeper/signing.key")), std::nullopt);
  // Through a symbolic link to the ledger.
  fs::create_directory_symlink(ledger, dir.Sub("link"));
  EXPECT_EQ(LedgerDirContaining(dir.Sub("link/signing.key")), fs::canonical(ledger).string());
}

// --- JSON -------------------------------------------------------------------------------

TEST(CheckpointJson, IsOneLineInTheDocumentedFieldOrder) {
  Checkpoint cp = SignCheckpoint(Fields(), KeyFromByte(1));
  const std::string json = CheckpointToJson(cp);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  EXPECT_TRUE(json.starts_with(R"({"format":"caseledger-checkpoint-v1","ledger_id":")"
                               "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
                               R"(","tree_size":42,"root":")"))
      << json;
  EXPECT_TRUE(Contains(json, R"("time":"2026-07-25T17:20:00.123456Z","signer":")")) << json;
  EXPECT_TRUE(Contains(json, R"(","next_key":null,"signature":")")) << json;
  // Whitespace and another field order are accepted.
  std::string spaced = json;
  for (const std::string sep : {"\":", ",\""}) {
    const std::string wide = sep == "\":" ? "\" : " : " , \"";
    for (size_t at = spaced.find(sep); at != std::string::npos; at = spaced.find(sep, at + 4))
      spaced.replace(at, 2, wide);
  }
  auto parsed = CheckpointFromJson("\n  " + spaced + "\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n" << spaced;
  EXPECT_EQ(*parsed, cp);
}

TEST(CheckpointJson, MalformedJsonGivesClearErrorsNeverACrash) {
  const Checkpoint cp = SignCheckpoint(Fields(), KeyFromByte(1));
  const std::string json = CheckpointToJson(cp);
  // Every truncation.
  for (size_t n = 0; n < json.size(); ++n) {
    auto parsed = CheckpointFromJson(json.substr(0, n));
    ASSERT_FALSE(parsed.ok()) << n;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << n;
    EXPECT_TRUE(parsed.status().message().starts_with("checkpoint: "))
        << parsed.status().ToString();
  }
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = json;
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  const std::string root_hex = BytesToHex(cp.root);
  struct Case {
    std::string text, expect;
  };
  const std::vector<Case> cases = {
      {"", "not valid JSON"},
      {"null", "not a JSON object"},
      {"[]", "not a JSON object"},
      {"\"x\"", "not a JSON object"},
      {json + "x", "not valid JSON"},
      {json + json, "not valid JSON"},
      {replace("{", R"({"extra":1,)"), "unknown field \"extra\""},
      {replace("}", R"(,"comment":"hi"})"), "unknown field \"comment\""},
      {replace(R"("tree_size":42,)", ""), "missing field \"tree_size\""},
      {replace(R"(,"next_key":null)", ""), "missing field \"next_key\""},
      {replace("{", R"({"tree_size":41,)"), "field \"tree_size\" given twice"},
      {replace("caseledger-checkpoint-v1", "caseledger-checkpoint-v2"), "\"format\""},
      {replace(root_hex, root_hex.substr(2)), "field \"root\": expected 64 lowercase hex"},
      {replace(root_hex, root_hex + "00"), "got 66 characters"},
      {replace(root_hex, "zz" + root_hex.substr(2)), "field \"root\": character 1 ('z')"},
      {replace(root_hex, "0A" + root_hex.substr(2)), "not a lowercase hex digit"},
      {replace("a0a1a2", "a0a1a"), "field \"ledger_id\""},
      {replace(BytesToHex(cp.signature), BytesToHex(cp.signature).substr(1)), "\"signature\""},
      {replace(R"("next_key":null)", R"("next_key":"")"), "field \"next_key\""},
      {replace(R"("next_key":null)", R"("next_key":5)"), "\"next_key\" must be a string"},
      {replace(R"("root":")" + root_hex + "\"", R"("root":1)"), "\"root\" must be a string"},
      {replace("42", "\"42\""), "\"tree_size\" must be a number"},
      {replace("42", "-42"), "whole number"},
      {replace("42", "4.5"), "whole number"},
      {replace("42", "1e300"), "whole number"},
      {replace("42", "18446744073709551615"), "whole number"},
      {replace("17:20:00.123456Z", "17:20:00.1234560Z"), "\"time\""},
      {replace("17:20:00.123456Z", "17:20:00.123456+00:00"), "\"time\""},
      {replace("2026-07-25T17:20:00.123456Z", "2026-07-25"), "\"time\""},
      {replace("2026-07-25T17:20:00.123456Z", "yesterday"), "\"time\""},
      {replace("2026-07-25T17:20:00.123456Z", "1969-12-31T23:59:59Z"), "\"time\""},
      {std::string(100000, '[') + std::string(100000, ']'), "not valid JSON"},
      {replace("caseledger-checkpoint-v1", std::string("caseledger\0checkpoint-v1", 24)),
       "not valid JSON"},  // capnp's parser stops at a NUL
  };
  for (const auto& c : cases) {
    auto parsed = CheckpointFromJson(c.text);
    ASSERT_FALSE(parsed.ok()) << c.text.substr(0, 200);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(Contains(parsed.status().message(), c.expect))
        << c.text.substr(0, 200) << "\n -> " << parsed.status().ToString();
  }
}

TEST(CheckpointJson, CheckpointFilesAreNeverOverwritten) {
  TempDir dir;
  const Checkpoint a = SignCheckpoint(Fields(1), KeyFromByte(1));
  const Checkpoint b = SignCheckpoint(Fields(2), KeyFromByte(1));
  ASSERT_TRUE(WriteCheckpointFile(dir.Sub("cp.json"), a).ok());
  EXPECT_EQ(WriteCheckpointFile(dir.Sub("cp.json"), b).code(), StatusCode::kAlreadyExists);
  auto read = ReadCheckpointFile(dir.Sub("cp.json"));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, a);
  EXPECT_EQ(ReadFile(dir.Sub("cp.json")), CheckpointToJson(a) + "\n");
  WriteFile(dir.Sub("bad.json"), CheckpointToJson(a).substr(0, 100));
  auto bad = ReadCheckpointFile(dir.Sub("bad.json"));
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status().message(), dir.Sub("bad.json"))) << bad.status().ToString();
}

// --- DIR/meta/checkpoints ---------------------------------------------------------------

TEST(CheckpointStore, AppendsAndReadsBackInOrder) {
  TempDir dir;
  const std::string ledger = dir.Sub("ledger");
  ASSERT_TRUE(Ledger::Create(ledger, testing::OpaqueLedger(1 << 20)).ok());
  auto empty = ReadCheckpointStore(ledger);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->checkpoints.empty());
  std::vector<Checkpoint> written;
  for (uint64_t i = 0; i < 5; ++i) {
    written.push_back(SignCheckpoint(Fields(i * 10), KeyFromByte(1)));
    ASSERT_TRUE(AppendCheckpoint(ledger, written.back()).ok());
  }
  auto read = ReadCheckpointStore(ledger);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->checkpoints, written);
  EXPECT_TRUE(read->bad_lines.empty());
  EXPECT_TRUE(read->torn_tail.empty());
  EXPECT_EQ(CheckpointStorePath(ledger), ledger + "/meta/checkpoints");

  auto not_ledger = ReadCheckpointStore(dir.path());
  EXPECT_EQ(not_ledger.status().code(), StatusCode::kNotFound) << not_ledger.status().ToString();
  EXPECT_EQ(AppendCheckpoint(dir.path(), written[0]).code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir.Sub("meta")));
}

TEST(CheckpointStore, ATornLastLineIsIgnoredReportedAndCutByTheNextAppend) {
  TempDir dir;
  const std::string ledger = dir.Sub("ledger");
  ASSERT_TRUE(Ledger::Create(ledger, testing::OpaqueLedger(1 << 20)).ok());
  const Checkpoint a = SignCheckpoint(Fields(1), KeyFromByte(1));
  const Checkpoint b = SignCheckpoint(Fields(2), KeyFromByte(1));
  const Checkpoint c = SignCheckpoint(Fields(3), KeyFromByte(1));
  ASSERT_TRUE(AppendCheckpoint(ledger, a).ok());
  const std::string path = CheckpointStorePath(ledger);
  for (size_t cut : {size_t{1}, size_t{57}, CheckpointToJson(b).size()}) {
    // A crash in the middle of appending b: part of its line, no newline.
    WriteFile(path, CheckpointToJson(a) + "\n" + CheckpointToJson(b).substr(0, cut));
    auto read = ReadCheckpointStore(ledger);
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    EXPECT_EQ(read->checkpoints, std::vector<Checkpoint>{a}) << cut;
    EXPECT_TRUE(read->bad_lines.empty());
    EXPECT_TRUE(Contains(read->torn_tail, "incomplete line 2")) << read->torn_tail;
    EXPECT_TRUE(Contains(read->torn_tail, std::to_string(cut) + " bytes")) << read->torn_tail;
  }
  // Zeros where the filesystem extended the file but the data never arrived.
  WriteFile(path, CheckpointToJson(a) + "\n" + std::string(300, '\0'));
  auto zeros = ReadCheckpointStore(ledger);
  ASSERT_TRUE(zeros.ok());
  EXPECT_EQ(zeros->checkpoints.size(), 1u);
  EXPECT_FALSE(zeros->torn_tail.empty());

  std::string note;
  ASSERT_TRUE(AppendCheckpoint(ledger, c, &note).ok());
  EXPECT_TRUE(Contains(note, "cut an incomplete last line of 300 bytes")) << note;
  auto read = ReadCheckpointStore(ledger);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->checkpoints, (std::vector<Checkpoint>{a, c}));
  EXPECT_TRUE(read->torn_tail.empty());
  EXPECT_EQ(ReadFile(path), CheckpointToJson(a) + "\n" + CheckpointToJson(c) + "\n");
  ASSERT_TRUE(AppendCheckpoint(ledger, b, &note).ok());
  EXPECT_TRUE(note.empty()) << note;
}

TEST(CheckpointStore, ADamagedCompleteLineIsReportedAndTheOthersStillRead) {
  TempDir dir;
  const std::string ledger = dir.Sub("ledger");
  ASSERT_TRUE(Ledger::Create(ledger, testing::OpaqueLedger(1 << 20)).ok());
  const Checkpoint a = SignCheckpoint(Fields(1), KeyFromByte(1));
  const Checkpoint b = SignCheckpoint(Fields(2), KeyFromByte(1));
  WriteFile(CheckpointStorePath(ledger),
            CheckpointToJson(a) + "\n{\"format\":1}\n" + CheckpointToJson(b) + "\n");
  auto read = ReadCheckpointStore(ledger);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->checkpoints, (std::vector<Checkpoint>{a, b}));
  ASSERT_EQ(read->bad_lines.size(), 1u);
  EXPECT_TRUE(Contains(read->bad_lines[0], "meta/checkpoints line 2: checkpoint: "))
      << read->bad_lines[0];
}

// --- the tree a checkpoint is compared with ---------------------------------------------

TEST(CheckpointStore, TreeHeadFromLogAgreesWithTheLedgerAtEverySize) {
  TempDir dir;
  auto ledger = testing::CreateAndOpen(dir.Sub("ledger"));
  ASSERT_NE(ledger, nullptr);
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(ledger
                    ->Append(testing::Request("case-1", ExpectedVersion::Any(),
                                              {testing::Event("E", "event " + std::to_string(i))}))
                    .ok());
  for (uint64_t size = 0; size <= 40; ++size) {
    auto from_log = TreeHeadFromLog(*ledger, size);
    auto stored = ledger->GetTreeHeadAt(size);
    ASSERT_TRUE(from_log.ok()) << from_log.status().ToString();
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(*from_log, *stored) << size;
  }
  EXPECT_EQ(*TreeHeadFromLog(*ledger, 40), ledger->GetTreeHead());
  EXPECT_EQ(TreeHeadFromLog(*ledger, 41).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace caseledger
