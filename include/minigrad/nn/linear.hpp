// Linear: the fully connected layer y = x·Wᵀ + b, with PyTorch's layout and default init.
// Teaches: weight is (out_features, in_features) as in PyTorch, so checkpoints need no transpose;
// the forward is one graph node (minigrad::linear folds the bias into the GEMM).
// Inputs may have any leading dims, (..., in), as in PyTorch: they are rows of one product.
// Leaves out: other initialisers (nn::init has them; apply one to weight()).
#pragma once

#include <cstdint>
#include <string>

#include "minigrad/generator.hpp"
#include "minigrad/nn/module.hpp"

namespace minigrad::nn {

class Linear : public Module {
 public:
  /// weight (out, in) and bias (out) drawn from U(-1/sqrt(in), 1/sqrt(in)), PyTorch's default.
  Linear(int64_t in_features, int64_t out_features, Generator& gen);
  /// The same, without a bias when `bias` is false.
  Linear(int64_t in_features, int64_t out_features, bool bias, Generator& gen);

  /// x (..., in) -> y (..., out): (B, in) -> (B, out), (B, T, in) -> (B, T, out).
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Linear"; }
  /// "in_features=784, out_features=128, bias=True".
  std::string extra_repr() const override;

  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  /// (out, in). Accessors return handles: writing through them changes the module.
  Tensor weight() const { return weight_; }
  /// (out), or undefined when built without a bias.
  Tensor bias() const { return bias_; }

 private:
  int64_t in_features_;
  int64_t out_features_;
  Tensor weight_;
  Tensor bias_;
};

}  // namespace minigrad::nn
