// The seam between minigrad's plain core and the kernels that make it fast. Tensors, autograd,
// ops, modules and optimizers reach kernels, threads and memory only through these functions.
// Two backends implement them: "reference" (plain loops, one thread, malloc) and "fast" (tiled
// sgemm kernels, OpenBLAS for what they do not take, a second worker thread, a buffer cache).
// The environment variable MINIGRAD_BACKEND picks one at run time (default: fast, when built).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

namespace minigrad::backend {

/// The backend in use: "fast" or "reference". Chosen once, from MINIGRAD_BACKEND; an unknown
/// value throws std::invalid_argument naming the variable and the accepted values.
const char* name();
/// One line for the apps' first line of output, e.g. "backend: reference (plain loops), 1 thread".
std::string describe();

// ---- products ----
/// C (m, n) = alpha·op(A)·op(B) + beta·C for row-major A, B, C, op(X) = Xᵀ when its flag is set:
/// op(A) is (m, k), op(B) is (k, n). beta = 0 never reads C (as in BLAS).
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, const float* b, float beta, float* c);
/// Linear's forward in one pass: y (m, n) = x (m, k) · wᵀ + bias, w stored (n, k), bias n values
/// added to every row. The same sums as filling y with the bias and calling gemm with beta = 1.
void linear(int64_t m, int64_t n, int64_t k, const float* x, const float* w, const float* bias,
            float* y);

// ---- pooling ----
/// The windows of a max pooling over `planes` planes of (H, W) floats: window (i, j), for
/// i < Ho and j < Wo, covers rows i·sh - ph .. i·sh - ph + kh - 1 and columns j·sw - pw ..
/// j·sw - pw + kw - 1, the parts of them on the image (every window holds at least one pixel).
struct PoolWindows {
  int64_t planes, H, W;
  int64_t kh, kw, sh, sw, ph, pw;
  int64_t Ho, Wo;
  /// Window row i covers image rows [row0(i), row1(i)), window column j image columns
  /// [col0(j), col1(j)): the window clipped to the image.
  int64_t row0(int64_t i) const { return std::max<int64_t>(i * sh - ph, 0); }
  int64_t row1(int64_t i) const { return std::min(i * sh - ph + kh, H); }
  int64_t col0(int64_t j) const { return std::max<int64_t>(j * sw - pw, 0); }
  int64_t col1(int64_t j) const { return std::min(j * sw - pw + kw, W); }
};
/// x (planes, H, W) -> y (planes, Ho, Wo), the maximum of each window, and argmax (planes, Ho,
/// Wo), where it is in its plane (h·W + w, which the caller keeps below 2³¹). Pixels are compared
/// in row-major order: a larger one takes over, an equal one does not (the first maximum stays),
/// a NaN always does (as PyTorch).
void max_pool2d(const PoolWindows& g, const float* x, float* y, int32_t* argmax);
/// dx[p, argmax[p, k]] += dy[p, k] for every cell k (of Ho·Wo) of every plane p; dx (planes, H, W).
/// dx may owe the zeros of zero_later(dx, planes·H·W): the backend writes them or takes them.
void max_pool2d_backward(const PoolWindows& g, const int32_t* argmax, const float* dy, float* dx);

// ---- convolution columns ----
/// One image's (one group's) convolution lowered to columns: x (C, H, W) -> cols (C·kh·kw, Ho·Wo),
///   cols[(c·kh + p)·kw + q, i·Wo + j] = x[c, i·sh - ph + p·dh, j·sw - pw + q·dw]  (0 off the
///   image)
/// so that the weights viewed as (C_out, C·kh·kw) times cols is the convolution.
struct ConvColumns {
  int64_t C, H, W;
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  int64_t Ho, Wo;
};
/// Builds the columns of x (C, H, W) into cols (C·kh·kw, Ho·Wo), every entry written.
void im2col(const ConvColumns& g, const float* x, float* cols);
/// The adjoint: each entry of dcols is added (+=) to the pixel of dx (C, H, W) it was copied
/// from, rows in order; entries in the padding have no pixel and are dropped.
void col2im(const ConvColumns& g, const float* dcols, float* dx);

