// The generator's randomness: SplitMix64 streams and the few distributions the domain
// model draws from.
//
// Guarantee: every draw is computed with integer arithmetic and IEEE-754 +, -, *, / only
// (no libm), so a seed gives the same values with any compiler and C library, and the
// generator's output is byte-identical across platforms, not only across runs.
#pragma once

#include <cstdint>
#include <initializer_list>

namespace caseledger::gen {

// SplitMix64's finaliser: a bijective mix of 64 bits, also used to derive seeds.
constexpr uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Natural logarithm and exponential from + - * / only (see the file comment). Relative
// error below 1e-12 over the ranges used here; x > 0 for Log.
double DeterministicLog(double x);
double DeterministicExp(double x);

class Random {
 public:
  explicit Random(uint64_t seed) : state_(Mix64(seed)) {}
  // An independent stream for one part of the model, e.g. Random::For(seed, kCaseStreams, 42).
  static Random For(uint64_t seed, uint64_t purpose, uint64_t index) {
    return Random(Mix64(seed ^ Mix64(purpose * 0x100000001b3ULL + index)));
  }

  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n >= 1 (Lemire's multiply-shift; the bias is below 2^-32).
  uint32_t Below(uint32_t n) {
    return static_cast<uint32_t>(((Next() >> 32) * static_cast<uint64_t>(n)) >> 32);
  }
  // Uniform in [0, 1).
  double Real() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Real() < p; }
  // Uniform in [lo, hi); lo when hi <= lo.
  int64_t Between(int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    return lo + static_cast<int64_t>(Real() * static_cast<double>(hi - lo));
  }
  // Approximately standard normal, within [-6, 6] (Irwin-Hall sum of 12 uniforms).
  double Normal() {
    double sum = 0;
    for (int i = 0; i < 12; ++i) sum += Real();
    return sum - 6.0;
  }
  // Log-normal with the given median; sigma is the spread of the logarithm.
  double LogNormal(double median, double sigma) {
    return median * DeterministicExp(sigma * Normal());
  }
  // Exponential with the given mean.
  double Exponential(double mean) { return -mean * DeterministicLog(1.0 - Real()); }
  // An index drawn with the given relative weights (at least one positive).
  template <typename Weights>
  uint32_t Pick(const Weights& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double r = Real() * total;
    uint32_t i = 0, last = 0;
    for (double w : weights) {
      if (w > 0) {
        if (r < w) return i;
        r -= w;
        last = i;
      }
      ++i;
    }
    return last;  // rounding left r at the very end
  }
  uint32_t Pick(std::initializer_list<double> weights) {
    return Pick<std::initializer_list<double>>(weights);
  }

 private:
  uint64_t state_;
};

}  // namespace caseledger::gen
