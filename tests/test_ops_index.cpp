// Tests of ops/index.hpp: narrow and index_select against PyTorch's values and gradients
// (tests/reference/golden_api_ops.py), finite-difference checks, and the errors.
#include <doctest/doctest.h>

#include <stdexcept>

#include "minigrad/gradcheck.hpp"
#include "minigrad/ops/index.hpp"
#include "support/golden_case.hpp"

using namespace minigrad;
using minigrad::testing::backward_weighted;

namespace {
// X [2, 3, 2], the input of the golden cases.
Tensor golden_x() {
  return Tensor::from({{{1, -2}, {0.5f, 3}, {-1.5f, 0}}, {{2, 2}, {-0.25f, 1}, {4, -3}}});
}
}  // namespace

TEST_CASE("narrow: golden values from PyTorch, negative dim and start included") {
  Tensor x = golden_x().requires_grad_();
  Tensor y = backward_weighted(narrow(x, 1, 1, 2));
  CHECK(y.shape() == Shape{2, 2, 2});
  CHECK(y.to_vector() == std::vector<float>{0.5f, 3, -1.5f, 0, -0.25f, 1, 4, -3});
  CHECK(x.grad().to_vector() ==
        std::vector<float>{0, 0, -1.5f, -0.5f, 0.5f, 1.5f, 0, 0, 2.5f, 3.5f, 4.5f, 5.5f});
  Tensor x2 = golden_x().requires_grad_();
  y = backward_weighted(narrow(x2, -1, -1, 1));
  CHECK(y.shape() == Shape{2, 3, 1});
  CHECK(y.to_vector() == std::vector<float>{-2, 3, 0, 2, 1, -3});
  CHECK(x2.grad().to_vector() ==
        std::vector<float>{0, -1.5f, 0, -0.5f, 0, 0.5f, 0, 1.5f, 0, 2.5f, 0, 3.5f});
}

TEST_CASE("index_select: golden values from PyTorch; a repeated position adds up") {
  Tensor x = golden_x().requires_grad_();
  Tensor y = backward_weighted(index_select(x, 1, Tensor::from({2, 0, 2})));
  CHECK(y.shape() == Shape{2, 3, 2});
  CHECK(y.to_vector() == std::vector<float>{-1.5f, 0, 1, -2, -1.5f, 0, 4, -3, 2, 2, 4, -3});
  CHECK(x.grad().to_vector() ==
        std::vector<float>{0.5f, 1.5f, 0, 0, 1, 3, 6.5f, 7.5f, 0, 0, 13, 15});
}

TEST_CASE("narrow and index_select pass gradient checks") {
  Generator gen(6);
  Tensor x = Tensor::randn({3, 4, 2}, gen).requires_grad_();
  GradCheckResult r =
      gradcheck([](const std::vector<Tensor>& in) { return narrow(in[0], 0, 1, 2); }, {x});
  CHECK_MESSAGE(r.ok, r.report);
  r = gradcheck(
      [](const std::vector<Tensor>& in) {
        return index_select(in[0], -1, Tensor::from({1, 1, 0}));
      },
      {x});
  CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("narrow and index_select name the range that does not fit") {
  Tensor x = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH_AS(narrow(x, 1, 2, 2),
                       doctest::Contains("start 2 and length 2 do not fit dimension 1 of shape "
                                         "[2, 3], which has 3 elements"),
                       std::out_of_range);
  CHECK(narrow(x, 1, 3, 0).shape() == Shape{2, 0});
  CHECK_THROWS_AS(narrow(x, 2, 0, 1), std::out_of_range);
  CHECK_THROWS_WITH_AS(index_select(x, 0, Tensor::from({0, 2})),
                       doctest::Contains("index[1] is 2, but dimension 0 of shape [2, 3] has "
                                         "positions 0..1"),
                       std::out_of_range);
  CHECK_THROWS_AS(index_select(x, 0, Tensor::from({0.5f})), std::out_of_range);
  CHECK_THROWS_WITH_AS(index_select(x, 0, Tensor::zeros({1, 1})),
                       doctest::Contains("expected a 1-D list"), std::invalid_argument);
}
