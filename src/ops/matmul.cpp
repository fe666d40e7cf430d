// Matrix products: gemm over OpenBLAS's cblas_sgemm, the naive gemm_reference beside it, and the
// ops built on them (matmul, linear, transpose). Backward reads operands as transposed through
// gemm's flags instead of materialising transposes, and accumulates straight into the grad
// buffers with beta = 1. Leaves out: batched (3-D) products and 1-D vector·matrix forms.
#include "minigrad/ops/matmul.hpp"

#include <cblas.h>
#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <stdexcept>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/gemm_kernels.hpp"

namespace minigrad {

namespace {

using GemmFn = void (*)(bool, bool, int64_t, int64_t, int64_t, float, const float*, const float*,
                        float, float*);

void require_2d(const char* op, const char* name, const Tensor& t, const char* hint) {
  if (t.dim() != 2)
    throw std::invalid_argument(fmt::format("{}: {} must be 2-D but is {} (HINT: {})", op, name,
                                            shape_str(t.shape()), hint));
}

// C = op(A)·op(B) for 2-D tensors through `gemm`, recorded with the backward:
//   dop(A) = dC · op(B)ᵀ   (m, k)        dop(B) = op(A)ᵀ · dC   (k, n)
// stored back in A's and B's own layouts, so a transposed operand gets the transposed product.
Tensor matmul_with(GemmFn gemm_fn, const char* op, const Tensor& a, const Tensor& b, bool ta,
                   bool tb) {
  const char* hint = "reshape it to (rows, columns)";
  require_2d(op, "a", a, hint);
  require_2d(op, "b", b, hint);
  const int64_t m = ta ? a.size(1) : a.size(0), ka = ta ? a.size(0) : a.size(1);
  const int64_t kb = tb ? b.size(1) : b.size(0), n = tb ? b.size(0) : b.size(1);
  if (ka != kb)
    throw std::invalid_argument(fmt::format(
        "{}: inner dimensions differ: a is {}{} but b is {}{} (HINT: the columns of the left "
        "operand must equal the rows of the right one; transpose one of them or check the layer "
        "sizes)",
        op, shape_str(a.shape()), ta ? " (transposed)" : "", shape_str(b.shape()),
        tb ? " (transposed)" : ""));
  const int64_t k = ka;
  Tensor c = Tensor::empty({m, n});
  gemm_fn(ta, tb, m, n, k, 1.0f, a.data(), b.data(), 0.0f, c.data());
  return record(c, op, {a, b}, [a, b, ta, tb, m, n, k, gemm_fn](const Tensor& dc) {
    if (a.requires_grad()) {
      float* da = grad_buffer(a);
      if (!ta)  // dA (m, k) += dC · op(B)ᵀ
        gemm_fn(false, !tb, m, k, n, 1.0f, dc.data(), b.data(), 1.0f, da);
      else  // dA (k, m) += op(B) · dCᵀ
        gemm_fn(tb, true, k, m, n, 1.0f, b.data(), dc.data(), 1.0f, da);
    }
    if (b.requires_grad()) {
      float* db = grad_buffer(b);
      if (!tb)  // dB (k, n) += op(A)ᵀ · dC
        gemm_fn(!ta, false, k, n, m, 1.0f, a.data(), dc.data(), 1.0f, db);
      else  // dB (n, k) += dCᵀ · op(A)
        gemm_fn(true, ta, n, k, m, 1.0f, dc.data(), a.data(), 1.0f, db);
    }
  });
}

}  // namespace

void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, const float* b, float beta, float* c) {
  if (m < 0 || n < 0 || k < 0)
    throw std::invalid_argument(fmt::format("gemm: negative size m={} n={} k={}", m, n, k));
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX)
    throw std::invalid_argument(fmt::format(
        "gemm: m={} n={} k={} exceeds the 32-bit sizes cblas takes (HINT: split the product)", m, n,
        k));
  if (m == 0 || n == 0) return;
  if (k == 0) {  // an empty sum: C = beta·C (BLAS would reject the zero leading dimension)
    for (int64_t i = 0; i < m * n; ++i) c[i] = beta == 0.0f ? 0.0f : beta * c[i];
    return;
  }
  // Products go to minigrad's own register-tiled kernels when the CPU has them
  // (backend/gemm_kernels.hpp); the rest (no AVX2, Aᵀ·Bᵀ) to OpenBLAS.
  if (kernels::gemm(transpose_a, transpose_b, m, n, k, alpha, a, b, beta, c)) return;
  // Row-major op(A) (m, k) is stored (m, k) with leading dimension k, or (k, m) with m.
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
              transpose_b ? CblasTrans : CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), alpha, a, static_cast<int>(transpose_a ? m : k), b,
              static_cast<int>(transpose_b ? k : n), beta, c, static_cast<int>(n));
}

