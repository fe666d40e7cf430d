// Tests of ops/conv.hpp: PyTorch's values for conv2d (forward and the three gradients), the im2col
// path against the direct reference over many shapes, finite-difference gradient checks over odd
// sizes, strides, paddings, dilations and groups, and the shape errors.
// Golden values come from tests/reference/golden_conv.py.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/ops/conv.hpp"
#include "minigrad/tensor.hpp"
#include "minigrad/gradcheck.hpp"
#include "support/pattern.hpp"

using namespace minigrad;

namespace {

struct ConvCase {
  Shape x, w;
  bool bias;
  Conv2dArgs args;
};

// The conv cases checked against each other and by finite differences: odd sizes, every argument.
const ConvCase kCases[] = {
    {{1, 1, 3, 3}, {1, 1, 1, 1}, true, {}},
    {{2, 3, 5, 4}, {4, 3, 3, 3}, true, {.padding = 1}},
    {{1, 2, 7, 6}, {3, 2, 3, 2}, false, {.stride = {2, 3}, .padding = {1, 2}}},
    {{2, 2, 7, 5}, {2, 2, 2, 3}, true, {.stride = 2, .dilation = {2, 1}}},
    {{1, 4, 6, 5}, {6, 2, 3, 3}, true, {.padding = 1, .groups = 2}},
    {{2, 3, 5, 5}, {3, 1, 3, 3}, false, {.stride = 1, .padding = 2, .dilation = 2, .groups = 3}},
    {{1, 2, 4, 9}, {2, 2, 4, 1}, true, {.stride = {1, 4}, .padding = {0, 1}}},
    // taps that never touch the image: the outer columns of the dilated kernel read only padding
    {{1, 1, 2, 2}, {1, 1, 3, 3}, true, {.padding = 2, .dilation = 2}},
};

}  // namespace

namespace {
// Takes the arguments by value through a real call (not inlined), as a caller of conv2d does.
[[gnu::noinline]] std::vector<int64_t> fields(Conv2dArgs a) {
  return {a.stride.h, a.stride.w, a.padding.h, a.padding.w, a.dilation.h, a.dilation.w, a.groups};
}
}  // namespace

TEST_CASE("Conv2dArgs keeps every designated field apart (a GCC 12 wrong-code pattern)") {
  // With -march=native on AVX-512 machines, GCC 12.2 merged {stride, padding} = {2, 2, 0, 0} into
  // one broadcast of 2 when Size2's constructors were inline: padding came out as the stride.
  CHECK(fields({.stride = 2}) == std::vector<int64_t>{2, 2, 0, 0, 1, 1, 1});
  CHECK(fields({}) == std::vector<int64_t>{1, 1, 0, 0, 1, 1, 1});
  CHECK(fields({.dilation = 2}) == std::vector<int64_t>{1, 1, 0, 0, 2, 2, 1});
  CHECK(fields({.padding = {1, 0}, .dilation = 2}) == std::vector<int64_t>{1, 1, 1, 0, 2, 2, 1});
  CHECK(fields({.stride = 2, .dilation = {1, 2}, .groups = 2}) ==
        std::vector<int64_t>{2, 2, 0, 0, 1, 2, 2});
}

TEST_CASE("conv2d output size is (in + 2·padding - dilation·(kernel - 1) - 1) / stride + 1") {
  CHECK(conv_output_size(28, 3, 1, 1, 1) == 28);
  CHECK(conv_output_size(7, 3, 2, 1, 2) == 3);
  CHECK(conv_output_size(5, 2, 3, 0, 1) == 2);
  CHECK(conv_output_size(2, 5, 1, 0, 1) == 0);  // the kernel does not fit
}

