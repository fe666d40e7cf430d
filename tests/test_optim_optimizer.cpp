// Tests of optim/optimizer.hpp, the base every optimizer shares: which parameter lists it
// accepts, zero_grad, set_lr, and that step() runs without recording a graph.
#include <doctest/doctest.h>

#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/optim/sgd.hpp"

using namespace minigrad;

TEST_CASE("Optimizer: rejects parameter lists it could not train, naming the parameter") {
  Tensor ok = Tensor::zeros({2, 3}).requires_grad_();
  CHECK_THROWS_WITH_AS(optim::SGD({}, {.lr = 0.1}), doctest::Contains("empty parameter list"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(optim::SGD({ok, Tensor()}, {.lr = 0.1}),
                       doctest::Contains("parameter 1 is an undefined tensor"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(optim::SGD({ok, Tensor::zeros({4})}, {.lr = 0.1}),
                       doctest::Contains("parameter 1 of shape [4] does not require grad"),
                       std::invalid_argument);
  Tensor non_leaf = record(Tensor::zeros({2, 3}), "fake", {ok}, [](const Tensor&) {});
  REQUIRE_FALSE(non_leaf.is_leaf());
  CHECK_THROWS_WITH_AS(optim::SGD({non_leaf}, {.lr = 0.1}),
                       doctest::Contains("can't optimize a non-leaf tensor"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(optim::SGD({ok, ok}, {.lr = 0.1}),
                       doctest::Contains("parameters 0 and 1 are the same tensor"),
                       std::invalid_argument);
}

TEST_CASE("Optimizer: set_lr drives the next step; invalid values are rejected") {
  Tensor p = Tensor::from({1.0f}).requires_grad_();
  optim::SGD sgd({p}, {.lr = 0.1});
  CHECK(sgd.lr() == 0.1);
  sgd.set_lr(0.25);
  CHECK(sgd.lr() == 0.25);
  *grad_buffer(p) = 2.0f;
  sgd.step();
  CHECK(p.item() == doctest::Approx(0.5));
  CHECK_THROWS_WITH_AS(sgd.set_lr(-1.0), doctest::Contains("SGD: invalid learning rate: -1"),
                       std::invalid_argument);
  CHECK(sgd.lr() == 0.25);
}

TEST_CASE("Optimizer: step() runs under no-grad; zero_grad clears every parameter") {
  Tensor a = Tensor::from({1.0f, 2.0f}).requires_grad_();
  Tensor b = Tensor::from({3.0f}).requires_grad_();
  optim::SGD sgd({a, b}, {.lr = 0.1});
  *grad_buffer(a) = 1.0f;
  *grad_buffer(b) = 1.0f;
  CHECK(grad_enabled());
  sgd.step();
  CHECK(grad_enabled());  // the guard is gone again
  CHECK(a.is_leaf());
  CHECK(b.is_leaf());
  sgd.zero_grad();
  CHECK(a.grad().to_vector() == std::vector<float>{0.0f, 0.0f});
  CHECK(b.grad().to_vector() == std::vector<float>{0.0f});
  sgd.zero_grad(/*set_to_none=*/true);
  CHECK_FALSE(a.grad().defined());
  CHECK_FALSE(b.grad().defined());
  CHECK(sgd.params().size() == 2);
  CHECK(sgd.params()[0].is_same(a));
}
