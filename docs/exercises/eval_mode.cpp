// Exercise for "One training step of the documents' MLP" (docs/autograd.md, chapter 9): the
// fourth classic bug. evaluate() runs a model with BatchNorm1d and Dropout on a test batch, but
// in training mode: outputs depend on the batch, Dropout drops, and the running statistics move.
// Make it evaluate properly: eval mode, no graph, and the model left in the mode it came in.
//   make exercise NAME=eval_mode
// "The documents": README.md#the-documents.
#include <doctest/doctest.h>

#include <memory>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/activation.hpp"
#include "minigrad/nn/batchnorm.hpp"
#include "minigrad/nn/dropout.hpp"
#include "minigrad/nn/linear.hpp"
#include "minigrad/nn/sequential.hpp"

using namespace minigrad;

#ifdef MINIGRAD_EXERCISE_SOLUTION
#include "solutions/eval_mode.hpp"
#else
// ---- your code ----
Tensor evaluate(nn::Module& model, const Tensor& x) { return model(x); }
// ---- end of your code ----
#endif

TEST_CASE("evaluate(): a row's output does not depend on its batch, and nothing changes") {
  Generator gen(0);
  auto bn = std::make_shared<nn::BatchNorm1d>(4);
  nn::Sequential model({std::make_shared<nn::Linear>(3, 4, gen), bn, std::make_shared<nn::ReLU>(),
                        std::make_shared<nn::Dropout>(0.5f, 1),
                        std::make_shared<nn::Linear>(4, 2, gen)});
  for (int step = 0; step < 20; ++step) model(Tensor::randn({8, 3}, gen));  // "training"
  const std::vector<float> running_mean = bn->running_mean().to_vector();

  const Tensor a = Tensor::from({{1, 2, 3}, {0, 0, 0}});
  const Tensor b = Tensor::from({{1, 2, 3}, {-4, 5, 9}});
  const Tensor ya = evaluate(model, a), yb = evaluate(model, b);
  CHECK(ya.at({0, 0}) == yb.at({0, 0}));  // the same row, with different companions
  CHECK(ya.at({0, 1}) == yb.at({0, 1}));
  CHECK(ya.grad_fn() == nullptr);                         // nothing recorded
  CHECK(bn->running_mean().to_vector() == running_mean);  // statistics untouched
  CHECK(model.is_training());                             // and the model is still in training mode
}
