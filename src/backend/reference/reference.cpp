// The reference backend: every kernel of backend.hpp as the plain loops a learner would write.
// One thread, malloc'd buffers, products summed in double. The fast backend is tested against
// these loops, and the whole test suite runs on them (MINIGRAD_BACKEND=reference).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <new>
#include <stdexcept>

#include "table.hpp"

namespace minigrad::backend {

namespace reference {

// op(A): (m, k), op(B): (k, n), C: (m, n), all row-major. Aᵀ is read from A stored (k, m), so
// op(A)[i, p] = A[p, i]; likewise Bᵀ from B stored (n, k).
//   C[i, j] = alpha · Σ_p op(A)[i, p] · op(B)[p, j] + beta · C[i, j]
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, const float* b, float beta, float* c) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) {
        const float av = transpose_a ? a[p * m + i] : a[i * k + p];
        const float bv = transpose_b ? b[j * k + p] : b[p * n + j];
        s += static_cast<double>(av) * bv;
      }
      // beta = 0 never reads C, so an uninitialised C cannot leak a NaN in (as in BLAS).
      const double prior = beta == 0.0f ? 0.0 : static_cast<double>(beta) * c[i * n + j];
      c[i * n + j] = static_cast<float>(alpha * s + prior);
    }
}

// x: (m, k), w: (n, k), bias: (n) -> y: (m, n) = x · wᵀ + bias
void linear(int64_t m, int64_t n, int64_t k, const float* x, const float* w, const float* bias,
            float* y) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) y[i * n + j] = bias[j];
  gemm(false, true, m, n, k, 1.0f, x, w, 1.0f, y);
}

// One window at a time: start at its first pixel on the image, then visit the others in
// row-major order; a larger pixel or a NaN takes over (the first pixel compared with itself
// changes nothing, unless it is a NaN, which it already is).
void max_pool2d(const PoolWindows& g, const float* x, float* y, int32_t* argmax) {
  for (int64_t pl = 0; pl < g.planes; ++pl) {
    const float* in = x + pl * g.H * g.W;
    for (int64_t i = 0; i < g.Ho; ++i)
      for (int64_t j = 0; j < g.Wo; ++j) {
        const int64_t h0 = g.row0(i), h1 = g.row1(i), w0 = g.col0(j), w1 = g.col1(j);
        int64_t best = h0 * g.W + w0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w)
            if (in[h * g.W + w] > in[best] || std::isnan(in[h * g.W + w])) best = h * g.W + w;
        const int64_t cell = (pl * g.Ho + i) * g.Wo + j;
        y[cell] = in[best];
        argmax[cell] = static_cast<int32_t>(best);
      }
  }
}

// Each cell's gradient goes to the one pixel its maximum came from.
void max_pool2d_backward(const PoolWindows& g, const int32_t* argmax, const float* dy, float* dx) {
  const int64_t cells = g.Ho * g.Wo;
  for (int64_t pl = 0; pl < g.planes; ++pl)
    for (int64_t k = 0; k < cells; ++k)
      dx[pl * g.H * g.W + argmax[pl * cells + k]] += dy[pl * cells + k];
}

// Tap q reads column iw = j·sw - pw + q·dw, which lies on the image, 0 <= iw < W, for the output
// columns begin <= j < end (an empty span when the tap never touches it).
struct ColumnSpan {
  int64_t begin, end;
};
ColumnSpan columns_on_image(const ConvColumns& g, int64_t q) {
  const int64_t offset = q * g.dw - g.pw;
  const int64_t begin = offset >= 0 ? 0 : (-offset + g.sw - 1) / g.sw;
  const int64_t end = offset >= g.W ? 0 : std::min(g.Wo, (g.W - 1 - offset) / g.sw + 1);
  return {std::min(begin, end), end};
}

