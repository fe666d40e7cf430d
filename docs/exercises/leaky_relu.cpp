// Exercise for "The backward of each op family" (docs/autograd.md, chapter 7): add a new op.
// leaky_relu(x, s) = x where x > 0, s·x elsewhere (torch.nn.functional.leaky_relu). Write its
// forward and its backward, with the shape-and-math comment minigrad's ops carry, in the way
// relu is written in src/ops/activation.cpp. Take the slope at exactly 0 to be s, as PyTorch does.
//   make exercise NAME=leaky_relu
#include <doctest/doctest.h>

#include "minigrad/autograd.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/gradcheck.hpp"

using namespace minigrad;

#ifdef MINIGRAD_EXERCISE_SOLUTION
#include "solutions/leaky_relu.hpp"
#else
// ---- your code: forward, then record(...) with the backward ----
Tensor leaky_relu(const Tensor& x, float negative_slope) {
  (void)negative_slope;
  return Tensor::zeros(x.shape());
}
// ---- end of your code ----
#endif

TEST_CASE("leaky_relu's values, and its slope at 0 as in PyTorch") {
  Tensor x = Tensor::from({-2, -0.5, 0, 0.5, 3}).requires_grad_();
  Tensor y = leaky_relu(x, 0.1f);
  const float expected[] = {-0.2f, -0.05f, 0.0f, 0.5f, 3.0f};
  for (int64_t i = 0; i < 5; ++i) CHECK(y.at({i}) == doctest::Approx(expected[i]));
  REQUIRE(y.requires_grad());
  y.backward(Tensor::ones({5}));
  const float slope[] = {0.1f, 0.1f, 0.1f, 1.0f, 1.0f};
  for (int64_t i = 0; i < 5; ++i) CHECK(x.grad().at({i}) == doctest::Approx(slope[i]));
}

TEST_CASE("leaky_relu passes the gradient check away from its kink") {
  // Central differences straddle the kink for |x| < eps; keep the inputs at least 0.1 from 0.
  Tensor x = Tensor::from({{-1.5, -0.3, 0.2}, {0.8, -0.9, 2.0}}).requires_grad_();
  const GradCheckResult r =
      gradcheck([](const std::vector<Tensor>& in) { return leaky_relu(in[0] * 2.0f, 0.01f); }, {x});
  CHECK_MESSAGE(r.ok, r.report);
}
