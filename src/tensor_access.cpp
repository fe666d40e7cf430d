// Element access (declared in tensor.hpp): at() turns a multi-index into an offset into the
// row-major storage, checking each index against its dimension; item() reads the one value of a
// one-element tensor; to_vector() copies the values out. What it teaches: row-major offsets.
// Leaves out: negative indices, slicing.
#include <fmt/format.h>

#include <stdexcept>

#include "minigrad/tensor.hpp"

namespace minigrad {

// Row-major: the offset of (i, j, k) in shape (A, B, C) is (i·B + j)·C + k.
namespace {
int64_t flat_index(const Shape& shape, std::initializer_list<int64_t> index) {
  if (index.size() != shape.size())
    throw std::out_of_range(fmt::format(
        "at(): {} indices for a tensor of shape {} (HINT: give one index per dimension)",
        index.size(), shape_str(shape)));
  int64_t flat = 0;
  size_t d = 0;
  for (int64_t i : index) {
    if (i < 0 || i >= shape[d])
      throw std::out_of_range(fmt::format(
          "at(): index {} is out of range for dimension {} of shape {}", i, d, shape_str(shape)));
    flat = flat * shape[d++] + i;
  }
  return flat;
}
}  // namespace

float& Tensor::at(std::initializer_list<int64_t> index) {
  return data()[flat_index(shape(), index)];
}
float Tensor::at(std::initializer_list<int64_t> index) const {
  return data()[flat_index(shape(), index)];
}
float Tensor::item() const {
  if (numel() != 1)
    throw std::invalid_argument(fmt::format(
        "item(): a tensor of shape {} has {} values, not one (HINT: reduce it first with sum() or "
        "mean(), or read one element with at())",
        shape_str(shape()), numel()));
  return data()[0];
}
std::vector<float> Tensor::to_vector() const {
  return std::vector<float>(data(), data() + numel());
}

}  // namespace minigrad