TEST_CASE("conv2d matches PyTorch with padding 1 and a bias (forward, dx, dw, db)") {
  Tensor x = pattern({1, 2, 5, 4}, 7, 3, 19, 8.0).requires_grad_();
  Tensor w = pattern({3, 2, 3, 3}, 5, 1, 13, 16.0).requires_grad_();
  Tensor b = pattern({3}, 3, 2, 7, 4.0).requires_grad_();
  Tensor y = conv2d(x, w, b, {.padding = 1});
  REQUIRE(y.shape() == Shape{1, 3, 5, 4});
  CHECK(max_abs_diff(
            y, {0.125f,      -1.2265625f, -0.0703125f, -0.1796875f, 0.421875f,  0.0859375f,
                -0.1171875f, -0.390625f,  -1.578125f,  -0.28125f,   0.703125f,  -0.40625f,
                -1.203125f,  0.8359375f,  -0.5546875f, -0.421875f,  0.53125f,   -0.9453125f,
                0.6171875f,  -0.890625f,  1.078125f,   0.3828125f,  0.2578125f, 0.5390625f,
                0.359375f,   0.6640625f,  1.078125f,   0.3359375f,  -0.828125f, 1.1328125f,
                0.953125f,   0.3671875f,  0.359375f,   1.15625f,    0.53125f,   0.3984375f,
                1.078125f,   0.3046875f,  0.734375f,   -0.078125f,  0.28125f,   0.2421875f,
                -1.1640625f, -0.1875f,    -1.453125f,  -1.1171875f, 0.625f,     -0.5859375f,
                -1.828125f,  1.1015625f,  -1.4609375f, -0.609375f,  0.171875f,  -0.984375f,
                -0.1328125f, -0.6328125f, -0.125f,     0.0078125f,  0.015625f,  -1.21875f}) < 1e-6);
  y.backward(pattern(y.shape(), 3, 1, 11, 4.0));
  CHECK(
      max_abs_diff(x.grad(),
                   {-0.625f,   0.078125f,  0.9375f,   -0.359375f, -0.234375f, 1.0f,      -0.59375f,
                    0.390625f, 0.234375f,  0.640625f, -0.78125f,  -0.125f,    0.359375f, 0.796875f,
                    0.40625f,  -1.15625f,  0.078125f, -0.046875f, 0.234375f,  0.015625f, -0.5625f,
                    0.234375f, 0.421875f,  -0.125f,   0.28125f,   -0.765625f, 1.28125f,  -0.46875f,
                    0.1875f,   0.375f,     0.53125f,  -1.15625f,  -0.25f,     1.0f,      -1.078125f,
                    -0.125f,   -0.578125f, 0.65625f,  0.015625f,  -0.09375f}) < 1e-6);
  CHECK(max_abs_diff(
            w.grad(),
            {-4.0625f,  3.4375f,   -0.59375f, 0.71875f, 0.28125f, 1.9375f,   -1.71875f, 3.625f,
             0.34375f,  2.84375f,  0.125f,    0.34375f, -0.5625f, 3.9375f,   -3.125f,   3.21875f,
             -0.15625f, -1.90625f, -0.15625f, -0.5625f, 1.8125f,  2.09375f,  -5.46875f, 0.0625f,
             0.90625f,  -4.375f,   0.78125f,  0.09375f, 0.96875f, -0.34375f, -3.8125f,  -0.375f,
             2.875f,    -3.21875f, 0.8125f,   1.96875f, 1.6875f,  0.9375f,   0.4375f,   -0.3125f,
             4.25f,     -0.4375f,  0.78125f,  2.0625f,  0.1875f,  0.09375f,  2.5f,      -2.40625f,
             2.90625f,  -0.5625f,  -2.8125f,  1.34375f, 0.75f,    -1.71875f}) < 1e-6);
  CHECK(max_abs_diff(b.grad(), {-1.25f, 1.75f, -0.75f}) < 1e-6);
}

