// make_cnn(): a small convolutional classifier for grey-scale or colour images, built like
// make_mlp() as a Module with one child "network" (a Sequential), so state_dict keys are those of
// a PyTorch nn.Sequential of the same layers (network.0.weight ... network.13.bias).
// Per channel count: Conv2d(3x3, padding 1), BatchNorm2d, ReLU, MaxPool2d(2); then Flatten,
// Linear, BatchNorm1d, ReLU, Dropout and the final Linear. Leaves out: other kernels and widths.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "minigrad/generator.hpp"
#include "minigrad/nn/module.hpp"
#include "minigrad/nn/sequential.hpp"

namespace minigrad::nn {

struct CnnOptions {
  /// One image as (channels, height, width): Fashion-MNIST is 1x28x28.
  int64_t channels = 1, height = 28, width = 28;
  /// Output channels of each convolution block; every block halves height and width.
  std::vector<int64_t> conv_channels = {32, 64};
  int64_t hidden = 128;
  int64_t classes = 10;
  /// Dropout probability after the hidden Linear; 0 leaves the Dropout layer out.
  float dropout = 0.3f;
  std::string name = "CNN";
};

/// The model make_cnn() builds: forward is network(x) on x seen as images.
class Cnn : public Module {
 public:
  Cnn(const CnnOptions& options, Generator& gen);
  /// x (B, C, H, W), or (B, C·H·W) rows of pixels in C, H, W order -> logits (B, classes).
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return options_.name; }

  const CnnOptions& options() const { return options_; }
  const std::shared_ptr<Sequential>& network() const { return network_; }

 private:
  CnnOptions options_;
  std::shared_ptr<Sequential> network_;
};

/// Builds the model. Weights are drawn from `gen` layer by layer; the Dropout gets its own
/// generator seeded from `gen`, so one seed fixes initialisation and every mask of a run.
std::shared_ptr<Cnn> make_cnn(const CnnOptions& options, Generator& gen);

}  // namespace minigrad::nn
