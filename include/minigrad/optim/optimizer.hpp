// Optimizer: the base of SGD and Adam. It holds handles to the parameters (sharing storage with
// the module, so step() updates the model in place) and per-parameter state in vectors indexed
// like the parameters, never keyed by pointer. Teaches the zero_grad / backward / step loop.
// Leaves out: parameter groups (one lr for all), closures, and saving optimizer state.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "minigrad/tensor.hpp"

namespace minigrad::optim {

class Optimizer {
 public:
  /// `name` ("SGD", "Adam") prefixes error messages. Rejects an empty list, undefined tensors,
  /// tensors that do not require grad, non-leaf tensors and a tensor given twice.
  Optimizer(std::string name, std::vector<Tensor> params, double lr);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// Zeroes every parameter's grad (set_to_none drops it instead, like PyTorch's option).
  void zero_grad(bool set_to_none = false);
  /// One update of every parameter that has a grad, under NoGradGuard; the others are skipped
  /// (their state is not touched, so a frozen parameter's "first step" comes later).
  void step();

  /// The learning rate the next step() uses; schedulers drive it through set_lr().
  double lr() const { return lr_; }
  /// Sets the learning rate; must be finite and >= 0.
  void set_lr(double lr);

  const std::vector<Tensor>& params() const { return params_; }
  const std::string& name() const { return name_; }

 protected:
  /// Updates params_[i] in place from its gradient. p and dp hold n floats each.
  virtual void update(std::size_t i, float* p, const float* dp, int64_t n) = 0;

  std::vector<Tensor> params_;

 private:
  std::string name_;
  double lr_;
};

/// Throws std::invalid_argument "<optimizer>: invalid <what>: <value> (HINT: ...)" unless ok.
void check_hyperparameter(bool ok, const std::string& optimizer, const std::string& what,
                          double value, const std::string& hint);

}  // namespace minigrad::optim
