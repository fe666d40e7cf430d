// Exercise for "The walk backwards" (docs/autograd.md, chapter 3): the first classic bug.
// times() below is a copy of minigrad's mul for same-shape tensors, with a backward that
// assigns (=) into the gradients instead of adding (+=). Run the exercise and read which checks
// fail and why; then fix the two lines.
//   make exercise NAME=accumulate
#include <doctest/doctest.h>

#include "minigrad/autograd.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/reduce.hpp"

using namespace minigrad;

#ifdef MINIGRAD_EXERCISE_SOLUTION
#include "solutions/accumulate.hpp"
#else
// ---- your code: fix the backward ----
// a, b: (n) -> y: (n) = a·b;   da = dy·b,  db = dy·a
Tensor times(const Tensor& a, const Tensor& b) {
  Tensor y = Tensor::empty(a.shape());
  for (int64_t i = 0; i < y.numel(); ++i) y.data()[i] = a.data()[i] * b.data()[i];
  return record(y, "times", {a, b}, [a, b](const Tensor& dy) {
    float* da = grad_buffer(a);
    float* db = grad_buffer(b);
    for (int64_t i = 0; i < dy.numel(); ++i) {
      da[i] = dy.data()[i] * b.data()[i];
      db[i] = dy.data()[i] * a.data()[i];
    }
  });
}
// ---- end of your code ----
#endif

TEST_CASE("d(x*x)/dx = 2x through times()") {
  Tensor x = Tensor::from({3, -1}).requires_grad_();
  sum(times(x, x)).backward();
  CHECK(x.grad().at({0}) == 6);
  CHECK(x.grad().at({1}) == -2);
}

TEST_CASE("dL/da = 16 for L = (a*b + a)^2, where add's term reaches a before times' term") {
  Tensor a = Tensor::scalar(2).requires_grad_();
  Tensor b = Tensor::scalar(-3).requires_grad_();
  Tensor d = times(a, b) + a;
  times(d, d).backward();
  CHECK(a.grad().item() == 16);
  CHECK(b.grad().item() == -16);
}
