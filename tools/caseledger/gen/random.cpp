#include "gen/random.h"

#include <cmath>

namespace caseledger::gen {
namespace {
constexpr double kLn2 = 0.69314718055994530942;
}

double DeterministicLog(double x) {
  if (!(x > 0)) return -745.0;  // log of the smallest double; callers never pass x <= 0
  // x = m * 2^e with m in [0.5, 1): frexp is exact. Then log(m) = 2 atanh(z), z = (m-1)/(m+1)
  // in (-1/3, 0], whose odd series converges fast.
  int e = 0;
  const double m = std::frexp(x, &e);
  const double z = (m - 1) / (m + 1), z2 = z * z;
  double term = z, sum = 0;
  for (int k = 1; k < 40; k += 2) {
    sum += term / k;
    term *= z2;
  }
  return 2 * sum + e * kLn2;
}

double DeterministicExp(double x) {
  if (x > 700) x = 700;
  if (x < -700) x = -700;
  // exp(x) = 2^k exp(r) with |r| <= ln2/2; ldexp is exact; Taylor series for exp(r).
  const double kd = x / kLn2;
  const int k = static_cast<int>(kd < 0 ? kd - 0.5 : kd + 0.5);
  const double r = x - k * kLn2;
  double term = 1, sum = 1;
  for (int n = 1; n < 20; ++n) {
    term *= r / n;
    sum += term;
  }
  return std::ldexp(sum, k);
}

}  // namespace caseledger::gen
