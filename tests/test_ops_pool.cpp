// Tests of ops/pool.hpp: PyTorch's values for max_pool2d (ties, -inf and NaN included),
// avg_pool2d and adaptive_avg_pool2d, forward and backward; finite-difference gradient checks
// over odd sizes, strides and paddings; and the errors. Golden values come from
// tests/reference/golden_conv.py.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/ops/pool.hpp"
#include "minigrad/tensor.hpp"
#include "minigrad/gradcheck.hpp"
#include "support/pattern.hpp"

using namespace minigrad;

namespace {

// Values 0.1 apart in a shuffled order: every window has one clear maximum, far further from the
// runner-up than the finite-difference step, so the max is differentiable where it is checked.
Tensor distinct_values(const Shape& shape, Generator& gen) {
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  for (size_t k = 0; k < v.size(); ++k) v[k] = 0.1f * static_cast<float>(k) - 2.0f;
  for (size_t k = v.size(); k > 1; --k) std::swap(v[k - 1], v[gen.randint(k)]);
  return Tensor::from(v, shape);
}

}  // namespace

TEST_CASE("max_pool2d matches PyTorch on ties (first maximum), a -inf plane and a NaN") {
  Tensor x = pattern({1, 2, 5, 6}, 5, 0, 4, 1.0);  // -2..1 repeating: windows full of ties
  for (int64_t k = 30; k < 60; ++k) x.data()[k] = -INFINITY;
  x.at({0, 1, 2, 3}) = NAN;
  x.requires_grad_();
  Tensor y = max_pool2d(x, 3, {.stride = 2, .padding = 1});
  REQUIRE(y.shape() == Shape{1, 2, 3, 3});
  for (int64_t k = 0; k < 9; ++k) CHECK(y.data()[k] == 1.0f);
  // Plane 1: -inf everywhere except the two windows that hold the NaN.
  for (int64_t k = 9; k < 18; ++k) {
    CAPTURE(k);
    if (k == 13 || k == 14)
      CHECK(std::isnan(y.data()[k]));
    else
      CHECK(y.data()[k] == -INFINITY);
  }
  y.backward(pattern(y.shape(), 3, 1, 11, 4.0));
  CHECK(max_abs_diff(
            x.grad(),
            {0.0f,   0.0f, 0.0f, 0.25f, 0.0f, 0.0f, 0.0f,  -0.5f, 0.0f, 0.0f,  0.0f, 0.0f,
             0.0f,   0.0f, 0.0f, 0.0f,  0.0f, 0.0f, 0.0f,  -0.5f, 0.0f, 0.0f,  0.0f, -0.5f,
             0.0f,   0.0f, 0.0f, 0.0f,  0.0f, 0.0f, 0.25f, 1.0f,  0.0f, -1.0f, 0.0f, 0.0f,
             -0.25f, 0.0f, 0.0f, 0.0f,  0.0f, 0.0f, 0.0f,  0.0f,  0.0f, 1.75f, 0.0f, 0.0f,
             -0.75f, 0.0f, 0.0f, 0.75f, 0.0f, 0.0f, 0.0f,  0.0f,  0.0f, 0.0f,  0.0f, 0.0f}) == 0.0);
}

TEST_CASE("max_pool2d matches PyTorch with a (2, 3) window and stride (1, 2)") {
  Tensor x = pattern({2, 1, 4, 7}, 7, 3, 29, 8.0).requires_grad_();
  Tensor y = max_pool2d(x, {2, 3}, {.stride = Size2{1, 2}});
  REQUIRE(y.shape() == Shape{2, 1, 3, 3});
  CHECK(max_abs_diff(y, {1.125f, 1.25f, 1.0f, 1.75f, 1.75f, 1.625f, 1.75f, 1.75f, 1.625f, 1.375f,
                         1.25f, 1.25f, 1.125f, 1.75f, 1.0f, 1.625f, 1.75f, 1.5f}) == 0.0);
  y.backward(pattern(y.shape(), 3, 1, 11, 4.0));
  CHECK(max_abs_diff(x.grad(), {0.0f,  0.0f, 0.0f, -0.25f, 0.0f, 0.0f, 0.0f,   -1.0f, 0.0f,  0.0f,
                                0.0f,  0.5f, 0.0f, 0.0f,   0.0f, 0.0f, 0.0f,   0.0f,  0.0f,  0.0f,
                                -0.5f, 0.0f, 0.0f, 0.0f,   0.0f, 0.0f, 0.0f,   0.0f,  0.25f, 0.0f,
                                0.0f,  0.0f, 0.0f, 0.0f,   0.0f, 0.0f, -0.25f, 0.0f,  0.0f,  0.0f,
                                1.25f, 0.0f, 0.0f, 0.0f,   0.0f, 0.5f, 0.0f,   0.0f,  0.0f,  -0.75f,
                                0.0f,  0.0f, 0.0f, 0.75f,  0.0f, 0.0f}) == 0.0);
}

