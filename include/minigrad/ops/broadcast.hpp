// Broadcasting, NumPy's and PyTorch's rule for two shapes: aligned from the right, each pair of
// sizes must be equal or one of them 1 (or missing), and that one is stretched. [32, 10] with
// [10], [32, 1] or [] (a scalar) all work. sum_to undoes it for a gradient: a broadcast input's
// gradient is summed back to the input's own shape.
#pragma once

#include "minigrad/tensor.hpp"

namespace minigrad {

/// The shape two operands broadcast to; throws naming both shapes if they are incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b);
/// Sums `x` down to `shape` (the reverse of broadcasting); not recorded. Used by backward.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace minigrad
