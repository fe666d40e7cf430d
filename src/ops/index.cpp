// narrow and index_select. Around `dim`, x is viewed as (outer, n, inner) and the result as
// (outer, m, inner); result row k along dim is x's row pos[k] (start + k for narrow), so both are
// one gather and their backward one scatter-add.
#include "minigrad/ops/index.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "dim_split.hpp"
#include "minigrad/autograd.hpp"

namespace minigrad {

namespace {

// x: (outer, n, inner) -> y: (outer, m, inner), y[o, k, i] = x[o, pos[k], i]
//   dx[o, pos[k], i] += dy[o, k, i]   (a position chosen twice collects both gradients)
Tensor gather_rows(const char* op, const Tensor& x, int64_t dim, std::vector<int64_t> pos) {
  const ops_detail::DimSplit s = ops_detail::split_dim(op, x.shape(), dim);
  const int64_t m = static_cast<int64_t>(pos.size());
  Shape out_shape = x.shape();
  if (!out_shape.empty()) out_shape[static_cast<size_t>(dim < 0 ? dim + x.dim() : dim)] = m;
  Tensor y = Tensor::empty(out_shape);
  const float* px = x.data();
  float* py = y.data();
  // Each (o, k) moves one contiguous run of `inner` floats: a row copy, not an element gather.
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t k = 0; k < m; ++k)
      std::copy_n(px + (o * s.n + pos[static_cast<size_t>(k)]) * s.inner, s.inner,
                  py + (o * m + k) * s.inner);
  return record(
      y, op, {x},
      [x, s, m, pos = std::move(pos)](const Tensor& dy) {
        float* dx = grad_buffer(x);
        const float* g = dy.data();
        for (int64_t o = 0; o < s.outer; ++o)
          for (int64_t k = 0; k < m; ++k) {
            float* to = dx + (o * s.n + pos[static_cast<size_t>(k)]) * s.inner;
            const float* from = g + (o * m + k) * s.inner;
            for (int64_t i = 0; i < s.inner; ++i) to[i] += from[i];
          }
      },
      Saved::none);
}

}  // namespace

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  const int64_t n = ops_detail::split_dim("narrow", x.shape(), dim).n;
  const int64_t first = start < 0 ? start + n : start;
  if (first < 0 || first > n || length < 0 || first + length > n)
    throw std::out_of_range(fmt::format(
        "narrow: start {} and length {} do not fit dimension {} of shape {}, which has {} "
        "elements (HINT: need 0 <= start (or -{} <= start < 0) and start + length <= {})",
        start, length, dim, shape_str(x.shape()), n, n, n));
  std::vector<int64_t> pos(static_cast<size_t>(length));
  for (int64_t k = 0; k < length; ++k) pos[static_cast<size_t>(k)] = first + k;
  return gather_rows("narrow", x, dim, std::move(pos));
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  const int64_t n = ops_detail::split_dim("index_select", x.shape(), dim).n;
  if (index.dim() > 1)
    throw std::invalid_argument(fmt::format(
        "index_select: index has shape {}, expected a 1-D list of positions (HINT: flatten it)",
        shape_str(index.shape())));
  std::vector<int64_t> pos;
  for (int64_t k = 0; k < index.numel(); ++k) {
    const float v = index.data()[k];
    if (!(v >= 0.0f && v < static_cast<float>(n)) || v != std::floor(v))
      throw std::out_of_range(fmt::format(
          "index_select: index[{}] is {}, but dimension {} of shape {} has positions 0..{} "
          "(HINT: indices are whole numbers counted from 0)",
          k, v, dim, shape_str(x.shape()), n - 1));
    pos.push_back(static_cast<int64_t>(v));
  }
  return gather_rows("index_select", x, dim, std::move(pos));
}

}  // namespace minigrad
