// Joining tensors: cat puts them end to end along an existing dimension, stack along a new one,
// as torch.cat and torch.stack. Teaches that a join's backward is a split: each input takes back
// the slice of the gradient that its values went to. Leaves out: the out= forms, type promotion.
#pragma once

#include <cstdint>
#include <vector>

#include "minigrad/tensor.hpp"

namespace minigrad {

/// Concatenates along `dim` (negative counts from the end): every tensor has the same shape
/// except in `dim`. cat({a (2, 3), b (4, 3)}, 0) is (6, 3).
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
/// Joins equally shaped tensors along a new dimension `dim` (from -(rank + 1) to rank):
/// stack({a (2, 3), b (2, 3)}, 1) is (2, 2, 3).
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);

}  // namespace minigrad
