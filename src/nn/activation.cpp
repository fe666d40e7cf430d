// ReLU, Sigmoid, Tanh modules: thin wrappers over the ops of the same names.
#include "minigrad/nn/activation.hpp"

#include "minigrad/ops/activation.hpp"

namespace minigrad::nn {

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor Tanh::forward(const Tensor& x) { return minigrad::tanh(x); }

}  // namespace minigrad::nn
