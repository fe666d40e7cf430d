// Learning-rate schedules that drive an Optimizer's lr through set_lr(), stepped once per epoch
// after the epoch's optimizer steps. Like PyTorch, constructing a scheduler is epoch 0 and sets
// lr = base_lr (the optimizer's lr at construction); each step() moves to the next epoch and
// sets the lr from the closed form. Leaves out: warm restarts, plateau detection, chaining.
#pragma once

#include <cstdint>

#include "minigrad/optim/optimizer.hpp"

namespace minigrad::optim {

class LRScheduler {
 public:
  explicit LRScheduler(Optimizer& optimizer);
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  /// Advances one epoch and sets the optimizer's lr.
  void step();
  /// The lr set by the last step() (or by construction), as PyTorch's get_last_lr()[0].
  double get_last_lr() const { return last_lr_; }
  /// Epochs stepped so far (PyTorch's last_epoch).
  int64_t last_epoch() const { return last_epoch_; }
  double base_lr() const { return base_lr_; }

 protected:
  /// The closed-form lr at `epoch` (>= 1; every schedule gives base_lr at epoch 0).
  virtual double lr_at(int64_t epoch) const = 0;

 private:
  Optimizer& optimizer_;
  double base_lr_;
  double last_lr_;
  int64_t last_epoch_ = 0;
};

/// lr = base_lr · gamma^⌊epoch / step_size⌋.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 protected:
  double lr_at(int64_t epoch) const override;

 private:
  int64_t step_size_;
  double gamma_;
};

/// lr = eta_min + (base_lr − eta_min) · (1 + cos(π · epoch / T_max)) / 2; after T_max the
/// cosine keeps going (back up), as PyTorch's does.
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0.0);

 protected:
  double lr_at(int64_t epoch) const override;

 private:
  int64_t T_max_;
  double eta_min_;
};

}  // namespace minigrad::optim
