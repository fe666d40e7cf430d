// Exercise for "How a backward is checked" (docs/autograd.md, chapter 6): write tanh's backward
// and pass the gradient check. The forward is written. y = tanh(x) has dy/dx = 1 − tanh(x)² =
// 1 − y²; the closure receives dL/dy as `dy` and must add dL/dx into grad_buffer(x).
// (Keep y.detach(), not y, if you need the output: a closure never holds its own output.)
//   make exercise NAME=tanh_backward
#include <doctest/doctest.h>

#include <cmath>

#include "minigrad/autograd.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/gradcheck.hpp"

using namespace minigrad;

#ifdef MINIGRAD_EXERCISE_SOLUTION
#include "solutions/tanh_backward.hpp"
#else
// ---- your code: write the backward ----
// x: (...) -> y: (...) = tanh(x)
Tensor my_tanh(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) y.data()[i] = std::tanh(x.data()[i]);
  return record(y, "my_tanh", {x}, [x, out = y.detach()](const Tensor& dy) {
    float* dx = grad_buffer(x);
    (void)dx;
    (void)out;
    (void)dy;
  });
}
// ---- end of your code ----
#endif

TEST_CASE("my_tanh passes the gradient check, on its own and composed") {
  Generator gen(7);
  Tensor x = Tensor::randn({3, 4}, gen).requires_grad_();
  GradCheckResult r = gradcheck([](const std::vector<Tensor>& in) { return my_tanh(in[0]); }, {x});
  CHECK_MESSAGE(r.ok, r.report);
  r = gradcheck([](const std::vector<Tensor>& in) { return my_tanh(in[0] * in[0]); }, {x});
  CHECK_MESSAGE(r.ok, r.report);
}
