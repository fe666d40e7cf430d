// Tests of nn/identity.hpp: Identity hands back its input and its gradient untouched.
#include <doctest/doctest.h>

#include "minigrad/nn/identity.hpp"
#include "minigrad/ops/reduce.hpp"

using namespace minigrad;
using namespace minigrad::nn;

TEST_CASE("Identity returns its input, passes the gradient through, prints as PyTorch") {
  Tensor x = Tensor::from({1, 2}).requires_grad_();
  Identity id;
  Tensor y = id(x);
  CHECK(y.is_same(x));
  sum(y).backward();
  CHECK(x.grad().to_vector() == std::vector<float>{1, 1});
  CHECK(id.repr() == "Identity()");
  CHECK(id.num_parameters() == 0);
}
