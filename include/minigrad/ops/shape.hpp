// Shape ops that move no data: flatten, as torch.flatten. Every minigrad tensor is contiguous,
// so flattening is Tensor::reshape with the merged size worked out (and its gradient a reshape
// back). Leaves out: unflatten, squeeze/unsqueeze, permute.
#pragma once

#include <cstdint>

#include "minigrad/tensor.hpp"

namespace minigrad {

/// Merges dimensions start_dim..end_dim (negative counts from the end) into one:
/// flatten of (N, C, H, W) from 1 is (N, C·H·W). A scalar becomes a 1-element 1-D tensor.
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);

}  // namespace minigrad
