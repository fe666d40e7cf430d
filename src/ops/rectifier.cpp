// leaky_relu and gelu: one elementwise pass forward, one backward reading x (Saved::inputs).
#include "minigrad/ops/rectifier.hpp"

#include <cmath>

#include "minigrad/autograd.hpp"

namespace minigrad {

// y = x if x > 0 else a·x
//   dx = dy if x > 0 else a·dy
Tensor leaky_relu(const Tensor& x, float negative_slope) {
  const int64_t n = x.numel();
  Tensor y = Tensor::empty(x.shape());
  const float* px = x.data();
  float* py = y.data();
  for (int64_t i = 0; i < n; ++i) py[i] = px[i] > 0.0f ? px[i] : negative_slope * px[i];
  return record(y, "leaky_relu", {x}, [x, n, negative_slope](const Tensor& dy) {
    float* dx = grad_buffer(x);
    const float* g = dy.data();
    const float* in = x.data();
    for (int64_t i = 0; i < n; ++i) dx[i] += in[i] > 0.0f ? g[i] : negative_slope * g[i];
  });
}

// y = x·Φ(x), Φ(x) = (1 + erf(x/√2)) / 2, computed in double
//   dx = dy · (Φ(x) + x·φ(x)),  φ(x) = exp(-x²/2) / √(2π)
Tensor gelu(const Tensor& x) {
  const int64_t n = x.numel();
  Tensor y = Tensor::empty(x.shape());
  const float* px = x.data();
  float* py = y.data();
  for (int64_t i = 0; i < n; ++i) {
    const double v = px[i];
    py[i] = static_cast<float>(v * 0.5 * (1.0 + std::erf(v * M_SQRT1_2)));
  }
  return record(y, "gelu", {x}, [x, n](const Tensor& dy) {
    float* dx = grad_buffer(x);
    const float* g = dy.data();
    const float* in = x.data();
    const double inv_sqrt_2pi = 0.5 * M_2_SQRTPI * M_SQRT1_2;  // 1/√(2π)
    for (int64_t i = 0; i < n; ++i) {
      const double v = in[i];
      const double cdf = 0.5 * (1.0 + std::erf(v * M_SQRT1_2));
      const double pdf = std::exp(-0.5 * v * v) * inv_sqrt_2pi;
      dx[i] += static_cast<float>(g[i] * (cdf + v * pdf));
    }
  });
}

}  // namespace minigrad
