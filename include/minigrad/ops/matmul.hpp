// Matrix products, each one backend::gemm call (backend/backend.hpp).
// The transposed variants read an operand as transposed without copying it, so backward needs no
// explicit transposes: for y = x·wᵀ, dx = dy·w and dw = dyᵀ·x are both single gemm calls.
#pragma once

#include "minigrad/tensor.hpp"

namespace minigrad {

/// op(a)·op(b) for 2-D tensors: a is (m, k) (or (k, m) with transpose_a), b is (k, n)
/// (or (n, k) with transpose_b). Without transposes, other ranks follow torch.matmul
/// (1-D promotion, broadcast batch dims): see batched_matmul.hpp.
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);
/// y = x·wᵀ + b, with x (..., in), w (out, in), b (out) or undefined -> y (..., out):
/// torch.nn.functional.linear, one gemm over all rows. dx is computed only if x requires grad.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b = Tensor());

}  // namespace minigrad
