// Piecewise-linear elementwise ops: abs and clamp, as torch.abs and torch.clamp. Teaches what a
// backward does at a kink, where the slope jumps: PyTorch's choice is kept (abs' gradient is 0 at
// exactly 0; clamp passes the gradient where min <= x <= max, bounds included).
// Leaves out: tensor-valued bounds, in-place forms.
#pragma once

#include <optional>

#include "minigrad/tensor.hpp"

namespace minigrad {

/// |x| elementwise; d|x|/dx is sign(x), 0 at x = 0.
Tensor abs(const Tensor& x);
/// min(max(x, min), max) elementwise; either bound may be left out (std::nullopt), not both.
/// With min > max every element becomes max, as in PyTorch. NaN stays NaN.
Tensor clamp(const Tensor& x, std::optional<float> min, std::optional<float> max = std::nullopt);

}  // namespace minigrad
