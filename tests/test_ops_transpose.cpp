// Tests of ops/transpose.hpp: the values, the gradient, and the error for a tensor that is not
// a matrix.
#include <doctest/doctest.h>

#include <stdexcept>

#include "minigrad/gradcheck.hpp"
#include "minigrad/ops/transpose.hpp"
#include "minigrad/tensor.hpp"

using namespace minigrad;

TEST_CASE("transpose: values and gradient") {
  Tensor x = Tensor::from({{1, 2, 3}, {4, 5, 6}}).requires_grad_();
  Tensor t = transpose(x);
  CHECK(t.shape() == Shape{3, 2});
  CHECK(t.to_vector() == std::vector<float>{1, 4, 2, 5, 3, 6});
  GradCheckResult r =
      gradcheck([](const std::vector<Tensor>& in) { return transpose(in[0]); }, {x});
  CHECK_MESSAGE(r.ok, r.report);
  CHECK(max_abs_diff(transpose(transpose(x)), x.to_vector()) == 0.0);
  CHECK_THROWS_WITH_AS(transpose(Tensor::zeros({2, 3, 4})),
                       doctest::Contains("transpose: x must be 2-D but is [2, 3, 4]"),
                       std::invalid_argument);
}