TEST_CASE("avg_pool2d matches PyTorch, padding counted in the divisor") {
  Tensor x = pattern({1, 2, 5, 4}, 7, 3, 19, 8.0).requires_grad_();
  Tensor y = avg_pool2d(x, {3, 2}, {.stride = Size2{2, 1}, .padding = {1, 1}});
  REQUIRE(y.shape() == Shape{1, 2, 3, 5});
  CHECK(max_abs_diff(
            y, {-0.0625f,       -0.229166672f,  -0.0416666679f, 0.145833328f, 0.020833334f,
                -0.0416666679f, -0.0416666679f, 0.0416666679f,  0.125f,       0.0833333358f,
                -0.125f,        0.0416666679f,  0.229166672f,   0.020833334f, -0.0416666679f,
                -0.166666672f,  -0.0416666679f, 0.145833328f,   -0.0625f,     -0.0833333358f,
                0.0f,           0.0416666679f,  0.125f,         -0.1875f,     -0.270833343f,
                0.166666672f,   0.229166672f,   0.020833334f,   -0.1875f,     -0.145833328f}) <
        1e-7);
  y.backward(pattern(y.shape(), 3, 1, 11, 4.0));
  CHECK(max_abs_diff(x.grad(), {-0.208333343f,  0.0416666679f,  0.291666657f,    0.0833333284f,
                                -0.0833333433f, -0.0416666567f, -7.4505806e-09f, 0.0416666605f,
                                0.125f,         -0.0833333284f, -0.291666657f,   -0.0416666679f,
                                0.125000015f,   -0.291666657f,  -0.24999997f,    0.25f,
                                0.0f,           -0.208333343f,  0.0416666679f,   0.291666657f,
                                -0.125f,        0.125f,         -0.0833333284f,  -0.291666657f,
                                0.0833333433f,  0.125000015f,   -0.291666657f,   -0.24999997f,
                                0.208333343f,   0.0f,           -0.208333343f,   0.0416666679f,
                                0.291666687f,   -0.125f,        -0.0833333433f,  -0.0416666567f,
                                0.0833333284f,  -0.125f,        0.125f,          -0.0833333284f}) <
        1e-7);
}

TEST_CASE("adaptive_avg_pool2d matches PyTorch with windows that do not divide the plane") {
  Tensor x = pattern({1, 2, 5, 7}, 7, 3, 19, 8.0).requires_grad_();
  Tensor y = adaptive_avg_pool2d(x, {3, 2});
  REQUIRE(y.shape() == Shape{1, 2, 3, 2});
  CHECK(max_abs_diff(y, {0.0625f, 0.015625f, -0.0520833321f, 0.0f, 0.03125f, -0.015625f, -0.1875f,
                         0.0625f, 0.09375f, -0.0520833321f, 0.078125f, 0.03125f}) < 1e-7);
  y.backward(pattern(y.shape(), 3, 1, 11, 4.0));
  CHECK(max_abs_diff(
            x.grad(),
            {-0.125f,        -0.125f,        -0.125f,        -0.15625f,      -0.03125f,
             -0.03125f,      -0.03125f,      -0.0833333284f, -0.0833333284f, -0.0833333284f,
             -0.0104166642f, 0.0729166642f,  0.0729166642f,  0.0729166642f,  0.0416666679f,
             0.0416666679f,  0.0416666679f,  0.145833328f,   0.104166664f,   0.104166664f,
             0.104166664f,   -0.0520833321f, -0.0520833321f, -0.0520833321f, 0.0520833284f,
             0.104166664f,   0.104166664f,   0.104166664f,   -0.09375f,      -0.09375f,
             -0.09375f,      -0.09375f,      0.0f,           0.0f,           0.0f,
             0.09375f,       0.09375f,       0.09375f,       -0.0625f,       -0.15625f,
             -0.15625f,      -0.15625f,      0.0520833321f,  0.0520833321f,  0.0520833321f,
             -0.0833333358f, -0.135416672f,  -0.135416672f,  -0.135416672f,  -0.0416666679f,
             -0.0416666679f, -0.0416666679f, -0.020833334f,  0.020833334f,   0.020833334f,
             0.020833334f,   0.0833333284f,  0.0833333284f,  0.0833333284f,  -0.0208333358f,
             -0.104166664f,  -0.104166664f,  -0.104166664f,  0.125f,         0.125f,
             0.125f,         0.0f,           -0.125f,        -0.125f,        -0.125f}) < 1e-7);
  Tensor global = adaptive_avg_pool2d(x, 1);
  CHECK(global.shape() == Shape{1, 2, 1, 1});
  CHECK(max_abs_diff(global, {0.010714286f, -0.0357142873f}) < 1e-7);
}

