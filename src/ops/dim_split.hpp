// The one piece of shape logic the reductions and softmax share: x viewed as (outer, n, inner)
// around `dim`, where outer is the product of the dimensions before dim and inner of those after
// it, so element (o, k, i) sits at (o·n + k)·inner + i. Internal to src/ops.
#pragma once

#include <cstdint>
#include <string_view>

#include "minigrad/tensor.hpp"

namespace minigrad::ops_detail {

struct DimSplit {
  int64_t outer = 1, n = 1, inner = 1;
};

/// Checks `dim` against `shape` (negative counts from the end; a scalar accepts 0 and -1, as in
/// PyTorch) and splits the shape around it. An out-of-range dim throws std::out_of_range naming
/// `op` and the valid range; `hint` is added to the message's HINT.
DimSplit split_dim(const char* op, const Shape& shape, int64_t dim, std::string_view hint = "");

/// `shape` reduced along a valid `dim`: without it, or with a 1 in its place under keepdim.
Shape reduced_shape(const Shape& shape, int64_t dim, bool keepdim);

}  // namespace minigrad::ops_detail
