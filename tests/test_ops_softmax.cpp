// Tests of ops/softmax.hpp: PyTorch's values and gradients along dim 1 and dim 0, gradient
// checks along every dim of a 3-D input, stability for logits of 1e8, and dim errors.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/softmax.hpp"
#include "minigrad/tensor.hpp"
#include "minigrad/gradcheck.hpp"

using namespace minigrad;

namespace {
Tensor logits() { return Tensor::from({{1.0f, 2.0f, 0.5f, -1.0f}, {3.0f, -2.0f, 0.0f, 3.0f}}); }
Tensor upstream() { return Tensor::from({{1.0f, 0.0f, -1.0f, 2.0f}, {0.5f, 0.5f, -2.0f, 1.0f}}); }
}  // namespace

TEST_CASE("log_softmax and softmax: golden values and gradients from PyTorch") {
  struct Case {
    int64_t dim;
    bool log;
    std::vector<float> y, dx;
  };
  const Case cases[] = {
      {1,
       true,
       {-1.4951819f, -0.49518189f, -1.9951819f, -3.4951818f, -0.72101766f, -5.7210178f, -3.7210176f,
        -0.72101766f},
       {0.55158436f, -1.2189201f, -1.2719778f, 1.9393135f, 0.5f, 0.5f, -2.0f, 1.0f}},
      {1,
       false,
       {0.22420783f, 0.60946006f, 0.13598892f, 0.030343229f, 0.48625717f, 0.0032763751f,
        0.024209319f, 0.48625717f},
       {0.19082208f, -0.090751871f, -0.15623841f, 0.056168187f, -0.088793121f, -0.00059828337f,
        -0.064944044f, 0.15433547f}},
      {0,
       true,
       {-2.1269281f, -0.018149961f, -0.47407699f, -4.0181499f, -0.12692805f, -4.0181499f,
        -0.97407699f, -0.018149961f},
       {0.8211956f, -0.49100688f, 0.86737806f, 1.9460413f, -0.82119554f, 0.49100688f, -0.867378f,
        -1.9460413f}},
      {0,
       false,
       {0.11920292f, 0.98201376f, 0.62245935f, 0.01798621f, 0.88079703f, 0.01798621f, 0.37754068f,
        0.98201376f},
       {0.052496795f, -0.0088313529f, 0.23500374f, 0.017662708f, -0.052496757f, 0.0088313529f,
        -0.23500371f, -0.017662674f}},
  };
  for (const Case& c : cases) {
    INFO((c.log ? "log_softmax" : "softmax"), " dim ", c.dim);
    for (int64_t dim : {c.dim, c.dim - 2}) {  // the negative spelling too
      Tensor x = logits().requires_grad_();
      Tensor y = c.log ? log_softmax(x, dim) : softmax(x, dim);
      CHECK(y.shape() == Shape{2, 4});
      y.backward(upstream());
      CHECK(max_abs_diff(y, c.y) < 2e-6);
      CHECK(max_abs_diff(x.grad(), c.dx) < 2e-6);
    }
  }
}

TEST_CASE("softmax along a dim sums to 1 there") {
  Generator gen(9);
  Tensor x = Tensor::randn({3, 4, 5}, gen) * 3.0f;
  for (int64_t dim = 0; dim < 3; ++dim) {
    Tensor s = softmax(x, dim);
    Tensor l = log_softmax(x, dim);
    const int64_t inner = dim == 0 ? 20 : dim == 1 ? 5 : 1, n = x.size(dim);
    for (int64_t o = 0; o < 60 / (n * inner); ++o)
      for (int64_t i = 0; i < inner; ++i) {
        double total = 0;
        for (int64_t k = 0; k < n; ++k) {
          const int64_t at = (o * n + k) * inner + i;
          total += s.data()[at];
          CHECK(std::exp(l.data()[at]) == doctest::Approx(s.data()[at]).epsilon(1e-5));
        }
        CHECK(total == doctest::Approx(1.0).epsilon(1e-6));
      }
  }
}

TEST_CASE("log_softmax and softmax pass gradcheck along every dim") {
  Generator gen(17);
  Tensor x = Tensor::randn({2, 3, 4}, gen).requires_grad_();
  for (int64_t dim = -3; dim < 3; ++dim) {
    INFO("dim ", dim);
    GradCheckResult r =
        gradcheck([dim](const std::vector<Tensor>& in) { return log_softmax(in[0], dim); }, {x});
    CHECK_MESSAGE(r.ok, r.report);
    r = gradcheck([dim](const std::vector<Tensor>& in) { return softmax(in[0], dim); }, {x});
    CHECK_MESSAGE(r.ok, r.report);
  }
  Tensor v = Tensor::randn({6}, gen).requires_grad_();
  GradCheckResult r =
      gradcheck([](const std::vector<Tensor>& in) { return log_softmax(in[0], 0); }, {v});
  CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("huge logits stay finite: no overflow, no log of an underflowed 0") {
  Tensor x = Tensor::from({{1e8f, 0.0f, -1e8f}, {1000.0f, 1000.0f, -1000.0f}}).requires_grad_();
  Tensor l = log_softmax(x, 1);
  // PyTorch: [0, -1e8, -2e8, -0.69314718, -0.69314718, -2000.6931]
  CHECK(max_abs_diff(l, {0.0f, -1e8f, -2e8f, -0.69314718f, -0.69314718f, -2000.6931f}) < 1e-3);
  Tensor s = softmax(x, 1);
  CHECK(max_abs_diff(s, {1, 0, 0, 0.5f, 0.5f, 0}) < 1e-7);
  l.backward(Tensor::from({{1.0f, 0.0f, 0.0f}, {0.0f, 1.0f, 0.0f}}));
  for (float g : x.grad().to_vector()) CHECK(std::isfinite(g));
  CHECK(max_abs_diff(x.grad(), {0, 0, 0, -0.5f, 0.5f, 0}) < 1e-6);
}

TEST_CASE("softmax dim errors name the dim and the shape") {
  CHECK_THROWS_WITH_AS(
      softmax(Tensor::zeros({4, 10}), 2),
      doctest::Contains("softmax: dim 2 is out of range for a tensor of shape [4, 10]"),
      std::out_of_range);
  CHECK_THROWS_AS(log_softmax(Tensor::zeros({4, 10}), -3), std::out_of_range);
}
