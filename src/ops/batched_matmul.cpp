// Batched matmul: torch.matmul's 1-D promotion and batch broadcasting around one backend::gemm
// per matrix. Each output matrix i knows which matrix of a and of b it came from (a_of[i],
// b_of[i]); broadcasting repeats an index, and the backward's += into that matrix sums the
// repeats, as the reverse of a broadcast must.
#include "minigrad/ops/batched_matmul.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/backend.hpp"
#include "minigrad/ops/matmul.hpp"

namespace minigrad {

namespace {

// The batch dims of a and b broadcast from the right, as elementwise ops do.
Shape broadcast_batch(const Tensor& a, const Tensor& b, const Shape& batch_a,
                      const Shape& batch_b) {
  const size_t nd = std::max(batch_a.size(), batch_b.size());
  Shape batch(nd, 1);
  for (size_t d = 0; d < nd; ++d) {
    const int64_t sa = d < nd - batch_a.size() ? 1 : batch_a[d - (nd - batch_a.size())];
    const int64_t sb = d < nd - batch_b.size() ? 1 : batch_b[d - (nd - batch_b.size())];
    if (sa != sb && sa != 1 && sb != 1)
      throw std::invalid_argument(fmt::format(
          "matmul: batch dimensions do not broadcast: a is {} (batch {}) but b is {} (batch {}) "
          "(HINT: the dims before the last two must be equal or 1, compared from the right; "
          "unsqueeze a size-1 dim where one operand has none)",
          shape_str(a.shape()), shape_str(batch_a), shape_str(b.shape()), shape_str(batch_b)));
    batch[d] = sa == 1 ? sb : sa;
  }
  return batch;
}

// For every matrix of the broadcast batch (row-major order), the index of the matrix of an
// operand with batch dims `own` that it reads: dims `own` lacks or has as 1 do not advance it.
std::vector<int64_t> source_matrices(const Shape& batch, const Shape& own) {
  const size_t nd = batch.size(), skip = nd - own.size();
  std::vector<int64_t> stride(nd, 0);
  int64_t step = 1;
  for (size_t d = nd; d-- > skip;) {
    if (own[d - skip] != 1) stride[d] = step;
    step *= own[d - skip];
  }
  std::vector<int64_t> source(static_cast<size_t>(shape_numel(batch)));
  std::vector<int64_t> digit(nd, 0);
  int64_t at = 0;
  for (int64_t& s : source) {
    s = at;
    for (size_t d = nd; d-- > 0;) {  // an odometer over the batch dims
      at += stride[d];
      if (++digit[d] < batch[d]) break;
      at -= stride[d] * batch[d];
      digit[d] = 0;
    }
  }
  return source;
}

// a: (..., m, k), b: (..., k, n), both at least 2-D, inner sizes already checked.
//   c_i = a_{a_of[i]} · b_{b_of[i]}                 (m, n) for each broadcast batch index i
//   da_{a_of[i]} += dc_i · b_{b_of[i]}ᵀ              (m, k)
//   db_{b_of[i]} += a_{a_of[i]}ᵀ · dc_i              (k, n)
Tensor broadcast_bmm(const Tensor& a, const Tensor& b) {
  const Shape batch_a(a.shape().begin(), a.shape().end() - 2);
  const Shape batch_b(b.shape().begin(), b.shape().end() - 2);
  Shape out_shape = broadcast_batch(a, b, batch_a, batch_b);
  const int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  std::vector<int64_t> a_of = source_matrices(out_shape, batch_a);
  std::vector<int64_t> b_of = source_matrices(out_shape, batch_b);
  out_shape.push_back(m);
  out_shape.push_back(n);

  Tensor c = Tensor::zeros(out_shape);  // zeros, not empty: with k = 0 gemm writes nothing
  const int64_t count = static_cast<int64_t>(a_of.size());
  for (int64_t i = 0; i < count; ++i)
    backend::gemm(false, false, m, n, k, 1.0f, a.data() + a_of[i] * m * k,
                  b.data() + b_of[i] * k * n, 0.0f, c.data() + i * m * n);

  return record(c, "matmul", {a, b},
                [a, b, a_of = std::move(a_of), b_of = std::move(b_of), m, n, k](const Tensor& dc) {
                  const int64_t count = static_cast<int64_t>(a_of.size());
                  if (a.requires_grad()) {
                    float* da = grad_buffer(a);
                    for (int64_t i = 0; i < count; ++i)
                      backend::gemm(false, true, m, k, n, 1.0f, dc.data() + i * m * n,
                                    b.data() + b_of[i] * k * n, 1.0f, da + a_of[i] * m * k);
                  }
                  if (b.requires_grad()) {
                    float* db = grad_buffer(b);
                    for (int64_t i = 0; i < count; ++i)
                      backend::gemm(true, false, k, n, m, 1.0f, a.data() + a_of[i] * m * k,
                                    dc.data() + i * m * n, 1.0f, db + b_of[i] * k * n);
                  }
                });
}

}  // namespace

Tensor batched_matmul(const Tensor& a, const Tensor& b) {
  if (a.dim() == 0 || b.dim() == 0)
    throw std::invalid_argument(fmt::format(
        "matmul: both operands need at least 1 dimension, but a is {} and b is {} (HINT: "
        "multiply by a scalar with mul or operator*)",
        shape_str(a.shape()), shape_str(b.shape())));
  const bool vector_a = a.dim() == 1, vector_b = b.dim() == 1;
  const int64_t ka = a.size(-1), kb = vector_b ? b.size(0) : b.size(-2);
  if (ka != kb)
    throw std::invalid_argument(fmt::format(
        "matmul: inner dimensions differ: a is {} but b is {} ({} vs {}) (HINT: a's last size "
        "must equal b's second-to-last, or b's only size when b is 1-D)",
        shape_str(a.shape()), shape_str(b.shape()), ka, kb));
  // torch.matmul's promotion: a 1-D a is a row (1, k), a 1-D b a column (k, 1).
  const Tensor a2 = vector_a ? a.reshape({1, ka}) : a;
  const Tensor b2 = vector_b ? b.reshape({kb, 1}) : b;
  Tensor c = a2.dim() == 2 && b2.dim() == 2 ? matmul(a2, b2) : broadcast_bmm(a2, b2);
  if (!vector_a && !vector_b) return c;
  Shape shape = c.shape();  // (..., m, n): drop the n = 1 and/or the m = 1 the promotion added
  if (vector_b) shape.pop_back();
  if (vector_a) shape.erase(shape.end() - (vector_b ? 1 : 2));
  return c.reshape(shape);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  if (a.dim() != 3 || b.dim() != 3 || a.size(0) != b.size(0))
    throw std::invalid_argument(fmt::format(
        "bmm: expected a (B, m, k) and b (B, k, n) with the same B, but a is {} and b is {} "
        "(HINT: matmul broadcasts batch dims and accepts other ranks)",
        shape_str(a.shape()), shape_str(b.shape())));
  return batched_matmul(a, b);
}

}  // namespace minigrad
