// Broadcasting: the rule, the strides that read an operand as the broadcast shape, and sum_to.
#include "minigrad/ops/broadcast.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "broadcast_plan.hpp"

namespace minigrad {

namespace ops_detail {

Shape broadcast_or_throw(const char* op, const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t d = 0; d < rank; ++d) {
    // Aligned from the right: missing leading dimensions count as 1.
    const int64_t sa = d + a.size() >= rank ? a[d + a.size() - rank] : 1;
    const int64_t sb = d + b.size() >= rank ? b[d + b.size() - rank] : 1;
    if (sa != sb && sa != 1 && sb != 1)
      throw std::invalid_argument(fmt::format(
          "{}: shapes {} and {} cannot be broadcast (dimension {}: {} vs {}) (HINT: aligned "
          "from the right, each pair of sizes must be equal or one of them 1; reshape a column "
          "to [n, 1] or a row to [1, n] to say which way it should stretch)",
          op, shape_str(a), shape_str(b), d, sa, sb));
    out[d] = sa == 1 ? sb : sa;
  }
  return out;
}

// Per output dimension, how far to move in the operand per step, 0 where it is broadcast (size 1
// or absent).
std::vector<int64_t> broadcast_strides(const Shape& s, const Shape& out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (size_t d = s.size(), od = out.size(); d-- > 0;) {
    --od;
    if (s[d] != 1) strides[od] = stride;
    stride *= s[d];
  }
  return strides;
}

}  // namespace ops_detail

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  return ops_detail::broadcast_or_throw("broadcast_shapes", a, b);
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (ops_detail::broadcast_or_throw("sum_to", shape, x.shape()) != x.shape())
    throw std::invalid_argument(fmt::format(
        "sum_to: {} does not broadcast to {}, so {} cannot be summed down to it (HINT: the "
        "target must be a shape that broadcasting would stretch to the source's)",
        shape_str(shape), shape_str(x.shape()), shape_str(x.shape())));
  // Walk x's elements; each lands on the target element broadcasting would have read.
  const ops_detail::BroadcastPlan plan("sum_to", x.shape(), shape);
  Tensor y = Tensor::zeros(shape);
  float* py = y.data();
  const float* px = x.data();
  plan.for_each([&](int64_t i, int64_t, int64_t iy) { py[iy] += px[i]; });
  return y;
}

}  // namespace minigrad
