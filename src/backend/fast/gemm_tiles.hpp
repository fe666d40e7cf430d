// Register-tiled sgemm for the small products of MLP training, written once over a SIMD "vector
// traits" type V and compiled twice (gemm_avx512.cpp, gemm_avx2.cpp) with the matching -m flags.
// It teaches the two shapes a GEMM inner loop can take: a dot form (both operands contiguous
// along k: y = x·Wᵀ) and an outer-product form (B contiguous along n: dW = dyᵀ·x, dx = dy·W).
// Leaves out: packing, threads, and Aᵀ·Bᵀ (the caller sends those to OpenBLAS).
//
// Private to the library; include it only from a translation unit compiled for V's instructions.
// Everything lives in an anonymous namespace and uses no standard-library templates, so no
// function compiled with wide instructions can be picked by the linker for the rest of the
// program (which may run on a CPU without them).
#pragma once

#include <cstdint>

namespace {

// The height (or width) of the next tile with `left` rows (or columns) still to do: T, except
// that the last T + r, when r is under half a tile, go as two tiles of about equal size. A tile
// of a few rows reuses each load of the other operand for few multiply-adds: at batch 32 the
// second layer's input gradient (32 rows) ran 3% faster as ... + 4 + 4 rows than as ... + 6 + 2,
// the first layer's forward (128 columns) 0.5% (docs/benchmarks.md); 6 + 4 ran faster than
// 5 + 5 (the 10 classes of the last layer's forward).
template <int T>
int tile_size(int64_t left) {
  if (left >= 2 * T || left <= T || left - T >= (T + 1) / 2)
    return static_cast<int>(left < T ? left : T);
  return static_cast<int>((left + 1) / 2);
}

// ---- dot form: C[i][j] = alpha·Σ_p A[i][p]·B[j][p] + beta·C[i][j] ----------------------------
// A is (m, k) with row stride lda, B is (n, k) with row stride ldb. One tile holds MR rows of A
// and NR rows of B in MR·NR vector accumulators; each step of W along k loads MR + NR vectors
// and does MR·NR fused multiply-adds. The W lanes are summed once at the end of the tile.
// With a bias (n values, beta = 0): C[i][j] = alpha·Σ_p A[i][p]·B[j][p] + bias[j], the bias added
// where beta·C would be, so the result is bit-identical to rows that start as the bias and beta = 1
// (Linear's forward without a pass that copies the bias into every row first).
template <class V, int MR, int NR>
void dot_tile(int64_t k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
              float beta, float* c, int64_t ldc, const float* bias) {
  typename V::R acc[MR][NR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) acc[i][j] = V::zero();
  int64_t p = 0;
  for (; p + V::W <= k; p += V::W) {
    typename V::R av[MR];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) av[i] = V::load(a + i * lda + p);
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) {
      const typename V::R bv = V::load(b + j * ldb + p);
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) acc[i][j] = V::fmadd(av[i], bv, acc[i][j]);
    }
  }
  if (p < k) {  // the last k % W columns: masked loads read zeros past the end
    const typename V::Mask mask = V::mask(static_cast<int>(k - p));
    typename V::R av[MR];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) av[i] = V::load(a + i * lda + p, mask);
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) {
      const typename V::R bv = V::load(b + j * ldb + p, mask);
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) acc[i][j] = V::fmadd(av[i], bv, acc[i][j]);
    }
  }
  // C's MR x NR block: alpha·(lane sum) + beta·C, or + bias; beta = 0 never reads C (BLAS rule).
  if constexpr (requires { V::kHasReduceAdd8; }) {
    static_assert(NR <= 8);
    const typename V::Mask row_mask = V::mask(NR);
    const typename V::R valpha = V::broadcast(alpha), vbeta = V::broadcast(beta);
    const typename V::R vbias = bias ? V::load(bias, row_mask) : V::zero();
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      typename V::R row[8];
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) row[j] = j < NR ? acc[i][j] : V::zero();
      typename V::R sum = V::mul(valpha, V::reduce_add8(row));
      float* out = c + i * ldc;
      if (bias)
        sum = V::add(sum, vbias);
      else if (beta != 0.0f)
        sum = V::add(sum, V::mul(vbeta, V::load(out, row_mask)));
      V::store(out, sum, row_mask);
    }
  } else {
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
      for (int j = 0; j < NR; ++j) {
        float& out = c[i * ldc + j];
        const float sum = alpha * V::reduce_add(acc[i][j]);
        out = bias ? sum + bias[j] : beta == 0.0f ? sum : sum + beta * out;
      }
  }
}

