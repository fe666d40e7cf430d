// BatchNorm's backward in three terms, checked three ways on PyTorch's golden example
// (docs/semantics.md#batchnorm1d): the fused node, the formula written out, and autograd through
// the same function built from elementary ops.
#include <iostream>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/batchnorm.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/reduce.hpp"

using namespace minigrad;

int main() {
  Tensor x = Tensor::from({{1, 2}, {3, 5}, {0, -1}, {4, 0}}).requires_grad_();  // (N 4, C 2)
  Tensor dy = Tensor::from({{1, 0}, {0, 1}, {-1, 2}, {0.5f, -0.5f}});           // upstream grad
  const float N = 4, eps = 1e-5f;

  // 1. The fused node of BatchNorm1d (γ = 1, β = 0).
  nn::BatchNorm1d bn(2);
  bn(x).backward(dy);
  std::cout << "fused:      dx = " << x.grad() << "\n";
  std::cout << "dgamma = " << bn.weight().grad() << "  dbeta = " << bn.bias().grad() << "\n";

  // 2. The formula: dx = invstd/N · (N·dxhat - Σ_i dxhat - xhat·Σ_i(dxhat·xhat)), dxhat = dy·γ.
  {
    NoGradGuard no_grad;
    Tensor mu = mean(x, 0);
    Tensor invstd = 1.0f / sqrt(mean(pow(x - mu, 2.0f), 0) + eps);
    Tensor xhat = (x - mu) * invstd;
    Tensor dxhat = dy;                                 // γ = 1
    Tensor direct = N * dxhat;                         // as if mu and var were constants
    Tensor through_mean = sum(dxhat, 0);               // x moves the mean
    Tensor through_var = xhat * sum(dxhat * xhat, 0);  // x moves the variance
    std::cout << "formula:    dx = " << invstd / N * (direct - through_mean - through_var) << "\n";
  }

  // 3. Autograd through mean, sub, pow, sqrt, div: no hand-written BatchNorm backward at all.
  Tensor x2 = x.detach().clone().requires_grad_();
  Tensor mu = mean(x2, 0, true);
  Tensor y = (x2 - mu) / sqrt(mean(pow(x2 - mu, 2.0f), 0, true) + eps);
  y.backward(dy);
  std::cout << "elementary: dx = " << x2.grad() << "\n";
}
