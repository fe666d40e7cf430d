// The weighting the golden cases of tests/reference/golden_api_ops.py use: each case backpropagates
// sum(y · w) with w = arange(numel(y)) - 1.5 in y's shape, so every output element has its own
// weight and the input gradients pin the backward down.
#pragma once

#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/reduce.hpp"
#include "minigrad/tensor.hpp"

namespace minigrad::testing {

/// Runs backward() from sum(y · (arange - 1.5)) and returns y, for checking its values.
inline Tensor backward_weighted(const Tensor& y) {
  Tensor w = (Tensor::arange(y.numel()) - 1.5f).reshape(y.shape());
  sum(y * w).backward();
  return y;
}

}  // namespace minigrad::testing
