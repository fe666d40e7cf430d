// Tests of optim/lr_scheduler.hpp: StepLR and CosineAnnealingLR lr sequences against torch 1.13
// (golden values made by tests/reference/golden_optim.py), and that they drive the optimizer.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/optim/lr_scheduler.hpp"
#include "minigrad/optim/sgd.hpp"

using namespace minigrad;

namespace {

// lr at epochs 0.. with base lr 0.1, from torch (get_last_lr() after each scheduler.step()).
// StepLR(step_size=3, gamma=0.5), epochs 0..10
const std::vector<double> k_step_lr = {
    0.10000000000000001,  0.10000000000000001,  0.10000000000000001,  0.050000000000000003,
    0.050000000000000003, 0.050000000000000003, 0.025000000000000001, 0.025000000000000001,
    0.025000000000000001, 0.012500000000000001, 0.012500000000000001};
// CosineAnnealingLR(T_max=10, eta_min=0.001), epochs 0..25 (past T_max it rises again)
// clang-format off
const std::vector<double> k_cosine = {
    0.10000000000000001, 0.097577297556610113, 0.090546341221559898, 0.079595369988477424,
    0.065796341221559904, 0.050500000000000003, 0.03520365877844011, 0.021404630011522589,
    0.010453658778440109, 0.0034227024433899004, 0.001, 0.0034227024433899004,
    0.01045365877844014, 0.021404630011522669, 0.035203658778440255, 0.050500000000000218,
    0.065796341221560181, 0.079595369988477771, 0.090546341221560314, 0.097577297556610543,
    0.10000000000000045, 0.097577297556610543, 0.090546341221560328, 0.079595369988477785,
    0.065796341221560195, 0.050500000000000225};
// CosineAnnealingLR(T_max=4), epochs 0..9
const std::vector<double> k_cosine_tmax4 = {
    0.10000000000000001, 0.085355339059327379, 0.050000000000000003, 0.014644660940672627,
    0, 0.014644660940672622, 0.05000000000000001, 0.085355339059327406,
    0.10000000000000003, 0.085355339059327406};
// clang-format on

// Steps `scheduler` through every epoch of `expected`, checking its lr and the optimizer's.
void check_schedule(optim::LRScheduler& scheduler, optim::Optimizer& opt,
                    const std::vector<double>& expected) {
  for (size_t epoch = 0; epoch < expected.size(); ++epoch) {
    if (epoch > 0) scheduler.step();
    INFO("epoch ", epoch, ": got ", scheduler.get_last_lr(), ", PyTorch gives ", expected[epoch]);
    // PyTorch steps the cosine recursively, so its values drift by ~1e-16 from the closed form.
    CHECK(std::abs(scheduler.get_last_lr() - expected[epoch]) <= 1e-12);
    CHECK(opt.lr() == scheduler.get_last_lr());
    CHECK(scheduler.last_epoch() == static_cast<int64_t>(epoch));
  }
}

}  // namespace

TEST_CASE("StepLR: lr = base_lr · gamma^(epoch / step_size), like torch") {
  Tensor p = Tensor::zeros({1}).requires_grad_();
  optim::SGD sgd({p}, {.lr = 0.1});
  optim::StepLR scheduler(sgd, /*step_size=*/3, /*gamma=*/0.5);
  CHECK(scheduler.base_lr() == 0.1);
  check_schedule(scheduler, sgd, k_step_lr);
}

TEST_CASE("CosineAnnealingLR: closed form, like torch, also past T_max") {
  Tensor p = Tensor::zeros({1}).requires_grad_();
  SUBCASE("T_max 10, eta_min 0.001") {
    optim::SGD sgd({p}, {.lr = 0.1});
    optim::CosineAnnealingLR scheduler(sgd, /*T_max=*/10, /*eta_min=*/0.001);
    check_schedule(scheduler, sgd, k_cosine);
  }
  SUBCASE("T_max 4, eta_min 0") {
    optim::SGD sgd({p}, {.lr = 0.1, .momentum = 0.9});
    optim::CosineAnnealingLR scheduler(sgd, /*T_max=*/4);
    check_schedule(scheduler, sgd, k_cosine_tmax4);
  }
}

TEST_CASE("A scheduler's lr is the one the next optimizer step uses") {
  Tensor p = Tensor::from({1.0f}).requires_grad_();
  optim::SGD sgd({p}, {.lr = 1.0});
  optim::StepLR scheduler(sgd, /*step_size=*/1, /*gamma=*/0.5);
  scheduler.step();  // lr 0.5
  *grad_buffer(p) = 1.0f;
  sgd.step();
  CHECK(p.item() == doctest::Approx(0.5));
}

TEST_CASE("Schedulers reject invalid arguments with a hint") {
  Tensor p = Tensor::zeros({1}).requires_grad_();
  optim::SGD sgd({p}, {.lr = 0.1});
  CHECK_THROWS_WITH_AS(optim::StepLR(sgd, 0), doctest::Contains("step_size must be >= 1, got 0"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(optim::StepLR(sgd, 2, -0.5), doctest::Contains("invalid gamma"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(optim::CosineAnnealingLR(sgd, 0), doctest::Contains("T_max must be >= 1"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(optim::CosineAnnealingLR(sgd, 10, -1.0), doctest::Contains("HINT"),
                       std::invalid_argument);
}
