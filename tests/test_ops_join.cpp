// Tests of ops/join.hpp: cat and stack against PyTorch's values and gradients
// (tests/reference/golden_api_ops.py), finite-difference checks, and the errors.
#include <doctest/doctest.h>

#include <stdexcept>

#include "minigrad/gradcheck.hpp"
#include "minigrad/ops/join.hpp"
#include "support/golden_case.hpp"

using namespace minigrad;
using minigrad::testing::backward_weighted;

namespace {
Tensor golden_a() { return Tensor::from({{0.5f, -1.0f, 2.0f}, {1.5f, 0.25f, -0.75f}}); }
}  // namespace

TEST_CASE("cat along 0 and 1: golden values from PyTorch") {
  Tensor a = golden_a().requires_grad_(), b = Tensor::from({{3, -2, 0}}).requires_grad_();
  Tensor y = backward_weighted(cat({a, b}, 0));
  CHECK(y.shape() == Shape{3, 3});
  CHECK(y.to_vector() == std::vector<float>{0.5f, -1, 2, 1.5f, 0.25f, -0.75f, 3, -2, 0});
  CHECK(a.grad().to_vector() == std::vector<float>{-1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 3.5f});
  CHECK(b.grad().to_vector() == std::vector<float>{4.5f, 5.5f, 6.5f});

  Tensor a2 = golden_a().requires_grad_(), c = Tensor::from({{1}, {2}}).requires_grad_();
  y = backward_weighted(cat({a2, c}, -1));
  CHECK(y.to_vector() == std::vector<float>{0.5f, -1, 2, 1, 1.5f, 0.25f, -0.75f, 2});
  CHECK(a2.grad().to_vector() == std::vector<float>{-1.5f, -0.5f, 0.5f, 2.5f, 3.5f, 4.5f});
  CHECK(c.grad().to_vector() == std::vector<float>{1.5f, 5.5f});
}

TEST_CASE("stack along a new middle dimension: golden values from PyTorch") {
  Tensor a = golden_a().requires_grad_();
  Tensor b = Tensor::from({{3, -2, 0}, {1, 1, 1}}).requires_grad_();
  Tensor y = backward_weighted(stack({a, b}, 1));
  CHECK(y.shape() == Shape{2, 2, 3});
  CHECK(y.to_vector() == std::vector<float>{0.5f, -1, 2, 3, -2, 0, 1.5f, 0.25f, -0.75f, 1, 1, 1});
  CHECK(a.grad().to_vector() == std::vector<float>{-1.5f, -0.5f, 0.5f, 4.5f, 5.5f, 6.5f});
  CHECK(b.grad().to_vector() == std::vector<float>{1.5f, 2.5f, 3.5f, 7.5f, 8.5f, 9.5f});
  CHECK(stack({a, b}, 0).shape() == Shape{2, 2, 3});
  CHECK(stack({a, b}, -1).shape() == Shape{2, 3, 2});
}

TEST_CASE("cat and stack pass gradient checks, with an input that needs no grad") {
  Generator gen(2);
  Tensor a = Tensor::randn({2, 3, 2}, gen).requires_grad_();
  Tensor b = Tensor::randn({2, 1, 2}, gen);
  Tensor c = Tensor::randn({2, 4, 2}, gen).requires_grad_();
  GradCheckResult r = gradcheck(
      [b](const std::vector<Tensor>& in) {
        return cat({in[0], b, in[1]}, 1);
      },
      {a, c});
  CHECK_MESSAGE(r.ok, r.report);
  Tensor d = Tensor::randn({2, 3, 2}, gen).requires_grad_();
  r = gradcheck(
      [](const std::vector<Tensor>& in) {
        return stack({in[0], in[1], in[0]}, 2);
      },
      {a, d});
  CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("cat and stack name the shapes that do not fit") {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({2, 4});
  CHECK_THROWS_WITH_AS(cat({a, b}, 0),
                       doctest::Contains("tensor 1 has shape [2, 4] but tensor 0 has shape [2, 3]"),
                       std::invalid_argument);
  CHECK(cat({a, b}, 1).shape() == Shape{2, 7});
  CHECK_THROWS_WITH_AS(cat({}, 0), doctest::Contains("non-empty list"), std::invalid_argument);
  CHECK_THROWS_AS(cat({a, Tensor::zeros({2, 3, 1})}, 0), std::invalid_argument);
  CHECK_THROWS_WITH_AS(cat({a}, 2), doctest::Contains("out of range"), std::out_of_range);
  CHECK_THROWS_WITH_AS(stack({a, b}), doctest::Contains("stack needs equal shapes"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(stack({a}, 3), doctest::Contains("use a dim from -3 to 2"),
                       std::out_of_range);
}
