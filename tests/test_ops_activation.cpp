// Tests of ops/activation.hpp: relu, sigmoid and tanh against PyTorch's values and gradients,
// gradient checks away from relu's kink, relu's gradient of 0 at exactly 0, and sigmoid at
// extreme inputs (no overflow, no NaN).
#include <doctest/doctest.h>

#include <cmath>
#include <functional>

#include "minigrad/ops/activation.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/tensor.hpp"
#include "minigrad/gradcheck.hpp"

using namespace minigrad;

TEST_CASE("activations: golden values and gradients from PyTorch") {
  // x = [-3, -0.5, 0, 0.5, 3], upstream dy = [1, 2, 3, 4, 5] (tests/reference/golden_ops.py)
  struct Case {
    const char* name;
    std::function<Tensor(const Tensor&)> f;
    std::vector<float> y, dx;
  };
  const Case cases[] = {
      {"relu", [](const Tensor& t) { return relu(t); }, {0, 0, 0, 0.5f, 3}, {0, 0, 0, 4, 5}},
      {"sigmoid",
       [](const Tensor& t) { return sigmoid(t); },
       {0.047425874f, 0.37754068f, 0.5f, 0.62245935f, 0.95257413f},
       {0.045176659f, 0.47000742f, 0.75f, 0.94001484f, 0.22588326f}},
      {"tanh",
       [](const Tensor& t) { return tanh(t); },
       {-0.99505478f, -0.46211717f, 0.0f, 0.46211717f, 0.99505478f},
       {0.0098659815f, 1.5728954f, 3.0f, 3.1457908f, 0.049329907f}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Tensor x = Tensor::from({-3.0f, -0.5f, 0.0f, 0.5f, 3.0f}).requires_grad_();
    Tensor y = c.f(x);
    CHECK(y.shape() == Shape{5});
    y.backward(Tensor::from({1.0f, 2.0f, 3.0f, 4.0f, 5.0f}));
    CHECK(max_abs_diff(y, c.y) < 1e-6);
    CHECK(max_abs_diff(x.grad(), c.dx) < 2e-6);
  }
}

TEST_CASE("relu's gradient at exactly 0 is 0, as in PyTorch") {
  Tensor x = Tensor::from({0.0f, -0.0f, 1e-30f, -1e-30f}).requires_grad_();
  relu(x).backward(Tensor::ones({4}));
  CHECK(x.grad().to_vector() == std::vector<float>{0, 0, 1, 0});
}

TEST_CASE("activations pass gradcheck on several shapes, relu away from its kink") {
  Generator gen(21);
  const Shape shapes[] = {{7}, {3, 4}, {2, 3, 4}, {}};
  for (const Shape& s : shapes) {
    INFO("shape ", shape_str(s));
    // relu inputs with |x| in [0.1, 2]: a ±eps step never crosses 0.
    Tensor x = Tensor::uniform(s, 0.1f, 2.0f, gen);
    for (int64_t i = 0; i < x.numel(); ++i)
      if (gen.bernoulli(0.5f)) x.data()[i] = -x.data()[i];
    x.requires_grad_();
    GradCheckResult r = gradcheck([](const std::vector<Tensor>& in) { return relu(in[0]); }, {x});
    CHECK_MESSAGE(r.ok, r.report);
    Tensor z = (Tensor::randn(s, gen) * 2.0f).detach().requires_grad_();
    r = gradcheck([](const std::vector<Tensor>& in) { return sigmoid(in[0]); }, {z});
    CHECK_MESSAGE(r.ok, r.report);
    r = gradcheck([](const std::vector<Tensor>& in) { return tanh(in[0]); }, {z});
    CHECK_MESSAGE(r.ok, r.report);
  }
}

TEST_CASE("sigmoid neither overflows nor returns NaN at extreme inputs") {
  Tensor x = Tensor::from({-100.0f, -30.0f, 30.0f, 100.0f, -1e30f, 1e30f}).requires_grad_();
  Tensor y = sigmoid(x);
  // PyTorch: [0, 9.3576236e-14, 1, 1]; the two last are the limits.
  CHECK(y.data()[0] >= 0.0f);
  CHECK(y.data()[0] < 1e-40f);
  CHECK(y.data()[1] == doctest::Approx(9.3576236e-14).epsilon(1e-6));
  CHECK(y.data()[2] == 1.0f);
  CHECK(y.data()[3] == 1.0f);
  CHECK(y.data()[4] == 0.0f);
  CHECK(y.data()[5] == 1.0f);
  y.backward(Tensor::ones({6}));
  for (float g : x.grad().to_vector()) {
    CHECK(std::isfinite(g));
    CHECK(g >= 0.0f);
  }
  CHECK(tanh(Tensor::from({-1e30f, 1e30f})).to_vector() == std::vector<float>{-1, 1});
}

TEST_CASE("NaN goes through the activations, as in PyTorch") {
  CHECK(std::isnan(relu(Tensor::scalar(NAN)).item()));
  CHECK(std::isnan(sigmoid(Tensor::scalar(NAN)).item()));
  CHECK(std::isnan(tanh(Tensor::scalar(NAN)).item()));
}
