// More reductions along one dimension: min (the mirror of max in reduce.hpp), and the spread
// statistics var and std, as torch.min, torch.var and torch.std. Teaches Bessel's correction:
// unbiased divides by n - 1 (PyTorch's default), otherwise by n.
// Leaves out: several dims at once, correction values other than 0 and 1, var_mean.
#pragma once

#include <cstdint>
#include <utility>

#include "minigrad/tensor.hpp"

namespace minigrad {

/// Minimum along `dim` and where it is (the first one on ties), like torch.min(x, dim). The
/// values are differentiable (the gradient goes to the chosen element); the indices are whole
/// numbers stored as floats.
std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
/// Unbiased variance of all elements, Σ(x - mean)² / (n - 1). For / n, flatten first:
/// var(flatten(x), 0, false).
Tensor var(const Tensor& x);
/// Variance along `dim`: Σ(x - mean)² / (n - 1), or / n when unbiased is false.
Tensor var(const Tensor& x, int64_t dim, bool unbiased = true, bool keepdim = false);
/// Standard deviation, sqrt(var), as torch.std (named std_dev so that `using namespace
/// minigrad` cannot make `std` ambiguous); its gradient is taken as 0 where it is 0.
Tensor std_dev(const Tensor& x);
Tensor std_dev(const Tensor& x, int64_t dim, bool unbiased = true, bool keepdim = false);

}  // namespace minigrad
