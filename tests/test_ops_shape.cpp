// Tests of ops/shape.hpp: flatten's shapes for every start and end (negative ones too),
// unsqueeze and squeeze against PyTorch (tests/reference/golden_api_ops.py), the gradient reshaped
// back, and the errors.
#include <doctest/doctest.h>

#include <stdexcept>

#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/reduce.hpp"
#include "minigrad/ops/shape.hpp"
#include "minigrad/gradcheck.hpp"

using namespace minigrad;

TEST_CASE("flatten merges start_dim..end_dim, as torch.flatten") {
  Tensor x = Tensor::zeros({2, 3, 4, 5});
  CHECK(flatten(x).shape() == Shape{120});
  CHECK(flatten(x, 1).shape() == Shape{2, 60});
  CHECK(flatten(x, 1, 2).shape() == Shape{2, 12, 5});
  CHECK(flatten(x, -2).shape() == Shape{2, 3, 20});
  CHECK(flatten(x, 2, 2).shape() == Shape{2, 3, 4, 5});
  CHECK(flatten(Tensor::scalar(3.0f)).shape() == Shape{1});
}

TEST_CASE("flatten's gradient is the output's, reshaped back") {
  Generator gen(4);
  GradCheckResult r = gradcheck([](const std::vector<Tensor>& in) { return flatten(in[0], 1); },
                                {Tensor::randn({2, 3, 2, 2}, gen).requires_grad_()});
  CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("flatten names a dim out of range and a reversed range") {
  Tensor x = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH_AS(flatten(x, 2), doctest::Contains("start_dim 2 is out of range"),
                       std::out_of_range);
  CHECK_THROWS_WITH_AS(flatten(x, 1, 0), doctest::Contains("start_dim 1 comes after end_dim 0"),
                       std::invalid_argument);
}

TEST_CASE("unsqueeze and squeeze: shapes and gradients as PyTorch") {
  Tensor x = Tensor::zeros({2, 3});
  CHECK(unsqueeze(x, 0).shape() == Shape{1, 2, 3});
  CHECK(unsqueeze(x, 1).shape() == Shape{2, 1, 3});
  CHECK(unsqueeze(x, 2).shape() == Shape{2, 3, 1});
  CHECK(unsqueeze(x, -1).shape() == Shape{2, 3, 1});
  CHECK(unsqueeze(x, -3).shape() == Shape{1, 2, 3});
  CHECK(unsqueeze(Tensor::scalar(1.0f), 0).shape() == Shape{1});
  Tensor o = Tensor::zeros({1, 3, 1});
  CHECK(squeeze(o).shape() == Shape{3});
  CHECK(squeeze(o, 0).shape() == Shape{3, 1});
  CHECK(squeeze(o, -1).shape() == Shape{1, 3});
  CHECK(squeeze(o, 1).shape() == Shape{1, 3, 1});  // not of size 1: unchanged
  CHECK(squeeze(Tensor::zeros({1, 1})).shape() == Shape{});
  // PyTorch: squeeze of [[[1], [2], [3]]] weighted by arange - 1.5 gives grad [-1.5, -0.5, 0.5].
  Tensor t = Tensor::from({{{1}, {2}, {3}}}).requires_grad_();
  sum(squeeze(t) * (Tensor::arange(3) - 1.5f)).backward();
  CHECK(t.grad().shape() == Shape{1, 3, 1});
  CHECK(t.grad().to_vector() == std::vector<float>{-1.5f, -0.5f, 0.5f});
  Generator gen(5);
  GradCheckResult r = gradcheck(
      [](const std::vector<Tensor>& in) { return squeeze(unsqueeze(in[0], 1), 1); },
      {Tensor::randn({2, 3}, gen).requires_grad_()});
  CHECK_MESSAGE(r.ok, r.report);
  CHECK_THROWS_WITH_AS(unsqueeze(x, 3), doctest::Contains("use a dim from -3 to 2"),
                       std::out_of_range);
  CHECK_THROWS_WITH_AS(squeeze(x, 2), doctest::Contains("use a dim from -2 to 1"),
                       std::out_of_range);
}
