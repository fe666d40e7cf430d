// transpose: a copy with rows and columns swapped, and its backward, the same swap back.
#include "minigrad/ops/transpose.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "minigrad/autograd.hpp"

namespace minigrad {

Tensor transpose(const Tensor& x) {
  if (x.dim() != 2)
    throw std::invalid_argument(fmt::format(
        "transpose: x must be 2-D but is {} (HINT: transpose swaps the two dims of a matrix; "
        "reshape first)",
        shape_str(x.shape())));
  const int64_t rows = x.size(0), cols = x.size(1);
  // x: (rows, cols) -> y: (cols, rows), y[j, i] = x[i, j]
  Tensor y = Tensor::empty({cols, rows});
  const float* px = x.data();
  float* py = y.data();
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) py[j * rows + i] = px[i * cols + j];
  //   dx[i, j] = dy[j, i]
  return record(
      y, "transpose", {x},
      [x, rows, cols](const Tensor& dy) {
        float* dx = grad_buffer(x);
        const float* g = dy.data();
        for (int64_t i = 0; i < rows; ++i)
          for (int64_t j = 0; j < cols; ++j) dx[i * cols + j] += g[j * rows + i];
      },
      Saved::none);
}

}  // namespace minigrad
