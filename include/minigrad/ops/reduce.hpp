// Reductions: sum, mean, max and argmax, over everything or along one dimension.
// `dim` may be negative (counted from the end). With keepdim the reduced dimension stays as size 1.
#pragma once

#include <utility>

#include "minigrad/tensor.hpp"

namespace minigrad {

/// Sum of all elements: a scalar (shape []).
Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, int64_t dim, bool keepdim = false);
/// Maximum along `dim` and where it is (the first one on ties), like torch.max(x, dim).
/// The values are differentiable (the gradient goes to the chosen element); the indices are
/// whole numbers stored as floats.
std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
/// Index of the maximum along `dim` (first on ties), as floats; never recorded.
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);

}  // namespace minigrad
