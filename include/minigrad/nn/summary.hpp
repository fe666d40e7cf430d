// summary(): a layer table in the style of torchinfo — each module with its type, depth and
// index, its output shape for a given input shape, and its own parameter count, then the totals.
// The shapes come from one forward pass on zeros in eval mode under NoGradGuard (each module's
// train/eval mode is restored afterwards). Leaves out: memory estimates beyond the input size.
#pragma once

#include <string>

#include "minigrad/nn/module.hpp"
#include "minigrad/tensor.hpp"

namespace minigrad::nn {

/// The table for `module` fed an input of `input_shape`, e.g. summary(model, {4800, 784}):
///   Layer (type:depth-idx)                   Output Shape              Param #
///   MyNN                                     [4800, 10]                --
///   ├─Sequential: 1-1                        [4800, 10]                --
///   │    └─Linear: 2-1                       [4800, 128]               100,480
///   ...
///   Total params: 109,770
std::string summary(Module& module, const Shape& input_shape);

/// 109770 -> "109,770".
std::string with_thousands(int64_t n);

}  // namespace minigrad::nn
