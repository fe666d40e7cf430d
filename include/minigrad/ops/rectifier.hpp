// Relu's relatives: leaky_relu (a small slope instead of 0 for x < 0) and gelu (x weighted by
// the probability Φ(x) that a standard normal is below it, a smooth relu), as
// torch.nn.functional.leaky_relu and gelu. Leaves out: gelu's approximate='tanh' form.
#pragma once

#include "minigrad/tensor.hpp"

namespace minigrad {

/// x for x > 0, negative_slope·x otherwise; the gradient at exactly 0 is negative_slope.
Tensor leaky_relu(const Tensor& x, float negative_slope = 0.01f);
/// x·Φ(x) = x/2·(1 + erf(x/√2)), exactly (PyTorch's approximate='none').
Tensor gelu(const Tensor& x);

}  // namespace minigrad
