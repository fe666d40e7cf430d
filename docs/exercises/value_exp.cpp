// Exercise for "From zero" (docs/autograd.md, chapter 1): give the scalar engine an exp.
// exp's forward is written; write its backward, the closure that adds dL/da into a->grad.
// d exp(a)/da = exp(a). The check compares your gradient with the numerical slope.
//   make exercise NAME=value_exp
#include <doctest/doctest.h>

#include <cmath>

#include "../examples/value.hpp"

using namespace scalar;

#ifdef MINIGRAD_EXERCISE_SOLUTION
#include "solutions/value_exp.hpp"
#else
// ---- your code: replace the body of the closure ----
Value exp(const Value& a) {
  const double e = std::exp(a->data);
  return make(e, {a}, [a, e](double dout) {
    (void)dout;  // add dout · (d exp(a)/da) into a->grad
  });
}
// ---- end of your code ----
#endif

TEST_CASE("exp's gradient matches the numerical slope, alone and inside tanh(exp(a)·b)") {
  for (double x : {-2.0, -0.5, 0.0, 0.7, 1.5}) {
    Value a = value(x), b = value(0.3);
    Value L = tanh(exp(a) * b) + exp(a);
    backward(L);
    auto f = [](double a, double b) { return std::tanh(std::exp(a) * b) + std::exp(a); };
    const double h = 1e-6;
    const double slope = (f(x + h, 0.3) - f(x - h, 0.3)) / (2 * h);
    CAPTURE(x);
    CHECK(a->grad == doctest::Approx(slope).epsilon(1e-6));
  }
}
