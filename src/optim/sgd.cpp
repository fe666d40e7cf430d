// SGD's update rule (torch.optim.SGD, pytorch-semantics.md A5). Three plain loops per parameter,
// each simple enough for the compiler to vectorise.
#include "minigrad/optim/sgd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace minigrad::optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : Optimizer("SGD", std::move(params), options.lr), options_(options) {
  const auto& o = options_;
  check_hyperparameter(std::isfinite(o.momentum) && o.momentum >= 0.0, "SGD", "momentum",
                       o.momentum, "momentum must be >= 0, typically 0.9");
  check_hyperparameter(std::isfinite(o.dampening), "SGD", "dampening", o.dampening,
                       "dampening must be a finite number, usually 0");
  check_hyperparameter(std::isfinite(o.weight_decay) && o.weight_decay >= 0.0, "SGD",
                       "weight_decay", o.weight_decay, "weight_decay must be >= 0, e.g. 1e-4");
  if (o.nesterov && (o.momentum <= 0.0 || o.dampening != 0.0))
    throw std::invalid_argument(fmt::format(
        "SGD: Nesterov momentum requires a momentum and zero dampening, got momentum={} and "
        "dampening={} (HINT: set .momentum = 0.9 and .dampening = 0, or .nesterov = false)",
        o.momentum, o.dampening));
  momentum_buffer_.resize(params_.size());
}

// θ, dθ: (n). With weight decay λ, momentum μ, dampening τ, learning rate γ:
//   g = dθ + λθ
//   b = g                    on this parameter's first step (no dampening, as PyTorch)
//   b = μ·b + (1 − τ)·g      afterwards
//   g = g + μ·b  (nesterov)  or  g = b
//   θ = θ − γ·g
void SGD::update(std::size_t i, float* p, const float* dp, int64_t n) {
  const float weight_decay = static_cast<float>(options_.weight_decay);
  const float momentum = static_cast<float>(options_.momentum);
  const float one_minus_dampening = static_cast<float>(1.0 - options_.dampening);
  const float neg_lr = static_cast<float>(-lr());

  const float* g = dp;
  if (options_.weight_decay != 0.0 || options_.nesterov) scratch_.resize(static_cast<size_t>(n));
  if (options_.weight_decay != 0.0) {
    float* gw = scratch_.data();
    for (int64_t k = 0; k < n; ++k) gw[k] = dp[k] + weight_decay * p[k];
    g = gw;
  }

  if (options_.momentum != 0.0) {
    Tensor& buffer = momentum_buffer_[i];
    if (!buffer.defined()) {
      buffer = Tensor::empty(params_[i].shape());
      std::copy_n(g, n, buffer.data());
    } else {
      float* b = buffer.data();
      for (int64_t k = 0; k < n; ++k) b[k] = b[k] * momentum + one_minus_dampening * g[k];
    }
    const float* b = buffer.data();
    if (options_.nesterov) {
      float* gn = scratch_.data();  // may be g itself: element k reads g[k] before writing it
      for (int64_t k = 0; k < n; ++k) gn[k] = g[k] + momentum * b[k];
      g = gn;
    } else {
      g = b;
    }
  }

  for (int64_t k = 0; k < n; ++k) p[k] += neg_lr * g[k];
}

}  // namespace minigrad::optim
