// Reductions: sum and mean, over everything or along one dimension (max and argmax, which select
// rather than combine, are in ops/max.hpp). `dim` may be negative (counted from the end). With
// keepdim the reduced dimension stays as size 1.
#pragma once

#include "minigrad/ops/max.hpp"
#include "minigrad/tensor.hpp"

namespace minigrad {

/// Sum of all elements: a scalar (shape []).
Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, int64_t dim, bool keepdim = false);

}  // namespace minigrad
