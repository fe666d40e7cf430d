// Cache-blocked, packed sgemm for large products, in the GotoBLAS/BLIS design: op(B) is copied
// in blocks of kKC x kNC (held in L3) and op(A) in blocks of kMC x kKC (held in L2) into
// contiguous panels, and a register-blocked micro-kernel multiplies an MR-row panel of A by an
// NR-column panel of B (kept in L1) into an MR x NR tile of C held in registers. Written once
// over gemm_tiles.hpp's vector traits V; compiled per ISA. Leaves out: Aᵀ·Bᵀ and threads (the
// caller splits C's rows or columns). Same private rules as gemm_tiles.hpp.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "gemm_tiles.hpp"  // gemm_tiled, the fallback when no packing buffer can be had

namespace {

// Block sizes in floats. A kKC x NR panel of B is 32 KB for NR = 32 (AVX-512: L1 is 48 KB); a
// kMC x kKC block of A is 384 KB (L2 is 2 MB); a kKC x kNC block of B is 3 MB (shared L3).
constexpr int64_t kKC = 256, kMC = 384, kNC = 3072;

// op(X)(r, s) = x[r·rs + s·cs]: (rs, cs) = (ld, 1) for X stored as is, (1, ld) for Xᵀ.
struct Strided {
  const float* x;
  int64_t rs, cs;
  float operator()(int64_t r, int64_t s) const { return x[r * rs + s * cs]; }
};

// A's rows [0, mc) x columns [0, kc) into panels of MR rows: panel q holds, for each p, the MR
// values A(q·MR + i, p) side by side; rows past mc are zeros (the edge tile computes them and
// does not store them).
template <class V>
void pack_a(int64_t mc, int64_t kc, Strided a, float* dst) {
  constexpr int MR = V::kPackMR, W = V::W;
  static_assert(MR <= W, "pack_a transposes one W x W block for an MR-row panel");
  for (int64_t i0 = 0; i0 < mc; i0 += MR, dst += MR * kc) {
    const int mr = mc - i0 < MR ? static_cast<int>(mc - i0) : MR;
    const float* src = a.x + i0 * a.rs;
    if (mr < MR) {  // the edge panel, zero-padded
      for (int64_t p = 0; p < kc; ++p)
        for (int i = 0; i < MR; ++i) dst[p * MR + i] = i < mr ? src[i * a.rs + p * a.cs] : 0.0f;
    } else if (a.cs == 1) {  // rows contiguous along p (A stored (m, k))
      int64_t p0 = 0;
      if constexpr (V::kHasTranspose) {
        // W steps of the MR rows as MR vectors (the rest of the W x W block zeros), transposed:
        // vector q then holds step p0 + q's MR values in its first lanes, stored under a mask.
        const typename V::Mask first_mr = V::mask(MR);
        for (; p0 + W <= kc; p0 += W) {
          typename V::R r[W];
#pragma GCC unroll 16
          for (int i = 0; i < W; ++i) r[i] = i < MR ? V::load(src + i * a.rs + p0) : V::zero();
          V::transpose(r);
#pragma GCC unroll 16
          for (int q = 0; q < W; ++q) V::store(dst + (p0 + q) * MR, r[q], first_mr);
        }
      }
      // The last steps (fewer than W), or every step without a transpose: one cache line (16
      // steps of p) of each row at a time, read whole, so rows a multiple of 4 KB apart (which
      // share an L1 set) are each fetched once, not once a step.
      for (; p0 < kc; p0 += 16) {
        const int64_t p1 = kc - p0 < 16 ? kc : p0 + 16;
        for (int i = 0; i < MR; ++i)
          for (int64_t p = p0; p < p1; ++p) dst[p * MR + i] = src[i * a.rs + p];
      }
    } else {  // Aᵀ stored: the MR values of one p are contiguous, a straight copy
      for (int64_t p = 0; p < kc; ++p)
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) dst[p * MR + i] = src[i + p * a.cs];
    }
  }
}

// One full panel of Bᵀ stored (n, k), the dot form's weight: its NR rows, each contiguous along
// p, become kc rows of NR values. Where V has a W x W register transpose, W steps of W rows are
// loaded as W vectors, transposed and stored as W rows of the panel; otherwise (and for the last
// steps, fewer than W) value by value, a cache line of each row at a time, as in pack_a.
template <class V>
void pack_bt_panel(int64_t kc, const float* src, int64_t ld, float* dst) {
  constexpr int W = V::W, NR = V::kPackNV * W;
  int64_t p0 = 0;
  if constexpr (V::kHasTranspose) {
    for (; p0 + W <= kc; p0 += W)
      for (int v = 0; v < V::kPackNV; ++v) {
        typename V::R r[W];
#pragma GCC unroll 16
        for (int j = 0; j < W; ++j) r[j] = V::load(src + (v * W + j) * ld + p0);
        V::transpose(r);
#pragma GCC unroll 16
        for (int q = 0; q < W; ++q) V::store(dst + (p0 + q) * NR + v * W, r[q]);
      }
  }
  for (; p0 < kc; p0 += 16) {
    const int64_t p1 = kc - p0 < 16 ? kc : p0 + 16;
    for (int j = 0; j < NR; ++j)
      for (int64_t p = p0; p < p1; ++p) dst[p * NR + j] = src[p + j * ld];
  }
}

