// Batched matrix products: torch.matmul's rules for operands of any rank and torch.bmm.
// Teaches: a batch of products is one backend::gemm per matrix, found through pointer offsets;
// broadcast batch dims need no copies, because the backward adds each batch's gradient into the
// matrix it read (beta = 1), which is exactly the sum that undoes the broadcast.
// Leaves out: transposed operands in the batched form (transpose a matrix first).
#pragma once

#include "minigrad/tensor.hpp"

namespace minigrad {

/// torch.matmul for a and b of rank >= 1. 1-D·1-D is the dot product (a scalar); a 1-D a is
/// read as (1, k) and a 1-D b as (k, 1), the added dim removed from the result; otherwise a is
/// (..., m, k), b is (..., k, n) and the batch dims (...) broadcast: [2, 1, m, k]·[3, k, n] is
/// [2, 3, m, n]. minigrad::matmul(a, b) calls this whenever a or b is not 2-D.
Tensor batched_matmul(const Tensor& a, const Tensor& b);
/// torch.bmm: a (B, m, k) · b (B, k, n) -> (B, m, n), same B, no broadcasting.
Tensor bmm(const Tensor& a, const Tensor& b);

}  // namespace minigrad
