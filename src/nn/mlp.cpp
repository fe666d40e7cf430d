// make_mlp(): the documents' MyNN, generalised to any list of hidden sizes.
// "The documents": README.md#the-documents.
#include "minigrad/nn/mlp.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "minigrad/nn/activation.hpp"
#include "minigrad/nn/batchnorm.hpp"
#include "minigrad/nn/dropout.hpp"
#include "minigrad/nn/linear.hpp"

namespace minigrad::nn {

Mlp::Mlp(const MlpOptions& options, Generator& gen) : options_(options) {
  if (options.in_features <= 0 || options.classes <= 0)
    throw std::invalid_argument(
        fmt::format("make_mlp: in_features and classes must be positive, got {} and {}",
                    options.in_features, options.classes));
  network_ = register_module("network", std::make_shared<Sequential>());
  // hidden = {128, 64}: Linear(in,128) BatchNorm1d(128) ReLU Dropout Linear(128,64) ...
  // Linear(64,C)
  int64_t width = options.in_features;
  for (int64_t h : options.hidden) {
    network_->push_back(std::make_shared<Linear>(width, h, gen));
    if (options.batchnorm) network_->push_back(std::make_shared<BatchNorm1d>(h));
    network_->push_back(std::make_shared<ReLU>());
    // Each Dropout owns a generator seeded from `gen`, drawn in layer order: one seed, one run.
    if (options.dropout > 0.0f)
      network_->push_back(std::make_shared<Dropout>(options.dropout, Generator(gen.next_u64())));
    width = h;
  }
  network_->push_back(std::make_shared<Linear>(width, options.classes, gen));
}

Tensor Mlp::forward(const Tensor& x) { return (*network_)(x); }

std::shared_ptr<Mlp> make_mlp(const MlpOptions& options, Generator& gen) {
  return std::make_shared<Mlp>(options, gen);
}

}  // namespace minigrad::nn
