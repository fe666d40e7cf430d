// Activation functions as ops: relu, sigmoid, tanh.
#pragma once

#include "minigrad/tensor.hpp"

namespace minigrad {

/// max(x, 0); the derivative at exactly 0 is taken as 0, as in PyTorch.
Tensor relu(const Tensor& x);
/// 1 / (1 + exp(-x)), computed without overflow for large |x|.
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);

}  // namespace minigrad
