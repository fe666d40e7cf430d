// Exercise for "NoGradGuard" (docs/autograd.md, chapter 5): predict without recording.
// predict() below runs a model on a batch to read its outputs, and records a graph it never
// walks: memory for every saved input, for nothing. Make it record nothing.
//   make exercise NAME=no_grad
#include <doctest/doctest.h>

#include <memory>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/activation.hpp"
#include "minigrad/nn/linear.hpp"
#include "minigrad/nn/sequential.hpp"

using namespace minigrad;

#ifdef MINIGRAD_EXERCISE_SOLUTION
#include "solutions/no_grad.hpp"
#else
// ---- your code ----
Tensor predict(nn::Module& model, const Tensor& x) { return model(x); }
// ---- end of your code ----
#endif

TEST_CASE("predict() gives the model's outputs and records no graph") {
  Generator gen(0);
  nn::Sequential model({std::make_shared<nn::Linear>(3, 4, gen), std::make_shared<nn::ReLU>(),
                        std::make_shared<nn::Linear>(4, 2, gen)});
  const Tensor x = Tensor::randn({5, 3}, gen);
  const Tensor expected = model(x);  // recorded: the parameters require grad
  REQUIRE(expected.grad_fn() != nullptr);

  const Tensor y = predict(model, x);
  CHECK(y.grad_fn() == nullptr);
  CHECK_FALSE(y.requires_grad());
  for (int64_t i = 0; i < y.numel(); ++i) CHECK(y.data()[i] == expected.data()[i]);
  CHECK(grad_enabled());  // and recording is back on afterwards
}
