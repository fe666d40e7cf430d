// cat and stack. Around `dim`, every input is viewed as (outer, n_t, inner) and the output as
// (outer, Σ n_t, inner): for each outer position, the inputs' contiguous blocks of n_t·inner
// values are laid one after another. stack is cat of the inputs with a 1 inserted at dim.
#include "minigrad/ops/join.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "dim_split.hpp"
#include "minigrad/autograd.hpp"
#include "minigrad/ops/shape.hpp"

namespace minigrad {

// ts[t]: (outer, n_t, inner) -> y: (outer, Σ n_t, inner)
//   dts[t] = dy[:, offset_t : offset_t + n_t, :]   (the slice its values went to)
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  if (tensors.empty())
    throw std::invalid_argument(
        "cat: expected a non-empty list of tensors (HINT: pass at least one)");
  const Shape& first = tensors[0].shape();
  const ops_detail::DimSplit s = ops_detail::split_dim("cat", first, dim);
  if (first.empty())
    throw std::invalid_argument(
        "cat: a scalar (shape []) cannot be concatenated (HINT: reshape it to [1], or use stack)");
  const size_t d = static_cast<size_t>(dim < 0 ? dim + static_cast<int64_t>(first.size()) : dim);
  std::vector<int64_t> sizes;  // n_t of each input along dim
  for (size_t t = 0; t < tensors.size(); ++t) {
    const Shape& shape = tensors[t].shape();
    Shape a = shape, b = first;
    if (a.size() == b.size()) a[d] = b[d] = 0;  // dim itself may differ
    if (a != b)
      throw std::invalid_argument(fmt::format(
          "cat: tensor {} has shape {} but tensor 0 has shape {}; along dim {} they must match "
          "in every dimension but {} (HINT: reshape or narrow them first)",
          t, shape_str(shape), shape_str(first), dim, d));
    sizes.push_back(shape[d]);
  }
  Shape out_shape = first;
  int64_t total = 0;
  for (int64_t n : sizes) total += n;
  out_shape[d] = total;
  Tensor y = Tensor::empty(out_shape);
  float* py = y.data();
  for (int64_t o = 0; o < s.outer; ++o) {
    float* row = py + o * total * s.inner;
    for (size_t t = 0; t < tensors.size(); ++t) {
      const int64_t block = sizes[t] * s.inner;
      const float* src = tensors[t].data() + o * block;
      row = std::copy(src, src + block, row);
    }
  }
  return record(
      y, "cat", tensors,
      [tensors, sizes, s, total](const Tensor& dy) {
        const float* g = dy.data();
        int64_t offset = 0;  // where tensor t starts along dim
        for (size_t t = 0; t < tensors.size(); ++t) {
          const int64_t block = sizes[t] * s.inner;
          if (tensors[t].requires_grad()) {
            float* dt = grad_buffer(tensors[t]);
            for (int64_t o = 0; o < s.outer; ++o) {
              const float* src = g + (o * total + offset) * s.inner;
              for (int64_t k = 0; k < block; ++k) dt[o * block + k] += src[k];
            }
          }
          offset += sizes[t];
        }
      },
      Saved::none);
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  if (tensors.empty())
    throw std::invalid_argument(
        "stack: expected a non-empty list of tensors (HINT: pass at least one)");
  const Shape& first = tensors[0].shape();
  const int64_t rank = static_cast<int64_t>(first.size());
  if (dim < -(rank + 1) || dim > rank)
    throw std::out_of_range(fmt::format(
        "stack: dim {} is out of range for tensors of shape {} (HINT: use a dim from {} to {})",
        dim, shape_str(first), -(rank + 1), rank));
  std::vector<Tensor> parts;
  for (size_t t = 0; t < tensors.size(); ++t) {
    if (tensors[t].shape() != first)
      throw std::invalid_argument(fmt::format(
          "stack: tensor {} has shape {} but tensor 0 has shape {} (HINT: stack needs equal "
          "shapes; cat joins along an existing dimension)",
          t, shape_str(tensors[t].shape()), shape_str(first)));
    parts.push_back(unsqueeze(tensors[t], dim));
  }
  return cat(parts, dim < 0 ? dim + rank + 1 : dim);
}

}  // namespace minigrad
