// Ed25519 keys and their files (docs/format.md, "Signing keys").
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "caseledger/checkpoint.h"
#include "util/file_util.h"

namespace caseledger {
inline namespace v1 {
namespace {

constexpr std::string_view kPrivateTag = "caseledger-ed25519-private-v1";
constexpr std::string_view kPublicTag = "caseledger-ed25519-public-v1";
constexpr size_t kMaxKeyFileBytes = 4096;

void InitSodium() {
  static const int once = sodium_init();
  (void)once;
}

// A byte as a reader can see it in a message: 'x', or \xNN when not printable.
std::string Shown(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", u);
  return buf;
}

// Checks the one line of a key file ("<tag> <64 hex>", one optional final newline) and
// decodes its 32 bytes. `other_tag` names the other kind of key file, for a clearer error.
Status ParseKeyLine(std::string_view text, std::string_view tag, std::string_view what,
                    std::string_view other_tag, std::string_view other_what,
                    std::array<uint8_t, 32>& out) {
  if (text.ends_with('\n')) text.remove_suffix(1);
  if (text.starts_with(other_tag))
    return Status::InvalidArgument("this is " + std::string(other_what) + " file, not " +
                                   std::string(what) + " file");
  if (!text.starts_with(tag) || text.size() < tag.size() + 1 || text[tag.size()] != ' ')
    return Status::InvalidArgument("not " + std::string(what) + " file: it must be one line `" +
                                   std::string(tag) + " <64 hex digits>`");
  if (text.find('\n') != std::string_view::npos)
    return Status::InvalidArgument(std::string(what) + " file: more than one line");
  return HexToBytes(text.substr(tag.size() + 1), out, std::string(what));
}

}  // namespace

std::string BytesToHex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

Status HexToBytes(std::string_view hex, std::span<uint8_t> out, std::string_view what) {
  if (hex.size() != out.size() * 2)
    return Status::InvalidArgument(std::string(what) + ": expected " +
                                   std::to_string(out.size() * 2) + " lowercase hex digits (" +
                                   std::to_string(out.size()) + " bytes), got " +
                                   std::to_string(hex.size()) + " characters");
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < hex.size(); ++i) {
    if (digit(hex[i]) < 0)
      return Status::InvalidArgument(std::string(what) + ": character " + std::to_string(i + 1) +
                                     " (" + Shown(hex[i]) + ") is not a lowercase hex digit");
  }
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<uint8_t>(digit(hex[2 * i]) << 4 | digit(hex[2 * i + 1]));
  return Status::Ok();
}

std::string KeyFingerprint(const PublicKey& key) {
  uint8_t digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, key.data(), key.size());
  return "ed25519:" + BytesToHex(std::span<const uint8_t>(digest, 8));
}

SigningKey SigningKey::Generate() {
  InitSodium();
  std::array<uint8_t, 32> seed;
  randombytes_buf(seed.data(), seed.size());
  SigningKey key = FromSeed(seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

SigningKey SigningKey::FromSeed(const std::array<uint8_t, 32>& seed) {
  InitSodium();
  SigningKey key;
  key.seed_ = seed;
  crypto_sign_seed_keypair(key.public_key_.data(), key.secret_.data(), seed.data());
  return key;
}

SigningKey::SigningKey(const SigningKey&) = default;
SigningKey& SigningKey::operator=(const SigningKey&) = default;

SigningKey::~SigningKey() {
  sodium_memzero(seed_.data(), seed_.size());
  sodium_memzero(secret_.data(), secret_.size());
}

Signature SigningKey::Sign(std::string_view message) const {
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_.data());
  return sig;
}

std::string FormatSigningKey(const SigningKey& key) {
  return std::string(kPrivateTag) + " " + BytesToHex(key.seed_) + "\n";
}

std::string FormatPublicKey(const PublicKey& key) {
  return std::string(kPublicTag) + " " + BytesToHex(key) + "\n";
}

Result<SigningKey> ParseSigningKey(std::string_view text) {
  std::array<uint8_t, 32> seed{};
  Status s = ParseKeyLine(text, kPrivateTag, "a private key", kPublicTag, "a public key", seed);
  if (!s.ok()) return s;
  SigningKey key = SigningKey::FromSeed(seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

Result<PublicKey> ParsePublicKey(std::string_view text) {
  PublicKey key{};
  CASELEDGER_RETURN_IF_ERROR(
      ParseKeyLine(text, kPublicTag, "a public key", kPrivateTag, "a private key", key));
  // Reject bytes that are not a point of the curve (or of small order): such a "key"
  // verifies nothing, or too much.
  InitSodium();
  unsigned char curve[crypto_scalarmult_curve25519_BYTES];
  if (crypto_sign_ed25519_pk_to_curve25519(curve, key.data()) != 0)
    return Status::InvalidArgument("a public key: not a valid Ed25519 public key");
  return key;
}

Status WriteKeyFiles(const std::string& path, const SigningKey& key) {
  const std::string pub = path + ".pub";
  std::error_code ec;
  for (const std::string& p : {path, pub})
    if (std::filesystem::exists(p, ec) || std::filesystem::is_symlink(p, ec))
      return Status::AlreadyExists(p + " already exists; not overwritten");
  std::string secret = FormatSigningKey(key);
  Status s = util::WriteNewFile(path, secret, 0600);
  sodium_memzero(secret.data(), secret.size());
  if (!s.ok()) return s;
  s = util::WriteNewFile(pub, FormatPublicKey(key.public_key()), 0644);
  if (!s.ok()) {
    ::unlink(path.c_str());
    return s;
  }
  return Status::Ok();
}

Result<SigningKey> ReadSigningKeyFile(const std::string& path) {
  mode_t mode = 0;
  auto text = util::ReadSmallFile(path, kMaxKeyFileBytes, &mode);
  if (!text.ok()) return text.status().WithContext("private key " + path);
  if (std::string_view(*text).starts_with(kPublicTag))
    return Status::InvalidArgument(path + ": this is a public key file, not a private key file");
  if ((mode & 077) != 0) {
    sodium_memzero(text->data(), text->size());
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode & 07777));
    return Status::InvalidArgument("private key " + path + " has mode " + octal +
                                   ": it is open to group or others, so it is refused; "
                                   "a private key must be mode 0600 (chmod 600 " +
                                   path + ")");
  }
  auto key = ParseSigningKey(*text);
  sodium_memzero(text->data(), text->size());
  if (!key.ok()) return key.status().WithContext(path);
  return key;
}

Result<PublicKey> ReadPublicKeyFile(const std::string& path) {
  auto text = util::ReadSmallFile(path, kMaxKeyFileBytes);
  if (!text.ok()) return text.status().WithContext("public key " + path);
  auto key = ParsePublicKey(*text);
  if (!key.ok()) return key.status().WithContext(path);
  return key;
}

std::optional<std::string> LedgerDirContaining(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  if (ec) return std::nullopt;
  fs::path canonical = fs::weakly_canonical(p, ec);
  if (!ec) p = canonical;
  for (fs::path d = p;; d = d.parent_path()) {
    if (fs::exists(d / "meta" / "ledger", ec)) return d.string();
    if (d == d.parent_path() || d.empty()) break;
  }
  return std::nullopt;
}

}  // namespace v1
}  // namespace caseledger
