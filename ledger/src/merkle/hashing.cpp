#include "merkle/hashing.h"

#include <openssl/evp.h>

#include <memory>

namespace caseledger::merkle {
namespace {

// One reusable digest context per thread: EVP setup costs more than hashing a record.
class Sha256 {
 public:
  Sha256() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {}
  ~Sha256() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  Hash256 Digest(uint8_t prefix, std::span<const std::byte> a, std::span<const std::byte> b) {
    Hash256 out;
    EVP_DigestInit_ex2(ctx_, md_, nullptr);
    EVP_DigestUpdate(ctx_, &prefix, 1);
    EVP_DigestUpdate(ctx_, a.data(), a.size());
    if (!b.empty()) EVP_DigestUpdate(ctx_, b.data(), b.size());
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, out.data(), &len);
    return out;
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

Sha256& ThreadSha256() {
  thread_local Sha256 sha;
  return sha;
}

}  // namespace

Hash256 LeafHash(std::span<const std::byte> record) {
  return ThreadSha256().Digest(0x00, record, {});
}

Hash256 NodeHash(const Hash256& left, const Hash256& right) {
  return ThreadSha256().Digest(0x01, std::as_bytes(std::span(left)), std::as_bytes(std::span(right)));
}

Hash256 EmptyTreeRoot() {
  Hash256 out;
  unsigned int len = 0;
  EVP_Digest(nullptr, 0, out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

}  // namespace caseledger::merkle
