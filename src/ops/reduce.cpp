// sum and mean. Reducing along `dim` views x as (outer, n, inner) (dim_split.hpp), so element
// (o, k, i) sits at (o·n + k)·inner + i and the result (o, i) at o·inner + i; keepdim only changes
// the result's shape. Sums accumulate in double. max and argmax are in max.cpp. Leaves out:
// reducing several dims at once, min, prod, var.
#include "minigrad/ops/reduce.hpp"

#include "dim_split.hpp"
#include "minigrad/autograd.hpp"

namespace minigrad {

namespace {

// y (outer, inner) = Σ_k x (outer, n, inner), divided by n for the mean; `out` is y's shape.
// Reducing everything is the same with x viewed as (1, numel, 1).
Tensor sum_over(const char* op, const Tensor& x, const ops_detail::DimSplit& r, const Shape& out,
                bool average) {
  const float divisor = average ? static_cast<float>(r.n) : 1.0f;  // n for the mean, 1 for the sum
  Tensor y = Tensor::empty(out);
  const float* px = x.data();
  float* py = y.data();
  for (int64_t o = 0; o < r.outer; ++o)
    for (int64_t i = 0; i < r.inner; ++i) {
      double s = 0;
      for (int64_t k = 0; k < r.n; ++k) s += px[(o * r.n + k) * r.inner + i];
      // The mean over nothing is 0/0 = NaN, as in PyTorch.
      py[o * r.inner + i] = static_cast<float>(average ? s / static_cast<double>(r.n) : s);
    }
  // dx (outer, n, inner) = dy (outer, 1, inner) / divisor, the same for every k
  return record(y, op, {x}, [x, r, divisor](const Tensor& dy) {
    float* dx = grad_buffer(x);
    const float* g = dy.data();
    if (r.inner == 1) {  // each lane is n values in a row (a whole-tensor sum, the last dim)
      for (int64_t o = 0; o < r.outer; ++o) {
        const float share = g[o] / divisor;  // divided once per lane, not once per value
        for (int64_t k = 0; k < r.n; ++k) dx[o * r.n + k] += share;
      }
      return;
    }
    for (int64_t o = 0; o < r.outer; ++o)
      for (int64_t k = 0; k < r.n; ++k)
        for (int64_t i = 0; i < r.inner; ++i)
          dx[(o * r.n + k) * r.inner + i] += g[o * r.inner + i] / divisor;
  }, Saved::none);
}

Tensor sum_along(const char* op, const Tensor& x, int64_t dim, bool keepdim, bool average) {
  const ops_detail::DimSplit r = ops_detail::split_dim(op, x.shape(), dim);
  return sum_over(op, x, r, ops_detail::reduced_shape(x.shape(), dim, keepdim), average);
}

}  // namespace

Tensor sum(const Tensor& x) { return sum_over("sum", x, {1, x.numel(), 1}, {}, false); }

Tensor sum(const Tensor& x, int64_t dim, bool keepdim) {
  return sum_along("sum", x, dim, keepdim, false);
}

Tensor mean(const Tensor& x) { return sum_over("mean", x, {1, x.numel(), 1}, {}, true); }

Tensor mean(const Tensor& x, int64_t dim, bool keepdim) {
  return sum_along("mean", x, dim, keepdim, true);
}

}  // namespace minigrad
