// Exercise for "Three nodes" (docs/autograd.md, chapter 2): predict the gradients by hand.
// The graph below computes L = (a + b)·b·c for a = 3, b = 2, c = −1. Draw it (which node reads
// which tensor?), apply the chain rule node by node as chapter 2 does, and write your three
// answers in place of the zeros. Remember that b is read twice.
//   make exercise NAME=predict_gradients
#include <doctest/doctest.h>

#include <cmath>

#include "minigrad/autograd.hpp"
#include "minigrad/ops/elementwise.hpp"

using namespace minigrad;

#ifdef MINIGRAD_EXERCISE_SOLUTION
#include "solutions/predict_gradients.hpp"
#else
// ---- your answers ----
constexpr float kdLda = 0;
constexpr float kdLdb = 0;
constexpr float kdLdc = 0;
// ---- end of your answers ----
#endif

TEST_CASE("the gradients predicted by hand are the ones backward() computes") {
  Tensor a = Tensor::scalar(3.0f).requires_grad_();
  Tensor b = Tensor::scalar(2.0f).requires_grad_();
  Tensor c = Tensor::scalar(-1.0f).requires_grad_();
  Tensor L = (a + b) * b * c;
  L.backward();
  // Compared as a yes/no, so that a wrong answer does not print the right one.
  auto same = [](const Tensor& grad, float answer) {
    return std::abs(grad.item() - answer) < 1e-5f;
  };
  CHECK_MESSAGE(same(a.grad(), kdLda), "your dL/da = ", kdLda, " is not what backward() computes");
  CHECK_MESSAGE(same(b.grad(), kdLdb), "your dL/db = ", kdLdb, " is not what backward() computes");
  CHECK_MESSAGE(same(c.grad(), kdLdc), "your dL/dc = ", kdLdc, " is not what backward() computes");
}