// ---- threads ----
/// Threads for the kernels: 1, or 2 (any n >= 2) where the backend has a second one. Results
/// are bit-identical whatever the count (each element is computed the same way by one thread).
void set_num_threads(int n);
int num_threads();
/// Why a second thread cannot help here (the backend has none, or OpenBLAS's threads may change
/// sums); empty when it can.
std::string why_one_thread();
/// Readies the second thread, if the backend has one, for the products the calling thread has
/// run so far, without waiting: started, and the buffers of its own that they need allocated and
/// touched, while the caller goes on (nothing when they need none). For a caller that will soon
/// try two threads, so that their first steps do not pay for it. Changes no result.
void prepare_threads();

/// fn(context, begin, end) for one part of a range.
using RangeFn = void (*)(const void* context, int64_t begin, int64_t end);
/// Runs fn over the rows [0, rows) of a (rows, row_size) array, in one call or, with two
/// threads and enough values to be worth a hand-over, in two: the second part on the worker.
/// Rows split where the products split a weight, so each thread updates the half in its cache.
void parallel_rows(int64_t rows, int64_t row_size, RangeFn fn, const void* context);
/// parallel_rows for a callable f(begin_row, end_row).
template <class F>
void parallel_rows(int64_t rows, int64_t row_size, const F& f) {
  parallel_rows(
      rows, row_size,
      [](const void* c, int64_t b, int64_t e) { (*static_cast<const F*>(c))(b, e); }, &f);
}

/// A background task: fn(context, begin, end) over [0, size) in chunks of `chunk` indices.
struct BackgroundFn {
  RangeFn fn = nullptr;
  const void* context = nullptr;
  int64_t size = 0;
  int64_t chunk = 1;
};
/// Names a posted background task for finish_background; 0 names none.
struct BackgroundTicket {
  uint32_t generation = 0;
};
/// Hands `task` to the worker thread, which runs it in the gaps between other work (with one
/// thread nothing runs until finish_background). One task at a time: a previous one is finished
/// first. `task.context` must stay valid until the task is finished.
BackgroundTicket post_background(const BackgroundFn& task);
/// Returns once the task is complete, running whatever nobody has started on the calling thread.
void finish_background(BackgroundTicket ticket);

// ---- memory ----
/// `count` floats, 64-byte aligned, uninitialised; never null (throws std::bad_alloc).
float* allocate(int64_t count);
/// Gives back a buffer from allocate(count), with the same count.
void release(float* p, int64_t count);
/// `bytes` bytes, 64-byte aligned, uninitialised, from the same memory as allocate(); never null.
/// For arrays other than a tensor's (scratch.hpp).
void* allocate_bytes(size_t bytes);
/// Gives back a buffer from allocate_bytes(bytes), with the same size.
void release_bytes(void* p, size_t bytes);
/// Frees the buffers the backend keeps for reuse (the fast backend's cache holds up to 128 MiB
/// of a training step's buffers after it): for the end of training, before evaluation or
/// inference, whose buffers have other sizes. Nothing is lost but the reuse (as
/// torch.cuda.empty_cache).
void empty_cache();
/// Whether a buffer of `bytes` given back is kept and handed out again, to the next request of
/// its size or of a smaller one from 256 KiB up, rather than returned to the system (the fast
/// backend keeps buffers up to 16 MiB). For a caller that can give one buffer back just before
/// it asks for another, so that the new one is memory already touched.
bool reuses(size_t bytes);

// ---- zeroing a gradient, deferred ----
/// Makes p[0, count) zeros, now or later. The reference backend fills it at once. The fast one
/// only notes p: the first gemm that adds into all of p then stores instead (beta = 0), which
/// spares the fill and the product's read of the old values. Until then p holds stale values,
/// so whoever reads or writes p other than through gemm calls settle(p) first.
void zero_later(float* p, int64_t count);
/// Fills p with the zeros zero_later() deferred, if they are still owed; returns p.
float* settle(float* p);
/// For a kernel about to add a value into every one of p[0, count): true if p owed exactly those
/// zeros, now forgotten, so the kernel adds to 0 instead of reading p (the values are the same).
/// False if p holds its values: zeros it owed of another extent are written first. The reference
/// backend writes zeros at once and always answers false.
bool take_zeros(float* p, int64_t count);

}  // namespace minigrad::backend
