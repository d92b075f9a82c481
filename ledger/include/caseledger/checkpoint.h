// Signed checkpoints: Ed25519 key files, checkpoints (ledger id, tree size, root, time,
// signed), their verification against a key an auditor trusts (following key rotations),
// and the store of a ledger's own checkpoints, DIR/meta/checkpoints. Formats: docs/format.md.
//
//   auto key = caseledger::ReadSigningKeyFile("/etc/caseledger/signing.key");  // mode 0600
//   caseledger::Checkpoint cp{.ledger_id = id, .tree_size = head.size, .root = head.root,
//                             .time = caseledger::Now()};
//   cp = caseledger::SignCheckpoint(cp, *key);
//   caseledger::Status s = caseledger::AppendCheckpoint(dir, cp);
//   ...
//   auto held = caseledger::ReadCheckpointFile("held.json");      // what the auditor kept
//   auto trusted = caseledger::ReadPublicKeyFile("signing.key.pub");
//   auto chain = caseledger::ReadCheckpointStore(dir);            // for rotations
//   caseledger::Status ok = caseledger::VerifyCheckpoint(*held, *trusted, chain->checkpoints);
//
// The signing key never belongs in a ledger directory: whoever can rewrite DIR must not be
// able to re-sign it (LedgerDirContaining tells where a path would fall).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "caseledger/status.h"
#include "caseledger/time.h"
#include "caseledger/tree_head.h"

