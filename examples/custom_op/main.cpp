// A custom op: softplus(x) = log(1 + exp(x)), written the way minigrad's own ops are (forward
// loop, then record() with the backward closure and its math), and checked against central
// differences before it is trusted. The check is the one every op in minigrad passes.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/reduce.hpp"
#include "minigrad/tensor.hpp"

using namespace minigrad;

// x (any shape) -> y (same shape) = log(1 + exp(x))
//   dx = dy · sigmoid(x)
Tensor softplus(const Tensor& x) {
  const int64_t n = x.numel();
  Tensor y = Tensor::empty(x.shape());
  const float* px = x.data();
  float* py = y.data();
  // log1p(exp(-|x|)) + max(x, 0): the same value, without overflow for large x.
  for (int64_t i = 0; i < n; ++i)
    py[i] = std::log1p(std::exp(-std::fabs(px[i]))) + std::max(px[i], 0.0f);
  return record(y, "softplus", {x}, [x, n](const Tensor& dy) {
    float* dx = grad_buffer(x);  // += : other paths may add to x's grad too
    const float* g = dy.data();
    const float* in = x.data();
    for (int64_t i = 0; i < n; ++i) dx[i] += g[i] / (1.0f + std::exp(-in[i]));
  });
}

// Compares d(sum(f(x) · w))/dx from backward() with (L(x + eps) - L(x - eps)) / (2 eps) for each
// element of x; w is a fixed weighting, so every output element counts. Returns the largest
// difference; prints each element's two slopes.
double gradient_check(Tensor (*f)(const Tensor&), Tensor x, const Tensor& w) {
  x.requires_grad_();
  sum(f(x) * w).backward();
  const std::vector<float> analytic = x.grad().to_vector();

  NoGradGuard no_grad;
  const float eps = 1e-2f;
  double worst = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float saved = x.data()[i];
    x.data()[i] = saved + eps;
    const double up = sum(f(x) * w).item();
    x.data()[i] = saved - eps;
    const double down = sum(f(x) * w).item();
    x.data()[i] = saved;
    const double numeric = (up - down) / (2.0 * eps);
    worst = std::max(worst, std::fabs(numeric - analytic[i]));
    std::printf("x[%lld] = %+.2f: backward %+.5f, central difference %+.5f\n",
                static_cast<long long>(i), saved, analytic[i], numeric);
  }
  return worst;
}

int main() {
  const Tensor x = Tensor::from({-30.0f, -2.0f, -0.5f, 0.0f, 0.5f, 2.0f, 30.0f});
  const Tensor w = Tensor::from({0.3f, -1.0f, 0.7f, 0.2f, -0.4f, 0.9f, 0.5f});

  std::printf("softplus(x) = %s\n", softplus(x).str().c_str());
  const double worst = gradient_check(softplus, x.clone(), w);
  const bool ok = worst <= 1e-3;
  std::printf("largest difference %.1e: %s\n", worst, ok ? "gradient ok" : "GRADIENT WRONG");
  return ok ? 0 : 1;
}
