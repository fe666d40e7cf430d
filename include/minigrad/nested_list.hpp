// NestedList: the braced literal that Tensor::from reads, `{{0}, {1}, {1}, {0}}` as a [4, 1]
// tensor, like torch.tensor([[0], [1], [1], [0]]). A bare number is a list element of shape [];
// every list at one depth must have the same shape. Built from literals, rarely named.
#pragma once

#include <initializer_list>
#include <vector>

#include "minigrad/shape.hpp"

namespace minigrad {

/// A number, or a braced list of NestedLists that all have one shape.
class NestedList {
 public:
  NestedList(float value);  // NOLINT: implicit, so that a bare number is a list element
  NestedList(std::initializer_list<NestedList> items);
  const Shape& shape() const { return shape_; }
  const std::vector<float>& values() const { return values_; }

 private:
  Shape shape_;                // {} for a number, {n, ...item shape} for a list of n items
  std::vector<float> values_;  // row-major
};

}  // namespace minigrad