// B's rows [0, kc) x columns [0, nc) into panels of NR columns, each (kc, NR) row-major; columns
// past nc are zeros.
template <class V>
void pack_b(int64_t kc, int64_t nc, Strided b, float* dst) {
  constexpr int NR = V::kPackNV * V::W;
  for (int64_t j0 = 0; j0 < nc; j0 += NR, dst += NR * kc) {
    const int nr = nc - j0 < NR ? static_cast<int>(nc - j0) : NR;
    const float* src = b.x + j0 * b.cs;
    if (nr < NR) {  // the edge panel, zero-padded
      for (int64_t p = 0; p < kc; ++p)
        for (int j = 0; j < NR; ++j) dst[p * NR + j] = j < nr ? src[p * b.rs + j * b.cs] : 0.0f;
    } else if (b.cs == 1) {  // B (k, n) stored: each row of the panel is a contiguous copy
      for (int64_t p = 0; p < kc; ++p)
#pragma GCC unroll 64
        for (int j = 0; j < NR; ++j) dst[p * NR + j] = src[p * b.rs + j];
    } else {  // Bᵀ stored (n, k)
      pack_bt_panel<V>(kc, src, b.cs, dst);
    }
  }
}

// Lines of the next panel of B that a micro-kernel asks for while it runs, so that packing that
// panel finds them in cache. With few rows of A (the wide layers at batch 128: 128 rows against
// weights of 2048 x 2048) each panel of B is packed from memory for only a few tiles, and the
// packing waited on memory (perf: 92% of the copy's samples on its loads, a fifth of the
// product's time). The lines are `rows` runs of `lines_per_row`, `stride` bytes apart, and each
// micro-kernel of the current panel asks for its share of them:
// - B (k, n) stored (dx = dy·W): kc rows of NR values, every line, the rows 8 KB apart at 2048
//   units (each in another 4 KB page, where the hardware prefetchers do not follow);
// - Bᵀ (n, k) stored (y = x·Wᵀ): NR rows of kc values, only the first line of each run of kc
//   along a row; the hardware streams the rest. Asking for every line of these runs the same way
//   only moved the wait into the micro-kernel, onto the prefetches themselves.
struct Ahead {
  const char* row = nullptr;  // the row of the next line to ask for
  int64_t stride = 0;         // bytes from one row to the next
  int64_t lines_per_row = 0;
  int64_t column = 0;  // lines of `row` already asked for
  int64_t lines = 0;   // lines left in this share
  void next() {
    __builtin_prefetch(row + column * 64, 0, 2);
    if (++column == lines_per_row) column = 0, row += stride;
    --lines;
  }
};

// Share t of `tiles` of the panel of op(B) at rows [p0, p0 + kc) and columns [j0, j0 + nr) of
// op(B): empty when kc is 0 (no next panel).
inline Ahead ahead_share(Strided b, int64_t p0, int64_t kc, int64_t j0, int64_t nr, int64_t t,
                         int64_t tiles) {
  if (kc <= 0) return {};
  const bool by_p = b.cs == 1;  // B (k, n) stored
  const int64_t rows = by_p ? kc : nr;
  const int64_t lines_per_row = by_p ? (nr * static_cast<int64_t>(sizeof(float)) + 63) / 64 : 1;
  const int64_t total = rows * lines_per_row;
  const int64_t first = total * t / tiles, last = total * (t + 1) / tiles;
  const int64_t stride = (by_p ? b.rs : b.cs) * static_cast<int64_t>(sizeof(float));
  const char* start = reinterpret_cast<const char*>(b.x + p0 * b.rs + j0 * b.cs);
  return {start + first / lines_per_row * stride, stride, lines_per_row, first % lines_per_row,
          last - first};
}

