// LeakyReLU and GELU modules: thin wrappers over leaky_relu and gelu.
#include "minigrad/nn/rectifier.hpp"

#include <fmt/format.h>

#include "minigrad/ops/rectifier.hpp"

namespace minigrad::nn {

Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, negative_slope_); }
std::string LeakyReLU::extra_repr() const {
  return fmt::format("negative_slope={}", negative_slope_);
}
Tensor GELU::forward(const Tensor& x) { return gelu(x); }

}  // namespace minigrad::nn
