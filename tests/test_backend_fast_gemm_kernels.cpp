// Tests of backend/fast/gemm_kernels.hpp: the tiled and the packed AVX-512 and AVX2 kernels
// against the naive reference on every tile and block edge (m, n and k not multiples of the tile,
// vector or cache-block sizes), all three forms they take (A·Bᵀ, A·B, Aᵀ·B), alpha and beta, a
// bias in A·Bᵀ, and the refusal of Aᵀ·Bᵀ.
// A kernel the CPU cannot run is reported and skipped, so the test also passes (with less
// coverage) elsewhere.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "backend/fast/gemm_kernels.hpp"
#include "backend/table.hpp"
#include "minigrad/backend/backend.hpp"
#include "minigrad/generator.hpp"

using namespace minigrad;

namespace {

// The reference backend's plain loops, which the tiles must match.
void gemm_reference(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                    const float* b, float beta, float* c) {
  backend::reference_table().gemm(ta, tb, m, n, k, alpha, a, b, beta, c);
}

std::vector<float> random_values(int64_t n, Generator& gen) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = gen.uniform(-1.0f, 1.0f);
  return v;
}

bool runs_here(kernels::Isa isa) {
  float a = 1, b = 1, c = 0;
  return kernels::gemm_with(isa, false, false, 1, 1, 1, 1.0f, &a, &b, 0.0f, &c);
}

// Whether kernels::gemm uses the tiles here; when not, says so (the caller skips its test).
bool tiled_kernels_chosen() {
  if (kernels::isa() != kernels::Isa::None) return true;
  MESSAGE("no tiled kernels on this CPU (or MINIGRAD_GEMM=blas); skipped");
  return false;
}

struct Dims {
  int64_t m, n, k;
};

}  // namespace

TEST_CASE("tiled sgemm equals the naive reference across tile edges, forms, alpha and beta") {
  // Dot tiles are 4x6 (AVX-512) and 3x4 (AVX2); outer tiles 6 rows by 64 or 16 columns; vectors
  // are 16 or 8 floats wide.
  const Dims dims[] = {{1, 1, 1},     {3, 5, 7},      {4, 4, 16},    {6, 64, 32},  {7, 65, 17},
                       {13, 129, 33}, {32, 128, 784}, {64, 10, 128}, {65, 3, 200}, {2, 1000, 5}};
  Generator gen(7);
  for (kernels::Isa isa : {kernels::Isa::Avx512, kernels::Isa::Avx2}) {
    if (!runs_here(isa)) {
      MESSAGE("this CPU cannot run the ", isa == kernels::Isa::Avx512 ? "AVX-512" : "AVX2",
              " kernels; skipped");
      continue;
    }
    for (const Dims& d : dims)
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          if (ta && tb) continue;
          for (float beta : {0.0f, 1.0f, -0.5f}) {
            INFO("isa=", static_cast<int>(isa), " m=", d.m, " n=", d.n, " k=", d.k, " ta=", ta,
                 " tb=", tb, " beta=", beta);
            const auto a = random_values(d.m * d.k, gen), b = random_values(d.k * d.n, gen);
            auto c = random_values(d.m * d.n, gen);
            // beta = 0 must not read C: a NaN there may not leak into the result.
            if (beta == 0.0f) c[0] = std::numeric_limits<float>::quiet_NaN();
            auto expected = c;
            gemm_reference(ta, tb, d.m, d.n, d.k, 0.75f, a.data(), b.data(), beta, expected.data());
            REQUIRE(kernels::gemm_with(isa, ta, tb, d.m, d.n, d.k, 0.75f, a.data(), b.data(), beta,
                                       c.data()));
            double worst = 0;
            for (size_t i = 0; i < c.size(); ++i)
              worst = std::max(worst, std::fabs(static_cast<double>(c[i]) - expected[i]));
            // Float sums of k products of values in [-1, 1]: rounding grows like sqrt(k)·eps.
            CHECK(worst <= 2e-6 * std::sqrt(static_cast<double>(d.k)) + 1e-6);
          }
        }
  }
}

