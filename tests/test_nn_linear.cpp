// Tests of nn::Linear: PyTorch's layout and default initialisation bounds, the forward against a
// hand computation, one graph node, gradient checks with and without a bias, and the shape error.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "minigrad/autograd.hpp"
#include "minigrad/gradcheck.hpp"
#include "minigrad/nn/linear.hpp"
#include "support/golden_case.hpp"

using namespace minigrad;
using nn::Linear;

TEST_CASE("Linear has PyTorch's layout and U(-1/sqrt(in), 1/sqrt(in)) initialisation") {
  Generator gen(0);
  Linear fc(784, 128, gen);
  CHECK(fc.weight().shape() == Shape{128, 784});
  CHECK(fc.bias().shape() == Shape{128});
  CHECK(fc.weight().requires_grad());
  CHECK(fc.num_parameters() == 100480);
  const auto named = fc.named_parameters();
  REQUIRE(named.size() == 2);
  CHECK(named[0].first == "weight");
  CHECK(named[1].first == "bias");

  const float bound = 1.0f / 28.0f;  // 1/sqrt(784)
  for (const Tensor& t : {fc.weight(), fc.bias()}) {
    std::vector<float> v = t.to_vector();
    const float lo = *std::min_element(v.begin(), v.end());
    const float hi = *std::max_element(v.begin(), v.end());
    CHECK(lo >= -bound);
    CHECK(hi < bound);
    if (v.size() > 1000) {  // 100,352 draws fill the interval
      CHECK(hi > 0.999f * bound);
      CHECK(lo < -0.999f * bound);
      double mean = 0;
      for (float x : v) mean += x;
      CHECK(std::fabs(mean / v.size()) < 1e-3 * bound * 10);
    }
  }
  // 128 -> 64 and 64 -> 10 use their own fan-in.
  Linear fc2(64, 10, gen);
  for (float w : fc2.weight().to_vector()) CHECK(std::fabs(w) <= 0.125f);
}

TEST_CASE("Linear draws from the caller's generator, so a seed fixes the weights") {
  Generator a(42), b(42);
  Linear la(5, 3, a), lb(5, 3, b), lc(5, 3, a);
  CHECK(la.weight().to_vector() == lb.weight().to_vector());
  CHECK(la.bias().to_vector() == lb.bias().to_vector());
  CHECK(la.weight().to_vector() != lc.weight().to_vector());  // the generator moved on
}

TEST_CASE("Linear computes x·Wᵀ + b in one node") {
  Generator gen(1);
  Linear fc(3, 2, gen);
  fc.weight().copy_(Tensor::from({{1, 2, 3}, {-1, 0, 1}}));
  fc.bias().copy_(Tensor::from({0.5f, -0.5f}));
  Tensor x = Tensor::from({{1, 1, 1}, {2, 0, -1}}).requires_grad_();
  Tensor y = fc(x);
  CHECK(max_abs_diff(y, {6.5f, -0.5f, -0.5f, -3.5f}) == 0.0);
  REQUIRE(y.grad_fn() != nullptr);
  CHECK(y.grad_fn()->name() == "linear");
}

TEST_CASE("Linear on (..., in) inputs: PyTorch's values and gradients, one gemm over all rows") {
  Generator gen(1);
  Linear fc(3, 2, gen);
  fc.weight().copy_(Tensor::from({{0.5f, -0.25f, 1}, {-1.5f, 2, 0.75f}}));
  fc.bias().copy_(Tensor::from({0.1f, -0.2f}));
  Tensor x = Tensor::from({{{0.5f, -1, 2}, {1.5f, 0.25f, -0.75f}}, {{-2, 1, 0.5f}, {3, -0.5f, 1}}})
                 .requires_grad_();
  Tensor y = minigrad::testing::backward_weighted(fc(x));  // (2, 2, 3) -> (2, 2, 2)
  CHECK(y.shape() == Shape{2, 2, 2});
  CHECK(max_abs_diff(y, {2.5999999f, -1.45f, 0.037500001f, -2.5125f, -0.64999998f, 5.1750002f,
                         2.7249999f, -4.9499998f}) < 1e-6);
  CHECK(max_abs_diff(x.grad(), {0, -0.625f, -1.875f, -2, 2.875f, 1.625f, -4, 6.375f, 5.125f, -6,
                                9.875f, 8.625f}) < 1e-6);
  CHECK(max_abs_diff(fc.weight().grad(), {8.5f, 1.875f, 2.375f, 11.5f, 1.625f, 5.125f}) < 1e-6);
  CHECK(max_abs_diff(fc.bias().grad(), {6, 10}) < 1e-6);
  // the rows of a (B, T, in) input are those of the (B·T, in) one; a 1-D input is one row
  Tensor flat = fc(x.detach().reshape({4, 3}));
  CHECK(max_abs_diff(y, flat.to_vector()) == 0.0);
  Tensor one = fc(Tensor::from({0.5f, -1, 2}));
  CHECK(one.shape() == Shape{2});
  CHECK(max_abs_diff(one, {2.5999999f, -1.45f}) < 1e-6);

  Tensor x4 = Tensor::randn({2, 1, 3, 3}, gen).requires_grad_();
  GradCheckResult r = gradcheck([&fc](const std::vector<Tensor>& in) { return fc(in[0]); },
                                {x4, fc.weight(), fc.bias()});
  CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("Linear gradient checks (with and without bias, train and eval)") {
  Generator gen(2);
  Tensor x = Tensor::randn({4, 5}, gen).requires_grad_();
  Linear fc(5, 3, gen);
  Linear nobias(5, 3, false, gen);
  CHECK_FALSE(nobias.bias().defined());
  CHECK(nobias.named_parameters().size() == 1);
  for (bool training : {true, false}) {
    fc.train(training);
    GradCheckResult r = gradcheck([&fc](const std::vector<Tensor>& in) { return fc(in[0]); },
                                  {x, fc.weight(), fc.bias()});
    CHECK_MESSAGE(r.ok, r.report);
    GradCheckResult r2 = gradcheck(
        [&nobias](const std::vector<Tensor>& in) { return nobias(in[0]); }, {x, nobias.weight()});
    CHECK_MESSAGE(r2.ok, r2.report);
  }
}

TEST_CASE("Linear names a wrong input shape and prints like PyTorch") {
  Generator gen(3);
  Linear fc(784, 128, gen);
  CHECK(fc.repr() == "Linear(in_features=784, out_features=128, bias=True)");
  CHECK(Linear(4, 2, false, gen).repr() == "Linear(in_features=4, out_features=2, bias=False)");
  try {
    fc(Tensor::zeros({32, 785}));
    FAIL("a wrong input width must be rejected");
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    CHECK(msg.find("expected input of shape [..., 784] but got [32, 785]") != std::string::npos);
    CHECK(msg.find("HINT") != std::string::npos);
  }
  CHECK_THROWS_AS(fc(Tensor::zeros({2, 3, 785})), std::invalid_argument);
  CHECK_THROWS_AS(fc(Tensor::scalar(1)), std::invalid_argument);
  CHECK_THROWS_AS(Linear(0, 3, gen), std::invalid_argument);
}