void gemm_reference(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                    float alpha, const float* a, const float* b, float beta, float* c) {
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

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  return matmul_with(gemm, "matmul", a, b, transpose_a, transpose_b);
}

Tensor matmul_reference(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  return matmul_with(gemm_reference, "matmul_reference", a, b, transpose_a, transpose_b);
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  // x: (B, in), w: (out, in), b: (out) -> y: (B, out) = x · wᵀ + b
  require_2d("linear", "x", x, "a batch is (B, in_features); reshape a single sample to [1, n]");
  require_2d("linear", "weight", w, "the weight is (out_features, in_features)");
  const int64_t batch = x.size(0), in = x.size(1), out = w.size(0);
  if (w.size(1) != in)
    throw std::invalid_argument(fmt::format(
        "linear: x is {} but weight is {}: in_features differ ({} vs {}) (HINT: the weight is "
        "(out_features, in_features), PyTorch's layout; its second size must equal x's columns)",
        shape_str(x.shape()), shape_str(w.shape()), in, w.size(1)));
  const bool has_bias = b.defined();
  if (has_bias && b.shape() != Shape{out})
    throw std::invalid_argument(fmt::format(
        "linear: bias is {} but the weight {} has {} outputs (HINT: the bias is (out_features))",
        shape_str(b.shape()), shape_str(w.shape()), out));

  // minigrad's own kernels add the bias as they store each tile of x · wᵀ; for OpenBLAS each row
  // starts as the bias and sgemm adds x · wᵀ on top (beta = 1). Either way no separate add pass,
  // and the same sums: (x · wᵀ) + b rounded once.
  Tensor y = Tensor::empty({batch, out});
  if (!has_bias || batch == 0 || out == 0 ||
      !kernels::gemm(false, true, batch, out, in, 1.0f, x.data(), w.data(), 0.0f, y.data(),
                     b.data())) {
    if (has_bias)
      for (int64_t r = 0; r < batch; ++r) std::copy_n(b.data(), out, y.data() + r * out);
    gemm(false, true, batch, out, in, 1.0f, x.data(), w.data(), has_bias ? 1.0f : 0.0f, y.data());
  }

  //   dx = dy · w              (B, in)    only if x requires grad (not for the input images)
  //   dw = dyᵀ · x             (out, in)
  //   db = Σ_rows dy           (out)
  // sgemm adds into a gradient that already holds something (beta = 1) and writes a new one
  // outright (beta = 0), so a gradient is never zero-filled just to be added to.
  std::vector<Tensor> inputs = {x, w};
  if (has_bias) inputs.push_back(b);
  return record(y, "linear", std::move(inputs), [x, w, b, batch, in, out](const Tensor& dy) {
    if (x.requires_grad()) {
      const GradTarget dx = grad_target(x);
      gemm(false, false, batch, in, out, 1.0f, dy.data(), w.data(), dx.accumulate ? 1.0f : 0.0f,
           dx.data);
    }
    if (w.requires_grad()) {
      const GradTarget dw = grad_target(w);
      gemm(true, false, out, in, batch, 1.0f, dy.data(), x.data(), dw.accumulate ? 1.0f : 0.0f,
           dw.data);
    }
    if (b.defined() && b.requires_grad()) {
      float* db = grad_buffer(b);
      const float* g = dy.data();
      for (int64_t r = 0; r < batch; ++r)
        for (int64_t j = 0; j < out; ++j) db[j] += g[r * out + j];
    }
  });
}

Tensor transpose(const Tensor& x) {
  require_2d("transpose", "x", x, "transpose swaps the two dims of a matrix; reshape first");
  const int64_t rows = x.size(0), cols = x.size(1);
  // x: (rows, cols) -> y: (cols, rows), y[j, i] = x[i, j]
  Tensor y = Tensor::empty({cols, rows});
  const float* px = x.data();
  float* py = y.data();
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) py[j * rows + i] = px[i * cols + j];
  //   dx[i, j] = dy[j, i]
  return record(y, "transpose", {x}, [x, rows, cols](const Tensor& dy) {
    float* dx = grad_buffer(x);
    const float* g = dy.data();
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) dx[i * cols + j] += g[j * rows + i];
  });
}

}  // namespace minigrad
