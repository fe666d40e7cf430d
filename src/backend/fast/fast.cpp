// The fast backend: backend.hpp's functions on minigrad's tiled sgemm kernels, OpenBLAS, the
// worker thread of parallel.hpp and the buffer cache. Each product goes to minigrad's
// register-tiled kernels when the CPU has them (gemm_kernels.hpp) and to OpenBLAS otherwise (no
// AVX2, Aᵀ·Bᵀ); Linear's bias is added as the tiles store; large ranges are split with the worker
// thread (parallel.hpp).
#include <cblas.h>
#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <stdexcept>

#include "blas.hpp"
#include "buffer_cache.hpp"
#include "conv_columns.hpp"
#include "deferred_zeros.hpp"
#include "gemm_kernels.hpp"
#include "max_pool.hpp"
#include "parallel.hpp"
#include "table.hpp"

namespace minigrad::backend {

namespace fast {

int num_threads();

std::string describe() {
  const blas::KernelInfo k = blas::kernel_info();
  const int threads = num_threads();
  const std::string openblas =
      fmt::format("OpenBLAS, {} kernels (chosen by {})", k.core, k.chosen_by);
  const std::string what = kernels::isa() == kernels::Isa::None
                               ? openblas
                               : fmt::format("minigrad's {} sgemm tiles; {}, for the rest",
                                             kernels::isa_name(), openblas);
  return fmt::format("backend: fast ({}); {} thread{}", what, threads, threads == 1 ? "" : "s");
}

void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, const float* b, float beta, float* c) {
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX)
    throw std::invalid_argument(fmt::format(
        "gemm: m={} n={} k={} exceeds the 32-bit sizes cblas takes (HINT: split the product)", m, n,
        k));
  if (m == 0 || n == 0) return;
  // C owes zeros (zero_later): adding to them is storing, and C's stale values are never read.
  if (kernels::take_zeros(c, m * n)) beta = 0.0f;
  if (k == 0) {  // an empty sum: C = beta·C (BLAS would reject the zero leading dimension)
    for (int64_t i = 0; i < m * n; ++i) c[i] = beta == 0.0f ? 0.0f : beta * c[i];
    return;
  }
  if (kernels::gemm(transpose_a, transpose_b, m, n, k, alpha, a, b, beta, c)) return;
  // Row-major op(A) (m, k) is stored (m, k) with leading dimension k, or (k, m) with m.
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
              transpose_b ? CblasTrans : CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), alpha, a, static_cast<int>(transpose_a ? m : k), b,
              static_cast<int>(transpose_b ? k : n), beta, c, static_cast<int>(n));
}

void linear(int64_t m, int64_t n, int64_t k, const float* x, const float* w, const float* bias,
            float* y) {
  // The tiles add the bias as they store each tile of x · wᵀ; for OpenBLAS each row starts as the
  // bias and sgemm adds x · wᵀ on top (beta = 1). Either way no separate add pass, and the same
  // sums: (x · wᵀ) + b rounded once.
  kernels::forget_zeros(y);  // written whole: zeros it owed must not reach gemm's beta below
  if (m > 0 && n > 0 && kernels::gemm(false, true, m, n, k, 1.0f, x, w, 0.0f, y, bias)) return;
  for (int64_t r = 0; r < m; ++r) std::copy_n(bias, n, y + r * n);
  gemm(false, true, m, n, k, 1.0f, x, w, 1.0f, y);
}

// OpenBLAS gets the count only when it runs every product: with the tiles it runs none of
// training's, and resizing its thread pool would cost milliseconds at each change. The first call
// (training's start) ends the pool OpenBLAS started at load, whose threads would spin beside the
// tiles for their first tenth of a second.
void set_num_threads(int n) {
  kernels::set_num_threads(n);
  if (kernels::isa() == kernels::Isa::None) {
    blas::set_num_threads(n);
    return;
  }
  static const bool stopped = (blas::stop_idle_pool(), true);
  (void)stopped;
}
int num_threads() { return kernels::num_threads(); }

std::string why_one_thread() {
  if (kernels::isa() != kernels::Isa::None) return "";
  return "OpenBLAS runs every product (MINIGRAD_GEMM=blas or no AVX2), and its threads may change "
         "sums";
}

