// The tiled sgemm of gemm_tiles.hpp for AVX2 with FMA (8 floats a register, 16 registers): dot
// tiles of 3x4 accumulators, outer-product tiles of 6 rows by 2 vectors (16 columns), masked
// loads and stores at the edges. Compiled alone with -mavx2 -mfma (see CMakeLists.txt);
// gemm_kernels.cpp calls it only on a CPU that reports AVX2 and FMA.
#include <immintrin.h>

#include "gemm_kernels.hpp"
#include "gemm_packed.hpp"
#include "gemm_tiles.hpp"

namespace {

struct Avx2 {
  using R = __m256;
  using Mask = __m256i;
  static constexpr int W = 8;
  static constexpr int kDotMR = 3, kDotNR = 4;      // 12 accumulators + 3 + 1 loads
  static constexpr int kPackMR = 6, kPackNV = 2;    // 12 accumulators + 2 loads + 1 broadcast
  static constexpr int kOuterMR = 6, kOuterNV = 2;  // 12 accumulators + 2 loads + 1 broadcast
  static R zero() { return _mm256_setzero_ps(); }
  static R broadcast(float x) { return _mm256_set1_ps(x); }
  // Lane l is on when l < lanes (maskload/maskstore look at each lane's sign bit).
  static Mask mask(int lanes) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static void store(float* p, R x) { _mm256_storeu_ps(p, x); }
  static R load(const float* p) { return _mm256_loadu_ps(p); }
  static R load(const float* p, Mask m) { return _mm256_maskload_ps(p, m); }
  static void store(float* p, R x, Mask m) { _mm256_maskstore_ps(p, m, x); }
  static R fmadd(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static float reduce_add(R x) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  // x[j] lane q -> x[q] lane j, for the packing of Bᵀ: as Avx512::transpose, with one 128-bit
  // block step (u[4i + c] block b holds column 4b + c of rows 4i..4i+3).
  static constexpr bool kHasTranspose = true;
  static void transpose(R (&x)[8]) {
    R t[8], u[8];
    for (int i = 0; i < 4; ++i) {
      t[2 * i] = _mm256_unpacklo_ps(x[2 * i], x[2 * i + 1]);
      t[2 * i + 1] = _mm256_unpackhi_ps(x[2 * i], x[2 * i + 1]);
    }
    for (int i = 0; i < 2; ++i) {
      const R* g = t + 4 * i;
      u[4 * i + 0] = _mm256_shuffle_ps(g[0], g[2], 0x44);
      u[4 * i + 1] = _mm256_shuffle_ps(g[0], g[2], 0xEE);
      u[4 * i + 2] = _mm256_shuffle_ps(g[1], g[3], 0x44);
      u[4 * i + 3] = _mm256_shuffle_ps(g[1], g[3], 0xEE);
    }
    for (int c = 0; c < 4; ++c) {
      x[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
      x[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
    }
  }
};

}  // namespace

namespace minigrad::kernels::detail {

bool gemm_avx2(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
               int64_t ldc, const float* bias) {
  return gemm_tiled<Avx2>(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                          bias);
}

}  // namespace minigrad::kernels::detail

namespace minigrad::kernels::detail {

bool gemm_packed_avx2(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                      float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                      float beta, float* c, int64_t ldc, const float* bias) {
  return gemm_packed_entry<Avx2>(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                                 ldc, bias);
}

void ready_pack_buffers_avx2() { touch_pack_buffers<Avx2>(); }
bool has_pack_buffers_avx2() { return thread_has_pack_buffers<Avx2>(); }

}  // namespace minigrad::kernels::detail
