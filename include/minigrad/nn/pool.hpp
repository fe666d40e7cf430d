// MaxPool2d, AvgPool2d and AdaptiveAvgPool2d as modules, so that they sit in a Sequential and
// show in repr() as PyTorch prints them. Each calls the op of the same name in ops/pool.hpp and
// owns no parameters. Leaves out: ceil_mode, dilation, count_include_pad=False, return_indices.
#pragma once

#include <string>

#include "minigrad/nn/module.hpp"
#include "minigrad/ops/pool.hpp"

namespace minigrad::nn {

/// MaxPool2d(2): the maximum of each 2x2 window, stride 2.
class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(Size2 kernel_size, Pool2dArgs args = {});
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "MaxPool2d"; }
  /// "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False".
  std::string extra_repr() const override;

 private:
  Size2 kernel_size_;
  Pool2dArgs args_;
};

/// AvgPool2d(2): the mean of each 2x2 window, stride 2, padding counted in the divisor.
class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(Size2 kernel_size, Pool2dArgs args = {});
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "AvgPool2d"; }
  /// "kernel_size=2, stride=2, padding=0".
  std::string extra_repr() const override;

 private:
  Size2 kernel_size_;
  Pool2dArgs args_;
};

/// AdaptiveAvgPool2d(1): each channel averaged to output_size, whatever the input's size.
class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Size2 output_size) : output_size_(output_size) {}
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "AdaptiveAvgPool2d"; }
  /// "output_size=1".
  std::string extra_repr() const override;

 private:
  Size2 output_size_;
};

}  // namespace minigrad::nn
