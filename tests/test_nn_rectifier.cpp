// Tests of nn/rectifier.hpp: LeakyReLU and GELU compute their ops, print like PyTorch and own
// no parameters.
#include <doctest/doctest.h>

#include "minigrad/gradcheck.hpp"
#include "minigrad/nn/rectifier.hpp"

using namespace minigrad;
using namespace minigrad::nn;

TEST_CASE("LeakyReLU and GELU: values, PyTorch's repr, no parameters") {
  Tensor x = Tensor::from({-3, 0.25f});
  CHECK(max_abs_diff(LeakyReLU(0.1f)(x), {-0.3f, 0.25f}) < 1e-7);
  CHECK(max_abs_diff(LeakyReLU()(x), {-0.03f, 0.25f}) < 1e-7);
  CHECK(max_abs_diff(GELU()(x), {-0.0040498674f, 0.14967656f}) < 1e-6);
  CHECK(LeakyReLU().repr() == "LeakyReLU(negative_slope=0.01)");
  CHECK(LeakyReLU(0.2f).repr() == "LeakyReLU(negative_slope=0.2)");
  CHECK(GELU().repr() == "GELU(approximate='none')");
  CHECK(GELU().num_parameters() == 0);
}
