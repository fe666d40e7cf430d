// Generator: minigrad's one source of randomness (xoshiro256** seeded through splitmix64).
// Every random factory, initialiser, Dropout mask and data shuffle takes one explicitly, so a seed
// fixes a whole run and results are identical on every platform (no std:: distributions, whose
// output differs between standard libraries).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace minigrad {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) { manual_seed(seed); }
  void manual_seed(uint64_t seed);
  /// The whole state, to continue the stream later (a resumed run) with set_state().
  std::array<uint64_t, 4> get_state() const { return {s_[0], s_[1], s_[2], s_[3]}; }
  void set_state(const std::array<uint64_t, 4>& state) {
    for (int i = 0; i < 4; ++i) s_[i] = state[static_cast<size_t>(i)];
  }

  /// 64 random bits. Inline: Dropout draws one per activation in every training step.
  uint64_t next_u64() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, 1) with 24 random bits: every value is an exact float, never 1.0.
  float uniform() { return static_cast<float>(next_u64() >> 40) * (1.0f / 16777216.0f); }
  /// Uniform in [low, high).
  float uniform(float low, float high) { return low + (high - low) * uniform(); }
  /// Standard normal (Box-Muller in double, one value per call).
  float normal();
  /// Uniform integer in [0, n) without modulo bias; n must be > 0.
  uint64_t randint(uint64_t n);
  /// True with probability p.
  bool bernoulli(float p) { return uniform() < p; }
  /// out[i] = value with probability p, else 0, for i < n: Dropout's mask. Each 64 random bits
  /// give two 24-bit uniforms (bits 40-63, then 8-31), tested as bernoulli(p) tests one, with no
  /// branch on the outcome: half the draws of n bernoulli() calls and no mispredicted jumps.
  void bernoulli_fill(float* out, int64_t n, float p, float value);

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4] = {0, 0, 0, 0};
};

}  // namespace minigrad