// The worker's packing buffers are its only large memory of its own: touched before its first
// product, they do not fault in (up to 9 ms at batch 2048 on this machine) during a step that a
// thread trial times. Only when the caller's own products were packed: small products (the
// tiles) need no buffers, and the worker's touching them would only take the other core.
void prepare_threads() {
  if (kernels::isa() == kernels::Isa::None || !kernels::has_pack_buffers()) return;
  kernels::run_on_worker([](const void*, int64_t, int64_t) { kernels::ready_pack_buffers(); },
                         nullptr);
}

void parallel_rows(int64_t rows, int64_t row_size, RangeFn fn, const void* context) {
  // Below about 16,000 values (a batch of 20 Fashion-MNIST rows) a hand-over costs more than it
  // saves. split_point is where the products split a weight's rows (a multiple of 8); fewer than
  // 16 rows (a convolution's halves of the batch, BatchNorm's channel blocks) split in the middle.
  constexpr int64_t kMinSplit = 1 << 14;
  const bool split = rows > 1 && rows * row_size >= kMinSplit;
  const int64_t middle = rows < 16 ? (rows + 1) / 2 : kernels::split_point(rows);
  kernels::run_split(fn, context, split ? middle : rows, rows);
}

// parallel_rows for a callable f(begin_row, end_row), as backend.hpp's template, which cannot be
// called from here: the closure types of this namespace make fast::parallel_rows a second
// candidate (argument-dependent lookup), and the call ambiguous.
template <class F>
void split_rows(int64_t rows, int64_t row_size, const F& f) {
  parallel_rows(
      rows, row_size,
      [](const void* c, int64_t b, int64_t e) { (*static_cast<const F*>(c))(b, e); }, &f);
}

// Planes are split between the threads, each plane pooled whole by one of them.
void max_pool2d(const PoolWindows& g, const float* x, float* y, int32_t* argmax) {
  split_rows(g.planes, g.H * g.W,
             [&](int64_t begin, int64_t end) { kernels::max_pool2d(g, x, y, argmax, begin, end); });
}
// dx owing exactly its zeros (a new gradient) is written whole, zeros and all, in one pass.
void max_pool2d_backward(const PoolWindows& g, const int32_t* argmax, const float* dy, float* dx) {
  const bool fresh = kernels::take_zeros(dx, g.planes * g.H * g.W);
  split_rows(g.planes, g.H * g.W, [&](int64_t begin, int64_t end) {
    kernels::max_pool2d_backward(g, argmax, dy, dx, fresh, begin, end);
  });
}

void im2col(const ConvColumns& g, const float* x, float* cols) { kernels::im2col(g, x, cols); }
void col2im(const ConvColumns& g, const float* dcols, float* dx) { kernels::col2im(g, dcols, dx); }

BackgroundTicket post_background(const BackgroundFn& task) {
  return kernels::post_background(task);
}
void finish_background(BackgroundTicket ticket) { kernels::finish_background(ticket); }

float* allocate(int64_t count) {
  return static_cast<float*>(kernels::cached_allocate(static_cast<size_t>(count) * sizeof(float)));
}
void release(float* p, int64_t count) {
  kernels::forget_zeros(p);  // the next owner of this buffer owes nothing
  kernels::cached_release(p, static_cast<size_t>(count) * sizeof(float));
}
void* allocate_bytes(size_t bytes) { return kernels::cached_allocate(bytes); }
void release_bytes(void* p, size_t bytes) { kernels::cached_release(p, bytes); }
void empty_cache() { kernels::free_cached(); }
bool reuses(size_t bytes) { return kernels::keeps(bytes); }

void zero_later(float* p, int64_t count) { kernels::defer_zeros(p, count); }
float* settle(float* p) {
  kernels::settle_zeros(p);
  return p;
}
bool take_zeros(float* p, int64_t count) { return kernels::take_zeros(p, count); }

}  // namespace fast

const Table& fast_table() {
  static const Table table{"fast",
                           fast::describe,
                           fast::gemm,
                           fast::linear,
                           fast::max_pool2d,
                           fast::max_pool2d_backward,
                           fast::im2col,
                           fast::col2im,
                           fast::set_num_threads,
                           fast::num_threads,
                           fast::why_one_thread,
                           fast::prepare_threads,
                           fast::parallel_rows,
                           fast::post_background,
                           fast::finish_background,
                           fast::allocate,
                           fast::release,
                           fast::allocate_bytes,
                           fast::release_bytes,
                           fast::empty_cache,
                           fast::reuses,
                           fast::zero_later,
                           fast::settle,
                           fast::take_zeros};
  return table;
}

}  // namespace minigrad::backend
