// The fast backend's convolution columns (conv_columns.hpp). The AVX-512 functions are compiled
// for that instruction set by a target attribute and called only when kernels::isa() says the
// CPU has it. A masked load never touches its masked-off lanes, so a run's vector may start
// before an image row (the left padding) or end past it.
#include "conv_columns.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // as in max_pool.cpp
#endif
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "gemm_kernels.hpp"  // isa()
#include "table.hpp"         // the reference loops, for other strides

namespace minigrad::kernels {

namespace {

using backend::ConvColumns;

// Lanes [lo, hi) of sixteen, clipped to [0, 16).
__mmask16 lanes(int64_t lo, int64_t hi) {
  lo = std::max<int64_t>(lo, 0), hi = std::min<int64_t>(hi, 16);
  if (hi <= lo) return 0;
  const uint32_t below_hi = hi >= 16 ? 0xFFFFu : (1u << hi) - 1u;
  return static_cast<__mmask16>(below_hi & ~((1u << lo) - 1u));
}

bool unit_width_steps(const ConvColumns& g) { return g.sw == 1 && g.dw == 1; }

// Tap q reads column j + q - pw of an image row for output column j: on the image for j in
// [begin, end), as the reference's columns_on_image with sw = dw = 1.
struct Run {
  int64_t offset, begin, end;
};
Run run_of_tap(const ConvColumns& g, int64_t q) {
  const int64_t offset = q - g.pw;
  const int64_t end = std::clamp<int64_t>(g.W - offset, 0, g.Wo);
  return {offset, std::min(std::max<int64_t>(-offset, 0), end), end};
}

// The lanes m of the sixteen floats at p (zeros elsewhere), and their store. Where all sixteen lie
// in [lo, hi) one full-width load or masked store does it; at the ends of a buffer the lanes go
// one at a time. A masked vector there reached past the buffer's last page: its masked-off lanes
// never fault, but on this machine (AMD Zen 5 guest) each such access cost thousands of cycles,
// most of im2col's time in the training step.
__attribute__((target("avx512f"), always_inline)) inline __m512 load_lanes(const float* p,
                                                                           __mmask16 m,
                                                                           const float* lo,
                                                                           const float* hi) {
  if (p >= lo && p + 16 <= hi) {
    // A full load, then the mask in a register. GCC folds the two into one masked load unless
    // the empty asm hides the value from it; on this machine the masked load of a row (most of
    // them cross a cache line) took a quarter of im2col's time, the full one a tenth.
    __m512 v = _mm512_loadu_ps(p);
    asm("" : "+v"(v));
    return _mm512_maskz_mov_ps(m, v);
  }
  alignas(64) float t[16] = {};
  for (int k = 0; k < 16; ++k)
    if ((m >> k) & 1) t[k] = p[k];
  return _mm512_load_ps(t);
}
__attribute__((target("avx512f"), always_inline)) inline void store_lanes(float* p, __mmask16 m,
                                                                          __m512 v, const float* lo,
                                                                          const float* hi) {
  if (p >= lo && p + 16 <= hi) return _mm512_mask_storeu_ps(p, m, v);
  alignas(64) float t[16];
  _mm512_store_ps(t, v);
  for (int k = 0; k < 16; ++k)
    if ((m >> k) & 1) p[k] = t[k];
}

// Both kernels work on a copy of the sizes: a vector store may alias anything (its pointer type
// says so), so fields read through the reference were loaded again after every store.
__attribute__((target("avx512f"))) void im2col_avx512(const ConvColumns& sizes, const float* x,
                                                      float* cols) {
  const ConvColumns g = sizes;
  const int64_t L = g.Ho * g.Wo;
  const float* const x_end = x + g.C * g.H * g.W;
  float* const cols_end = cols + g.C * g.kh * g.kw * L;
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t p = 0; p < g.kh; ++p)
      for (int64_t q = 0; q < g.kw; ++q) {
        float* row = cols + ((c * g.kh + p) * g.kw + q) * L;
        const Run r = run_of_tap(g, q);
        for (int64_t i = 0; i < g.Ho; ++i) {
          const int64_t ih = i * g.sh - g.ph + p * g.dh;
          const bool on_image = ih >= 0 && ih < g.H;
          const float* in = x + (c * g.H + (on_image ? ih : 0)) * g.W + r.offset;
          float* out = row + i * g.Wo;
          for (int64_t j = 0; j < g.Wo; j += 16) {
            const __m512 v = on_image ? load_lanes(in + j, lanes(r.begin - j, r.end - j), x, x_end)
                                      : _mm512_setzero_ps();
            if (out + j + 16 <= cols_end)  // a full store spills into what is written next
              _mm512_storeu_ps(out + j, v);
            else
              store_lanes(out + j, lanes(0, g.Wo - j), v, cols, cols_end);
          }
        }
      }
}

// Stride and dilation 1 with the output as large as the image (the padding of an odd kernel that
// keeps the size: the convolutional model's 3x3 with padding 1). The row of tap (p, q) is then the
// whole image read flat from offset (p - ph)·W + (q - pw), the lanes off the image zeroed: L / 16
// vectors whose masks depend on the tap and the vector only, so they are built once and serve
// every channel, instead of one short run per output row (14 of them at 14x14, each with its own
// bounds and a vector of which 14 lanes are used).
bool keeps_size(const ConvColumns& g) {
  return g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.Ho == g.H && g.Wo == g.W;
}

// For keeps_size geometries: masks[tap·vectors + v] of tap (p, q) = p·kw + q, lane t: flat output
// position 16v + t < L reads a pixel on the image at the tap's offset. Kept for the next call of
// the same geometry (each image of a batch, then the backward's): built per call, at 28x28 they
// took longer than the columns themselves.
const std::vector<__mmask16>& same_size_masks(const ConvColumns& g) {
  thread_local std::vector<__mmask16> masks;
  thread_local int64_t built_for[6] = {};
  const int64_t geometry[6] = {g.H, g.W, g.kh, g.kw, g.ph, g.pw};
  if (!masks.empty() && std::equal(geometry, geometry + 6, built_for)) return masks;
  const int64_t L = g.H * g.W, vectors = (L + 15) / 16;
  masks.assign(static_cast<size_t>(g.kh * g.kw * vectors), 0);
  for (int64_t p = 0; p < g.kh; ++p)
    for (int64_t q = 0; q < g.kw; ++q)
      for (int64_t i = 0, j = 0, pos = 0; pos < L; ++pos) {  // pos = i·W + j
        const int64_t ih = i + p - g.ph, iw = j + q - g.pw;
        if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W)
          masks[(p * g.kw + q) * vectors + pos / 16] |= static_cast<__mmask16>(1u << (pos % 16));
        if (++j == g.W) j = 0, ++i;
      }
  std::copy(geometry, geometry + 6, built_for);
  return masks;
}

