// The transpose of a matrix. minigrad has no strides, so unlike torch.t() it copies the values
// into a new contiguous tensor; the products never need it (backend::gemm reads an operand as
// transposed through a flag, see matmul.hpp).
#pragma once

#include "minigrad/tensor.hpp"

namespace minigrad {

/// The transpose of a 2-D tensor, as a new contiguous tensor.
Tensor transpose(const Tensor& x);

}  // namespace minigrad
