// max and argmax along one dimension: reductions that select one element instead of combining
// all of them, so the gradient is routed to the chosen element, not spread over the lane (the
// same rule as max pooling). Ties go to the first maximum; a NaN is the maximum, as in PyTorch.
#pragma once

#include <cstdint>
#include <utility>

#include "minigrad/tensor.hpp"

namespace minigrad {

/// Maximum along `dim` and where it is (the first one on ties), like torch.max(x, dim).
/// The values are differentiable (the gradient goes to the chosen element); the indices are
/// whole numbers stored as floats.
std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
/// Index of the maximum along `dim` (first on ties), as floats; never recorded.
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);

}  // namespace minigrad
