// Activations: relu, sigmoid, tanh, each a function and its slope (pointwise.hpp). sigmoid's and
// tanh's slopes are written in terms of the output y, because that is both cheaper and how
// PyTorch defines them: y·(1 - y) and 1 - y². NaN inputs propagate as in PyTorch; there are no
// in-place variants.
#include "minigrad/ops/activation.hpp"

#include <cmath>

#include "pointwise.hpp"

namespace minigrad {

using ops_detail::pointwise;

// y = max(x, 0), NaN kept  ->  dx = dy · [x > 0]   (0 at exactly x = 0, as in PyTorch)
Tensor relu(const Tensor& x) {
  return pointwise(
      "relu", x, [](float v) { return v < 0.0f ? 0.0f : v; },
      [](float g, float v, float) { return v > 0.0f ? g : 0.0f; });
}

// y = 1 / (1 + e^-x)  ->  dx = dy · y · (1 - y)
// exp of a non-positive number only: never overflows, and at x = -100 y is not 0/inf.
Tensor sigmoid(const Tensor& x) {
  return pointwise(
      "sigmoid", x,
      [](float v) {
        const float e = std::exp(-std::fabs(v));
        return v >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
      },
      [](float g, float, float y) { return g * y * (1.0f - y); }, Saved::output);
}

// y = tanh(x)  ->  dx = dy · (1 - y²)
Tensor tanh(const Tensor& x) {
  return pointwise(
      "tanh", x, [](float v) { return std::tanh(v); },
      [](float g, float, float y) { return g * (1.0f - y * y); }, Saved::output);
}

}  // namespace minigrad
