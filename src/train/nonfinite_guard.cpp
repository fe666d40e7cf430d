// The non-finite guard's checks and message. The parameters are checked inside the optimizer's
// update loop (Optimizer::step); the scans here are for the buffers, the gradients before a
// step that may be skipped, and naming the tensor once a check has failed.
#include "minigrad/train/nonfinite_guard.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdint>

#include "minigrad/train/trainer.hpp"

namespace minigrad::train {

namespace {

// x − x is +0 for a finite x and NaN for a NaN or an infinity, so the OR of its bits over every
// element is 0 exactly when all are finite: a loop the compiler vectorises, with no early exit.
bool all_finite(const Tensor& t) {
  const float* x = t.data();
  const int64_t n = t.numel();
  uint32_t bad = 0;
  for (int64_t i = 0; i < n; ++i) bad |= std::bit_cast<uint32_t>(x[i] - x[i]);
  return bad == 0;
}

}  // namespace

std::string first_non_finite(const nn::Module& model, bool grads) {
  for (const auto& [name, p] : model.named_parameters()) {
    if (!grads && !all_finite(p)) return name;
    if (grads) {
      const Tensor g = p.grad();
      if (g.defined() && !all_finite(g)) return name + ".grad";
    }
  }
  if (!grads)
    for (const auto& [name, b] : model.named_buffers())
      if (!all_finite(b)) return name;
  return "";
}

bool buffers_finite(const nn::Module& model) {
  for (const Tensor& b : model.buffers())
    if (!all_finite(b)) return false;
  return true;
}

NonFiniteUpdate find_non_finite_update(const nn::Module& model) {
  if (const std::string name = first_non_finite(model, true); !name.empty())
    return {fmt::format("'{}' holds a NaN or an infinity", name), true};
  if (const std::string name = first_non_finite(model, false); !name.empty())
    return {fmt::format("'{}' holds a NaN or an infinity after the update", name), false};
  // The optimizer updated a tensor the model does not own.
  return {"a parameter holds a NaN or an infinity after the update", false};
}

void BufferSnapshot::take(const nn::Module& model) {
  const auto buffers = model.named_buffers();
  values_.resize(buffers.size());
  for (size_t i = 0; i < buffers.size(); ++i) values_[i] = buffers[i].second.to_vector();
}

void BufferSnapshot::restore(const nn::Module& model) const {
  const auto buffers = model.named_buffers();
  for (size_t i = 0; i < buffers.size() && i < values_.size(); ++i) {
    Tensor b = buffers[i].second;
    std::copy(values_[i].begin(), values_[i].end(), b.data());
  }
}

std::string non_finite_message(const std::string& what, const StepPlace& place, bool can_skip) {
  return fmt::format(
      "{} at epoch {}, step {} of {}: training diverged, so no model is saved (HINT: lower the "
      "learning rate (--lr is {}), or standardize the inputs (--standardize) if some features "
      "are very large{})",
      what, place.epoch, place.step, place.steps, place.lr,
      can_skip ? "; --on-nonfinite skip-step skips such a batch instead of stopping" : "");
}

void guarded_step(nn::Module& model, optim::Optimizer& optimizer, OnNonFinite on_nonfinite,
                  StepStats& st) {
  if (on_nonfinite == OnNonFinite::SkipStep)  // a skipped batch must leave the weights alone
    if (const std::string name = first_non_finite(model, true); !name.empty()) {
      st.non_finite = fmt::format("'{}' holds a NaN or an infinity", name);
      st.skippable = true;
      return;
    }
  const bool finite = optimizer.step();  // false: an updated value is NaN or infinite
  st.stepped = true;
  if (!finite || !buffers_finite(model)) {
    const NonFiniteUpdate found = find_non_finite_update(model);
    st.non_finite = found.what;
    st.skippable = found.in_gradient;
  }
}

}  // namespace minigrad::train
