// Adam's and AdamW's update rule (torch.optim.Adam/AdamW 1.13; docs/semantics.md#adam). Scalars
// (bias corrections, step size) are computed in double as Python does, the loops in float.
#include "minigrad/optim/adam.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace minigrad::optim {

namespace {

void check_adam_options(const std::string& name, const AdamOptions& o) {
  check_hyperparameter(std::isfinite(o.eps) && o.eps >= 0.0, name, "epsilon value", o.eps,
                       "eps must be >= 0, typically 1e-8");
  check_hyperparameter(o.betas[0] >= 0.0 && o.betas[0] < 1.0, name, "beta parameter at index 0",
                       o.betas[0], "betas must lie in [0, 1), typically {0.9, 0.999}");
  check_hyperparameter(o.betas[1] >= 0.0 && o.betas[1] < 1.0, name, "beta parameter at index 1",
                       o.betas[1], "betas must lie in [0, 1), typically {0.9, 0.999}");
  check_hyperparameter(std::isfinite(o.weight_decay) && o.weight_decay >= 0.0, name,
                       "weight_decay value", o.weight_decay, "weight_decay must be >= 0");
}

AdamOptions as_adam_options(const AdamWOptions& o) {
  return {.lr = o.lr,
          .betas = o.betas,
          .eps = o.eps,
          .weight_decay = o.weight_decay,
          .amsgrad = o.amsgrad};
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, AdamOptions options)
    : Adam("Adam", std::move(params), options, /*decoupled=*/false) {}

Adam::Adam(std::string name, std::vector<Tensor> params, AdamOptions options, bool decoupled)
    : Optimizer(std::move(name), std::move(params), options.lr),
      options_(options),
      decoupled_(decoupled) {
  check_adam_options(this->name(), options_);
  step_.assign(params_.size(), 0);
  exp_avg_.resize(params_.size());
  exp_avg_sq_.resize(params_.size());
  max_exp_avg_sq_.resize(params_.size());
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions options)
    : Adam("AdamW", std::move(params), as_adam_options(options), /*decoupled=*/true) {}

// θ, dθ, m, v: (n). Step t counts from 1 for each parameter.
//   AdamW: θ = θ·(1 − γλ)            Adam: g = dθ + λθ
//   m = β1·m + (1 − β1)·g
//   v = β2·v + (1 − β2)·g²
//   amsgrad: v_max = max(v_max, v), used for v below (the max of the raw v, as PyTorch's code)
//   θ = θ − γ/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)     ε outside the root, after correction
bool Adam::update(std::size_t i, float* p, const float* dp, int64_t n) {
  const Shape& shape = params_[i].shape();
  if (!exp_avg_[i].defined()) {
    exp_avg_[i] = Tensor::zeros(shape);
    exp_avg_sq_[i] = Tensor::zeros(shape);
    if (options_.amsgrad) max_exp_avg_sq_[i] = Tensor::zeros(shape);
  }
  const int64_t t = ++step_[i];

  const double lr = this->lr();
  const double beta1 = options_.betas[0], beta2 = options_.betas[1];
  const float b1 = static_cast<float>(beta1), one_minus_b1 = static_cast<float>(1.0 - beta1);
  const float b2 = static_cast<float>(beta2), one_minus_b2 = static_cast<float>(1.0 - beta2);
  const double bias_correction1 = 1.0 - std::pow(beta1, static_cast<double>(t));
  const double bias_correction2 = 1.0 - std::pow(beta2, static_cast<double>(t));
  const float neg_step_size = static_cast<float>(-lr / bias_correction1);
  const float bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const float eps = static_cast<float>(options_.eps);
  const float weight_decay = static_cast<float>(options_.weight_decay);

  if (decoupled_) {
    const float decay = static_cast<float>(1.0 - lr * options_.weight_decay);
    for (int64_t k = 0; k < n; ++k) p[k] *= decay;
  }

  float* m = exp_avg_[i].data();
  float* v = exp_avg_sq_[i].data();
  if (!decoupled_ && options_.weight_decay != 0.0) {
    for (int64_t k = 0; k < n; ++k) {
      const float g = dp[k] + weight_decay * p[k];
      m[k] = m[k] * b1 + one_minus_b1 * g;
      v[k] = v[k] * b2 + one_minus_b2 * (g * g);
    }
  } else {
    for (int64_t k = 0; k < n; ++k) {
      const float g = dp[k];
      m[k] = m[k] * b1 + one_minus_b1 * g;
      v[k] = v[k] * b2 + one_minus_b2 * (g * g);
    }
  }

  const float* v_used = v;
  if (options_.amsgrad) {
    float* v_max = max_exp_avg_sq_[i].data();
    for (int64_t k = 0; k < n; ++k) v_max[k] = std::max(v_max[k], v[k]);
    v_used = v_max;
  }
  uint32_t bad = 0;
  for (int64_t k = 0; k < n; ++k) {
    const float denom = std::sqrt(v_used[k]) / bias_correction2_sqrt + eps;
    p[k] += neg_step_size * (m[k] / denom);
    bad |= non_finite_bits(p[k]);
  }
  return bad == 0;
}

StateDict Adam::state_dict() const {
  StateDict state;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (step_[i] == 0) continue;
    state.push_back({state_key(i, "step"), Tensor::scalar(static_cast<float>(step_[i]))});
    state.push_back({state_key(i, "exp_avg"), exp_avg_[i].clone()});
    state.push_back({state_key(i, "exp_avg_sq"), exp_avg_sq_[i].clone()});
    if (options_.amsgrad)
      state.push_back({state_key(i, "max_exp_avg_sq"), max_exp_avg_sq_[i].clone()});
  }
  return state;
}

void Adam::load_state_dict(const StateDict& state) {
  const std::size_t n = params_.size();
  std::vector<int64_t> steps(n, 0);
  std::vector<Tensor> m(n), v(n), v_max(n);
  std::vector<std::string> names = {"step", "exp_avg", "exp_avg_sq"};
  if (options_.amsgrad) names.push_back("max_exp_avg_sq");
  for (const NamedTensor& entry : state) {
    const StateKey key = parse_state_key(entry.name, names);
    const Shape& shape = params_[key.index].shape();
    if (key.what == "step") {
      const float t = checked_state(entry, {}).item();
      if (!(t >= 1.0f && t <= 16777216.0f && t == std::floor(t)))
        throw std::invalid_argument(fmt::format(
            "{} load_state_dict: '{}' is {}, expected a whole number of steps >= 1 (HINT: pass "
            "what state_dict() returned)",
            name(), entry.name, t));
      steps[key.index] = static_cast<int64_t>(t);
    } else {
      std::vector<Tensor>& slot = key.what == "exp_avg" ? m : key.what == "exp_avg_sq" ? v : v_max;
      slot[key.index] = checked_state(entry, shape);
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    const bool any = steps[i] || m[i].defined() || v[i].defined() || v_max[i].defined();
    const bool all =
        steps[i] && m[i].defined() && v[i].defined() && (!options_.amsgrad || v_max[i].defined());
    if (any && !all)
      throw std::invalid_argument(fmt::format(
          "{} load_state_dict: the state of parameter {} is incomplete: it needs {} (HINT: pass "
          "what state_dict() returned)",
          name(), i, fmt::join(names, ", ")));
  }
  step_ = std::move(steps);
  exp_avg_ = std::move(m);
  exp_avg_sq_ = std::move(v);
  max_exp_avg_sq_ = std::move(v_max);
}

}  // namespace minigrad::optim
