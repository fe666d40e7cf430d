// Optimizer base: parameter checks, zero_grad, and the step loop that hands each parameter with a
// gradient to the concrete update rule under NoGradGuard.
#include "minigrad/optim/optimizer.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/backend.hpp"

namespace minigrad::optim {

void check_hyperparameter(bool ok, const std::string& optimizer, const std::string& what,
                          double value, const std::string& hint) {
  if (!ok)
    throw std::invalid_argument(
        fmt::format("{}: invalid {}: {} (HINT: {})", optimizer, what, value, hint));
}

Optimizer::Optimizer(std::string name, std::vector<Tensor> params, double lr)
    : params_(std::move(params)), name_(std::move(name)), lr_(lr) {
  check_hyperparameter(std::isfinite(lr) && lr >= 0.0, name_, "learning rate", lr,
                       "lr must be a finite number >= 0, e.g. 0.1");
  if (params_.empty())
    throw std::invalid_argument(fmt::format(
        "{}: got an empty parameter list (HINT: pass model.parameters() after the model has "
        "registered its layers)",
        name_));
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    if (!p.defined())
      throw std::invalid_argument(fmt::format("{}: parameter {} is an undefined tensor", name_, i));
    if (!p.requires_grad())
      throw std::invalid_argument(fmt::format(
          "{}: parameter {} of shape {} does not require grad, so it would never be updated "
          "(HINT: call requires_grad_() on it, or leave it out)",
          name_, i, shape_str(p.shape())));
    if (!p.is_leaf())
      throw std::invalid_argument(fmt::format(
          "{}: can't optimize a non-leaf tensor (parameter {}, shape {}) (HINT: optimise the "
          "leaf it was computed from, or pass t.detach().requires_grad_())",
          name_, i, shape_str(p.shape())));
    for (std::size_t j = 0; j < i; ++j)
      if (params_[j].is_same(p))
        throw std::invalid_argument(fmt::format(
            "{}: parameters {} and {} are the same tensor (shape {}), which would be updated "
            "twice per step (HINT: pass each parameter once)",
            name_, j, i, shape_str(p.shape())));
  }
}

void Optimizer::set_lr(double lr) {
  check_hyperparameter(std::isfinite(lr) && lr >= 0.0, name_, "learning rate", lr,
                       "lr must be a finite number >= 0");
  lr_ = lr;
}

void Optimizer::zero_grad(bool set_to_none) {
  for (Tensor& p : params_) {
    const std::shared_ptr<TensorImpl>& g = p.impl()->grad;
    // A grad that only its parameter holds is reached next through grad_buffer() or grad(),
    // which write the zeros the backend owes first; the first product into it can skip them.
    if (!set_to_none && g && g.use_count() == 1 && g->storage.use_count() == 1)
      backend::zero_later(g->storage->data(), g->storage->size());
    else
      p.zero_grad(set_to_none);
  }
}

bool Optimizer::step() {
  NoGradGuard no_grad;
  bool finite = true;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = params_[i];
    const Tensor dp = p.grad();
    if (!dp.defined()) continue;
    if (dp.numel() != p.numel())
      throw std::logic_error(fmt::format("{}: parameter {} has shape {} but its grad has shape {}",
                                         name_, i, shape_str(p.shape()), shape_str(dp.shape())));
    finite &= update(i, p.data(), dp.data(), p.numel());
    p.bump_version();  // a graph built before the step must not reuse the old values
  }
  return finite;
}

// ---- state_dict helpers ----

std::string Optimizer::state_key(std::size_t i, const std::string& what) {
  return fmt::format("state.{}.{}", i, what);
}

Optimizer::StateKey Optimizer::parse_state_key(const std::string& key,
                                               const std::vector<std::string>& names) const {
  const std::string prefix = "state.";
  const size_t dot = key.find('.', prefix.size());
  std::size_t index = 0;
  const char* first = key.data() + prefix.size();
  const char* last = key.data() + (dot == std::string::npos ? key.size() : dot);
  const auto [end, ec] = std::from_chars(first, last, index);
  if (key.rfind(prefix, 0) != 0 || dot == std::string::npos || ec != std::errc() || end != last ||
      first == last)
    throw std::invalid_argument(fmt::format(
        "{} load_state_dict: key '{}' is not of the form state.<i>.<what> (HINT: pass what "
        "state_dict() returned)",
        name_, key));
  if (index >= params_.size())
    throw std::invalid_argument(fmt::format(
        "{} load_state_dict: key '{}' names parameter {} but this optimizer has {} (HINT: the "
        "state belongs to another model)",
        name_, key, index, params_.size()));
  const std::string what = key.substr(dot + 1);
  for (const std::string& n : names)
    if (n == what) return {index, what};
  std::string known;
  for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument(fmt::format(
      "{} load_state_dict: key '{}': {} keeps no '{}' (it keeps: {}) (HINT: the state belongs to "
      "another optimizer or other options)",
      name_, key, name_, what, known));
}

Tensor Optimizer::checked_state(const NamedTensor& entry, const Shape& shape) const {
  if (!entry.tensor.defined() || entry.tensor.shape() != shape)
    throw std::invalid_argument(fmt::format(
        "{} load_state_dict: '{}' has shape {}, expected {} (HINT: the state belongs to another "
        "model)",
        name_, entry.name, entry.tensor.defined() ? shape_str(entry.tensor.shape()) : "undefined",
        shape_str(shape)));
  return entry.tensor.clone();
}

}  // namespace minigrad::optim