TEST_CASE("conv2d matches PyTorch with stride, padding, dilation and groups, without a bias") {
  Tensor x = pattern({1, 4, 5, 5}, 7, 3, 19, 8.0).requires_grad_();
  Tensor w = pattern({4, 2, 3, 2}, 5, 1, 13, 16.0).requires_grad_();
  for (bool reference : {false, true}) {
    CAPTURE(reference);
    x.zero_grad(true);
    w.zero_grad(true);
    const Conv2dArgs args{.stride = {2, 1}, .padding = {1, 0}, .dilation = 2, .groups = 2};
    Tensor y = reference ? conv2d_reference(x, w, Tensor(), args) : conv2d(x, w, Tensor(), args);
    REQUIRE(y.shape() == Shape{1, 4, 2, 3});
    CHECK(max_abs_diff(y, {0.1953125f,  -0.453125f,  0.3828125f,  0.625f,      -0.4296875f,
                           -0.1484375f, -0.1484375f, -0.2890625f, 0.015625f,   -0.125f,
                           0.546875f,   -0.4140625f, -0.453125f,  -0.0234375f, 0.5546875f,
                           0.0625f,     -0.5078125f, 0.5546875f,  0.515625f,   0.4453125f,
                           -0.6640625f, -0.2890625f, 0.5703125f,  -0.0546875f}) < 1e-6);
    y.backward(pattern(y.shape(), 3, 1, 11, 4.0));
    CHECK(max_abs_diff(
              x.grad(),
              {0.0f,       0.0f,       0.0f,      0.0f,       0.0f,       -0.65625f,  0.34375f,
               0.3125f,    -0.65625f,  0.0625f,   0.0f,       0.0f,       0.0f,       0.0f,
               0.0f,       0.125f,     -0.03125f, 0.46875f,   0.390625f,  -0.5625f,   0.0f,
               0.0f,       0.0f,       0.0f,      0.0f,       0.0f,       0.0f,       0.0f,
               0.0f,       0.0f,       0.265625f, -0.578125f, 0.171875f,  0.046875f,  0.21875f,
               0.0f,       0.0f,       0.0f,      0.0f,       0.0f,       -0.578125f, 0.265625f,
               0.328125f,  -0.734375f, 0.0f,      0.0f,       0.0f,       0.0f,       0.0f,
               0.0f,       0.0f,       0.0f,      0.0f,       0.0f,       0.0f,       0.3125f,
               -0.625f,    -0.40625f,  0.28125f,  0.09375f,   0.0f,       0.0f,       0.0f,
               0.0f,       0.0f,       0.34375f,  -0.03125f,  -0.546875f, 0.0625f,    -0.078125f,
               0.0f,       0.0f,       0.0f,      0.0f,       0.0f,       0.0f,       0.0f,
               0.0f,       0.0f,       0.0f,      0.203125f,  0.34375f,   0.390625f,  0.03125f,
               -0.015625f, 0.0f,       0.0f,      0.0f,       0.0f,       0.0f,       -0.578125f,
               0.125f,     -0.15625f,  0.21875f,  0.21875f,   0.0f,       0.0f,       0.0f,
               0.0f,       0.0f}) < 1e-6);
    CHECK(max_abs_diff(w.grad(),
                       {-1.21875f, 1.4375f,   2.875f,    -1.125f,   -0.3125f,  -0.4375f,  -0.96875f,
                        1.6875f,   2.75f,     0.53125f,  -0.6875f,  -0.21875f, -1.15625f, -0.71875f,
                        -1.59375f, 3.03125f,  1.6875f,   -0.65625f, -1.03125f, -0.59375f, -1.96875f,
                        0.28125f,  1.1875f,   1.8125f,   -0.46875f, 1.3125f,   0.78125f,  1.03125f,
                        1.3125f,   -0.21875f, -0.46875f, -0.46875f, -1.4375f,  0.59375f,  -0.90625f,
                        1.125f,    -0.6875f,  -1.125f,   -1.5f,     2.5625f,   1.3125f,   -0.71875f,
                        1.5625f,   -0.65625f, -0.59375f, -1.28125f, -0.03125f, 1.5f}) < 1e-6);
  }
}

TEST_CASE("conv2d (im2col + gemm) equals the direct reference, forward and every gradient") {
  Generator gen(3);
  for (const ConvCase& c : kCases) {
    CAPTURE(shape_str(c.x));
    CAPTURE(shape_str(c.w));
    Tensor x = Tensor::randn(c.x, gen).requires_grad_();
    Tensor w = Tensor::randn(c.w, gen).requires_grad_();
    Tensor b = c.bias ? Tensor::randn({c.w[0]}, gen).requires_grad_() : Tensor();
    Tensor x2 = x.detach().clone().requires_grad_(), w2 = w.detach().clone().requires_grad_();
    Tensor b2 = c.bias ? b.detach().clone().requires_grad_() : Tensor();
    Tensor fast = conv2d(x, w, b, c.args), slow = conv2d_reference(x2, w2, b2, c.args);
    REQUIRE(fast.shape() == slow.shape());
    CHECK(max_abs_diff(fast, slow.to_vector()) < 1e-5);
    Tensor dy = Tensor::randn(fast.shape(), gen);
    fast.backward(dy);
    slow.backward(dy);
    CHECK(max_abs_diff(x.grad(), x2.grad().to_vector()) < 1e-5);
    CHECK(max_abs_diff(w.grad(), w2.grad().to_vector()) < 1e-4);
    if (c.bias) CHECK(max_abs_diff(b.grad(), b2.grad().to_vector()) < 1e-5);
  }
}

