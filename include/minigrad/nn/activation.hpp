// ReLU, Sigmoid and Tanh as modules, so that they can sit in a Sequential and show in repr().
// Each simply calls the op of the same name in ops/activation.hpp; they own no parameters.
// Leaves out: inplace variants, LeakyReLU/GELU and friends.
#pragma once

#include <string>

#include "minigrad/nn/module.hpp"

namespace minigrad::nn {

/// max(x, 0) elementwise; d/dx at 0 is 0, as in PyTorch.
class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "ReLU"; }
};

/// 1 / (1 + exp(-x)) elementwise.
class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Sigmoid"; }
};

/// tanh(x) elementwise.
class Tanh : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Tanh"; }
};

}  // namespace minigrad::nn
