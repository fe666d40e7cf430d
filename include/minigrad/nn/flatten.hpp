// Flatten as a module, so a Sequential can go from convolutions (N, C, H, W) to Linear layers
// (N, C·H·W). PyTorch's defaults: start_dim=1 keeps the batch dimension. Owns no parameters.
#pragma once

#include <cstdint>
#include <string>

#include "minigrad/nn/module.hpp"

namespace minigrad::nn {

class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1)
      : start_dim_(start_dim), end_dim_(end_dim) {}
  /// (N, C, H, W) -> (N, C·H·W) with the defaults.
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Flatten"; }
  /// "start_dim=1, end_dim=-1".
  std::string extra_repr() const override;

 private:
  int64_t start_dim_, end_dim_;
};

}  // namespace minigrad::nn
