// Tests of ops/broadcast.hpp: NumPy's broadcasting rule, and sum_to, its reverse. The ops that
// broadcast (add, mul, ...) and their gradients are tested in test_ops_elementwise.cpp.
#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "minigrad/ops/broadcast.hpp"
#include "minigrad/tensor.hpp"

using namespace minigrad;

TEST_CASE("broadcast_shapes follows NumPy's rules") {
  CHECK(broadcast_shapes({32, 10}, {10}) == Shape{32, 10});
  CHECK(broadcast_shapes({32, 10}, {32, 1}) == Shape{32, 10});
  CHECK(broadcast_shapes({32, 10}, {1, 10}) == Shape{32, 10});
  CHECK(broadcast_shapes({32, 10}, {}) == Shape{32, 10});
  CHECK(broadcast_shapes({}, {}) == Shape{});
  CHECK(broadcast_shapes({3, 1}, {1, 4}) == Shape{3, 4});
  CHECK(broadcast_shapes({2, 1, 4, 1}, {5, 1, 3}) == Shape{2, 5, 4, 3});
  CHECK(broadcast_shapes({0, 3}, {3}) == Shape{0, 3});
  CHECK(broadcast_shapes({1}, {0}) == Shape{0});
}

TEST_CASE("sum_to reduces leading and size-1 dimensions, and refuses other targets") {
  Tensor x = Tensor::arange(24).reshape({2, 3, 4});
  CHECK(sum_to(x, {2, 3, 4}).to_vector() == x.to_vector());
  CHECK(sum_to(x, {4}).to_vector() == std::vector<float>{60, 66, 72, 78});
  CHECK(sum_to(x, {3, 1}).to_vector() == std::vector<float>{60, 92, 124});
  CHECK(sum_to(x, {2, 1, 1}).to_vector() == std::vector<float>{66, 210});
  CHECK(sum_to(x, {}).item() == 276.0f);
  CHECK(sum_to(x, {1, 3, 1}).shape() == Shape{1, 3, 1});
  CHECK_THROWS_AS(sum_to(x, {3}), std::invalid_argument);
  CHECK_THROWS_AS(sum_to(x, {5, 2, 3, 4}), std::invalid_argument);
}
