// SGD's update rule (torch.optim.SGD; docs/semantics.md#sgd). A few plain loops per parameter,
// each simple enough for the compiler to vectorise.
#include "minigrad/optim/sgd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "minigrad/backend/backend.hpp"

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
// Every element is independent, so a large parameter may be updated in two parts, one per thread
// when two are set (backend::set_num_threads); the result is the same either way.
bool SGD::update(std::size_t i, float* p, const float* dp, int64_t n) {
  const float weight_decay = static_cast<float>(options_.weight_decay);
  const float momentum = static_cast<float>(options_.momentum);
  const float one_minus_dampening = static_cast<float>(1.0 - options_.dampening);
  const float neg_lr = static_cast<float>(-lr());
  const bool decay = options_.weight_decay != 0.0, nesterov = options_.nesterov;

  // Buffers are allocated here, before the two parts run.
  if (decay || nesterov) scratch_.resize(static_cast<size_t>(n));
  float* scratch = scratch_.data();
  float* b = nullptr;
  bool first_step = false;
  if (options_.momentum != 0.0) {
    Tensor& buffer = momentum_buffer_[i];
    first_step = !buffer.defined();
    if (first_step) buffer = Tensor::empty(params_[i].shape());
    b = buffer.data();
  }

  // The parameter viewed as (rows, n / rows): rows [r0, r1) are elements [k0, k1).
  const Shape& shape = params_[i].shape();
  const int64_t rows = shape.empty() || shape[0] == 0 ? 1 : shape[0], row_size = n / rows;
  std::atomic<bool> finite = true;  // the two parts may run at once
  auto part = [&](int64_t r0, int64_t r1) {
    const int64_t k0 = r0 * row_size, k1 = r1 * row_size;
    const float* g = dp;
    if (decay) {
      for (int64_t k = k0; k < k1; ++k) scratch[k] = dp[k] + weight_decay * p[k];
      g = scratch;
    }
    if (b) {
      if (first_step)
        std::copy(g + k0, g + k1, b + k0);
      else
        for (int64_t k = k0; k < k1; ++k) b[k] = b[k] * momentum + one_minus_dampening * g[k];
      if (nesterov) {
        for (int64_t k = k0; k < k1; ++k) scratch[k] = g[k] + momentum * b[k];  // g may be scratch
        g = scratch;
      } else {
        g = b;
      }
    }
    uint32_t bad = 0;
    for (int64_t k = k0; k < k1; ++k) {
      p[k] += neg_lr * g[k];
      bad |= non_finite_bits(p[k]);
    }
    if (bad != 0) finite = false;
  };
  backend::parallel_rows(rows, row_size, part);
  return finite;
}

StateDict SGD::state_dict() const {
  StateDict state;
  for (std::size_t i = 0; i < params_.size(); ++i)
    if (momentum_buffer_[i].defined())
      state.push_back({state_key(i, "momentum_buffer"), momentum_buffer_[i].clone()});
  return state;
}

void SGD::load_state_dict(const StateDict& state) {
  std::vector<Tensor> buffers(params_.size());
  for (const NamedTensor& entry : state) {
    const StateKey key = parse_state_key(entry.name, {"momentum_buffer"});
    buffers[key.index] = checked_state(entry, params_[key.index].shape());
  }
  momentum_buffer_ = std::move(buffers);
}

}  // namespace minigrad::optim
