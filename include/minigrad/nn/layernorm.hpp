// LayerNorm, as torch.nn.LayerNorm: each sample is normalised over its last dims (the
// normalized_shape) with its own mean and biased variance, then scaled and shifted per element.
// Teaches: unlike BatchNorm there are no running statistics, so train and eval agree and a batch
// of one works; the fused backward is the same three-term formula with the roles of the axes
// swapped.
#pragma once

#include <cstdint>
#include <string>

#include "minigrad/nn/module.hpp"

namespace minigrad::nn {

struct LayerNormOptions {
  float eps = 1e-5f;  // added to the variance under the square root
  /// Learnable `weight` (ones) and `bias` (zeros), both of normalized_shape.
  bool elementwise_affine = true;
};

/// torch.nn.functional.layer_norm: x (..., *normalized_shape) -> y of x's shape,
///   y = (x - mean) / sqrt(var + eps) · weight + bias
/// with mean and the biased var over the last normalized_shape.size() dims of each sample.
/// weight and bias have normalized_shape, or are undefined (then 1 and 0).
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), float eps = 1e-5f);

class LayerNorm : public Module {
 public:
  /// LayerNorm({2, 3}) normalises over the last two dims, which must be (2, 3).
  explicit LayerNorm(Shape normalized_shape, LayerNormOptions options = {});
  /// LayerNorm(128): over the last dim, of size 128.
  explicit LayerNorm(int64_t features, LayerNormOptions options = {})
      : LayerNorm(Shape{features}, options) {}

  /// x (..., *normalized_shape) -> y, same shape.
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "LayerNorm"; }
  /// "(128,), eps=1e-05, elementwise_affine=True", as PyTorch prints it.
  std::string extra_repr() const override;

  const Shape& normalized_shape() const { return normalized_shape_; }
  const LayerNormOptions& options() const { return options_; }
  /// normalized_shape each; undefined when elementwise_affine is false.
  Tensor weight() const { return weight_; }
  Tensor bias() const { return bias_; }

 private:
  Shape normalized_shape_;
  LayerNormOptions options_;
  Tensor weight_, bias_;
};

}  // namespace minigrad::nn
