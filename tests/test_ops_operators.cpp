// Tests of ops/operators.hpp: each operator, with a tensor or a number on either side, gives the
// values and the gradient of the elementwise op it stands for.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "minigrad/ops/operators.hpp"
#include "minigrad/tensor.hpp"

using namespace minigrad;

TEST_CASE("operators with a float behave like the tensor forms") {
  Tensor a = Tensor::from({1.0f, -2.0f, 4.0f}).requires_grad_();
  CHECK((a + 2.0f).to_vector() == std::vector<float>{3, 0, 6});
  CHECK((2.0f + a).to_vector() == std::vector<float>{3, 0, 6});
  CHECK((a - 2.0f).to_vector() == std::vector<float>{-1, -4, 2});
  CHECK((2.0f - a).to_vector() == std::vector<float>{1, 4, -2});
  CHECK((a * 3.0f).to_vector() == std::vector<float>{3, -6, 12});
  CHECK((3.0f * a).to_vector() == std::vector<float>{3, -6, 12});
  CHECK((a / 2.0f).to_vector() == std::vector<float>{0.5f, -1, 2});
  CHECK((4.0f / a).to_vector() == std::vector<float>{4, -2, 1});
  CHECK((-a).to_vector() == std::vector<float>{-1, 2, -4});
  // d/da of (2 - a)·3 + 4/a = -3 - 4/a²
  Tensor y = (2.0f - a) * 3.0f + 4.0f / a;
  y.backward(Tensor::ones({3}));
  const std::vector<float> want = {-7.0f, -4.0f, -3.25f}, got = a.grad().to_vector();
  for (size_t i = 0; i < want.size(); ++i) CHECK(std::fabs(got[i] - want[i]) < 1e-6);
}

TEST_CASE("operators between tensors are add, sub, mul and div, broadcasting") {
  Tensor a = Tensor::from({{1.0f, 2.0f}, {3.0f, 4.0f}}).requires_grad_();
  Tensor b = Tensor::from({10.0f, 20.0f}).requires_grad_();
  CHECK((a + b).to_vector() == std::vector<float>{11, 22, 13, 24});
  CHECK((a - b).to_vector() == std::vector<float>{-9, -18, -7, -16});
  CHECK((a * b).to_vector() == std::vector<float>{10, 40, 30, 80});
  CHECK((b / a).to_vector() == std::vector<float>{10, 10, 10.0f / 3.0f, 5});
  (a * b).backward(Tensor::ones({2, 2}));
  CHECK(a.grad().to_vector() == std::vector<float>{10, 20, 10, 20});
  CHECK(b.grad().to_vector() == std::vector<float>{4, 6});  // summed back over the rows
}
