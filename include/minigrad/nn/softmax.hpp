// Softmax as a module over ops/softmax.hpp, as torch.nn.Softmax(dim): for a model's last layer
// at inference. Training a classifier wants raw logits into CrossEntropyLoss instead (which
// applies log_softmax itself, stably). No parameters.
#pragma once

#include <cstdint>
#include <string>

#include "minigrad/nn/module.hpp"

namespace minigrad::nn {

/// softmax along `dim` (negative counts from the end).
class Softmax : public Module {
 public:
  explicit Softmax(int64_t dim) : dim_(dim) {}
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Softmax"; }
  std::string extra_repr() const override { return "dim=" + std::to_string(dim_); }

 private:
  int64_t dim_;
};

}  // namespace minigrad::nn
