// make_cnn(): convolution blocks, then the MLP head of the documents' model.
#include "minigrad/nn/cnn.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "minigrad/nn/activation.hpp"
#include "minigrad/nn/batchnorm.hpp"
#include "minigrad/nn/conv.hpp"
#include "minigrad/nn/dropout.hpp"
#include "minigrad/nn/flatten.hpp"
#include "minigrad/nn/linear.hpp"
#include "minigrad/nn/pool.hpp"

namespace minigrad::nn {

Cnn::Cnn(const CnnOptions& options, Generator& gen) : options_(options) {
  int64_t h = options.height, w = options.width;
  if (options.channels <= 0 || h <= 0 || w <= 0 || options.hidden <= 0 || options.classes <= 0)
    throw std::invalid_argument(fmt::format(
        "make_cnn: channels, height, width, hidden and classes must be positive, got {}x{}x{}, "
        "{} and {}",
        options.channels, h, w, options.hidden, options.classes));
  network_ = register_module("network", std::make_shared<Sequential>());
  // conv_channels = {32, 64} on 1x28x28: (B,1,28,28) -> (B,32,14,14) -> (B,64,7,7) -> (B,3136)
  int64_t c = options.channels;
  for (int64_t out : options.conv_channels) {
    if (h < 2 || w < 2)
      throw std::invalid_argument(
          fmt::format("make_cnn: a {}x{} image cannot go through {} pooling blocks (HINT: fewer "
                      "conv_channels, or larger images)",
                      options.height, options.width, options.conv_channels.size()));
    network_->push_back(std::make_shared<Conv2d>(c, out, 3, gen, Conv2dOptions{.padding = 1}));
    network_->push_back(std::make_shared<BatchNorm2d>(out));
    network_->push_back(std::make_shared<ReLU>());
    network_->push_back(std::make_shared<MaxPool2d>(2));
    c = out, h /= 2, w /= 2;
  }
  network_->push_back(std::make_shared<Flatten>());
  network_->push_back(std::make_shared<Linear>(c * h * w, options.hidden, gen));
  network_->push_back(std::make_shared<BatchNorm1d>(options.hidden));
  network_->push_back(std::make_shared<ReLU>());
  if (options.dropout > 0.0f)
    network_->push_back(std::make_shared<Dropout>(options.dropout, Generator(gen.next_u64())));
  network_->push_back(std::make_shared<Linear>(options.hidden, options.classes, gen));
}

Tensor Cnn::forward(const Tensor& x) {
  const int64_t C = options_.channels, H = options_.height, W = options_.width;
  if (x.dim() == 4 && x.size(1) == C && x.size(2) == H && x.size(3) == W) return (*network_)(x);
  if (x.dim() == 2 && x.size(1) == C * H * W) return (*network_)(x.reshape({x.size(0), C, H, W}));
  throw std::invalid_argument(fmt::format(
      "{}: expected images [B, {}, {}, {}] or rows of {} pixels [B, {}] but got {} (HINT: set "
      "the image shape in CnnOptions to match the data)",
      options_.name, C, H, W, C * H * W, C * H * W, shape_str(x.shape())));
}

std::shared_ptr<Cnn> make_cnn(const CnnOptions& options, Generator& gen) {
  return std::make_shared<Cnn>(options, gen);
}

}  // namespace minigrad::nn