// The micro-kernel: the MR x NR tile acc = Σ_p ap[p] ⊗ bp[p] over kc packed steps, then
// C = alpha·acc + beta·C (beta = 0 never reads C), or alpha·acc + bias. Only the first mr rows
// and nr columns are stored (masked), with the same operations as a full tile, so where a tile
// edge falls never changes a result. c_next is the tile the next call stores (rows of ldc);
// `ahead` this call's share of the lines of B's next panel.
template <class V>
void micro_kernel(int64_t kc, const float* ap, const float* bp, int mr, int nr, float alpha,
                  float beta, const float* bias, float* c, int64_t ldc, const float* c_next,
                  Ahead ahead) {
  constexpr int MR = V::kPackMR, NV = V::kPackNV, W = V::W, NR = NV * W;
  typename V::R acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = V::zero();
  auto step = [&](int64_t p) {
    typename V::R bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = V::load(bp + p * NR + v * W);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const typename V::R av = V::broadcast(ap[p * MR + i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = V::fmadd(av, bv[v], acc[i][v]);
    }
  };
  // The next tile of C is read and written once per kKC steps, from L3 or memory: its rows are
  // asked for one every 8 steps of this loop, so they arrive before that call needs them. All
  // at once (MR·NR/16 lines, more than the core's dozen line-fill buffers) the requests stalled
  // the loop (perf annotate: 6% of the kernel's samples on the prefetches). A prefetch never
  // faults, so rows past C's edge need no test. The lines of B's next panel (Ahead) are asked
  // for the same way, a few every 8 steps.
  int64_t p = 0;
  const float* row_next = c_next;
  const int64_t groups = kc / 8;
  const int64_t ahead_per_group = groups > 0 ? (ahead.lines + groups - 1) / groups : 0;
  for (int64_t g = 0; g < groups; ++g, p += 8) {
    if (g < MR) {
      for (int j = 0; j < NR; j += 16) __builtin_prefetch(row_next + j, 1);
      row_next += ldc;
    }
    for (int64_t q = 0; q < ahead_per_group && ahead.lines > 0; ++q) ahead.next();
#pragma GCC unroll 2
    for (int s = 0; s < 8; ++s) step(p + s);
  }
#pragma GCC unroll 2
  for (; p < kc; ++p) step(p);
  const typename V::R valpha = V::broadcast(alpha), vbeta = V::broadcast(beta);
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    if (i >= mr) break;
    float* row = c + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const int lanes = nr - v * W;
      if (lanes <= 0) break;
      const typename V::Mask mask = V::mask(lanes < W ? lanes : W);
      typename V::R r = V::mul(valpha, acc[i][v]);
      if (bias)
        r = V::add(r, V::load(bias + v * W, mask));
      else if (beta != 0.0f)
        r = V::fmadd(vbeta, V::load(row + v * W, mask), r);
      if (lanes >= W)
        V::store(row + v * W, r);
      else
        V::store(row + v * W, r, mask);
    }
  }
}

// 64-byte aligned packing buffers, one set a thread, grown on demand and kept for the thread's
// life (the worker thread lives as long as the program).
struct PackBuffers {
  float* a = nullptr;
  float* b = nullptr;
  ~PackBuffers() {
    std::free(a);
    std::free(b);
  }
};

// The packing buffers' page: 2 MiB, mapped as a huge page (as the buffer cache's large buffers).
constexpr int64_t kPackPage = int64_t{2} << 20;

// The bytes of A's (for_a) or B's packing buffer, in whole kPackPage pages: B's block is 3 MiB,
// and a first touch of it in 4 KiB pages costs milliseconds here.
template <class V>
constexpr int64_t pack_buffer_bytes(bool for_a) {
  constexpr int64_t MR = V::kPackMR, NR = V::kPackNV * V::W;
  constexpr int64_t a_floats = (kMC + MR - 1) / MR * MR * kKC;
  constexpr int64_t b_floats = (kNC + NR - 1) / NR * NR * kKC;
  return ((for_a ? a_floats : b_floats) * static_cast<int64_t>(sizeof(float)) + kPackPage - 1) /
         kPackPage * kPackPage;
}

// The calling thread's packing buffers (none until its first packed product).
template <class V>
PackBuffers& thread_pack_buffers() {
  thread_local PackBuffers buffers;
  return buffers;
}

template <class V>
float* pack_buffer(bool for_a) {
  PackBuffers& buffers = thread_pack_buffers<V>();
  float*& p = for_a ? buffers.a : buffers.b;
  if (p == nullptr) {
    const int64_t bytes = pack_buffer_bytes<V>(for_a);
    p = static_cast<float*>(std::aligned_alloc(kPackPage, static_cast<size_t>(bytes)));
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p != nullptr) madvise(p, static_cast<size_t>(bytes), MADV_HUGEPAGE);
#endif
  }
  return p;
}

// Whether the calling thread has run a packed product (and so has its packing buffers).
template <class V>
bool thread_has_pack_buffers() {
  return thread_pack_buffers<V>().b != nullptr;
}

