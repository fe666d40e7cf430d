// Max pooling for the fast backend (max_pool.hpp). The AVX-512 functions are compiled for that
// instruction set by a target attribute and called only when kernels::isa() says the CPU has it.
// GCC 12 warns of an uninitialised register inside its own intrinsics (the "undefined" source
// operand of the unmasked forms, `__Y = __Y`), so that warning is off for this file's headers.
#include "max_pool.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "gemm_kernels.hpp"  // isa()

namespace minigrad::kernels {

namespace {

using backend::PoolWindows;

// Any window. The windows of one output row are searched side by side: each window pixel (h, q)
// is compared for every j in turn, in the same row-major order as one window at a time, so
// neighbouring windows do not wait for each other. The running arg-max moves by arithmetic, not a
// branch: on real images the comparison goes either way, and a mispredicted branch costs more.
void max_pool2d_rows(const PoolWindows& g, const float* x, float* y, int32_t* argmax, int64_t begin,
                     int64_t end) {
  // Window j reads column w = j·sw - pw + q, which is on the image for j in [j0[q], j1[q]).
  std::vector<int64_t> j0(static_cast<size_t>(g.kw)), j1(static_cast<size_t>(g.kw));
  for (int64_t q = 0; q < g.kw; ++q) {
    const int64_t offset = q - g.pw;
    j1[q] = offset >= g.W ? 0 : std::min(g.Wo, (g.W - 1 - offset) / g.sw + 1);
    j0[q] = std::min(offset >= 0 ? 0 : (-offset + g.sw - 1) / g.sw, j1[q]);
  }
  for (int64_t pl = begin; pl < end; ++pl) {
    const float* in = x + pl * g.H * g.W;
    for (int64_t i = 0; i < g.Ho; ++i) {
      const int64_t h0 = g.row0(i), h1 = g.row1(i);
      int32_t* best = argmax + (pl * g.Ho + i) * g.Wo;  // window j's arg-max so far
      for (int64_t j = 0; j < g.Wo; ++j) best[j] = static_cast<int32_t>(h0 * g.W + g.col0(j));
      for (int64_t h = h0; h < h1; ++h)
        for (int64_t q = 0; q < g.kw; ++q)
          for (int64_t j = j0[q]; j < j1[q]; ++j) {
            const auto at = static_cast<int32_t>(h * g.W + j * g.sw + q - g.pw);
            const float v = in[at];
            const int32_t take = (v > in[best[j]]) | std::isnan(v);
            best[j] += take * (at - best[j]);
          }
      for (int64_t j = 0; j < g.Wo; ++j) y[(pl * g.Ho + i) * g.Wo + j] = in[best[j]];
    }
  }
}

bool is_2x2_stride_2(const PoolWindows& g) {
  return g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 &&
         g.W < (int64_t{1} << 30);  // offsets within two rows fit in 32 bits
}

// The low `n` bits set, n <= 16.
__mmask16 first_lanes(int64_t n) {
  return n >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u);
}

// The lanes m of the sixteen values at p, zeros elsewhere. Where all sixteen lie before `end`, a
// full load and then the mask in a register: GCC folds the two into one masked load unless the
// empty asm hides the value from it, and on this machine a masked load that crosses a cache line
// is slower (conv_columns.cpp). At a buffer's end, a masked load, which never touches the
// masked-off lanes.
__attribute__((target("avx512f"), always_inline)) inline __m512 load_lanes(const float* p,
                                                                           __mmask16 m,
                                                                           const float* end) {
  if (p + 16 > end) return _mm512_maskz_loadu_ps(m, p);
  __m512 v = _mm512_loadu_ps(p);
  asm("" : "+v"(v));
  return _mm512_maskz_mov_ps(m, v);
}
__attribute__((target("avx512f"), always_inline)) inline __m512i load_lanes(const int32_t* p,
                                                                            __mmask16 m,
                                                                            const int32_t* end) {
  if (p + 16 > end) return _mm512_maskz_loadu_epi32(m, p);
  __m512i v = _mm512_loadu_si512(p);
  asm("" : "+v"(v));
  return _mm512_maskz_mov_epi32(m, v);
}

// Where v > best, or v is a NaN, v takes over (and its offset v_at).
__attribute__((target("avx512f"), always_inline)) inline void take_over(__m512 v, __m512i v_at,
                                                                        __m512& best, __m512i& at) {
  const __mmask16 take =
      _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  best = _mm512_mask_blend_ps(take, best, v);
  at = _mm512_mask_blend_epi32(take, at, v_at);
}

// Output row i of plane x (H, W) holds 2x2 windows over rows 2i and 2i + 1. Sixteen windows at a
// time: 32 columns of each row are split into their even and odd columns, giving the four pixels
// p0 = (2i, 2j), p1 = (2i, 2j + 1), p2 = (2i + 1, 2j), p3 = (2i + 1, 2j + 1) of each window in
// four registers, compared in that (row-major) order; `at` follows the winner's offset from the
// window row's start, (2i)·W + 2j.
__attribute__((target("avx512f"))) void max_pool2d_2x2_avx512(const PoolWindows& g, const float* x,
                                                              float* y, int32_t* argmax,
                                                              int64_t begin, int64_t end) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i below = _mm512_set1_epi32(static_cast<int32_t>(g.W));
  const __m512i at0 = even, at1 = odd;  // 2t and 2t + 1 for window t of the sixteen
  const __m512i at2 = _mm512_add_epi32(even, below), at3 = _mm512_add_epi32(odd, below);
  const float* const x_end = x + g.planes * g.H * g.W;
  for (int64_t pl = begin; pl < end; ++pl)
    for (int64_t i = 0; i < g.Ho; ++i) {
      const float* r0 = x + (pl * g.H + 2 * i) * g.W;
      const float* r1 = r0 + g.W;
      float* yr = y + (pl * g.Ho + i) * g.Wo;
      int32_t* ar = argmax + (pl * g.Ho + i) * g.Wo;
      for (int64_t j = 0; j < g.Wo; j += 16) {
        const int64_t n = std::min<int64_t>(16, g.Wo - j);  // windows, 2n columns
        const __mmask16 lo = first_lanes(2 * n), hi = first_lanes(std::max<int64_t>(2 * n - 16, 0));
        const __m512 a0 = load_lanes(r0 + 2 * j, lo, x_end);
        const __m512 a1 = load_lanes(r0 + 2 * j + 16, hi, x_end);
        const __m512 b0 = load_lanes(r1 + 2 * j, lo, x_end);
        const __m512 b1 = load_lanes(r1 + 2 * j + 16, hi, x_end);
        __m512 best = _mm512_permutex2var_ps(a0, even, a1);
        __m512i at = at0;
        take_over(_mm512_permutex2var_ps(a0, odd, a1), at1, best, at);
        take_over(_mm512_permutex2var_ps(b0, even, b1), at2, best, at);
        take_over(_mm512_permutex2var_ps(b0, odd, b1), at3, best, at);
        const __mmask16 windows = first_lanes(n);
        _mm512_mask_storeu_ps(yr + j, windows, best);
        const __m512i start = _mm512_set1_epi32(static_cast<int32_t>(2 * i * g.W + 2 * j));
        _mm512_mask_storeu_epi32(ar + j, windows, _mm512_add_epi32(start, at));
      }
    }
}

