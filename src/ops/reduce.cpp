// Reductions. Reducing along `dim` views x as (outer, n, inner): outer is the product of the
// dimensions before dim, inner of those after it, so element (o, k, i) sits at (o·n + k)·inner + i
// and the result (o, i) at o·inner + i. keepdim only changes the result's shape, not its values.
// Sums accumulate in double. Leaves out: reducing several dims at once, min, prod, var.
#include "minigrad/ops/reduce.hpp"

#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

#include "dim_split.hpp"
#include "minigrad/autograd.hpp"

namespace minigrad {

namespace {

// x viewed as (outer, n, inner) around dim, and the result's shape (with or without the kept 1).
struct Reduction : ops_detail::DimSplit {
  Shape out;
};

Reduction split(const char* op, const Shape& shape, int64_t dim, bool keepdim) {
  return {ops_detail::split_dim(op, shape, dim), ops_detail::reduced_shape(shape, dim, keepdim)};
}

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
    for (int64_t o = 0; o < r.outer; ++o)
      for (int64_t k = 0; k < r.n; ++k)
        for (int64_t i = 0; i < r.inner; ++i)
          dx[(o * r.n + k) * r.inner + i] += g[o * r.inner + i] / divisor;
  }, Saved::none);
}

Tensor sum_along(const char* op, const Tensor& x, int64_t dim, bool keepdim, bool average) {
  const Reduction r = split(op, x.shape(), dim, keepdim);
  return sum_over(op, x, r, r.out, average);
}

// Where the maximum along dim sits, per (outer, inner) position: the first one on ties, and the
// first NaN if there is one (a NaN is the maximum, as in PyTorch).
std::vector<int64_t> argmax_positions(const char* op, const Tensor& x, const Reduction& r,
                                      int64_t dim) {
  if (r.n == 0)
    throw std::invalid_argument(fmt::format(
        "{}: cannot take the maximum over dimension {} of shape {}, which has size 0 (HINT: "
        "reduce over a non-empty dimension)",
        op, dim, shape_str(x.shape())));
  std::vector<int64_t> where(static_cast<size_t>(r.outer * r.inner));
  const float* px = x.data();
  for (int64_t o = 0; o < r.outer; ++o)
    for (int64_t i = 0; i < r.inner; ++i) {
      int64_t best = 0;
      float best_v = px[o * r.n * r.inner + i];
      for (int64_t k = 1; k < r.n && !std::isnan(best_v); ++k) {
        const float v = px[(o * r.n + k) * r.inner + i];
        if (v > best_v || std::isnan(v)) best = k, best_v = v;
      }
      where[static_cast<size_t>(o * r.inner + i)] = best;
    }
  return where;
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

std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  const Reduction r = split("max", x.shape(), dim, keepdim);
  auto where = std::make_shared<const std::vector<int64_t>>(argmax_positions("max", x, r, dim));
  Tensor values = Tensor::empty(r.out);
  Tensor indices = Tensor::empty(r.out);
  const float* px = x.data();
  for (int64_t o = 0; o < r.outer; ++o)
    for (int64_t i = 0; i < r.inner; ++i) {
      const int64_t k = (*where)[static_cast<size_t>(o * r.inner + i)];
      values.data()[o * r.inner + i] = px[(o * r.n + k) * r.inner + i];
      indices.data()[o * r.inner + i] = static_cast<float>(k);
    }
  // dx (o, k, i) = dy (o, i) where k is the chosen index, 0 elsewhere
  values = record(values, "max", {x}, [x, r, where](const Tensor& dy) {
    float* dx = grad_buffer(x);
    const float* g = dy.data();
    for (int64_t o = 0; o < r.outer; ++o)
      for (int64_t i = 0; i < r.inner; ++i) {
        const int64_t k = (*where)[static_cast<size_t>(o * r.inner + i)];
        dx[(o * r.n + k) * r.inner + i] += g[o * r.inner + i];
      }
  }, Saved::none);
  return {values, indices};
}

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  const Reduction r = split("argmax", x.shape(), dim, keepdim);
  const std::vector<int64_t> where = argmax_positions("argmax", x, r, dim);
  Tensor indices = Tensor::empty(r.out);
  for (size_t j = 0; j < where.size(); ++j) indices.data()[j] = static_cast<float>(where[j]);
  return indices;
}

}  // namespace minigrad
