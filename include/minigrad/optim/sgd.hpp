// SGD with momentum, dampening, Nesterov and L2 weight decay: torch.optim.SGD to the letter,
// including its two quirks (the momentum buffer is g itself on a parameter's first step, so no
// dampening then; v = μv + g, p -= lr·v rather than Sutskever's v = μv + lr·g).
// Leaves out: maximize, foreach/fused kernels.
#pragma once

#include <vector>

#include "minigrad/optim/optimizer.hpp"

namespace minigrad::optim {

struct SGDOptions {
  double lr;                  // required, >= 0
  double momentum = 0.0;      // μ
  double dampening = 0.0;     // τ
  double weight_decay = 0.0;  // λ, added to the gradient (L2)
  bool nesterov = false;      // needs momentum > 0 and dampening == 0
};

class SGD : public Optimizer {
 public:
  /// SGD(model.parameters(), {.lr = 0.1, .momentum = 0.9}). Invalid options throw.
  SGD(std::vector<Tensor> params, SGDOptions options);

  const SGDOptions& options() const { return options_; }
  /// The momentum buffer of params()[i]; undefined until its first step with a grad.
  const Tensor& momentum_buffer(std::size_t i) const { return momentum_buffer_.at(i); }

  /// "state.<i>.momentum_buffer" for each parameter that has one (PyTorch's key).
  StateDict state_dict() const override;
  void load_state_dict(const StateDict& state) override;

 protected:
  bool update(std::size_t i, float* p, const float* dp, int64_t n) override;

 private:
  SGDOptions options_;
  std::vector<Tensor> momentum_buffer_;  // indexed like params_
  std::vector<float> scratch_;           // g + λθ when weight decay is on
};

}  // namespace minigrad::optim
