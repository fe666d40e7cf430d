// LeakyReLU and GELU as modules over the ops in ops/rectifier.hpp, with PyTorch's repr.
// They own no parameters. Leaves out: inplace, GELU's approximate='tanh'.
#pragma once

#include <string>

#include "minigrad/nn/module.hpp"

namespace minigrad::nn {

/// x for x > 0, negative_slope·x otherwise.
class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(float negative_slope = 0.01f) : negative_slope_(negative_slope) {}
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "LeakyReLU"; }
  std::string extra_repr() const override;

 private:
  float negative_slope_;
};

/// x·Φ(x), the exact form.
class GELU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "GELU"; }
  std::string extra_repr() const override { return "approximate='none'"; }
};

}  // namespace minigrad::nn
