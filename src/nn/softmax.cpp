// Softmax module: a thin wrapper over softmax.
#include "minigrad/nn/softmax.hpp"

#include "minigrad/ops/softmax.hpp"

namespace minigrad::nn {

Tensor Softmax::forward(const Tensor& x) { return softmax(x, dim_); }

}  // namespace minigrad::nn
