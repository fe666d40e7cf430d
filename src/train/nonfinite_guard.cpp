// The non-finite guard's checks and message. A scan of every parameter per step costs one pass
// over the weights, small next to the forward and backward passes that touched them all too.
#include "minigrad/train/nonfinite_guard.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdint>

namespace minigrad::train {

namespace {

// A float is NaN or infinite exactly when its exponent bits are all ones. An OR over every
// element, with no early exit, is a loop the compiler vectorises.
bool all_finite(const Tensor& t) {
  const float* x = t.data();
  const int64_t n = t.numel();
  uint32_t any = 0;
  for (int64_t i = 0; i < n; ++i)
    any |= static_cast<uint32_t>((std::bit_cast<uint32_t>(x[i]) & 0x7f800000u) == 0x7f800000u);
  return any == 0;
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

}  // namespace minigrad::train
