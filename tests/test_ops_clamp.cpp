// Tests of ops/clamp.hpp: abs and clamp against PyTorch's values and gradients at and around
// their kinks (tests/reference/golden_api_ops.py), finite-difference checks away from the kinks,
// NaN, and the errors.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "minigrad/gradcheck.hpp"
#include "minigrad/ops/clamp.hpp"
#include "support/golden_case.hpp"

using namespace minigrad;
using minigrad::testing::backward_weighted;

TEST_CASE("abs: golden values from PyTorch, gradient 0 at 0") {
  Tensor x = Tensor::from({-2, -0.5f, 0, 0.5f, 3}).requires_grad_();
  CHECK(backward_weighted(abs(x)).to_vector() == std::vector<float>{2, 0.5f, 0, 0.5f, 3});
  CHECK(x.grad().to_vector() == std::vector<float>{1.5f, 0.5f, 0, 1.5f, 2.5f});
}

TEST_CASE("clamp: golden values from PyTorch, bounds included in the gradient") {
  Tensor x = Tensor::from({-2, -0.5f, 0, 0.5f, 1, 3}).requires_grad_();
  CHECK(backward_weighted(clamp(x, -0.5f, 1.0f)).to_vector() ==
        std::vector<float>{-0.5f, -0.5f, 0, 0.5f, 1, 1});
  CHECK(x.grad().to_vector() == std::vector<float>{0, -0.5f, 0.5f, 1.5f, 2.5f, 0});
  Tensor x2 = Tensor::from({-2, -0.5f, 0, 0.5f, 1, 3}).requires_grad_();
  CHECK(backward_weighted(clamp(x2, 0.25f)).to_vector() ==
        std::vector<float>{0.25f, 0.25f, 0.25f, 0.5f, 1, 3});
  CHECK(x2.grad().to_vector() == std::vector<float>{0, 0, 0, 1.5f, 2.5f, 3.5f});
  Tensor x3 = Tensor::from({-2, -0.5f, 0, 0.5f, 1, 3}).requires_grad_();
  CHECK(backward_weighted(clamp(x3, 1.0f, -1.0f)).to_vector() == std::vector<float>(6, -1.0f));
  CHECK(x3.grad().to_vector() == std::vector<float>(6, 0.0f));
  CHECK(clamp(Tensor::from({-5, 5}), std::nullopt, 1.0f).to_vector() == std::vector<float>{-5, 1});
  CHECK(std::isnan(clamp(Tensor::from({NAN}), 0.0f, 1.0f).item()));
}

TEST_CASE("abs and clamp pass gradient checks away from their kinks") {
  Tensor x = Tensor::from({{-2.1f, -0.7f, 0.4f}, {0.9f, 1.6f, -1.3f}}).requires_grad_();
  GradCheckResult r = gradcheck([](const std::vector<Tensor>& in) { return abs(in[0]); }, {x});
  CHECK_MESSAGE(r.ok, r.report);
  r = gradcheck([](const std::vector<Tensor>& in) { return clamp(in[0], -1.0f, 1.0f); }, {x});
  CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("clamp without bounds is an error with a hint") {
  CHECK_THROWS_WITH_AS(clamp(Tensor::zeros({2}), std::nullopt, std::nullopt),
                       doctest::Contains("at least one of min and max"), std::invalid_argument);
}