TEST_CASE("pooling gradient checks over odd sizes, strides and paddings") {
  Generator gen(13);
  struct PoolCase {
    Shape x;
    Size2 kernel;
    Pool2dArgs args;
  };
  const PoolCase cases[] = {
      {{1, 1, 4, 4}, 2, {}},
      {{2, 3, 5, 7}, 3, {.stride = Size2{2}, .padding = 1}},
      {{1, 2, 7, 5}, {3, 2}, {.stride = Size2{1, 2}, .padding = {1, 0}}},
      {{2, 1, 6, 6}, {1, 3}, {.stride = Size2{3, 1}}},
  };
  for (const PoolCase& c : cases) {
    CAPTURE(shape_str(c.x));
    CAPTURE(c.kernel.h);
    const Size2 k = c.kernel;
    const Pool2dArgs a = c.args;
    GradCheckResult rm =
        gradcheck([k, a](const std::vector<Tensor>& in) { return max_pool2d(in[0], k, a); },
                  {distinct_values(c.x, gen).requires_grad_()});
    CHECK_MESSAGE(rm.ok, rm.report);
    GradCheckResult ra =
        gradcheck([k, a](const std::vector<Tensor>& in) { return avg_pool2d(in[0], k, a); },
                  {Tensor::randn(c.x, gen).requires_grad_()});
    CHECK_MESSAGE(ra.ok, ra.report);
  }
  for (Size2 out : {Size2{1}, Size2{2, 3}, Size2{4, 5}}) {
    GradCheckResult r =
        gradcheck([out](const std::vector<Tensor>& in) { return adaptive_avg_pool2d(in[0], out); },
                  {Tensor::randn({2, 2, 5, 7}, gen).requires_grad_()});
    CHECK_MESSAGE(r.ok, r.report);
  }
}

TEST_CASE("max_pool2d sends each window's gradient to one pixel and accumulates") {
  Tensor x = Tensor::from({1, 5, 2, 0, 3, 4, 9, 8, 7, 6, 1, 2, 0, 0, 3, 1}, {1, 1, 4, 4});
  x.requires_grad_();
  Tensor y = max_pool2d(x, 2);
  CHECK(max_abs_diff(y, {5, 9, 7, 3}) == 0.0);
  y.backward(Tensor::ones(y.shape()));
  y = max_pool2d(x, 2);
  y.backward(Tensor::ones(y.shape()));
  CHECK(max_abs_diff(x.grad(), {0, 2, 0, 0, 0, 0, 2, 0, 2, 0, 0, 0, 0, 0, 2, 0}) == 0.0);
}

TEST_CASE("pooling errors name the shape and the rule") {
  CHECK_THROWS_WITH_AS(max_pool2d(Tensor::ones({28, 28}), 2),
                       doctest::Contains("x must be 4-D (N, C, H, W) but is [28, 28]"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(max_pool2d(Tensor::ones({1, 1, 4, 4}), 2, {.padding = 2}),
                       doctest::Contains("padding (2, 2) must be between 0 and half the kernel"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(avg_pool2d(Tensor::ones({1, 1, 2, 2}), 3),
                       doctest::Contains("x is [1, 1, 2, 2] but the window is 3 x 3"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(avg_pool2d(Tensor::ones({1, 1, 4, 4}), 0), doctest::Contains(">= 1"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(adaptive_avg_pool2d(Tensor::ones({1, 1, 4, 4}), 0),
                       doctest::Contains("HINT"), std::invalid_argument);
}
