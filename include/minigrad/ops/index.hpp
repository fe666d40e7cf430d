// Picking parts of a tensor along one dimension: narrow (a contiguous range, what x[:, 2:5]
// means in Python) and index_select (any list of positions, repeats allowed), as in PyTorch.
// Teaches that the gradient of a selection scatters back: repeated positions add up.
// Leaves out: steps in slices, views (both copy, as every minigrad tensor is contiguous).
#pragma once

#include <cstdint>

#include "minigrad/tensor.hpp"

namespace minigrad {

/// Elements start .. start + length - 1 along `dim`: narrow of (4, 6) along 1 from 2 by 3 is
/// (4, 3). A negative start counts from the end, as in torch.narrow.
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
/// The positions listed in `index` (1-D, whole numbers in 0..size(dim)-1 stored as floats, like
/// argmax's result) along `dim`: index_select of (4, 6) along 0 with {3, 0, 3} is (3, 6).
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);

}  // namespace minigrad