// The calling thread's packing buffers, allocated and touched now (their pages faulted in).
template <class V>
void touch_pack_buffers() {
  for (const bool for_a : {true, false})
    if (float* p = pack_buffer<V>(for_a))
      std::memset(p, 0, static_cast<size_t>(pack_buffer_bytes<V>(for_a)));
}

// C (m, n) = alpha·op(A)·op(B) + beta·C, or + bias (n values, beta = 0): op(A) (m, k) and op(B)
// (k, n) as Strided views. Each C element sums its k products in kKC blocks, in order: the first
// block applies beta (or the bias), later ones add to C.
template <class V>
bool gemm_packed(int64_t m, int64_t n, int64_t k, float alpha, Strided a, Strided b, float beta,
                 float* c, int64_t ldc, const float* bias) {
  constexpr int64_t MR = V::kPackMR, NR = V::kPackNV * V::W;
  float* const abuf = pack_buffer<V>(true);
  float* const bbuf = pack_buffer<V>(false);
  if (abuf == nullptr || bbuf == nullptr) return false;
  for (int64_t jc = 0; jc < n; jc += kNC) {
    const int64_t nc = n - jc < kNC ? n - jc : kNC;
    for (int64_t pc = 0; pc < k; pc += kKC) {
      const int64_t kc = k - pc < kKC ? k - pc : kKC;
      const float beta_here = pc == 0 ? beta : 1.0f;
      const float* bias_here = pc == 0 && bias ? bias + jc : nullptr;
      for (int64_t ic = 0; ic < m; ic += kMC) {
        const int64_t mc = m - ic < kMC ? m - ic : kMC;
        pack_a<V>(mc, kc, {a.x + ic * a.rs + pc * a.cs, a.rs, a.cs}, abuf);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int nr = nc - jr < NR ? static_cast<int>(nc - jr) : static_cast<int>(NR);
          // B's panel is packed just before the first block of A's rows uses it, while it is
          // still in L1; later blocks find it in the buffer (with few rows there are none).
          if (ic == 0)
            pack_b<V>(kc, nr, {b.x + pc * b.rs + (jc + jr) * b.cs, b.rs, b.cs}, bbuf + jr * kc);
          // The panel packed after this one, the next of this block or the first of the next
          // block of k, asked for only with a single block of A's rows (m <= kMC): with more,
          // each panel serves many tiles and its packing is a small share (at 2048 x 2048 x 128
          // asking cost more than it saved).
          int64_t ahead_p = pc, ahead_j = jr + NR, ahead_kc = mc == m ? kc : 0;
          if (ahead_j >= nc) {
            ahead_p = pc + kKC, ahead_j = 0;
            ahead_kc = mc == m && ahead_p < k ? (k - ahead_p < kKC ? k - ahead_p : kKC) : 0;
          }
          const int64_t ahead_nr = nc - ahead_j < NR ? nc - ahead_j : NR;
          const int64_t tiles = (mc + MR - 1) / MR;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int mr = mc - ir < MR ? static_cast<int>(mc - ir) : static_cast<int>(MR);
            float* const c_tile = c + (ic + ir) * ldc + jc + jr;
            // the next call's tile: MR rows down, else the next panel's first tile (the last
            // tile of the block, whose successor is in another block, asks for itself again)
            const float* c_next = ir + MR < mc   ? c_tile + MR * ldc
                                  : jr + NR < nc ? c + ic * ldc + jc + jr + NR
                                                 : c_tile;
            micro_kernel<V>(
                kc, abuf + ir * kc, bbuf + jr * kc, mr, nr, alpha, beta_here,
                bias_here ? bias_here + jr : nullptr, c_tile, ldc, c_next,
                ahead_share(b, ahead_p, ahead_kc, jc + ahead_j, ahead_nr, ir / MR, tiles));
          }
        }
      }
    }
  }
  return true;
}

// The entry point each ISA's translation unit exports, with BLAS's leading dimensions: false for
// Aᵀ·Bᵀ or a bias outside the dot form. If the packing buffers cannot be allocated the product
// runs on the tiles of gemm_tiles.hpp instead (right, but summed in another order).
template <class V>
bool gemm_packed_entry(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                       float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                       float beta, float* c, int64_t ldc, const float* bias) {
  if (transpose_a && transpose_b) return false;
  if (bias != nullptr && (transpose_a || !transpose_b)) return false;
  const Strided op_a = transpose_a ? Strided{a, 1, lda} : Strided{a, lda, 1};
  const Strided op_b = transpose_b ? Strided{b, 1, ldb} : Strided{b, ldb, 1};
  return gemm_packed<V>(m, n, k, alpha, op_a, op_b, beta, c, ldc, bias) ||
         gemm_tiled<V>(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                       bias);
}

}  // namespace
