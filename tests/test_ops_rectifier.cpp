// Tests of ops/rectifier.hpp: leaky_relu and gelu against PyTorch's values and gradients
// (tests/reference/golden_api_ops.py), gradient checks, and leaky_relu's slope at exactly 0.
#include <doctest/doctest.h>

#include "minigrad/gradcheck.hpp"
#include "minigrad/ops/rectifier.hpp"
#include "support/golden_case.hpp"

using namespace minigrad;
using minigrad::testing::backward_weighted;

TEST_CASE("leaky_relu and gelu: golden values from PyTorch") {
  Tensor x = Tensor::from({-3, -0.5f, 0, 0.25f, 2}).requires_grad_();
  CHECK(max_abs_diff(backward_weighted(leaky_relu(x, 0.1f)),
                     {-0.30000001f, -0.050000001f, 0, 0.25f, 2}) < 1e-7);
  CHECK(max_abs_diff(x.grad(), {-0.15000001f, -0.050000001f, 0.050000001f, 1.5f, 2.5f}) < 1e-7);
  Tensor x2 = Tensor::from({-3, -0.5f, 0, 0.25f, 2}).requires_grad_();
  CHECK(max_abs_diff(backward_weighted(gelu(x2)),
                     {-0.0040498674f, -0.15426879f, 0, 0.14967656f, 1.9545f}) < 1e-6);
  CHECK(max_abs_diff(x2.grad(), {0.017918408f, -0.066252455f, 0.25f, 1.0430599f, 2.7130797f}) <
        1e-6);
}

TEST_CASE("leaky_relu and gelu pass gradient checks") {
  Tensor x = Tensor::from({{-2.1f, -0.7f, 0.4f}, {0.9f, 1.6f, -1.3f}}).requires_grad_();
  GradCheckResult r =
      gradcheck([](const std::vector<Tensor>& in) { return leaky_relu(in[0], 0.2f); }, {x});
  CHECK_MESSAGE(r.ok, r.report);
  r = gradcheck([](const std::vector<Tensor>& in) { return gelu(in[0]); }, {x});
  CHECK_MESSAGE(r.ok, r.report);
}