// Each row of an output row i is zeros, a run of pixels from one image row, zeros.
void im2col(const ConvColumns& g, const float* x, float* cols) {
  const int64_t L = g.Ho * g.Wo;
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t p = 0; p < g.kh; ++p)
      for (int64_t q = 0; q < g.kw; ++q) {
        float* row = cols + ((c * g.kh + p) * g.kw + q) * L;
        const auto [begin, end] = columns_on_image(g, q);
        const int64_t offset = q * g.dw - g.pw;
        for (int64_t i = 0; i < g.Ho; ++i) {
          const int64_t ih = i * g.sh - g.ph + p * g.dh;
          float* out = row + i * g.Wo;
          if (ih < 0 || ih >= g.H) {
            std::fill(out, out + g.Wo, 0.0f);
            continue;
          }
          const float* in = x + (c * g.H + ih) * g.W;
          std::fill(out, out + begin, 0.0f);
          for (int64_t j = begin; j < end; ++j) out[j] = in[j * g.sw + offset];
          std::fill(out + end, out + g.Wo, 0.0f);
        }
      }
}

// The same walk with the copy turned around: each entry of dcols is added into dx.
void col2im(const ConvColumns& g, const float* dcols, float* dx) {
  const int64_t L = g.Ho * g.Wo;
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t p = 0; p < g.kh; ++p)
      for (int64_t q = 0; q < g.kw; ++q) {
        const float* row = dcols + ((c * g.kh + p) * g.kw + q) * L;
        const auto [begin, end] = columns_on_image(g, q);
        const int64_t offset = q * g.dw - g.pw;
        for (int64_t i = 0; i < g.Ho; ++i) {
          const int64_t ih = i * g.sh - g.ph + p * g.dh;
          if (ih < 0 || ih >= g.H) continue;
          float* out = dx + (c * g.H + ih) * g.W;
          const float* d = row + i * g.Wo;
          for (int64_t j = begin; j < end; ++j) out[j * g.sw + offset] += d[j];
        }
      }
}

void* allocate_bytes(size_t bytes) {
  // aligned_alloc wants a size that is a multiple of the alignment, and at least one byte.
  const size_t rounded = bytes == 0 ? 64 : (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

float* allocate(int64_t count) {
  return static_cast<float*>(allocate_bytes(static_cast<size_t>(count) * sizeof(float)));
}
void release(float* p, int64_t /*count*/) { std::free(p); }
void release_bytes(void* p, size_t /*bytes*/) { std::free(p); }
void empty_cache() {}  // nothing is kept: release frees at once
bool reuses(size_t /*bytes*/) { return false; }

// Nothing is deferred: the zeros are written at once, so there is never anything to settle.
void zero_later(float* p, int64_t count) { std::fill_n(p, count, 0.0f); }
float* settle(float* p) { return p; }
bool take_zeros(float* /*p*/, int64_t /*count*/) { return false; }

std::string describe() { return "backend: reference (plain loops); 1 thread"; }

// One thread: a requested count is accepted and ignored, every range runs on the caller.
void set_num_threads(int /*n*/) {}
int num_threads() { return 1; }
std::string why_one_thread() { return "the reference backend has one thread"; }
void prepare_threads() {}
void parallel_rows(int64_t rows, int64_t /*row_size*/, RangeFn fn, const void* context) {
  fn(context, 0, rows);
}
// Nothing runs in the background: the task runs whole, at once.
BackgroundTicket post_background(const BackgroundFn& task) {
  if (task.fn == nullptr) throw std::invalid_argument("post_background: the task has no function");
  if (task.size > 0) task.fn(task.context, 0, task.size);
  return {};
}
void finish_background(BackgroundTicket /*ticket*/) {}

}  // namespace reference

const Table& reference_table() {
  static const Table table{"reference",
                           reference::describe,
                           reference::gemm,
                           reference::linear,
                           reference::max_pool2d,
                           reference::max_pool2d_backward,
                           reference::im2col,
                           reference::col2im,
                           reference::set_num_threads,
                           reference::num_threads,
                           reference::why_one_thread,
                           reference::prepare_threads,
                           reference::parallel_rows,
                           reference::post_background,
                           reference::finish_background,
                           reference::allocate,
                           reference::release,
                           reference::allocate_bytes,
                           reference::release_bytes,
                           reference::empty_cache,
                           reference::reuses,
                           reference::zero_later,
                           reference::settle,
                           reference::take_zeros};
  return table;
}

}  // namespace minigrad::backend
