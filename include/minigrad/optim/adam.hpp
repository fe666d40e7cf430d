// Adam and AdamW exactly as torch.optim (1.13): bias-corrected moments, ε added outside the
// square root after bias correction, amsgrad keeping the running max of the raw second moment.
// Adam adds λθ to the gradient (L2); AdamW decays the weights directly, θ ← θ − γλθ.
// Leaves out: maximize, capturable/foreach/fused variants.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "minigrad/optim/optimizer.hpp"

namespace minigrad::optim {

struct AdamOptions {
  double lr = 1e-3;                            // γ
  std::array<double, 2> betas = {0.9, 0.999};  // β1, β2 in [0, 1)
  double eps = 1e-8;                           // ε
  double weight_decay = 0.0;                   // λ, added to the gradient
  bool amsgrad = false;
};

/// AdamW's options: the same fields, but weight decay defaults to 1e-2 and is decoupled.
struct AdamWOptions {
  double lr = 1e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;  // λ, applied as θ ← θ − γλθ
  bool amsgrad = false;
};

class Adam : public Optimizer {
 public:
  /// Adam(model.parameters(), {.lr = 1e-3}). Invalid options throw.
  Adam(std::vector<Tensor> params, AdamOptions options);

  const AdamOptions& options() const { return options_; }
  /// Steps taken by params()[i] (each parameter counts its own, as in PyTorch).
  int64_t step_count(std::size_t i) const { return step_.at(i); }
  /// First moment m of params()[i]; undefined until its first step with a grad.
  const Tensor& exp_avg(std::size_t i) const { return exp_avg_.at(i); }
  /// Second moment v of params()[i]; undefined until its first step with a grad.
  const Tensor& exp_avg_sq(std::size_t i) const { return exp_avg_sq_.at(i); }

  /// For each parameter stepped so far, PyTorch's keys: "state.<i>.step" (a float32 scalar, as
  /// PyTorch 1.13 keeps it, so exact up to 2^24 steps), "state.<i>.exp_avg", "state.<i>.exp_avg_sq"
  /// and, with amsgrad, "state.<i>.max_exp_avg_sq".
  StateDict state_dict() const override;
  void load_state_dict(const StateDict& state) override;

 protected:
  Adam(std::string name, std::vector<Tensor> params, AdamOptions options, bool decoupled);
  bool update(std::size_t i, float* p, const float* dp, int64_t n) override;

 private:
  AdamOptions options_;
  bool decoupled_;             // AdamW
  std::vector<int64_t> step_;  // all indexed like params_
  std::vector<Tensor> exp_avg_;
  std::vector<Tensor> exp_avg_sq_;
  std::vector<Tensor> max_exp_avg_sq_;  // amsgrad only
};

class AdamW : public Adam {
 public:
  /// AdamW(model.parameters(), {.lr = 1e-3, .weight_decay = 1e-2}). Invalid options throw.
  AdamW(std::vector<Tensor> params, AdamWOptions options);
};

}  // namespace minigrad::optim
