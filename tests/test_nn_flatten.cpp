// Tests of nn::Flatten: PyTorch's defaults (the batch dimension kept), repr, and the gradient
// flowing back in the input's shape.
#include <doctest/doctest.h>

#include "minigrad/nn/flatten.hpp"
#include "minigrad/gradcheck.hpp"

using namespace minigrad;

TEST_CASE("Flatten keeps the batch dimension and merges the rest, as in PyTorch") {
  nn::Flatten flat;
  CHECK(flat.repr() == "Flatten(start_dim=1, end_dim=-1)");
  Tensor x = Tensor::arange(2 * 64 * 7 * 7).reshape({2, 64, 7, 7}).detach().requires_grad_();
  Tensor y = flat(x);
  CHECK(y.shape() == Shape{2, 3136});
  CHECK(y.at({1, 5}) == x.at({1, 0, 0, 5}));
  y.backward(Tensor::ones(y.shape()));
  CHECK(x.grad().shape() == Shape{2, 64, 7, 7});
  CHECK(nn::Flatten(0, 1)(x).shape() == Shape{128, 7, 7});
}
