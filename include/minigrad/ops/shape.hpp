// Shape ops that move no data: flatten, unsqueeze and squeeze, as in PyTorch. Every minigrad
// tensor is contiguous, so each is Tensor::reshape with the new shape worked out (and its
// gradient a reshape back). Leaves out: unflatten, permute.
#pragma once

#include <cstdint>

#include "minigrad/tensor.hpp"

namespace minigrad {

/// Merges dimensions start_dim..end_dim (negative counts from the end) into one:
/// flatten of (N, C, H, W) from 1 is (N, C·H·W). A scalar becomes a 1-element 1-D tensor.
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
/// Inserts a dimension of size 1 at `dim` (from -(rank + 1) to rank): unsqueeze of (3, 4) at 1
/// is (3, 1, 4), at -1 is (3, 4, 1).
Tensor unsqueeze(const Tensor& x, int64_t dim);
/// Removes every dimension of size 1: squeeze of (1, 3, 1) is (3).
Tensor squeeze(const Tensor& x);
/// Removes dimension `dim` if its size is 1, else returns the same shape, as torch.squeeze.
Tensor squeeze(const Tensor& x, int64_t dim);

}  // namespace minigrad
