// The tiled sgemm of gemm_tiles.hpp for AVX-512 (16 floats a register, 32 registers): dot tiles
// of 4x6 accumulators, outer-product tiles of 6 rows by 4 vectors (64 columns), masked loads and
// stores at every edge. This file alone is compiled with -mavx512f -mfma (see CMakeLists.txt);
// gemm_kernels.cpp calls it only on a CPU that reports AVX-512F.
#include <immintrin.h>

#include "gemm_kernels.hpp"
#include "gemm_packed.hpp"
#include "gemm_tiles.hpp"

namespace {

struct Avx512 {
  using R = __m512;
  using Mask = __mmask16;
  static constexpr int W = 16;
  static constexpr int kDotMR = 4, kDotNR = 6;      // 24 accumulators + 4 + 1 loads
  static constexpr int kPackMR = 12, kPackNV = 2;   // 24 accumulators + 2 loads + 1 broadcast
  static constexpr int kOuterMR = 6, kOuterNV = 4;  // 24 accumulators + 4 loads + 1 broadcast
  static R zero() { return _mm512_setzero_ps(); }
  static R broadcast(float x) { return _mm512_set1_ps(x); }
  static Mask mask(int lanes) { return static_cast<Mask>((1u << lanes) - 1u); }
  static void store(float* p, R x) { _mm512_storeu_ps(p, x); }
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
  // The lane sums of 8 vectors at once: lane j of the result is reduce_add(x[j]) for j < 8, bit
  // for bit, because each vector's lanes are folded in the same order (16 -> 8 -> 4 -> 2 -> 1,
  // the same operand order); only the shuffles are shared between vectors, 21 instead of 32.
  // The dot tile stores one row of C (NR <= 8 sums) with it instead of NR scalar reductions.
  static constexpr bool kHasReduceAdd8 = true;
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  // x[j] lane q -> x[q] lane j, for the packing of Bᵀ: pairs of rows interleaved (32-bit, then
  // 64-bit, within 128-bit blocks: u[4i + c] block b holds column 4b + c of rows 4i..4i+3), then
  // blocks gathered across vectors in two steps. Masked forms, as in reduce_add.
  static constexpr bool kHasTranspose = true;
  static void transpose(R (&x)[16]) {
    R t[16], u[16];
    for (int i = 0; i < 8; ++i) {
      t[2 * i] = _mm512_mask_unpacklo_ps(x[2 * i], 0xFFFF, x[2 * i], x[2 * i + 1]);
      t[2 * i + 1] = _mm512_mask_unpackhi_ps(x[2 * i], 0xFFFF, x[2 * i], x[2 * i + 1]);
    }
    for (int i = 0; i < 4; ++i) {
      const R* g = t + 4 * i;
      u[4 * i + 0] = _mm512_mask_shuffle_ps(g[0], 0xFFFF, g[0], g[2], 0x44);
      u[4 * i + 1] = _mm512_mask_shuffle_ps(g[0], 0xFFFF, g[0], g[2], 0xEE);
      u[4 * i + 2] = _mm512_mask_shuffle_ps(g[1], 0xFFFF, g[1], g[3], 0x44);
      u[4 * i + 3] = _mm512_mask_shuffle_ps(g[1], 0xFFFF, g[1], g[3], 0xEE);
    }
    for (int c = 0; c < 4; ++c) {
      // blocks 0 and 2 (v) or 1 and 3 (w) of column c's four row groups
      const R v0 = _mm512_mask_shuffle_f32x4(u[c], 0xFFFF, u[c], u[4 + c], 0x88);
      const R w0 = _mm512_mask_shuffle_f32x4(u[c], 0xFFFF, u[c], u[4 + c], 0xDD);
      const R v1 = _mm512_mask_shuffle_f32x4(u[8 + c], 0xFFFF, u[8 + c], u[12 + c], 0x88);
      const R w1 = _mm512_mask_shuffle_f32x4(u[8 + c], 0xFFFF, u[8 + c], u[12 + c], 0xDD);
      x[c] = _mm512_mask_shuffle_f32x4(v0, 0xFFFF, v0, v1, 0x88);
      x[8 + c] = _mm512_mask_shuffle_f32x4(v0, 0xFFFF, v0, v1, 0xDD);
      x[4 + c] = _mm512_mask_shuffle_f32x4(w0, 0xFFFF, w0, w1, 0x88);
      x[12 + c] = _mm512_mask_shuffle_f32x4(w0, 0xFFFF, w0, w1, 0xDD);
    }
  }
  static R reduce_add8(const R (&x)[8]) {
    // 16 -> 8 lanes, two vectors a result: blocks [a0+a2, a1+a3, b0+b2, b1+b3].
    R t[4];
    for (int i = 0; i < 4; ++i) {
      const R a = x[2 * i], b = x[2 * i + 1];
      t[i] = add(_mm512_mask_shuffle_f32x4(a, 0xFFFF, a, b, 0x44),
                 _mm512_mask_shuffle_f32x4(a, 0xFFFF, a, b, 0xEE));
    }
    // 8 -> 4 lanes: one 128-bit block a vector, u[0] = [x0, x1, x2, x3], u[1] = [x4 .. x7].
    R u[2];
    for (int i = 0; i < 2; ++i) {
      const R a = t[2 * i], b = t[2 * i + 1];
      u[i] = add(_mm512_mask_shuffle_f32x4(a, 0xFFFF, a, b, 0x88),
                 _mm512_mask_shuffle_f32x4(a, 0xFFFF, a, b, 0xDD));
    }
    // 4 -> 2 lanes within each block k: [xk, xk, x(4+k), x(4+k)].
    const R r = add(_mm512_mask_shuffle_ps(u[0], 0xFFFF, u[0], u[1], 0x44),
                    _mm512_mask_shuffle_ps(u[0], 0xFFFF, u[0], u[1], 0xEE));
    // 2 -> 1: lane 4k holds the sum of xk, lane 4k + 1 that of x(4+k).
    const R f = add(_mm512_mask_shuffle_ps(r, 0xFFFF, r, r, 0x88),
                    _mm512_mask_shuffle_ps(r, 0xFFFF, r, r, 0xDD));
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 0, 0, 0, 0, 0, 0, 0, 0);
    return _mm512_mask_permutexvar_ps(f, 0xFFFF, order, f);
  }
};

}  // namespace

namespace minigrad::kernels::detail {

bool gemm_avx512(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc, const float* bias) {
  return gemm_tiled<Avx512>(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                            bias);
}

}  // namespace minigrad::kernels::detail

namespace minigrad::kernels::detail {

bool gemm_packed_avx512(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                        float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                        float beta, float* c, int64_t ldc, const float* bias) {
  return gemm_packed_entry<Avx512>(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta,
                                   c, ldc, bias);
}

void ready_pack_buffers_avx512() { touch_pack_buffers<Avx512>(); }
bool has_pack_buffers_avx512() { return thread_has_pack_buffers<Avx512>(); }

}  // namespace minigrad::kernels::detail