TEST_CASE("packed sgemm equals the naive reference across tile and cache-block edges") {
  // Micro-tiles are 12x32 (AVX-512) and 6x16 (AVX2); blocks are 384 rows of A, 256 steps of k and
  // 3072 columns of B: sizes below, at and just past each, and k over two blocks. A stored (m, k)
  // is packed by register transposes of 16 (AVX-512) or 8 (AVX2) steps of k and the steps left
  // value by value: 24 and 36 rows are whole panels only, with k of one step short of, at, and
  // past whole transposes.
  const Dims dims[] = {{1, 1, 1},      {11, 31, 7},    {12, 32, 16}, {13, 33, 17},
                       {385, 40, 257}, {50, 3073, 20}, {7, 17, 600}, {130, 200, 513},
                       {384, 96, 256}, {2, 1000, 5},   {24, 64, 31}, {36, 40, 48},
                       {24, 33, 15},   {48, 96, 263}};
  Generator gen(17);
  for (kernels::Isa isa : {kernels::Isa::Avx512, kernels::Isa::Avx2}) {
    if (!runs_here(isa)) continue;  // reported by the tiled test above
    for (const Dims& d : dims)
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          if (ta && tb) continue;
          for (float beta : {0.0f, 1.0f, -0.5f}) {
            INFO("isa=", static_cast<int>(isa), " m=", d.m, " n=", d.n, " k=", d.k, " ta=", ta,
                 " tb=", tb, " beta=", beta);
            const auto a = random_values(d.m * d.k, gen), b = random_values(d.k * d.n, gen);
            auto c = random_values(d.m * d.n, gen);
            if (beta == 0.0f) c[c.size() / 2] = std::numeric_limits<float>::quiet_NaN();
            auto expected = c;
            gemm_reference(ta, tb, d.m, d.n, d.k, 0.75f, a.data(), b.data(), beta, expected.data());
            REQUIRE(kernels::gemm_packed_with(isa, ta, tb, d.m, d.n, d.k, 0.75f, a.data(), b.data(),
                                              beta, c.data()));
            double worst = 0;
            for (size_t i = 0; i < c.size(); ++i)
              worst = std::max(worst, std::fabs(static_cast<double>(c[i]) - expected[i]));
            CHECK(worst <= 2e-6 * std::sqrt(static_cast<double>(d.k)) + 1e-6);
          }
        }
    float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4] = {9, 9, 9, 9};
    CHECK_FALSE(kernels::gemm_packed_with(isa, true, true, 2, 2, 2, 1.0f, a, b, 0.0f, c));
    for (float v : c) CHECK(v == 9.0f);
  }
}

TEST_CASE("gemm takes the packed kernels for large products only") {
  CHECK_FALSE(kernels::use_packed(32, 128, 784));   // the documents' first layer at batch 32
  CHECK_FALSE(kernels::use_packed(512, 128, 784));  // and at batch 512
  CHECK_FALSE(kernels::use_packed(2048, 2048, 16));
  CHECK(kernels::use_packed(1024, 1024, 1024));
  CHECK(kernels::use_packed(4096, 4096, 4096));
  // The size the thread and bias tests below count on to reach the packed kernels.
  CHECK(kernels::use_packed(520, 530, 1000));
  CHECK(kernels::use_packed(1030, 136, 1000));
}

TEST_CASE("tiled sgemm refuses the product it does not implement and an ISA it cannot run") {
  float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4] = {9, 9, 9, 9};
  for (kernels::Isa isa : {kernels::Isa::Avx512, kernels::Isa::Avx2})
    CHECK_FALSE(kernels::gemm_with(isa, true, true, 2, 2, 2, 1.0f, a, b, 0.0f, c));
  CHECK_FALSE(kernels::gemm_with(kernels::Isa::None, false, false, 2, 2, 2, 1.0f, a, b, 0.0f, c));
  for (float v : c) CHECK(v == 9.0f);  // untouched
}

