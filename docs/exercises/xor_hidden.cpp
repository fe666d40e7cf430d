// Exercise for "A small training loop" (docs/autograd.md, chapter 8): why the hidden layer needs
// a nonlinearity. make_model() stacks two Linear layers directly; their product is one linear
// map, and no linear map separates XOR's classes, however long it trains. Insert the missing
// layer (nn::Tanh or nn::ReLU) and watch the check pass.
//   make exercise NAME=xor_hidden
#include <doctest/doctest.h>

#include <memory>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/activation.hpp"
#include "minigrad/nn/linear.hpp"
#include "minigrad/nn/loss.hpp"
#include "minigrad/nn/sequential.hpp"
#include "minigrad/optim/sgd.hpp"

using namespace minigrad;

#ifdef MINIGRAD_EXERCISE_SOLUTION
#include "solutions/xor_hidden.hpp"
#else
// ---- your code ----
nn::Sequential make_model(Generator& gen) {
  return nn::Sequential(
      {std::make_shared<nn::Linear>(2, 4, gen), std::make_shared<nn::Linear>(4, 2, gen)});
}
// ---- end of your code ----
#endif

TEST_CASE("the model classifies all four XOR points after 200 steps") {
  const Tensor x = Tensor::from({{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  const Tensor y = Tensor::from({0, 1, 1, 0});
  Generator gen(1);
  nn::Sequential model = make_model(gen);
  optim::SGD sgd(model.parameters(), {.lr = 0.5, .momentum = 0.9});
  for (int step = 0; step < 200; ++step) {
    const Tensor loss = nn::cross_entropy(model(x), y);
    sgd.zero_grad();
    loss.backward();
    sgd.step();
  }
  NoGradGuard no_grad;
  const Tensor logits = model(x);
  for (int64_t i = 0; i < 4; ++i) {
    const int predicted = logits.at({i, 1}) > logits.at({i, 0}) ? 1 : 0;
    CAPTURE(i);
    CHECK(predicted == static_cast<int>(y.at({i})));
  }
}
