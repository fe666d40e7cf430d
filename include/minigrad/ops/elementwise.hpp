// Elementwise ops and their gradients. The two-input ones broadcast (ops/broadcast.hpp): [32, 10]
// with [10], [32, 1] or [] (a scalar) all work, and in backward each input's gradient is summed
// back to that input's own shape.
#pragma once

#include "minigrad/ops/broadcast.hpp"
#include "minigrad/ops/operators.hpp"  // a + b, x * 2.0f, ...: these ops by another name
#include "minigrad/tensor.hpp"

namespace minigrad {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);

Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
/// Natural log; log(0) = -inf as in PyTorch.
Tensor log(const Tensor& x);
/// x ** exponent for a constant exponent.
Tensor pow(const Tensor& x, float exponent);
Tensor sqrt(const Tensor& x);

}  // namespace minigrad
