// Flatten module: minigrad::flatten with PyTorch's start_dim=1 default.
#include "minigrad/nn/flatten.hpp"

#include <fmt/format.h>

#include "minigrad/ops/shape.hpp"

namespace minigrad::nn {

Tensor Flatten::forward(const Tensor& x) { return flatten(x, start_dim_, end_dim_); }

std::string Flatten::extra_repr() const {
  return fmt::format("start_dim={}, end_dim={}", start_dim_, end_dim_);
}

}  // namespace minigrad::nn
