// Conv2d: the 2-D convolution layer, with PyTorch's parameter layout, defaults and initialisation.
// Teaches: weight is (out_channels, in_channels/groups, kH, kW) and bias (out_channels), the
// state-dict names torch.nn.Conv2d uses, so checkpoints move between the two unchanged.
// Leaves out: padding modes other than zeros, "same" padding, Conv1d/Conv3d, transposed
// convolution.
#pragma once

#include <cstdint>
#include <string>

#include "minigrad/generator.hpp"
#include "minigrad/nn/module.hpp"
#include "minigrad/ops/conv.hpp"

namespace minigrad::nn {

/// Conv2d's arguments after the kernel size, with PyTorch's defaults.
struct Conv2dOptions {
  Size2 stride = 1;
  Size2 padding = 0;
  Size2 dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

class Conv2d : public Module {
 public:
  /// Conv2d(3, 64, 3, gen, {.padding = 1}). weight and bias are drawn (weight first) from
  /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels/groups·kH·kW: PyTorch's default.
  Conv2d(int64_t in_channels, int64_t out_channels, Size2 kernel_size, Generator& gen,
         Conv2dOptions options = {});

  /// x (N, in_channels, H, W) -> y (N, out_channels, H_out, W_out).
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Conv2d"; }
  /// "1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)", as PyTorch prints it.
  std::string extra_repr() const override;

  int64_t in_channels() const { return in_channels_; }
  int64_t out_channels() const { return out_channels_; }
  Size2 kernel_size() const { return kernel_size_; }
  const Conv2dOptions& options() const { return options_; }
  /// (out, in/groups, kH, kW); a handle sharing the module's storage.
  Tensor weight() const { return weight_; }
  /// (out), or undefined without a bias.
  Tensor bias() const { return bias_; }

 private:
  int64_t in_channels_, out_channels_;
  Size2 kernel_size_;
  Conv2dOptions options_;
  Tensor weight_, bias_;
};

}  // namespace minigrad::nn
