// The fast backend's im2col and col2im (backend.hpp). With unit stride and dilation along the
// width, the convolutional model's, each output row of a column row is a run of pixels from one
// image row with zeros at its ends: on a CPU with AVX-512 it is moved sixteen values at a time
// with masked loads and stores, the zeros coming from the masked-off lanes; where the output is as
// large as the image (stride 1, the model's 3x3 with padding 1) im2col reads each tap's row as the
// whole image shifted, sixteen output pixels a vector whatever the row width. The values copied,
// and the additions of col2im and their order for each pixel, are the reference loops', so the
// results are bit-identical. Other strides take the reference loops.
#pragma once

#include "minigrad/backend/backend.hpp"

namespace minigrad::kernels {

/// backend::im2col.
void im2col(const backend::ConvColumns& g, const float* x, float* cols);
/// backend::col2im.
void col2im(const backend::ConvColumns& g, const float* dcols, float* dx);

}  // namespace minigrad::kernels
