// The tiled sgemm of gemm_tiles.hpp for AVX-512 (16 floats a register, 32 registers): dot tiles
// of 4x6 accumulators, outer-product tiles of 6 rows by 4 vectors (64 columns), masked loads and
// stores at every edge. This file alone is compiled with -mavx512f -mfma (see CMakeLists.txt);
// gemm_kernels.cpp calls it only on a CPU that reports AVX-512F.
#include <immintrin.h>

#include "gemm_tiles.hpp"
#include "minigrad/backend/gemm_kernels.hpp"

namespace {

struct Avx512 {
  using R = __m512;
  using Mask = __mmask16;
  static constexpr int W = 16;
  static constexpr int kDotMR = 4, kDotNR = 6;      // 24 accumulators + 4 + 1 loads
  static constexpr int kOuterMR = 6, kOuterNV = 4;  // 24 accumulators + 4 loads + 1 broadcast
  static R zero() { return _mm512_setzero_ps(); }
  static R broadcast(float x) { return _mm512_set1_ps(x); }
  static Mask mask(int lanes) { return static_cast<Mask>((1u << lanes) - 1u); }
  static R load(const float* p) { return _mm512_loadu_ps(p); }
  static R load(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static void store(float* p, R x, Mask m) { _mm512_mask_storeu_ps(p, m, x); }
  static R fmadd(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  // Sum of the 16 lanes by folding halves: 16 -> 8 -> 4 -> 2 -> 1. All-lanes masked forms of
  // the shuffles: GCC 12's unmasked ones (and _mm512_reduce_add_ps, the casts to 256 bits) trip
  // -Wuninitialized inside its own header.
  static float reduce_add(R x) {
    x = _mm512_add_ps(x, _mm512_mask_shuffle_f32x4(x, 0xFFFF, x, x, 0xEE));  // blocks 2,3 onto 0,1
    x = _mm512_add_ps(x, _mm512_mask_shuffle_f32x4(x, 0xFFFF, x, x, 0x55));  // block 1 onto 0
    x = _mm512_add_ps(x, _mm512_mask_permute_ps(x, 0xFFFF, x, 0x4E));        // lanes 2,3 onto 0,1
    x = _mm512_add_ps(x, _mm512_mask_permute_ps(x, 0xFFFF, x, 0xB1));        // lane 1 onto 0
    return _mm512_cvtss_f32(x);
  }
};

}  // namespace

namespace minigrad::kernels::detail {

bool gemm_avx512(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc) {
  return gemm_tiled<Avx512>(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace minigrad::kernels::detail
