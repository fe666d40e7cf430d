// Tests of ops/max.hpp: max routes its gradient to the first maximum, a NaN is the maximum, and
// argmax agrees and records nothing. PyTorch's values along each dim and the dim errors are
// checked with the other reductions in test_ops_reduce.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "minigrad/ops/max.hpp"
#include "minigrad/tensor.hpp"

using namespace minigrad;

TEST_CASE("max: the gradient goes to the first maximum on ties; NaN is the maximum") {
  Tensor x = Tensor::from({{1, 3, 3, 0}, {2, 2, 2, 2}}).requires_grad_();
  auto [v, i] = max(x, 1);
  CHECK(v.to_vector() == std::vector<float>{3, 2});
  CHECK(i.to_vector() == std::vector<float>{1, 0});  // PyTorch gives [1, 0]
  CHECK_FALSE(i.requires_grad());
  v.backward(Tensor::from({10.0f, 20.0f}));
  CHECK(x.grad().to_vector() == std::vector<float>{0, 10, 0, 0, 20, 0, 0, 0});
  CHECK(argmax(x, 1).to_vector() == std::vector<float>{1, 0});
  CHECK_FALSE(argmax(x, 1).requires_grad());

  auto [nv, ni] = max(Tensor::from({1.0f, NAN, 5.0f}), 0);
  CHECK(std::isnan(nv.item()));
  CHECK(ni.item() == 1.0f);
}
