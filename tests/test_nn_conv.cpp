// Tests of nn::Conv2d: PyTorch's initialisation (bound 1/sqrt(fan_in), weight drawn before bias,
// from the given Generator), parameter names and shapes, repr, the forward against conv2d, a
// gradient check through the module, and the errors.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "minigrad/nn/conv.hpp"
#include "minigrad/ops/conv.hpp"
#include "minigrad/gradcheck.hpp"

using namespace minigrad;
using nn::Conv2d;

TEST_CASE("Conv2d draws weight then bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in))") {
  Generator gen(42), replay(42);
  Conv2d conv(4, 6, {3, 2}, gen, {.groups = 2});
  CHECK(conv.weight().shape() == Shape{6, 2, 3, 2});
  CHECK(conv.bias().shape() == Shape{6});
  const float bound = 1.0f / std::sqrt(2.0f * 3 * 2);  // fan_in = in/groups·kh·kw = 12
  Tensor w = Tensor::uniform({6, 2, 3, 2}, -bound, bound, replay);
  Tensor b = Tensor::uniform({6}, -bound, bound, replay);
  CHECK(max_abs_diff(conv.weight(), w.to_vector()) == 0.0);
  CHECK(max_abs_diff(conv.bias(), b.to_vector()) == 0.0);
  float largest = 0;
  for (float v : conv.weight().to_vector()) largest = std::max(largest, std::abs(v));
  CHECK(largest <= bound);
  CHECK(largest > 0.8f * bound);  // the draws fill the range: the bound is not smaller
}

TEST_CASE("Conv2d's names, repr and state_dict follow PyTorch") {
  Generator gen(1);
  Conv2d conv(1, 32, 3, gen, {.padding = 1});
  CHECK(conv.repr() == "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))");
  Conv2d plain(4, 8, {3, 2}, gen, {.stride = 2, .dilation = {1, 2}, .groups = 2, .bias = false});
  CHECK(plain.repr() ==
        "Conv2d(4, 8, kernel_size=(3, 2), stride=(2, 2), dilation=(1, 2), groups=2, bias=False)");
  StateDict sd = conv.state_dict();
  REQUIRE(sd.size() == 2);
  CHECK(sd[0].name == "weight");
  CHECK(sd[0].tensor.shape() == Shape{32, 1, 3, 3});
  CHECK(sd[1].name == "bias");
  CHECK(plain.state_dict().size() == 1);
  CHECK(conv.num_parameters() == 32 * 9 + 32);
}

TEST_CASE("Conv2d's forward is conv2d with its options, and its gradients check") {
  Generator gen(5);
  Conv2d conv(2, 3, {3, 2}, gen, {.stride = {2, 1}, .padding = 1, .dilation = {1, 2}});
  Tensor x = Tensor::randn({2, 2, 7, 6}, gen).requires_grad_();
  Tensor y = conv(x);
  Tensor expected =
      conv2d(x, conv.weight(), conv.bias(), {.stride = {2, 1}, .padding = 1, .dilation = {1, 2}});
  CHECK(y.shape() == Shape{2, 3, 4, 6});  // H: (7 + 2 - 2 - 1) / 2 + 1, W: (6 + 2 - 2 - 1) + 1
  CHECK(max_abs_diff(y, expected.to_vector()) == 0.0);
  GradCheckResult r = gradcheck([&conv](const std::vector<Tensor>& in) { return conv(in[0]); },
                                {x, conv.weight(), conv.bias()});
  CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("Conv2d rejects bad arguments and names a wrong input") {
  Generator gen(2);
  CHECK_THROWS_AS(Conv2d(0, 4, 3, gen), std::invalid_argument);
  CHECK_THROWS_WITH_AS(Conv2d(3, 4, 3, gen, {.groups = 2}),
                       doctest::Contains("groups (2) must divide both in_channels (3)"),
                       std::invalid_argument);
  Conv2d conv(3, 4, 3, gen);
  CHECK_THROWS_WITH_AS(conv(Tensor::ones({8, 1, 28, 28})),
                       doctest::Contains("expected input of shape [N, 3, H, W] but got [8, 1, 28, "
                                         "28] (HINT"),
                       std::invalid_argument);
}