TEST_CASE("conv2d gradient checks over odd sizes, strides, paddings, dilations and groups") {
  Generator gen(7);
  for (const ConvCase& c : kCases) {
    CAPTURE(shape_str(c.x));
    CAPTURE(shape_str(c.w));
    std::vector<Tensor> inputs = {Tensor::randn(c.x, gen).requires_grad_(),
                                  Tensor::randn(c.w, gen).requires_grad_()};
    if (c.bias) inputs.push_back(Tensor::randn({c.w[0]}, gen).requires_grad_());
    const Conv2dArgs args = c.args;
    auto f = [args](const std::vector<Tensor>& in) {
      return conv2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), args);
    };
    GradCheckResult r = gradcheck(f, inputs);
    CHECK_MESSAGE(r.ok, r.report);
  }
  SUBCASE("the reference's own backward") {
    const ConvCase& c = kCases[5];
    std::vector<Tensor> inputs = {Tensor::randn(c.x, gen).requires_grad_(),
                                  Tensor::randn(c.w, gen).requires_grad_()};
    const Conv2dArgs args = c.args;
    GradCheckResult r = gradcheck(
        [args](const std::vector<Tensor>& in) {
          return conv2d_reference(in[0], in[1], Tensor(), args);
        },
        inputs);
    CHECK_MESSAGE(r.ok, r.report);
  }
}

TEST_CASE("conv2d accumulates into existing gradients and skips inputs that need none") {
  Generator gen(9);
  Tensor x = Tensor::randn({1, 2, 4, 4}, gen);  // no grad: the input images
  Tensor w = Tensor::randn({3, 2, 3, 3}, gen).requires_grad_();
  Tensor once = conv2d(x, w, Tensor(), {.padding = 1});
  once.backward(Tensor::ones(once.shape()));
  const std::vector<float> single = w.grad().to_vector();
  Tensor twice = conv2d(x, w, Tensor(), {.padding = 1});
  twice.backward(Tensor::ones(twice.shape()));
  for (size_t k = 0; k < single.size(); ++k)
    CHECK(w.grad().data()[k] == doctest::Approx(2 * single[k]).epsilon(1e-6));
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("conv2d records nothing under NoGradGuard") {
  Tensor w = Tensor::ones({1, 1, 2, 2}).requires_grad_();
  NoGradGuard guard;
  CHECK(conv2d(Tensor::ones({1, 1, 3, 3}), w).grad_fn() == nullptr);
}

TEST_CASE("conv2d names the shapes and the expected layout in its errors") {
  Tensor w = Tensor::ones({4, 3, 3, 3});
  CHECK_THROWS_WITH_AS(conv2d(Tensor::ones({3, 28, 28}), w),
                       doctest::Contains("x must be 4-D (N, C_in, H, W) but is [3, 28, 28]"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(conv2d(Tensor::ones({1, 3, 8, 8}), Tensor::ones({4, 27})),
                       doctest::Contains("weight must be 4-D (C_out, C_in/groups, kH, kW)"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      conv2d(Tensor::ones({1, 2, 8, 8}), w),
      doctest::Contains("x is [1, 2, 8, 8] with C_in = 2 but weight is [4, 3, 3, "
                        "3] with groups = 1: expected C_in = weight.size(1)·groups "
                        "= 3"),
      std::invalid_argument);
  CHECK_THROWS_WITH_AS(conv2d(Tensor::ones({1, 3, 8, 8}), w, Tensor::ones({3})),
                       doctest::Contains("bias is [3] but weight [4, 3, 3, 3] has C_out = 4"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(conv2d(Tensor::ones({1, 3, 2, 8}), w),
                       doctest::Contains("the padded input (2 x 8) is smaller than the dilated "
                                         "kernel (3 x 3)"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(conv2d(Tensor::ones({1, 3, 8, 8}), w, Tensor(), {.stride = 0}),
                       doctest::Contains("must be >= 1"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      conv2d(Tensor::ones({1, 4, 8, 8}), Tensor::ones({3, 2, 1, 1}), Tensor(), {.groups = 2}),
      doctest::Contains("HINT"), std::invalid_argument);
}
