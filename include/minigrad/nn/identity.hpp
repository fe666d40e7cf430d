// Identity: returns its input unchanged, as torch.nn.Identity: a placeholder where a model's
// shape asks for a layer that a configuration leaves out. No parameters, no graph node.
#pragma once

#include <string>

#include "minigrad/nn/module.hpp"

namespace minigrad::nn {

/// y = x (the same handle).
class Identity : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x; }
  std::string type_name() const override { return "Identity"; }
};

}  // namespace minigrad::nn
