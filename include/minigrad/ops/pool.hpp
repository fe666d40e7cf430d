// Pooling over NCHW float32 tensors, as torch.nn.functional: max_pool2d, avg_pool2d and
// adaptive_avg_pool2d, each sliding a window over every (image, channel) plane on its own.
// Teaches: a max routes its gradient to the one input it chose, an average spreads it evenly.
// Leaves out: ceil_mode, dilation for pooling, count_include_pad=False, return_indices.
#pragma once

#include <cstdint>
#include <optional>

#include "minigrad/ops/conv.hpp"
#include "minigrad/tensor.hpp"

namespace minigrad {

/// Pooling's arguments after the kernel size; the stride defaults to the kernel size, as in
/// PyTorch. Padding must be at most half the kernel.
struct Pool2dArgs {
  std::optional<Size2> stride = std::nullopt;
  Size2 padding = 0;
};

/// x (N, C, H, W) -> y (N, C, H_out, W_out): the maximum of each window (padding never wins).
/// The gradient goes to the window's first maximum in row-major order; a NaN is a maximum.
Tensor max_pool2d(const Tensor& x, Size2 kernel_size, const Pool2dArgs& args = {});
/// x (N, C, H, W) -> y (N, C, H_out, W_out): each window's sum divided by kh·kw, padding zeros
/// included (count_include_pad=True, PyTorch's default).
Tensor avg_pool2d(const Tensor& x, Size2 kernel_size, const Pool2dArgs& args = {});
/// x (N, C, H, W) -> y (N, C, oh, ow): output cell i averages input rows floor(i·H/oh) to
/// ceil((i+1)·H/oh) - 1 (and the same for columns). output_size 1 is the global average.
Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size);

}  // namespace minigrad
