// Tests of ops/shape.hpp: flatten's shapes for every start and end (negative ones too), the
// gradient reshaped back, and the errors.
#include <doctest/doctest.h>

#include <stdexcept>

#include "minigrad/ops/shape.hpp"
#include "support/gradcheck.hpp"

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
