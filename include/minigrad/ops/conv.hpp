// 2-D convolution over NCHW float32 tensors, as torch.nn.functional.conv2d: stride, zero padding,
// dilation, groups and an optional bias. conv2d lowers each image to columns (im2col) and runs
// one matrix product per group; conv2d_reference is the same function as plain nested loops (the
// "direct" view), kept beside it as the definition the fast path is tested against.
// Leaves out: padding modes other than zeros, "same"/"valid" strings, 1-D and 3-D convolutions.
#pragma once

#include <cstdint>

#include "minigrad/tensor.hpp"

namespace minigrad {

/// A (height, width) pair; one number means the same for both, as PyTorch's `padding=1`.
/// The constructors are defined out of line on purpose: GCC 12.2 with -march=native on AVX-512
/// machines (Skylake-X to Rocket Lake tuning) miscompiles constant stores of consecutive int64
/// pairs, so that Conv2dArgs{.stride = 2} came out with padding 2 as well. Stores made inside a
/// function of another file cannot be merged into one wrong vector constant by the caller.
struct Size2 {
  int64_t h = 0, w = 0;
  Size2(int64_t both);  // NOLINT: implicit, so that `.stride = 2` reads well
  Size2(int64_t height, int64_t width);
  bool operator==(const Size2&) const = default;
};

/// conv2d's arguments after the tensors, with PyTorch's defaults: conv2d(x, w, b, {.padding = 1}).
struct Conv2dArgs {
  Size2 stride = 1;
  Size2 padding = 0;   // zeros added on each side
  Size2 dilation = 1;  // spacing between the kernel's taps
  int64_t groups = 1;  // input and output channels split into this many independent blocks
};

/// Output size of one spatial dimension: (in + 2·padding - dilation·(kernel - 1) - 1) / stride + 1.
int64_t conv_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                         int64_t dilation);

/// x (N, C_in, H, W), weight (C_out, C_in/groups, kh, kw), bias (C_out) or undefined
/// -> y (N, C_out, H_out, W_out). One graph node; bias and weight gradients accumulate (+=).
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
              const Conv2dArgs& args = {});
/// The same function and gradients computed by direct nested loops in double: slow, obvious.
Tensor conv2d_reference(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
                        const Conv2dArgs& args = {});

}  // namespace minigrad