// The backward of the kernel above: window t's offset from its row start, argmax - (2i·W + 2j),
// is repeated for its two columns, and column c of row 2i (2i + 1) takes the window's dy where
// that offset is c (W + c). Only the chosen pixels are read and written, dx + dy as in the loop.
// Fresh (dx owes zeros, never written): each row is stored whole, 0 + dy at the chosen pixels
// (the sum the reference makes, -0 + 0 included) and 0 elsewhere, with the column and row no
// window covers (odd W or H) set to 0 after; no pass of zeros first, no read of them.
__attribute__((target("avx512f"))) void max_pool2d_backward_2x2_avx512(const PoolWindows& g,
                                                                       const int32_t* argmax,
                                                                       const float* dy, float* dx,
                                                                       bool fresh, int64_t begin,
                                                                       int64_t end) {
  const __m512 zero = _mm512_setzero_ps();
  const __m512i twice_lo = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512i twice_hi = _mm512_add_epi32(twice_lo, _mm512_set1_epi32(8));
  const __m512i column = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i sixteen = _mm512_set1_epi32(16);
  const __m512i below = _mm512_set1_epi32(static_cast<int32_t>(g.W));
  const int32_t* const argmax_end = argmax + g.planes * g.Ho * g.Wo;
  const float* const dy_end = dy + g.planes * g.Ho * g.Wo;
  for (int64_t pl = begin; pl < end; ++pl)
    for (int64_t i = 0; i < g.Ho; ++i) {
      float* r0 = dx + (pl * g.H + 2 * i) * g.W;
      float* r1 = r0 + g.W;
      const float* dr = dy + (pl * g.Ho + i) * g.Wo;
      const int32_t* ar = argmax + (pl * g.Ho + i) * g.Wo;
      for (int64_t j = 0; j < g.Wo; j += 16) {
        const int64_t n = std::min<int64_t>(16, g.Wo - j);
        const __mmask16 windows = first_lanes(n);
        const __m512i start = _mm512_set1_epi32(static_cast<int32_t>(2 * i * g.W + 2 * j));
        const __m512i off = _mm512_sub_epi32(load_lanes(ar + j, windows, argmax_end), start);
        const __m512 d = load_lanes(dr + j, windows, dy_end);
        // Columns 2j .. 2j + 15 hold windows 0..7, columns 2j + 16 .. 2j + 31 windows 8..15.
        for (int half = 0; half < 2; ++half) {
          const __m512i which = half == 0 ? twice_lo : twice_hi;
          const __m512i off2 = _mm512_permutexvar_epi32(which, off);
          const __m512 d2 = _mm512_permutexvar_ps(which, d);
          const __m512i c = half == 0 ? column : _mm512_add_epi32(column, sixteen);
          const __mmask16 valid = first_lanes(std::max<int64_t>(2 * n - 16 * half, 0));
          const __mmask16 top = valid & _mm512_cmpeq_epi32_mask(off2, c);
          const __mmask16 bottom =
              valid & _mm512_cmpeq_epi32_mask(off2, _mm512_add_epi32(c, below));
          float* p0 = r0 + 2 * j + 16 * half;
          float* p1 = r1 + 2 * j + 16 * half;
          if (fresh && valid == 0xFFFF) {
            _mm512_storeu_ps(p0, _mm512_maskz_add_ps(top, zero, d2));
            _mm512_storeu_ps(p1, _mm512_maskz_add_ps(bottom, zero, d2));
            continue;
          }
          if (fresh) {
            _mm512_mask_storeu_ps(p0, valid, _mm512_maskz_add_ps(top, zero, d2));
            _mm512_mask_storeu_ps(p1, valid, _mm512_maskz_add_ps(bottom, zero, d2));
            continue;
          }
          _mm512_mask_storeu_ps(p0, top, _mm512_add_ps(_mm512_maskz_loadu_ps(top, p0), d2));
          _mm512_mask_storeu_ps(p1, bottom, _mm512_add_ps(_mm512_maskz_loadu_ps(bottom, p1), d2));
        }
      }
    }
  if (!fresh) return;
  for (int64_t pl = begin; pl < end; ++pl) {
    float* plane = dx + pl * g.H * g.W;
    if (g.W % 2 != 0)
      for (int64_t h = 0; h < 2 * g.Ho; ++h) plane[h * g.W + g.W - 1] = 0.0f;
    if (g.H % 2 != 0) std::fill_n(plane + (g.H - 1) * g.W, g.W, 0.0f);
  }
}

}  // namespace

void max_pool2d(const PoolWindows& g, const float* x, float* y, int32_t* argmax, int64_t begin,
                int64_t end) {
  if (isa() == Isa::Avx512 && is_2x2_stride_2(g))
    max_pool2d_2x2_avx512(g, x, y, argmax, begin, end);
  else
    max_pool2d_rows(g, x, y, argmax, begin, end);
}

void max_pool2d_backward(const PoolWindows& g, const int32_t* argmax, const float* dy, float* dx,
                         bool fresh, int64_t begin, int64_t end) {
  if (isa() == Isa::Avx512 && is_2x2_stride_2(g)) {
    max_pool2d_backward_2x2_avx512(g, argmax, dy, dx, fresh, begin, end);
    return;
  }
  if (fresh) std::fill(dx + begin * g.H * g.W, dx + end * g.H * g.W, 0.0f);
  const int64_t cells = g.Ho * g.Wo;
  for (int64_t pl = begin; pl < end; ++pl)
    for (int64_t k = 0; k < cells; ++k)
      dx[pl * g.H * g.W + argmax[pl * cells + k]] += dy[pl * cells + k];
}

}  // namespace minigrad::kernels
