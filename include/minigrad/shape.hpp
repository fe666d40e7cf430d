// Shape: a tensor's sizes as a std::vector<int64_t>, with the three things every op asks of one:
// how it prints in a message, how many values it holds, and reshape's -1 worked out. Leaves out
// strides: every minigrad tensor is contiguous.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace minigrad {

/// A shape such as {32, 784}. Rank 0 (an empty shape) is a scalar holding one value.
using Shape = std::vector<int64_t>;

/// "[32, 784]": how shapes appear in messages.
std::string shape_str(const Shape& shape);
/// Product of the dimensions (1 for a scalar); throws on a negative dimension.
int64_t shape_numel(const Shape& shape);
/// `to` with its one -1 (if any) replaced by the size that keeps `from`'s number of values, as
/// reshape() reads it; throws naming both shapes if no such size exists.
Shape infer_shape(const Shape& from, const Shape& to);

}  // namespace minigrad
