// The non-finite guard: a training run that diverges stops at the step where it happened, with
// the epoch, the step and the likely cause, instead of carrying NaN to the end and saving it.
// Checked each step: the loss, the updated parameters (by Optimizer::step itself, which a NaN
// gradient makes NaN too) and the buffers; with skip-step also the gradients before the update.
// Leaves out: finding which input row produced the NaN.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "minigrad/nn/module.hpp"
#include "minigrad/optim/optimizer.hpp"
#include "minigrad/train/config.hpp"

namespace minigrad::train {

struct StepStats;  // trainer.hpp

/// A run stopped by the guard; the apps exit 3 and write no checkpoint.
class NonFiniteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Where the guard is, for messages: epoch and step are 1-based.
struct StepPlace {
  int epoch = 0;
  int64_t step = 0;
  int64_t steps = 0;  // steps per epoch
  double lr = 0.0;
};

/// The name of the first parameter or buffer whose value holds a NaN or an infinity, or with
/// `grads` the first parameter's grad ("fc.weight.grad"); "" when every one is finite. A
/// parameter without a grad counts as finite.
std::string first_non_finite(const nn::Module& model, bool grads);

/// True when every buffer (BatchNorm's running statistics) is finite: a few hundred values.
bool buffers_finite(const nn::Module& model);

/// What an update that was not finite (Optimizer::step() returned false, or a buffer holds a NaN
/// or an infinity) went wrong in, found by scanning every gradient, then every parameter and
/// buffer: "'fc.weight.grad' holds a NaN or an infinity" with `in_gradient` (the batch could have
/// been skipped), or "'fc.weight' holds a NaN or an infinity after the update".
struct NonFiniteUpdate {
  std::string what;
  bool in_gradient = false;
};
NonFiniteUpdate find_non_finite_update(const nn::Module& model);

/// The guarded update, once backward has filled the gradients of a step whose loss was finite:
/// with SkipStep the gradients are checked first (a skipped batch leaves the weights alone), then
/// Optimizer::step() and the buffers. Sets st.stepped, and st.non_finite and st.skippable when a
/// check fails. train_step and data_parallel_step share it.
void guarded_step(nn::Module& model, optim::Optimizer& optimizer, OnNonFinite on_nonfinite,
                  StepStats& st);

/// The values of every buffer (BatchNorm's running statistics), taken before a step so that a
/// skipped step can leave them as they were: its forward pass has already updated them.
class BufferSnapshot {
 public:
  /// Copies the buffers' values now.
  void take(const nn::Module& model);
  /// Writes the copied values back into the same module's buffers.
  void restore(const nn::Module& model) const;

 private:
  std::vector<std::vector<float>> values_;
};

/// The message of a run stopped at `place` because `what` ("the loss is nan", "parameter
/// 'fc.weight' holds a NaN or infinity after the update"), with the likely causes as a HINT.
std::string non_finite_message(const std::string& what, const StepPlace& place, bool can_skip);

}  // namespace minigrad::train