TEST_CASE("two threads split a product and give bit-identical results to one") {
  if (!tiled_kernels_chosen()) return;
  Generator gen(11);
  // Above the split threshold (1 MFLOP); odd sizes so the parts have edge tiles, and split points
  // (split_point: 72 of 130 columns, 64 of 128 rows, 392 of 784 columns) inside a one-thread tile.
  // The last two take the packed kernels (use_packed), whose edges fall elsewhere than the
  // tiles', and which split C's longer side: columns (272 of 530), then rows (520 of 1030). The
  // naive reference would take too long for them (the packed test above covers their sums).
  for (const Dims d : {Dims{37, 130, 785}, Dims{128, 784, 33}, Dims{64, 300, 200},
                       Dims{520, 530, 1000}, Dims{1030, 136, 1000}})
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        if (ta && tb) continue;
        INFO("m=", d.m, " n=", d.n, " k=", d.k, " ta=", ta, " tb=", tb);
        const auto a = random_values(d.m * d.k, gen), b = random_values(d.k * d.n, gen);
        const auto c0 = random_values(d.m * d.n, gen);
        auto one = c0, two = c0;
        kernels::set_num_threads(1);
        REQUIRE(kernels::gemm(ta, tb, d.m, d.n, d.k, 1.0f, a.data(), b.data(), 1.0f, one.data()));
        kernels::set_num_threads(2);
        REQUIRE(kernels::gemm(ta, tb, d.m, d.n, d.k, 1.0f, a.data(), b.data(), 1.0f, two.data()));
        kernels::set_num_threads(1);
        CHECK(one == two);
        if (kernels::use_packed(d.m, d.n, d.k)) continue;
        auto expected = c0;
        gemm_reference(ta, tb, d.m, d.n, d.k, 1.0f, a.data(), b.data(), 1.0f, expected.data());
        double worst = 0;
        for (size_t i = 0; i < two.size(); ++i)
          worst = std::max(worst, std::fabs(static_cast<double>(two[i]) - expected[i]));
        CHECK(worst <= 2e-6 * std::sqrt(static_cast<double>(d.k)) + 1e-6);
      }
}

TEST_CASE("a second thread readied in advance gives the same packed products") {
  if (!tiled_kernels_chosen()) return;
  Generator gen(12);
  const Dims d{1030, 136, 1000};  // packed, split by rows on two threads
  const auto a = random_values(d.m * d.k, gen), b = random_values(d.k * d.n, gen);
  std::vector<float> one(static_cast<size_t>(d.m * d.n)), two(one.size());
  kernels::set_num_threads(1);
  REQUIRE(kernels::gemm(false, false, d.m, d.n, d.k, 1.0f, a.data(), b.data(), 0.0f, one.data()));
  backend::prepare_threads();  // the worker touches its packing buffers while this goes on
  kernels::set_num_threads(2);
  REQUIRE(kernels::gemm(false, false, d.m, d.n, d.k, 1.0f, a.data(), b.data(), 0.0f, two.data()));
  kernels::set_num_threads(1);
  CHECK(one == two);
}

TEST_CASE("a bias added in the kernel's store equals rows that start as the bias, bit for bit") {
  if (!tiled_kernels_chosen()) return;
  Generator gen(13);
  // Edge tiles in both directions, k below one vector, and products above the split threshold
  // (the second thread's columns get the bias from their own offset).
  for (const Dims d :
       {Dims{1, 1, 1}, Dims{7, 65, 17}, Dims{13, 129, 3}, Dims{256, 128, 784}, Dims{37, 130, 785},
        Dims{32, 10, 64}, Dims{520, 530, 1000}, Dims{1030, 136, 1000}})
    for (int threads : {1, 2}) {
      INFO("m=", d.m, " n=", d.n, " k=", d.k, " threads=", threads);
      const auto a = random_values(d.m * d.k, gen), b = random_values(d.n * d.k, gen);
      const auto bias = random_values(d.n, gen);
      std::vector<float> copied(static_cast<size_t>(d.m * d.n));
      for (int64_t i = 0; i < d.m; ++i)
        std::copy(bias.begin(), bias.end(), copied.begin() + i * d.n);
      std::vector<float> fused(copied.size(), std::numeric_limits<float>::quiet_NaN());
      kernels::set_num_threads(threads);
      REQUIRE(
          kernels::gemm(false, true, d.m, d.n, d.k, 1.0f, a.data(), b.data(), 1.0f, copied.data()));
      REQUIRE(kernels::gemm(false, true, d.m, d.n, d.k, 1.0f, a.data(), b.data(), 0.0f,
                            fused.data(), bias.data()));
      kernels::set_num_threads(1);
      CHECK(fused == copied);
    }

  // Only A·Bᵀ with beta = 0 takes a bias; anything else is refused and C is left alone.
  float a = 1, b = 1, bias = 2, c = 5;
  CHECK_FALSE(kernels::gemm(false, false, 1, 1, 1, 1.0f, &a, &b, 0.0f, &c, &bias));
  CHECK_FALSE(kernels::gemm(true, false, 1, 1, 1, 1.0f, &a, &b, 0.0f, &c, &bias));
  CHECK_FALSE(kernels::gemm(false, true, 1, 1, 1, 1.0f, &a, &b, 1.0f, &c, &bias));
  CHECK(c == 5.0f);
  CHECK(kernels::gemm(false, true, 1, 1, 1, 1.0f, &a, &b, 0.0f, &c, &bias));
  CHECK(c == 3.0f);
}
