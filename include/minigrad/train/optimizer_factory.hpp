// The optimizer a TrainConfig names (--optimizer sgd, adam or adamw), built over a model's
// parameters with the configured learning rate, momentum and weight decay.
// Leaves out: per-parameter groups and optimizer state from a checkpoint.
#pragma once

#include <memory>
#include <vector>

#include "minigrad/optim/optimizer.hpp"
#include "minigrad/tensor.hpp"
#include "minigrad/train/config.hpp"

namespace minigrad::train {

/// SGD (lr, momentum, weight_decay), Adam or AdamW (lr, weight_decay) over `params`; the name
/// must already be valid (validate() checks it).
std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& config,
                                                 std::vector<Tensor> params);

}  // namespace minigrad::train
