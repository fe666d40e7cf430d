// Optimizer: the base of SGD and Adam. It holds handles to the parameters (sharing storage with
// the module, so step() updates the model in place) and per-parameter state in vectors indexed
// like the parameters, never keyed by pointer. Teaches the zero_grad / backward / step loop.
// state_dict() saves that state under PyTorch's names, so a run can stop and resume exactly.
// Leaves out: parameter groups (one lr for all) and closures.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "minigrad/state_dict.hpp"
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

  /// Zeroes every parameter's grad (set_to_none drops it instead, like PyTorch's option). A grad
  /// no other handle shares is zeroed through the backend, which may defer the writes until the
  /// grad is next read (grad(), grad_buffer()); a raw pointer kept from before sees them late.
  void zero_grad(bool set_to_none = false);
  /// One update of every parameter that has a grad, under NoGradGuard; the others are skipped
  /// (their state is not touched, so a frozen parameter's "first step" comes later).
  /// Returns false when an updated value is NaN or infinite, which a NaN or infinite gradient
  /// always makes it (inf − inf, 0·inf and anything with NaN are NaN); checked inside the update
  /// loops, so the non-finite guard costs no pass of its own.
  bool step();

  /// The learning rate the next step() uses; schedulers drive it through set_lr().
  double lr() const { return lr_; }
  /// Sets the learning rate; must be finite and >= 0.
  void set_lr(double lr);

  const std::vector<Tensor>& params() const { return params_; }
  const std::string& name() const { return name_; }

  /// The per-parameter state (copies), PyTorch's optimizer.state_dict()["state"] flattened to
  /// names "state.<i>.<what>", i indexing params(); a parameter not stepped yet has no entries.
  /// Hyperparameters (lr, betas, ...) are not included: they are the constructor's.
  virtual StateDict state_dict() const = 0;
  /// Replaces the state with a copy of `state` (as state_dict() gives it); a parameter with no
  /// entries starts afresh. Throws std::invalid_argument naming a key that is unknown, out of
  /// range, misshapen or incomplete; on a throw the state is unchanged.
  virtual void load_state_dict(const StateDict& state) = 0;

 protected:
  /// "state.<i>.<what>" split and checked: i < params().size() and `what` one of `names`.
  struct StateKey {
    std::size_t index;
    std::string what;
  };
  StateKey parse_state_key(const std::string& key, const std::vector<std::string>& names) const;
  /// A copy of `entry`'s tensor, checked to have `shape`.
  Tensor checked_state(const NamedTensor& entry, const Shape& shape) const;
  /// The name state_dict() gives to `what` of parameter i.
  static std::string state_key(std::size_t i, const std::string& what);

  /// Updates params_[i] in place from its gradient. p and dp hold n floats each. Returns false
  /// when an updated value of p is NaN or infinite (an OR of non_finite_bits over the new p).
  virtual bool update(std::size_t i, float* p, const float* dp, int64_t n) = 0;

  /// 0 when x is finite, not 0 when it is NaN or infinite: x − x is +0 for every finite x and
  /// NaN otherwise. An OR of these over a loop costs two vector instructions per vector.
  static uint32_t non_finite_bits(float x) { return std::bit_cast<uint32_t>(x - x); }

  std::vector<Tensor> params_;

 private:
  std::string name_;
  double lr_;
};

/// Throws std::invalid_argument "<optimizer>: invalid <what>: <value> (HINT: ...)" unless ok.
void check_hyperparameter(bool ok, const std::string& optimizer, const std::string& what,
                          double value, const std::string& hint);

}  // namespace minigrad::optim
