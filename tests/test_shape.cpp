// Tests of shape.hpp: how a shape prints, how many values it holds, and reshape's -1 worked out
// (with the error that names both shapes).
#include <doctest/doctest.h>

#include <stdexcept>

#include "minigrad/shape.hpp"

using namespace minigrad;

TEST_CASE("shape_str and shape_numel") {
  CHECK(shape_str({32, 784}) == "[32, 784]");
  CHECK(shape_str({}) == "[]");
  CHECK(shape_numel({}) == 1);
  CHECK(shape_numel({3, 0, 2}) == 0);
  CHECK_THROWS_AS(shape_numel({3, -2}), std::invalid_argument);
}

TEST_CASE("infer_shape works out one -1 and refuses what cannot hold the values") {
  CHECK(infer_shape({2, 3}, {3, -1}) == Shape{3, 2});
  CHECK(infer_shape({2, 3}, {-1}) == Shape{6});
  CHECK(infer_shape({0, 3}, {3, 0}) == Shape{3, 0});
  CHECK(infer_shape({}, {1, 1}) == Shape{1, 1});
  CHECK_THROWS_WITH_AS(infer_shape({6}, {4, -1}),
                       doctest::Contains("reshape: cannot view shape [6] (6 values) as [4, -1]"),
                       std::invalid_argument);
  CHECK_THROWS_AS(infer_shape({6}, {-1, -1}), std::invalid_argument);
  CHECK_THROWS_AS(infer_shape({6}, {-2, -3}), std::invalid_argument);
  CHECK_THROWS_AS(infer_shape({0, 3}, {0, -1}), std::invalid_argument);  // -1 is ambiguous
}
