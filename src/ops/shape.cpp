// flatten, unsqueeze, squeeze: the new shape, then a (differentiable, free) reshape.
#include "minigrad/ops/shape.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace minigrad {

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  const int64_t rank = x.dim();
  if (rank == 0) return x.reshape({1});  // torch.flatten of a scalar is 1-D
  auto wrap = [&](int64_t d, const char* name) {
    if (d < -rank || d >= rank)
      throw std::out_of_range(fmt::format(
          "flatten: {} {} is out of range for a tensor of shape {} (HINT: use a dim from {} to {})",
          name, d, shape_str(x.shape()), -rank, rank - 1));
    return d < 0 ? d + rank : d;
  };
  const int64_t start = wrap(start_dim, "start_dim"), end = wrap(end_dim, "end_dim");
  if (start > end)
    throw std::invalid_argument(fmt::format(
        "flatten: start_dim {} comes after end_dim {} for shape {} (HINT: start_dim <= end_dim)",
        start_dim, end_dim, shape_str(x.shape())));
  Shape merged;
  int64_t span = 1;
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t size = x.shape()[static_cast<size_t>(d)];
    if (d < start || d > end) {
      merged.push_back(size);
    } else {
      span *= size;
      if (d == end) merged.push_back(span);
    }
  }
  return x.reshape(merged);
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  const int64_t rank = x.dim();
  if (dim < -(rank + 1) || dim > rank)
    throw std::out_of_range(fmt::format(
        "unsqueeze: dim {} is out of range for a tensor of shape {} (HINT: use a dim from {} to {})",
        dim, shape_str(x.shape()), -(rank + 1), rank));
  Shape s = x.shape();
  s.insert(s.begin() + (dim < 0 ? dim + rank + 1 : dim), 1);
  return x.reshape(s);
}

Tensor squeeze(const Tensor& x) {
  Shape s;
  for (int64_t size : x.shape())
    if (size != 1) s.push_back(size);
  return x.reshape(s);
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  const int64_t rank = x.dim();
  const int64_t lo = rank == 0 ? -1 : -rank, hi = rank == 0 ? 0 : rank - 1;  // a scalar has 0, -1
  if (dim < lo || dim > hi)
    throw std::out_of_range(fmt::format(
        "squeeze: dim {} is out of range for a tensor of shape {} (HINT: use a dim from {} to {})",
        dim, shape_str(x.shape()), lo, hi));
  Shape s = x.shape();
  if (rank > 0 && s[static_cast<size_t>(dim < 0 ? dim + rank : dim)] == 1)
    s.erase(s.begin() + (dim < 0 ? dim + rank : dim));
  return x.reshape(s);
}

}  // namespace minigrad