namespace caseledger {
inline namespace v1 {

class Ledger;

using PublicKey = std::array<uint8_t, 32>;  // Ed25519 public key
using Signature = std::array<uint8_t, 64>;  // Ed25519 signature
using LedgerIdBytes = std::array<uint8_t, 16>;

// "ed25519:" and the first 16 hex digits of SHA-256(public key): how listings name a key.
std::string KeyFingerprint(const PublicKey& key);

// An Ed25519 private key: the 32-byte seed and the key pair derived from it. The secret
// bytes are wiped when it is destroyed.
class SigningKey {
 public:
  static SigningKey Generate();  // a fresh random key
  static SigningKey FromSeed(const std::array<uint8_t, 32>& seed);
  SigningKey(const SigningKey&);
  SigningKey& operator=(const SigningKey&);
  ~SigningKey();

  const PublicKey& public_key() const { return public_key_; }
  Signature Sign(std::string_view message) const;

 private:
  SigningKey() = default;
  std::array<uint8_t, 32> seed_{};
  std::array<uint8_t, 64> secret_{};  // libsodium's secret key: seed || public key
  PublicKey public_key_{};
  friend std::string FormatSigningKey(const SigningKey& key);
};

// Key files, one line each (a final newline is optional when reading):
//   private:  caseledger-ed25519-private-v1 <64 lowercase hex digits: the seed>
//   public:   caseledger-ed25519-public-v1 <64 lowercase hex digits: the public key>
// Parsing anything else is kInvalidArgument saying what is wrong.
std::string FormatSigningKey(const SigningKey& key);
Result<SigningKey> ParseSigningKey(std::string_view text);
std::string FormatPublicKey(const PublicKey& key);
Result<PublicKey> ParsePublicKey(std::string_view text);

// Writes `key` to `path` (mode 0600) and its public key to `path`.pub (mode 0644), both
// created with O_EXCL and fsync'd: kAlreadyExists if either exists, and nothing is written.
Status WriteKeyFiles(const std::string& path, const SigningKey& key);
// Reads a private key file. Refused (kInvalidArgument) when the file is not a regular file
// or is readable or writable by group or others (chmod 600 it), or malformed.
Result<SigningKey> ReadSigningKeyFile(const std::string& path);
Result<PublicKey> ReadPublicKeyFile(const std::string& path);

// The ledger directory (one holding meta/ledger) that `path` is or lies under, if any;
// `path` need not exist. Used to refuse keeping a signing key inside a ledger.
std::optional<std::string> LedgerDirContaining(const std::string& path);

// A signed statement: ledger `ledger_id` held `tree_size` events with Merkle root `root`
// at `time`. `next_key`, when set, announces the key that will sign the next checkpoints
// (key rotation): it is trusted once this checkpoint verifies.
struct Checkpoint {
  LedgerIdBytes ledger_id{};
  uint64_t tree_size = 0;
  Hash256 root{};
  Timestamp time{};  // UTC, microseconds; not before 1970
  PublicKey signer{};
  std::optional<PublicKey> next_key;
  Signature signature{};
  bool operator==(const Checkpoint&) const = default;
};

// The exact bytes the signature covers (docs/format.md, "Checkpoints"):
//   "caseledger checkpoint v1\n"
//   "ledger_id <32 hex>\n" "tree_size <decimal>\n" "root <64 hex>\n"
//   "time_us <decimal microseconds since the epoch>\n" "signer <64 hex>\n"
//   "next_key <64 hex, or none>\n"
// Hex is lowercase; decimals have no sign and no leading zeros.
std::string CheckpointSignedBytes(const Checkpoint& checkpoint);

// Returns `checkpoint` with signer = key's public key and the signature set.
Checkpoint SignCheckpoint(Checkpoint checkpoint, const SigningKey& key);

// Checks the signature against the checkpoint's own signer field only: says nothing about
// whether that key is to be trusted. kCorruption "bad signature: ..." if it fails.
Status CheckCheckpointSignature(const Checkpoint& checkpoint);

// Verifies `checkpoint` for an auditor who trusts `trusted_key`: the checkpoint's signer
// must be trusted and its signature valid. A key becomes trusted when it is `trusted_key`,
// or when a checkpoint of `chain` (followed in order) whose own signer is already trusted,
// whose signature verifies and whose ledger id is the checkpoint's announces it as its
// next key. Trust accumulates: a key stays trusted after it announced its successor.
// When `ledger_id` is given, the checkpoint must be of that ledger.
// kCorruption whose message starts with what failed: "bad signature", "signed by an
// unknown key" (with the announcements of the chain that were refused, and why),
// or "ledger id mismatch".
Status VerifyCheckpoint(const Checkpoint& checkpoint, const PublicKey& trusted_key,
                        std::span<const Checkpoint> chain,
                        const std::optional<LedgerIdBytes>& ledger_id = std::nullopt);

// VerifyCheckpoint for many checkpoints of one ledger against the same chain: the chain is
// followed once, when it is built (an archive's checkpoints are verified this way).
class CheckpointTrust {
 public:
  CheckpointTrust(const PublicKey& trusted_key, std::span<const Checkpoint> chain,
                  const LedgerIdBytes& ledger_id);
  // What VerifyCheckpoint(checkpoint, trusted_key, chain, ledger_id) returns.
  Status Verify(const Checkpoint& checkpoint) const;

 private:
  PublicKey trusted_key_;
  LedgerIdBytes ledger_id_;
  std::set<PublicKey> keys_;          // trusted: the key given and those announced from it
  std::vector<std::string> refused_;  // announcements not followed, and why (the first 10)
  size_t refused_more_ = 0;
};

// One JSON object on one line (no newline), fields in this order:
//   {"format":"caseledger-checkpoint-v1","ledger_id":"<32 hex>","tree_size":N,
//    "root":"<64 hex>","time":"<RFC 3339 UTC>","signer":"<64 hex>",
//    "next_key":"<64 hex>"|null,"signature":"<128 hex>"}
std::string CheckpointToJson(const Checkpoint& checkpoint);
// Parses that object (whitespace allowed). Unknown, missing or repeated fields, wrong
// types, hex that is not lowercase or not of the right length, a time not in the canonical
// form FormatTimestamp writes (UTC, "Z", a fraction of up to 6 digits only when not zero and
// without trailing zeros), a tree size that is not an integer in [0, 2^53]: all
// kInvalidArgument naming the field. Does not check the signature.
Result<Checkpoint> CheckpointFromJson(std::string_view json);

// A checkpoint file (what `caseledger checkpoint --export` writes): the JSON and a newline.
// Writing refuses to overwrite (kAlreadyExists).
Status WriteCheckpointFile(const std::string& path, const Checkpoint& checkpoint);
Result<Checkpoint> ReadCheckpointFile(const std::string& path);

// A checkpoint the auditor holds, and where it came from (for messages).
struct HeldCheckpoint {
  std::string source;
  Checkpoint checkpoint;
};
// Reads the checkpoint files an auditor gives (`--trusted-checkpoint`), in order; the first
// that cannot be read is the error.
Result<std::vector<HeldCheckpoint>> ReadHeldCheckpoints(std::span<const std::string> files);

// DIR/meta/checkpoints: one CheckpointToJson line per checkpoint, appended in order.
std::string CheckpointStorePath(const std::string& ledger_dir);

struct CheckpointStoreContents {
  std::vector<Checkpoint> checkpoints;  // the well-formed lines, in file order
  // Complete lines that do not parse: "DIR/meta/checkpoints line 3: <why>". Damage.
  std::vector<std::string> bad_lines;
  // Non-empty when the file ends in an incomplete line (a crash while it was appended;
  // that append never returned): says how many bytes were ignored.
  std::string torn_tail;
};

// Reads DIR/meta/checkpoints; a ledger without one has none. kNotFound if DIR holds no
// ledger; kIOError if the file cannot be read. A torn last line is not an error.
Result<CheckpointStoreContents> ReadCheckpointStore(const std::string& ledger_dir);

// Appends `checkpoint` to DIR/meta/checkpoints (created if missing) with O_APPEND under an
// exclusive flock, then fdatasync: when it returns OK the checkpoint is durable. An
// incomplete last line left by a crash is cut first (never acknowledged); `note`, when
// given, is set to say so (empty otherwise).
Status AppendCheckpoint(const std::string& ledger_dir, const Checkpoint& checkpoint,
                        std::string* note = nullptr);

// The Merkle tree head over positions 1..size recomputed from the records of the log
// alone (not from the index's stored nodes): what a checkpoint's root is compared with.
// kCorruption naming the position if a record cannot be read; kInvalidArgument if size is
// beyond the committed position.
Result<TreeHead> TreeHeadFromLog(Ledger& ledger, uint64_t size);

// Signs `ledger`'s current tree head (of the ledger in `dir`) with the private key in
// `key_file`, announcing `next_key` when given, and appends it durably to
// DIR/meta/checkpoints: what `caseledger checkpoint --key` and the server's
// --checkpoint-every do. Refuses (kInvalidArgument) a key kept inside a ledger directory
// or a next key equal to the signing key, and (kCorruption) a ledger that no longer
// agrees with its last well-signed stored checkpoint (altered or rolled back): it must
// not get a fresh signature over its new state. `note`, when given, is set as
// AppendCheckpoint sets it.
Result<Checkpoint> SignAndStoreCheckpoint(const std::string& dir, Ledger& ledger,
                                          const std::string& key_file,
                                          const std::optional<PublicKey>& next_key,
                                          std::string* note = nullptr);

// Hex helpers: lowercase; parsing requires exactly 2 * bytes lowercase hex digits.
std::string BytesToHex(std::span<const uint8_t> bytes);
Status HexToBytes(std::string_view hex, std::span<uint8_t> out, std::string_view what);

}  // namespace v1
}  // namespace caseledger
