// max and argmax along a dim, with x viewed as (outer, n, inner) around it (dim_split.hpp).
#include "minigrad/ops/max.hpp"

#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

#include "dim_split.hpp"
#include "minigrad/autograd.hpp"

namespace minigrad {

using ops_detail::DimSplit;
using ops_detail::reduced_shape;
using ops_detail::split_dim;

namespace {

// Where the maximum along dim sits, per (outer, inner) position: the first one on ties, and the
// first NaN if there is one (a NaN is the maximum, as in PyTorch).
std::vector<int64_t> argmax_positions(const char* op, const Tensor& x, const DimSplit& r,
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

std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  const DimSplit r = split_dim("max", x.shape(), dim);
  auto where = std::make_shared<const std::vector<int64_t>>(argmax_positions("max", x, r, dim));
  const Shape out = reduced_shape(x.shape(), dim, keepdim);
  Tensor values = Tensor::empty(out);
  Tensor indices = Tensor::empty(out);
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
  const DimSplit r = split_dim("argmax", x.shape(), dim);
  const std::vector<int64_t> where = argmax_positions("argmax", x, r, dim);
  Tensor indices = Tensor::empty(reduced_shape(x.shape(), dim, keepdim));
  for (size_t j = 0; j < where.size(); ++j) indices.data()[j] = static_cast<float>(where[j]);
  return indices;
}

}  // namespace minigrad
