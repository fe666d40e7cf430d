// The optimizer factory: one line per optimizer, PyTorch's defaults for everything not configured.
#include "minigrad/train/optimizer_factory.hpp"

#include "minigrad/optim/adam.hpp"
#include "minigrad/optim/sgd.hpp"

namespace minigrad::train {

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& c, std::vector<Tensor> params) {
  if (c.optimizer == "adam")
    return std::make_unique<optim::Adam>(
        std::move(params), optim::AdamOptions{.lr = c.lr, .weight_decay = c.weight_decay});
  if (c.optimizer == "adamw")
    return std::make_unique<optim::AdamW>(
        std::move(params), optim::AdamWOptions{.lr = c.lr, .weight_decay = c.weight_decay});
  return std::make_unique<optim::SGD>(
      std::move(params),
      optim::SGDOptions{.lr = c.lr, .momentum = c.momentum, .weight_decay = c.weight_decay});
}

}  // namespace minigrad::train
