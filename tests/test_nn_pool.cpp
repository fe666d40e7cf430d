// Tests of nn::MaxPool2d, nn::AvgPool2d and nn::AdaptiveAvgPool2d: PyTorch's repr, and each
// module computes its op with the stride defaulting to the kernel size.
#include <doctest/doctest.h>

#include "minigrad/nn/pool.hpp"
#include "minigrad/ops/pool.hpp"
#include "minigrad/gradcheck.hpp"

using namespace minigrad;

TEST_CASE("pooling modules print as PyTorch prints them") {
  CHECK(nn::MaxPool2d(2).repr() ==
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
  CHECK(nn::AvgPool2d({3, 2}, {.stride = 1, .padding = 1}).repr() ==
        "AvgPool2d(kernel_size=(3, 2), stride=1, padding=1)");
  CHECK(nn::AdaptiveAvgPool2d(1).repr() == "AdaptiveAvgPool2d(output_size=1)");
  CHECK(nn::MaxPool2d(2).named_parameters().empty());
}

TEST_CASE("pooling modules compute their ops, the stride defaulting to the kernel") {
  Generator gen(3);
  Tensor x = Tensor::randn({2, 3, 8, 6}, gen);
  nn::MaxPool2d max(2);
  nn::AvgPool2d avg(3, {.padding = 1});
  nn::AdaptiveAvgPool2d global(1);
  CHECK(max(x).shape() == Shape{2, 3, 4, 3});
  CHECK(max_abs_diff(max(x), max_pool2d(x, 2, {.stride = 2}).to_vector()) == 0.0);
  CHECK(avg(x).shape() == Shape{2, 3, 3, 2});
  CHECK(max_abs_diff(avg(x), avg_pool2d(x, 3, {.stride = 3, .padding = 1}).to_vector()) == 0.0);
  CHECK(global(x).shape() == Shape{2, 3, 1, 1});
  CHECK(max_abs_diff(global(x), adaptive_avg_pool2d(x, 1).to_vector()) == 0.0);
}
