// StepLR and CosineAnnealingLR from their closed forms (PyTorch's _get_closed_form_lr), so the
// lr at any epoch depends only on base_lr and the epoch, never on rounding built up step by step.
#include "minigrad/optim/lr_scheduler.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace minigrad::optim {

LRScheduler::LRScheduler(Optimizer& optimizer)
    : optimizer_(optimizer), base_lr_(optimizer.lr()), last_lr_(optimizer.lr()) {}

void LRScheduler::step() {
  ++last_epoch_;
  last_lr_ = lr_at(last_epoch_);
  optimizer_.set_lr(last_lr_);
}

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  if (step_size <= 0)
    throw std::invalid_argument("StepLR: step_size must be >= 1, got " + std::to_string(step_size) +
                                " (HINT: the lr is multiplied by gamma every step_size epochs)");
  check_hyperparameter(std::isfinite(gamma) && gamma >= 0.0, "StepLR", "gamma", gamma,
                       "gamma must be a finite number >= 0, typically 0.1");
}

// lr = base_lr · γ^⌊epoch / step_size⌋
double StepLR::lr_at(int64_t epoch) const {
  return base_lr() * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler(optimizer), T_max_(T_max), eta_min_(eta_min) {
  if (T_max <= 0)
    throw std::invalid_argument("CosineAnnealingLR: T_max must be >= 1, got " +
                                std::to_string(T_max) +
                                " (HINT: T_max is the number of epochs from base_lr to eta_min, "
                                "usually the number of training epochs)");
  check_hyperparameter(std::isfinite(eta_min) && eta_min >= 0.0, "CosineAnnealingLR", "eta_min",
                       eta_min, "eta_min must be a finite number >= 0");
}

// lr = η_min + (base_lr − η_min) · (1 + cos(π · epoch / T_max)) / 2
double CosineAnnealingLR::lr_at(int64_t epoch) const {
  const double progress = static_cast<double>(epoch) / static_cast<double>(T_max_);
  return eta_min_ + (base_lr() - eta_min_) * (1.0 + std::cos(std::numbers::pi * progress)) / 2.0;
}

}  // namespace minigrad::optim