__attribute__((target("avx512f"))) void im2col_same_avx512(const ConvColumns& sizes, const float* x,
                                                           float* cols) {
  const ConvColumns g = sizes;
  const int64_t L = g.H * g.W, vectors = (L + 15) / 16, taps = g.kh * g.kw;
  const float* const x_end = x + g.C * L;
  float* const cols_end = cols + g.C * taps * L;
  const std::vector<__mmask16>& masks = same_size_masks(g);
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t p = 0; p < g.kh; ++p)
      for (int64_t q = 0; q < g.kw; ++q) {
        const int64_t tap = p * g.kw + q;
        const float* in = x + c * L + (p - g.ph) * g.W + (q - g.pw);
        float* out = cols + (c * taps + tap) * L;
        const __mmask16* m = masks.data() + tap * vectors;
        for (int64_t v = 0; v < vectors; ++v) {
          const __m512 val = load_lanes(in + 16 * v, m[v], x, x_end);
          if (out + 16 * v + 16 <= cols_end)  // a full store spills into what is written next
            _mm512_storeu_ps(out + 16 * v, val);
          else
            store_lanes(out + 16 * v, lanes(0, L - 16 * v), val, cols, cols_end);
        }
      }
}

// Pixel row h of channel c, sixteen columns [w0, w0 + 16) at a time, held in a register while
// every (p, q, i) that reads it adds its dcols entry: for one pixel these come in the order of
// the reference walk (p, then q; one i per p), and a lane no tap reaches is left as it was.
__attribute__((target("avx512f"))) void col2im_avx512(const ConvColumns& sizes, const float* dcols,
                                                      float* dx) {
  const ConvColumns g = sizes;
  const int64_t L = g.Ho * g.Wo;
  const float* const dcols_end = dcols + g.C * g.kh * g.kw * L;
  const float* const dx_end = dx + g.C * g.H * g.W;
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t h = 0; h < g.H; ++h)
      for (int64_t w0 = 0; w0 < g.W; w0 += 16) {
        float* out = dx + (c * g.H + h) * g.W + w0;
        const __mmask16 in_row = lanes(0, g.W - w0);
        __m512 acc = load_lanes(out, in_row, dx, dx_end);
        for (int64_t p = 0; p < g.kh; ++p) {
          const int64_t from_top = h + g.ph - p * g.dh;  // i·sh for the output row i reading h
          if (from_top < 0 || from_top % g.sh != 0 || from_top / g.sh >= g.Ho) continue;
          const int64_t i = from_top / g.sh;
          for (int64_t q = 0; q < g.kw; ++q) {
            // lane t is column w = w0 + t, read by output column j = w - q + pw
            const int64_t j0 = w0 - q + g.pw;
            const __mmask16 taps = in_row & lanes(-j0, g.Wo - j0);
            const float* d = dcols + ((c * g.kh + p) * g.kw + q) * L + i * g.Wo + j0;
            acc = _mm512_mask_add_ps(acc, taps, acc, load_lanes(d, taps, dcols, dcols_end));
          }
        }
        store_lanes(out, in_row, acc, dx, dx_end);
      }
}

}  // namespace

void im2col(const ConvColumns& g, const float* x, float* cols) {
  if (isa() == Isa::Avx512 && keeps_size(g))
    im2col_same_avx512(g, x, cols);
  else if (isa() == Isa::Avx512 && unit_width_steps(g))
    im2col_avx512(g, x, cols);
  else
    backend::reference_table().im2col(g, x, cols);
}

void col2im(const ConvColumns& g, const float* dcols, float* dx) {
  if (isa() == Isa::Avx512 && unit_width_steps(g))
    col2im_avx512(g, dcols, dx);
  else
    backend::reference_table().col2im(g, dcols, dx);
}

}  // namespace minigrad::kernels
