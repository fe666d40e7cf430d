// Matrix products (matmul, linear) with their backwards. Every product is one call
// to backend::gemm, which reads an operand as transposed through a flag instead of copying it,
// and adds into the gradient buffers (beta = 1): the `+=` of every other backward.
// Other ranks (1-D, batched) go to batched_matmul.cpp, which reduces them to these 2-D products.
#include "minigrad/ops/matmul.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/backend.hpp"
#include "minigrad/ops/batched_matmul.hpp"

namespace minigrad {

namespace {

void require_2d(const char* op, const char* name, const Tensor& t, const char* hint) {
  if (t.dim() != 2)
    throw std::invalid_argument(fmt::format("{}: {} must be 2-D but is {} (HINT: {})", op, name,
                                            shape_str(t.shape()), hint));
}

}  // namespace

// C = op(A)·op(B) for 2-D tensors, recorded with the backward:
//   dop(A) = dC · op(B)ᵀ   (m, k)        dop(B) = op(A)ᵀ · dC   (k, n)
// stored back in A's and B's own layouts, so a transposed operand gets the transposed product.
Tensor matmul(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const char* op = "matmul";
  const char* hint = "the transposed forms take matrices; transpose a batch's matrices first";
  if (!ta && !tb && (a.dim() != 2 || b.dim() != 2)) return batched_matmul(a, b);
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
  backend::gemm(ta, tb, m, n, k, 1.0f, a.data(), b.data(), 0.0f, c.data());
  return record(c, op, {a, b}, [a, b, ta, tb, m, n, k](const Tensor& dc) {
    if (a.requires_grad()) {
      float* da = grad_buffer(a);
      if (!ta)  // dA (m, k) += dC · op(B)ᵀ
        backend::gemm(false, !tb, m, k, n, 1.0f, dc.data(), b.data(), 1.0f, da);
      else  // dA (k, m) += op(B) · dCᵀ
        backend::gemm(tb, true, k, m, n, 1.0f, b.data(), dc.data(), 1.0f, da);
    }
    if (b.requires_grad()) {
      float* db = grad_buffer(b);
      if (!tb)  // dB (k, n) += op(A)ᵀ · dC
        backend::gemm(!ta, false, k, n, m, 1.0f, a.data(), dc.data(), 1.0f, db);
      else  // dB (n, k) += dCᵀ · op(A)
        backend::gemm(true, ta, n, k, m, 1.0f, dc.data(), a.data(), 1.0f, db);
    }
  });
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  // x: (..., in), w: (out, in), b: (out) -> y: (..., out) = x · wᵀ + b
  if (x.dim() == 0)
    throw std::invalid_argument(
        "linear: x must have at least 1 dimension but is [] (HINT: x is (..., in_features))");
  require_2d("linear", "weight", w, "the weight is (out_features, in_features)");
  const int64_t in = x.size(-1), out = w.size(0);
  const int64_t batch = shape_numel(Shape(x.shape().begin(), x.shape().end() - 1));
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

  if (x.dim() != 2) {  // (..., in) is (batch, in) viewed flat: the same rows, one gemm
    Shape y_shape(x.shape().begin(), x.shape().end() - 1);
    y_shape.push_back(out);
    return linear(x.reshape({batch, in}), w, b).reshape(y_shape);
  }
  Tensor y = Tensor::empty({batch, out});
  if (has_bias)  // one pass: the backend adds b as it stores x · wᵀ
    backend::linear(batch, out, in, x.data(), w.data(), b.data(), y.data());
  else
    backend::gemm(false, true, batch, out, in, 1.0f, x.data(), w.data(), 0.0f, y.data());

  //   dx = dy · w              (B, in)    only if x requires grad (not for the input images)
  //   dw = dyᵀ · x             (out, in)
  //   db = Σ_rows dy           (out)
  std::vector<Tensor> inputs = {x, w};
  if (has_bias) inputs.push_back(b);
  return record(y, "linear", std::move(inputs), [x, w, b, batch, in, out](const Tensor& dy) {
    if (x.requires_grad())  // dx += dy · w
      backend::gemm(false, false, batch, in, out, 1.0f, dy.data(), w.data(), 1.0f,
                    grad_buffer_for_kernel(x));
    if (w.requires_grad())  // dw += dyᵀ · x
      backend::gemm(true, false, out, in, batch, 1.0f, dy.data(), x.data(), 1.0f,
                    grad_buffer_for_kernel(w));
    if (b.defined() && b.requires_grad()) {
      float* db = grad_buffer(b);
      const float* g = dy.data();
      for (int64_t r = 0; r < batch; ++r)
        for (int64_t j = 0; j < out; ++j) db[j] += g[r * out + j];
    }
  });
}

}  // namespace minigrad
