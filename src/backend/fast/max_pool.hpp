// The fast backend's max pooling, over a range of planes (fast.cpp splits the planes between two
// threads). 2x2 windows with stride 2 and no padding, the convolutional model's, run in AVX-512
// registers when the CPU has them: sixteen windows at once, each compared in the order of the
// reference loop, so y, argmax and dx are bit-identical to it. Other windows run the reference
// loop's comparisons with the windows of an output row searched side by side.
#pragma once

#include <cstdint>

#include "minigrad/backend/backend.hpp"

namespace minigrad::kernels {

/// backend::max_pool2d over planes [begin, end).
void max_pool2d(const backend::PoolWindows& g, const float* x, float* y, int32_t* argmax,
                int64_t begin, int64_t end);
/// backend::max_pool2d_backward over planes [begin, end). `fresh`: dx holds no values yet, only
/// owed zeros, so every pixel of the planes is written (0 where no window's maximum is).
void max_pool2d_backward(const backend::PoolWindows& g, const int32_t* argmax, const float* dy,
                         float* dx, bool fresh, int64_t begin, int64_t end);

}  // namespace minigrad::kernels
