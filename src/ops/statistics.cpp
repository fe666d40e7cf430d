// min, var and std_dev. Like reduce.cpp, reducing along `dim` views x as (outer, n, inner) and the
// result as (outer, inner); the whole-tensor forms are the same with outer = inner = 1.
// Sums accumulate in double.
#include "minigrad/ops/statistics.hpp"

#include <cmath>
#include <memory>
#include <vector>

#include "dim_split.hpp"
#include "minigrad/autograd.hpp"

namespace minigrad {

namespace {

// x: (outer, n, inner) -> values, indices: (outer, inner), the first smallest along n (a NaN is
// the smallest, as in PyTorch)
//   dx[o, k, i] = dy[o, i] where k is the chosen index, 0 elsewhere
std::pair<Tensor, Tensor> min_along(const Tensor& x, int64_t dim, bool keepdim) {
  const ops_detail::DimSplit s = ops_detail::split_dim("min", x.shape(), dim);
  if (s.n == 0)
    throw std::invalid_argument("min: cannot reduce an empty dimension (shape " +
                                shape_str(x.shape()) +
                                ") (HINT: there is no minimum of no values)");
  const Shape out = ops_detail::reduced_shape(x.shape(), dim, keepdim);
  auto where = std::make_shared<std::vector<int64_t>>(static_cast<size_t>(s.outer * s.inner));
  Tensor values = Tensor::empty(out), indices = Tensor::empty(out);
  const float* px = x.data();
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      int64_t best = 0;
      for (int64_t k = 1; k < s.n; ++k) {
        const float v = px[(o * s.n + k) * s.inner + i], b = px[(o * s.n + best) * s.inner + i];
        if (!std::isnan(b) && (v < b || std::isnan(v))) best = k;
      }
      (*where)[static_cast<size_t>(o * s.inner + i)] = best;
      values.data()[o * s.inner + i] = px[(o * s.n + best) * s.inner + i];
      indices.data()[o * s.inner + i] = static_cast<float>(best);
    }
  values = record(
      values, "min", {x},
      [x, s, where](const Tensor& dy) {
        float* dx = grad_buffer(x);
        const float* g = dy.data();
        for (int64_t o = 0; o < s.outer; ++o)
          for (int64_t i = 0; i < s.inner; ++i)
            dx[(o * s.n + (*where)[static_cast<size_t>(o * s.inner + i)]) * s.inner + i] +=
                g[o * s.inner + i];
      },
      Saved::none);
  return {values, indices};
}

// x: (outer, n, inner) -> v: (outer, inner) = Σ_k (x[o, k, i] - m[o, i])² / (n - c), with m the
// mean along n and c = 1 if unbiased else 0; for std, y = sqrt(v).
//   var: dx[o, k, i] = dy[o, i] · 2 (x[o, k, i] - m[o, i]) / (n - c)
//   std: dx[o, k, i] = dy[o, i] · (x[o, k, i] - m[o, i]) / ((n - c) · y[o, i])   (0 where y = 0)
// (the mean's own dependence on x drops out: Σ_k (x_k - m) = 0)
Tensor spread(const char* op, const Tensor& x, const ops_detail::DimSplit& s, Shape out,
              bool unbiased, bool take_sqrt) {
  const double divisor = static_cast<double>(s.n) - (unbiased ? 1.0 : 0.0);
  Tensor y = Tensor::empty(out);
  Tensor mean = Tensor::empty(out);  // kept for the backward
  const float* px = x.data();
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      double m = 0;
      for (int64_t k = 0; k < s.n; ++k) m += px[(o * s.n + k) * s.inner + i];
      m /= static_cast<double>(s.n);
      double ss = 0;
      for (int64_t k = 0; k < s.n; ++k) {
        const double d = px[(o * s.n + k) * s.inner + i] - m;
        ss += d * d;
      }
      const double v = ss / divisor;  // n = 1 unbiased: 0 / 0 = NaN, as in PyTorch
      mean.data()[o * s.inner + i] = static_cast<float>(m);
      y.data()[o * s.inner + i] = static_cast<float>(take_sqrt ? std::sqrt(v) : v);
    }
  const Saved saved = take_sqrt ? Saved::inputs_and_output : Saved::inputs;
  return record(
      y, op, {x},
      [x, s, mean, divisor, take_sqrt, out = y.detach()](const Tensor& dy) {
        float* dx = grad_buffer(x);
        const float* g = dy.data();
        const float* px = x.data();
        for (int64_t o = 0; o < s.outer; ++o)
          for (int64_t i = 0; i < s.inner; ++i) {
            const int64_t r = o * s.inner + i;
            double scale = 2.0 * g[r] / divisor;
            if (take_sqrt) scale = out.data()[r] == 0.0f ? 0.0 : g[r] / (divisor * out.data()[r]);
            for (int64_t k = 0; k < s.n; ++k) {
              const int64_t e = (o * s.n + k) * s.inner + i;
              dx[e] += static_cast<float>(scale * (px[e] - static_cast<double>(mean.data()[r])));
            }
          }
      },
      saved);
}

ops_detail::DimSplit whole(const Tensor& x) { return {1, x.numel(), 1}; }

}  // namespace

std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return min_along(x, dim, keepdim);
}

Tensor var(const Tensor& x) { return spread("var", x, whole(x), {}, true, false); }
Tensor var(const Tensor& x, int64_t dim, bool unbiased, bool keepdim) {
  return spread("var", x, ops_detail::split_dim("var", x.shape(), dim),
                ops_detail::reduced_shape(x.shape(), dim, keepdim), unbiased, false);
}
Tensor std_dev(const Tensor& x) { return spread("std", x, whole(x), {}, true, true); }
Tensor std_dev(const Tensor& x, int64_t dim, bool unbiased, bool keepdim) {
  return spread("std", x, ops_detail::split_dim("std", x.shape(), dim),
                ops_detail::reduced_shape(x.shape(), dim, keepdim), unbiased, true);
}

}  // namespace minigrad
