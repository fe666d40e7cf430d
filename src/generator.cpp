// Generator: xoshiro256** (Blackman and Vigna), seeded through splitmix64 so that any 64-bit seed,
// 0 included, gives a well-mixed state.
#include "minigrad/generator.hpp"

#include <cmath>
#include <stdexcept>

namespace minigrad {

namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
}  // namespace

void Generator::manual_seed(uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

float Generator::normal() {
  // Box-Muller; u1 is kept away from 0 so log() stays finite.
  const double u1 = (static_cast<double>(next_u64() >> 11) + 1.0) * (1.0 / 9007199254740993.0);
  const double u2 = static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0);
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2));
}

void Generator::bernoulli_fill(float* out, int64_t n, float p, float value) {
  // u/2^24 < p  <=>  u < p·2^24  <=>  u < ceil(p·2^24) for a whole number u in [0, 2^24).
  const double scaled = std::ceil(static_cast<double>(p) * 16777216.0);
  const int32_t threshold = scaled <= 0.0          ? 0
                            : scaled >= 16777216.0 ? 16777216
                                                   : static_cast<int32_t>(scaled);
  // In chunks: first the serial part, the generator's steps, as bare 64-bit words (a loop that
  // runs at the speed of the generator's own dependency chain), then the two 24-bit uniforms of
  // each word, the comparisons and the selects as a plain loop the compiler turns into vector code.
  constexpr int64_t kChunk = 512;  // values
  uint64_t words[kChunk / 2];
  for (int64_t start = 0; start < n; start += kChunk) {
    const int64_t count = n - start < kChunk ? n - start : kChunk;
    for (int64_t w = 0; w < (count + 1) / 2; ++w) words[w] = next_u64();
    float* o = out + start;
    for (int64_t w = 0; w < count / 2; ++w) {
      const auto first = static_cast<int32_t>(words[w] >> 40);
      const auto second = static_cast<int32_t>((words[w] >> 8) & 0xFFFFFFu);
      o[2 * w] = first < threshold ? value : 0.0f;
      o[2 * w + 1] = second < threshold ? value : 0.0f;
    }
    if (count % 2 == 1)  // an odd last value uses the first half of one more word
      o[count - 1] = static_cast<int32_t>(words[count / 2] >> 40) < threshold ? value : 0.0f;
  }
}

uint64_t Generator::randint(uint64_t n) {
  if (n == 0) throw std::invalid_argument("Generator::randint: n must be > 0");
  // Rejection sampling: drop the top partial block so every residue is equally likely.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do {
    x = next_u64();
  } while (x >= limit);
  return x % n;
}

}  // namespace minigrad
