// Matrix products through OpenBLAS sgemm, with a naive reference kept beside them.
// The transposed variants read an operand as transposed without copying it, so backward needs no
// explicit transposes: for y = x·wᵀ, dx = dy·w and dw = dyᵀ·x are both single sgemm calls.
#pragma once

#include "minigrad/tensor.hpp"

namespace minigrad {

/// C = alpha·op(A)·op(B) + beta·C for row-major A, B, C; op(M) is M or Mᵀ.
/// op(A) is (m, k), op(B) is (k, n), C is (m, n). Not recorded: the building block for ops.
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, const float* b, float beta, float* c);
/// The same contract computed with three plain loops (double accumulation): the reference the
/// BLAS path is tested against.
void gemm_reference(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                    float alpha, const float* a, const float* b, float beta, float* c);

/// op(a)·op(b) for 2-D tensors: a is (m, k) (or (k, m) with transpose_a), b is (k, n)
/// (or (n, k) with transpose_b).
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);
/// The same product computed by gemm_reference; recorded like matmul.
Tensor matmul_reference(const Tensor& a, const Tensor& b, bool transpose_a = false,
                        bool transpose_b = false);
/// y = x·wᵀ + b, with x (B, in), w (out, in), b (out) or undefined: torch.nn.functional.linear
/// as one graph node. dx is computed only if x requires grad.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b = Tensor());
/// The transpose of a 2-D tensor, as a new contiguous tensor.
Tensor transpose(const Tensor& x);

}  // namespace minigrad
