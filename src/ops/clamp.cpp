// abs and clamp: one pass forward, one masked pass backward, both reading x (Saved::inputs).
#include "minigrad/ops/clamp.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "minigrad/autograd.hpp"

namespace minigrad {

// y = |x|
//   dx = dy · sign(x)   (sign(0) = 0)
Tensor abs(const Tensor& x) {
  const int64_t n = x.numel();
  Tensor y = Tensor::empty(x.shape());
  const float* px = x.data();
  float* py = y.data();
  for (int64_t i = 0; i < n; ++i) py[i] = std::fabs(px[i]);
  return record(y, "abs", {x}, [x, n](const Tensor& dy) {
    float* dx = grad_buffer(x);
    const float* g = dy.data();
    const float* in = x.data();
    for (int64_t i = 0; i < n; ++i) dx[i] += in[i] > 0.0f ? g[i] : in[i] < 0.0f ? -g[i] : 0.0f;
  });
}

// y = min(max(x, lo), hi)
//   dx = dy · [lo <= x <= hi]   (the gradient stops where the bound took over)
Tensor clamp(const Tensor& x, std::optional<float> min, std::optional<float> max) {
  if (!min && !max)
    throw std::invalid_argument(
        "clamp: at least one of min and max must be given (HINT: clamp(x, 0.0f) is relu-like, "
        "clamp(x, std::nullopt, 1.0f) caps at 1)");
  const float lo = min.value_or(-std::numeric_limits<float>::infinity());
  const float hi = max.value_or(std::numeric_limits<float>::infinity());
  const int64_t n = x.numel();
  Tensor y = Tensor::empty(x.shape());
  const float* px = x.data();
  float* py = y.data();
  for (int64_t i = 0; i < n; ++i) {
    const float v = px[i];
    py[i] = std::isnan(v) ? v : v < lo ? (lo > hi ? hi : lo) : v > hi ? hi : v;
  }
  return record(y, "clamp", {x}, [x, n, lo, hi](const Tensor& dy) {
    float* dx = grad_buffer(x);
    const float* g = dy.data();
    const float* in = x.data();
    for (int64_t i = 0; i < n; ++i) dx[i] += in[i] >= lo && in[i] <= hi ? g[i] : 0.0f;
  });
}

}  // namespace minigrad
