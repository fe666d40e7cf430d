// Tests of ops/statistics.hpp: min, var and std against PyTorch's values and gradients
// (tests/reference/golden_api_ops.py), the unbiased flag, std_dev's zero-spread gradient,
// finite-difference checks, and the errors.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "minigrad/gradcheck.hpp"
#include "minigrad/ops/shape.hpp"
#include "minigrad/ops/statistics.hpp"
#include "support/golden_case.hpp"

using namespace minigrad;
using minigrad::testing::backward_weighted;

namespace {
Tensor golden_x() {
  return Tensor::from({{{1, -2}, {0.5f, 3}, {-1.5f, 0}}, {{2, 2}, {-0.25f, 1}, {4, -3}}});
}
}  // namespace

TEST_CASE("min along a dim: values, first indices and gradient as PyTorch") {
  Tensor x = golden_x().requires_grad_();
  auto [values, indices] = min(x, 1);
  backward_weighted(values);
  CHECK(values.to_vector() == std::vector<float>{-1.5f, -2, -0.25f, -3});
  CHECK(indices.to_vector() == std::vector<float>{2, 0, 1, 2});
  CHECK(x.grad().to_vector() ==
        std::vector<float>{0, -0.5f, 0, 0, -1.5f, 0, 0, 0, 0.5f, 0, 0, 1.5f});
  Tensor t = Tensor::from({{1, -1, 1}, {2, 2, 0}}).requires_grad_();
  auto [v2, i2] = min(t, 1, /*keepdim=*/true);
  backward_weighted(v2);
  CHECK(v2.shape() == Shape{2, 1});
  CHECK(i2.to_vector() == std::vector<float>{1, 2});
  CHECK(t.grad().to_vector() == std::vector<float>{0, -1.5f, 0, 0, 0, -0.5f});
  CHECK(min(Tensor::from({3, 1, 1}), 0).second.item() == 1.0f);  // first on ties
}

TEST_CASE("var: golden values from PyTorch, unbiased and not") {
  Tensor x = golden_x().requires_grad_();
  Tensor y = backward_weighted(var(x));
  CHECK(y.item() == doctest::Approx(4.2514205f).epsilon(1e-6));
  CHECK(max_abs_diff(x.grad(), {-0.11931819f, 0.69886369f, 0.017045455f, -0.66477275f, 0.5625f,
                                0.15340909f, -0.39204547f, -0.39204547f, 0.22159092f, -0.11931819f,
                                -0.9375f, 0.97159094f}) < 1e-6);
  Tensor x2 = golden_x().requires_grad_();
  y = backward_weighted(var(x2, 1, /*unbiased=*/false));
  CHECK(max_abs_diff(y, {1.1666666f, 4.2222223f, 3.0138888f, 4.6666665f}) < 1e-6);
  CHECK(max_abs_diff(x2.grad(), {-1, 0.77777779f, -0.5f, -0.88888896f, 1.5f, 0.11111112f,
                                 0.027777791f, 2, -0.72222221f, 1, 0.69444454f, -3}) < 1e-6);
  Tensor x3 = golden_x().requires_grad_();
  y = backward_weighted(var(x3, 2, true, /*keepdim=*/true));
  CHECK(y.shape() == Shape{2, 3, 1});
  CHECK(max_abs_diff(y, {4.5f, 3.125f, 1.125f, 0, 0.78125f, 24.5f}) < 1e-6);
  CHECK(max_abs_diff(x3.grad(), {-4.5f, 4.5f, 1.25f, -1.25f, -0.75f, 0.75f, 0, 0, -3.125f, 3.125f,
                                 24.5f, -24.5f}) < 1e-5);
  CHECK(std::isnan(var(Tensor::from({2})).item()));  // n - 1 = 0, as in PyTorch
}

TEST_CASE("std: golden values from PyTorch; gradient 0 where the spread is 0") {
  Tensor x = golden_x().requires_grad_();
  Tensor y = backward_weighted(std_dev(x, 0));
  CHECK(max_abs_diff(
            y, {0.70710677f, 2.8284271f, 0.53033006f, 1.4142135f, 3.8890872f, 2.1213202f}) < 1e-6);
  CHECK(max_abs_diff(x.grad(), {1.0606602f, 0.35355338f, 0.35355341f, 1.0606602f, -1.767767f,
                                2.474874f, -1.0606602f, -0.35355338f, -0.35355341f, -1.0606602f,
                                1.767767f, -2.474874f}) < 1e-5);
  Tensor x2 = golden_x().requires_grad_();
  y = backward_weighted(std_dev(flatten(x2), 0, /*unbiased=*/false));
  CHECK(y.item() == doctest::Approx(1.9741163f).epsilon(1e-6));
  CHECK(max_abs_diff(x2.grad(), {-0.02770227f, 0.16225615f, 0.0039574672f, -0.15434122f,
                                 0.13059641f, 0.035617203f, -0.091021746f, -0.091021746f,
                                 0.051447071f, -0.02770227f, -0.2176607f, 0.22557563f}) < 1e-6);
  Tensor c = Tensor::from({{1, 1}, {0, 2}}).requires_grad_();
  y = backward_weighted(std_dev(c, 1));
  CHECK(max_abs_diff(y, {0, 1.4142135f}) < 1e-6);
  CHECK(max_abs_diff(c.grad(), {0, 0, 0.35355338f, -0.35355338f}) < 1e-6);
}

TEST_CASE("min, var and std pass gradient checks") {
  Generator gen(8);
  Tensor x = Tensor::randn({3, 4}, gen).requires_grad_();
  for (int64_t dim : {0, 1, -1}) {
    GradCheckResult r =
        gradcheck([dim](const std::vector<Tensor>& in) { return min(in[0], dim).first; }, {x});
    CHECK_MESSAGE(r.ok, r.report);
    r = gradcheck([dim](const std::vector<Tensor>& in) { return var(in[0], dim); }, {x});
    CHECK_MESSAGE(r.ok, r.report);
    r = gradcheck([dim](const std::vector<Tensor>& in) { return std_dev(in[0], dim, false); }, {x});
    CHECK_MESSAGE(r.ok, r.report);
  }
  GradCheckResult r = gradcheck([](const std::vector<Tensor>& in) { return std_dev(in[0]); }, {x});
  CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("min names an empty or missing dimension") {
  CHECK_THROWS_WITH_AS(min(Tensor::zeros({2, 0}), 1), doctest::Contains("empty dimension"),
                       std::invalid_argument);
  CHECK_THROWS_AS(min(Tensor::zeros({2}), 1), std::out_of_range);
  CHECK_THROWS_AS(var(Tensor::zeros({2}), 3), std::out_of_range);
}
