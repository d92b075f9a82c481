// MultisetDigest: an order-independent digest of a multiset of (key, value) pairs, the
// sum of their 128-bit hashes. Equal multisets give equal digests; a missing, extra or
// altered entry changes it. Sums of parts equal the digest of the whole, so parts of the
// log can be digested on different threads.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace caseledger::verify {

class MultisetDigest {
 public:
  void Add(std::string_view key, std::string_view value) {
    scratch_.assign(key);
    scratch_.append(value);
    XXH128_hash_t h = XXH3_128bits(scratch_.data(), scratch_.size());
    low_ += h.low64;
    high_ += h.high64;
  }
  MultisetDigest& operator+=(const MultisetDigest& o) {
    low_ += o.low_;
    high_ += o.high_;
    return *this;
  }
  bool operator==(const MultisetDigest& o) const { return low_ == o.low_ && high_ == o.high_; }

 private:
  uint64_t low_ = 0, high_ = 0;
  std::string scratch_;
};

}  // namespace caseledger::verify