// The edge tiles: `mr` <= MR rows and `nr` <= NR columns, resolved to a fixed-size tile.
template <class V, int MR, int NR>
void dot_edge(int mr, int nr, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
              int64_t ldb, float beta, float* c, int64_t ldc, const float* bias) {
  if constexpr (MR > 1)
    if (mr < MR)
      return dot_edge<V, MR - 1, NR>(mr, nr, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
  if constexpr (NR > 1)
    if (nr < NR)
      return dot_edge<V, MR, NR - 1>(mr, nr, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
  dot_tile<V, MR, NR>(k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
}

// C (m, n) = alpha·A·Bᵀ + beta·C, or + bias (n values, when not null). Rows of A are taken in
// panels of kRowPanel so that a panel (kRowPanel·k floats) stays in L2 while every tile of B's
// rows passes over it.
template <class V>
void gemm_dot(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
              const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const float* bias) {
  constexpr int MR = V::kDotMR, NR = V::kDotNR;
  constexpr int64_t kRowPanel = 64;
  for (int64_t i0 = 0; i0 < m; i0 += kRowPanel) {
    const int64_t i1 = i0 + kRowPanel < m ? i0 + kRowPanel : m;
    for (int64_t j = 0; j < n;) {
      const int nr = tile_size<NR>(n - j);
      const float* bias_j = bias ? bias + j : nullptr;
      for (int64_t i = i0; i < i1; i += MR) {
        const int mr = i1 - i < MR ? static_cast<int>(i1 - i) : MR;
        if (mr == MR && nr == NR)
          dot_tile<V, MR, NR>(k, alpha, a + i * lda, lda, b + j * ldb, ldb, beta, c + i * ldc + j,
                              ldc, bias_j);
        else
          dot_edge<V, MR, NR>(mr, nr, k, alpha, a + i * lda, lda, b + j * ldb, ldb, beta,
                              c + i * ldc + j, ldc, bias_j);
      }
      j += nr;
    }
  }
}

// ---- outer-product form: C[i][j] = alpha·Σ_p A(i, p)·B[p][j] + beta·C[i][j] -------------------
// A(i, p) = a[i·rsa + p·csa] covers both A (m, k) row-major (rsa = k, csa = 1) and Aᵀ stored as
// (k, m) (rsa = 1, csa = m). B is (k, n) row-major. A tile is MR rows by NV vectors of C: each
// step of p loads NV vectors of B's row p, broadcasts MR values of A and does MR·NV multiply-adds.
// `last` masks the tile's last vector when n is not a multiple of W.
template <class V, int MR, int NV>
void outer_tile(int64_t k, float alpha, const float* a, int64_t rsa, int64_t csa, const float* b,
                int64_t ldb, float beta, float* c, int64_t ldc, typename V::Mask last) {
  typename V::R acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[i][v] = V::zero();
  for (int64_t p = 0; p < k; ++p) {
    typename V::R bv[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV - 1; ++v) bv[v] = V::load(b + p * ldb + v * V::W);
    bv[NV - 1] = V::load(b + p * ldb + (NV - 1) * V::W, last);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const typename V::R av = V::broadcast(a[i * rsa + p * csa]);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[i][v] = V::fmadd(av, bv[v], acc[i][v]);
    }
  }
  // alpha = 1 (every product of training) skips the multiply: 1·x is x, bit for bit.
  if (alpha != 1.0f) {
    const typename V::R valpha = V::broadcast(alpha);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[i][v] = V::mul(valpha, acc[i][v]);
  }
  const typename V::R vbeta = V::broadcast(beta);
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      float* out = c + i * ldc + v * V::W;
      const typename V::Mask mask = v == NV - 1 ? last : V::mask(V::W);
      typename V::R r = acc[i][v];
      if (beta != 0.0f) r = V::fmadd(vbeta, V::load(out, mask), r);
      V::store(out, r, mask);
    }
}

template <class V, int MR, int NV>
void outer_edge(int mr, int64_t k, float alpha, const float* a, int64_t rsa, int64_t csa,
                const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
                typename V::Mask last) {
  if constexpr (MR > 1)
    if (mr < MR)
      return outer_edge<V, MR - 1, NV>(mr, k, alpha, a, rsa, csa, b, ldb, beta, c, ldc, last);
  outer_tile<V, MR, NV>(k, alpha, a, rsa, csa, b, ldb, beta, c, ldc, last);
}

// One column strip of C, NV vectors wide (its last vector masked by `last`), over all rows.
template <class V, int NV>
void outer_strip(int64_t m, int64_t k, float alpha, const float* a, int64_t rsa, int64_t csa,
                 const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
                 typename V::Mask last) {
  constexpr int MR = V::kOuterMR;
  for (int64_t i = 0; i < m;) {
    const int mr = tile_size<MR>(m - i);
    if (mr == MR)
      outer_tile<V, MR, NV>(k, alpha, a + i * rsa, rsa, csa, b, ldb, beta, c + i * ldc, ldc, last);
    else
      outer_edge<V, MR, NV>(mr, k, alpha, a + i * rsa, rsa, csa, b, ldb, beta, c + i * ldc, ldc,
                            last);
    i += mr;
  }
}

// C (m, n) = alpha·op(A)·B + beta·C with op(A) given by (rsa, csa) as above. Columns go in
// strips of kOuterNV vectors (B's strip, k·NV·W floats, stays in L1 across all rows of A); the
// remainder goes one vector at a time, the very last one masked.
template <class V>
void gemm_outer(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t rsa,
                int64_t csa, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  constexpr int NV = V::kOuterNV;
  const typename V::Mask full = V::mask(V::W);
  int64_t j = 0;
  for (; j + NV * V::W <= n; j += NV * V::W)
    outer_strip<V, NV>(m, k, alpha, a, rsa, csa, b + j, ldb, beta, c + j, ldc, full);
  for (; j < n; j += V::W) {
    const int width = n - j < V::W ? static_cast<int>(n - j) : V::W;
    outer_strip<V, 1>(m, k, alpha, a, rsa, csa, b + j, ldb, beta, c + j, ldc, V::mask(width));
  }
}

// The entry point each ISA's translation unit exports, with BLAS's leading dimensions (the
// row strides of A, B and C as stored): false when the caller must use BLAS (Aᵀ·Bᵀ, which
// training never asks for) or another path (a bias outside the dot form).
template <class V>
bool gemm_tiled(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                int64_t ldc, const float* bias) {
  if (!transpose_a && transpose_b) {
    gemm_dot<V>(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
  } else if (!transpose_b && bias == nullptr) {
    // A stored (m, k): A(i, p) at i·lda + p;  Aᵀ with A stored (k, m): A(i, p) at p·lda + i.
    gemm_outer<V>(m, n, k, alpha, a, transpose_a ? 1 : lda, transpose_a ? lda : 1, b, ldb, beta, c,
                  ldc);
  } else {
    return false;
  }
  return true;
}

}  // namespace
