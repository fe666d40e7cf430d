// Tests of backend/fast/conv_columns.hpp: the fast backend's im2col and col2im (masked AVX-512
// rows for unit steps along the width on a CPU that has them, the reference loops otherwise)
// give bit for bit the reference backend's: every column entry, and dx after the additions,
// on widths around a register's sixteen lanes, with padding, strides, dilation, and signed zeros.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "backend/fast/gemm_kernels.hpp"  // isa()
#include "backend/table.hpp"
#include "minigrad/generator.hpp"

using namespace minigrad;

namespace {

int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

backend::ConvColumns columns(int64_t C, int64_t H, int64_t W, int64_t k, int64_t s, int64_t p,
                             int64_t d) {
  return {C, H, W, k, k, s, s, p, p, d, d, out_size(H, k, s, p, d), out_size(W, k, s, p, d)};
}

// Non-integer values, so that an addition in the wrong place or order changes the bits; some
// -0.0 (-0 + -0 stays -0, a stray +0 would not).
std::vector<float> values(int64_t n, Generator& gen) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = gen.uniform(0.0f, 1.0f) < 0.1f ? -0.0f : gen.uniform(-2.0f, 2.0f);
  return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void check_against_reference(const backend::ConvColumns& g) {
  Generator gen(static_cast<uint64_t>(g.H * 131 + g.W * 7 + g.kh * 3 + g.sw + g.pw));
  const int64_t K = g.C * g.kh * g.kw, L = g.Ho * g.Wo;
  const std::vector<float> x = values(g.C * g.H * g.W, gen);
  std::vector<float> cols_ref(static_cast<size_t>(K * L), 7.0f), cols_fast = cols_ref;
  backend::reference_table().im2col(g, x.data(), cols_ref.data());
  backend::fast_table().im2col(g, x.data(), cols_fast.data());
  CHECK(same_bits(cols_fast, cols_ref));

  const std::vector<float> dcols = values(K * L, gen);
  std::vector<float> dx_ref = values(g.C * g.H * g.W, gen), dx_fast = dx_ref;
  backend::reference_table().col2im(g, dcols.data(), dx_ref.data());
  backend::fast_table().col2im(g, dcols.data(), dx_fast.data());
  CHECK(same_bits(dx_fast, dx_ref));
}

}  // namespace

TEST_CASE("fast im2col and col2im: the reference loops' bits, stride 1 (the vector rows)") {
  INFO("vector rows in use: " << (kernels::isa() == kernels::Isa::Avx512));
  // Widths around sixteen lanes; the model's layers are 1x28x28 and 32x14x14 with k 3, padding 1.
  for (const int64_t W : {1, 3, 14, 15, 16, 17, 28, 31, 33})
    for (const int64_t k : {1, 3, 5})
      for (const int64_t p : {0, 1, 2}) {
        if (W + 2 * p < k) continue;
        CAPTURE(W);
        CAPTURE(k);
        CAPTURE(p);
        check_against_reference(columns(3, 5, W, k, 1, p, 1));
      }
}

TEST_CASE("fast im2col: the convolutional model's layers, read flat (stride 1, same size)") {
  // 3x3 with padding 1 keeps the size: each tap's row is the image read flat, under masks built
  // once per geometry and kept; the layers alternate, so each must find its own masks again.
  for (int round = 0; round < 2; ++round)
    for (const auto& g : {columns(1, 28, 28, 3, 1, 1, 1), columns(32, 14, 14, 3, 1, 1, 1),
                          columns(2, 7, 9, 5, 1, 2, 1), columns(3, 1, 20, 1, 1, 0, 1)}) {
      CAPTURE(g.C);
      CAPTURE(g.W);
      check_against_reference(g);
    }
}

TEST_CASE("fast im2col and col2im: other strides and dilations take the reference loops") {
  struct Case {
    int64_t k, s, p, d;
  };
  for (const Case c : {Case{3, 2, 1, 1}, Case{3, 1, 2, 2}, Case{2, 3, 0, 1}, Case{3, 2, 2, 2}})
    for (const int64_t W : {7, 17}) {
      CAPTURE(c.k);
      CAPTURE(c.s);
      CAPTURE(c.p);
      CAPTURE(c.d);
      CAPTURE(W);
      check_against_reference(columns(2, 9, W, c.k, c.s, c.p, c.d));
    }
}

TEST_CASE("fast col2im: a stride along the height only keeps the vector rows") {
  // sw = dw = 1 with sh = 2 and dh = 2: output rows skip image rows, columns are runs.
  backend::ConvColumns g{2, 11, 19, 3, 3, 2, 1, 1, 1, 2, 1, 0, 0};
  g.Ho = out_size(g.H, g.kh, g.sh, g.ph, g.dh);
  g.Wo = out_size(g.W, g.kw, g.sw, g.pw, g.dw);
  check_against_reference(g);
}
