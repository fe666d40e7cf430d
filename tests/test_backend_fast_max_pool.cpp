// Tests of backend/fast/max_pool.hpp: the fast backend's max pooling (the AVX-512 kernel for 2x2
// windows with stride 2 on a CPU that has it, the side-by-side search for other windows) gives
// bit for bit the reference backend's plain loop: y, argmax and dx, on odd plane sizes, with
// padding, on ties (the first maximum in row-major order, as PyTorch), signed zeros, infinities
// and NaNs, and on one and two threads.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "backend/fast/gemm_kernels.hpp"  // isa(), set_num_threads
#include "backend/table.hpp"
#include "minigrad/generator.hpp"

using namespace minigrad;

namespace {

struct ThreadsGuard {
  explicit ThreadsGuard(int n) { kernels::set_num_threads(n); }
  ~ThreadsGuard() { kernels::set_num_threads(1); }
};

int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t p) { return (in + 2 * p - k) / s + 1; }

backend::PoolWindows windows(int64_t planes, int64_t H, int64_t W, int64_t k, int64_t s,
                             int64_t p) {
  return {planes, H, W, k, k, s, s, p, p, out_size(H, k, s, p), out_size(W, k, s, p)};
}

float nan_with_payload(uint32_t payload) {
  const uint32_t bits = 0x7fc00000u | payload;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Values drawn from a few levels so that windows often tie; with `specials`, some are -0.0, +0.0,
// ±inf or NaN (the NaNs with distinct payloads, so a different NaN taken shows in the bits).
std::vector<float> plane_values(int64_t n, Generator& gen, bool specials) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) {
    const float r = gen.uniform(0.0f, 1.0f);
    v[i] = std::floor(gen.uniform(-3.0f, 3.0f));  // -3 .. 2: ties in most windows
    if (!specials) continue;
    if (r < 0.05f)
      v[i] = -0.0f;
    else if (r < 0.10f)
      v[i] = 0.0f;
    else if (r < 0.12f)
      v[i] = -inf;
    else if (r < 0.13f)
      v[i] = inf;
    else if (r < 0.16f)
      v[i] = nan_with_payload(static_cast<uint32_t>(i % 7));
  }
  return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// The fast table's forward and backward against the reference table's, bit for bit. dx starts
// from values of its own (signed zeros among them): the backward adds only where argmax points.
void check_against_reference(const backend::PoolWindows& g, bool specials, int threads) {
  ThreadsGuard guard(threads);
  Generator gen(static_cast<uint64_t>(g.H * 131 + g.W * 7 + g.kh + threads));
  const std::vector<float> x = plane_values(g.planes * g.H * g.W, gen, specials);
  const int64_t cells = g.planes * g.Ho * g.Wo;
  std::vector<float> y_ref(static_cast<size_t>(cells)), y_fast(y_ref.size());
  std::vector<int32_t> a_ref(static_cast<size_t>(cells)), a_fast(a_ref.size());
  backend::reference_table().max_pool2d(g, x.data(), y_ref.data(), a_ref.data());
  backend::fast_table().max_pool2d(g, x.data(), y_fast.data(), a_fast.data());
  CHECK(a_fast == a_ref);
  CHECK(same_bits(y_fast, y_ref));

  std::vector<float> dy = plane_values(cells, gen, false);
  for (float& d : dy) d += 0.25f;  // not integers, so a sum in the wrong place changes the bits
  dy[0] = -0.0f;                   // -0 added to +0 is +0: a skipped addition would show
  std::vector<float> dx_ref = plane_values(g.planes * g.H * g.W, gen, false);
  dx_ref[0] = 0.0f;
  std::vector<float> dx_fast = dx_ref;
  backend::reference_table().max_pool2d_backward(g, a_ref.data(), dy.data(), dx_ref.data());
  backend::fast_table().max_pool2d_backward(g, a_ref.data(), dy.data(), dx_fast.data());
  CHECK(same_bits(dx_fast, dx_ref));

  // A new gradient, owing its zeros (zero_later): the fast backend writes every pixel at once,
  // with the values the reference adds to zeros (dy[0] = -0.0 gives +0.0 there too).
  const int64_t n = g.planes * g.H * g.W;
  std::vector<float> dx_zeros(static_cast<size_t>(n), 0.0f);
  backend::reference_table().max_pool2d_backward(g, a_ref.data(), dy.data(), dx_zeros.data());
  float* owed = backend::fast_table().allocate(n);
  std::fill_n(owed, n, 5.0f);  // stale values, never to be read
  backend::fast_table().zero_later(owed, n);
  backend::fast_table().max_pool2d_backward(g, a_ref.data(), dy.data(), owed);
  CHECK(same_bits(std::vector<float>(owed, owed + n), dx_zeros));
  backend::fast_table().release(owed, n);
}

}  // namespace

TEST_CASE("fast max_pool2d, 2x2 windows with stride 2: the reference loop's bits on odd sizes") {
  INFO("vector kernel in use: " << (kernels::isa() == kernels::Isa::Avx512));
  // Widths around the sixteen windows of a register (W = 2·Wo or 2·Wo + 1), odd heights.
  for (const int64_t W : {2, 3, 5, 28, 31, 32, 33, 34, 63, 65, 66})
    for (const int64_t H : {2, 3, 7, 14})
      for (const bool specials : {false, true})
        for (const int threads : {1, 2}) {
          CAPTURE(W);
          CAPTURE(H);
          CAPTURE(specials);
          CAPTURE(threads);
          check_against_reference(windows(5, H, W, 2, 2, 0), specials, threads);
        }
}

TEST_CASE("fast max_pool2d, other windows: the reference loop's bits, padding included") {
  struct Case {
    int64_t k, s, p;
  };
  for (const Case c : {Case{3, 2, 1}, Case{2, 1, 0}, Case{2, 2, 1}, Case{3, 3, 0}, Case{1, 1, 0}})
    for (const int64_t W : {3, 6, 17})
      for (const int threads : {1, 2}) {
        CAPTURE(c.k);
        CAPTURE(c.s);
        CAPTURE(c.p);
        CAPTURE(W);
        check_against_reference(windows(4, 5, W, c.k, c.s, c.p), true, threads);
      }
}

TEST_CASE("fast max_pool2d: a tie keeps the first maximum, a NaN takes over, as PyTorch") {
  // One 2x2 window per case: the four pixels in row-major order, and where the maximum is.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  struct Case {
    float p[4];
    int64_t at;
  };
  for (const Case c : {Case{{1, 1, 1, 1}, 0}, Case{{0, 2, 2, 1}, 1}, Case{{-0.0f, 0.0f, 0, 0}, 0},
                       Case{{1, nan, 5, 1}, 1}, Case{{nan, 9, 9, 9}, 0}, Case{{1, 2, 3, 3}, 2}}) {
    // Window (0, 0) of a 2x4 plane; window (0, 1) holds the same pixels.
    const std::vector<float> x = {c.p[0], c.p[1], c.p[0], c.p[1], c.p[2], c.p[3], c.p[2], c.p[3]};
    const int64_t at[4] = {0, 1, 4, 5};
    std::vector<float> y(2);
    std::vector<int32_t> argmax(2);
    backend::fast_table().max_pool2d(windows(1, 2, 4, 2, 2, 0), x.data(), y.data(), argmax.data());
    CHECK(argmax[0] == at[c.at]);
    CHECK(argmax[1] == at[c.at] + 2);
  }
}
