// Tests of nn::Dropout: the statistics of the mask, the edge probabilities 0 and 1, the error for
// a bad p, eval as identity, reproducibility from the module's own seed, and gradient checks.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/dropout.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/gradcheck.hpp"

using namespace minigrad;
using nn::Dropout;

TEST_CASE("Dropout keeps 1-p of the elements, scaled by 1/(1-p), within 3 sigma") {
  for (float p : {0.3f, 0.5f, 0.9f}) {
    CAPTURE(p);
    Dropout drop(p, 1234);
    const int64_t n = 100000;
    Generator gen(3);
    Tensor x = Tensor::uniform({n}, 0.5f, 2.0f, gen);
    Tensor y = drop(x);
    int64_t kept = 0;
    bool values_ok = true;
    for (int64_t i = 0; i < n; ++i) {
      const float xi = x.data()[i], yi = y.data()[i];
      if (yi != 0.0f) {
        ++kept;
        values_ok = values_ok && yi == xi * (1.0f / (1.0f - p));
      }
    }
    CHECK(values_ok);  // every element is 0 or x/(1-p), nothing in between
    const double fraction = static_cast<double>(kept) / n;
    const double sigma = std::sqrt(p * (1.0 - p) / n);
    CHECK(std::fabs(fraction - (1.0 - p)) < 3 * sigma);
    // The mean is preserved in expectation: E[y] = E[x].
    double sx = 0, sy = 0;
    for (int64_t i = 0; i < n; ++i) sx += x.data()[i], sy += y.data()[i];
    CHECK(sy / sx == doctest::Approx(1.0).epsilon(p > 0.8f ? 0.05 : 0.02));
  }
}

TEST_CASE("Dropout with p = 0, or in eval, returns its input itself") {
  Tensor x = Tensor::from({1, 2, 3}).requires_grad_();
  Dropout zero(0.0f);
  Tensor y = zero(x);
  CHECK(y.is_same(x));
  Dropout half(0.5f);
  half.eval();
  CHECK(half(x).is_same(x));
  half.train();
  Tensor z = half(x);
  CHECK_FALSE(z.is_same(x));
  REQUIRE(z.grad_fn() != nullptr);
  CHECK(z.grad_fn()->name() == "dropout");  // one fused node
}

TEST_CASE("Dropout with p = 1 gives zeros and a zero gradient, never NaN") {
  Dropout drop(1.0f);
  Tensor x = Tensor::from({1.0f, -2.0f, 3.0f, std::numeric_limits<float>::max()}).requires_grad_();
  Tensor y = drop(x);
  for (float v : y.to_vector()) CHECK(v == 0.0f);
  y.backward(Tensor::ones({4}));
  for (float g : x.grad().to_vector()) CHECK(g == 0.0f);
}

TEST_CASE("Dropout rejects a probability outside [0, 1] with PyTorch's message") {
  try {
    Dropout bad(1.5f);
    FAIL("p = 1.5 must be rejected");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find(
              "dropout probability has to be between 0 and 1, but got 1.5") != std::string::npos);
  }
  CHECK_THROWS_AS(Dropout(-0.1f), std::invalid_argument);
  CHECK_THROWS_AS(Dropout(std::nanf("")), std::invalid_argument);
  CHECK_THROWS_AS(Dropout(2.0f, Generator(1)), std::invalid_argument);
}

TEST_CASE("Dropout's mask comes from its own seed") {
  Tensor x = Tensor::ones({64});
  Dropout a(0.5f, 7), b(0.5f, 7), c(0.5f, 8);
  const std::vector<float> ya = a(x).to_vector();
  CHECK(ya == b(x).to_vector());  // same seed, same mask
  CHECK(ya != c(x).to_vector());  // another seed, another mask
  CHECK(ya != a(x).to_vector());  // the generator moves on between calls
  a.manual_seed(7);
  CHECK(ya == a(x).to_vector());  // reseeding replays it
  Dropout d(0.5f, Generator(7));
  CHECK(ya == d(x).to_vector());  // a generator passed in works the same way
}

TEST_CASE("Dropout's gradient is dy times the same mask (gradient checks, train and eval)") {
  Generator gen(4);
  Tensor x = Tensor::randn({5, 6}, gen).requires_grad_();
  Dropout drop(0.4f);
  // Reseed before every evaluation so that the mask is the same for each finite difference.
  auto f = [&drop](const std::vector<Tensor>& in) {
    drop.manual_seed(99);
    return drop(in[0]);
  };
  GradCheckResult train = gradcheck(f, {x});
  CHECK_MESSAGE(train.ok, train.report);
  drop.eval();
  GradCheckResult eval = gradcheck(f, {x});
  CHECK_MESSAGE(eval.ok, eval.report);

  // And directly: dx = dy·mask where mask = y/x.
  drop.train();
  drop.manual_seed(5);
  Tensor x2 = Tensor::ones({200}).requires_grad_();
  Tensor y = drop(x2);
  Tensor dy = Tensor::full({200}, 3.0f);
  y.backward(dy);
  CHECK(max_abs_diff(x2.grad(), (y.detach() * 3.0f).to_vector()) == 0.0);
}

TEST_CASE("Dropout prints like PyTorch") {
  CHECK(Dropout(0.3f).repr() == "Dropout(p=0.3, inplace=False)");
  CHECK(Dropout(1.0f).repr() == "Dropout(p=1.0, inplace=False)");
  CHECK(Dropout(0.3f).state_dict().empty());
}
