// split_dim and reduced_shape: dim checks and the (outer, n, inner) view for reduce and softmax.
#include "dim_split.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace minigrad::ops_detail {

DimSplit split_dim(const char* op, const Shape& shape, int64_t dim, std::string_view hint) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  const int64_t span = rank == 0 ? 1 : rank;
  if (dim < -span || dim >= span)
    throw std::out_of_range(fmt::format(
        "{}: dim {} is out of range for a tensor of shape {} (HINT: use a dim from {} to {}{})", op,
        dim, shape_str(shape), -span, span - 1, hint));
  DimSplit s;
  if (rank == 0) return s;  // a scalar is one lane of one element
  const int64_t d = dim < 0 ? dim + rank : dim;
  for (int64_t k = 0; k < d; ++k) s.outer *= shape[static_cast<size_t>(k)];
  s.n = shape[static_cast<size_t>(d)];
  for (int64_t k = d + 1; k < rank; ++k) s.inner *= shape[static_cast<size_t>(k)];
  return s;
}

Shape reduced_shape(const Shape& shape, int64_t dim, bool keepdim) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  const int64_t d = dim < 0 ? dim + rank : dim;
  Shape out;
  for (int64_t k = 0; k < rank; ++k) {
    if (k != d)
      out.push_back(shape[static_cast<size_t>(k)]);
    else if (keepdim)
      out.push_back(1);
  }
  return out;
}

}  // namespace minigrad::ops_detail
