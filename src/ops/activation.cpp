// Activations: relu, sigmoid, tanh. Each backward is written in terms of the forward's output,
// saved detached (no grad_fn), because that is both cheaper and how PyTorch defines them:
// sigmoid uses y·(1 - y) and tanh 1 - y²; relu passes dy where x > 0 (the same set as y > 0).
// NaN inputs propagate as in PyTorch; there are no in-place variants.
#include "minigrad/ops/activation.hpp"

#include <cmath>

#include "minigrad/autograd.hpp"

namespace minigrad {

Tensor relu(const Tensor& x) {
  // n is read once: with x.numel() in the loop condition the compiler must assume a store to
  // py may change it, and leaves the loop scalar.
  const int64_t n = x.numel();
  Tensor y = Tensor::empty(x.shape());
  const float* px = x.data();
  float* py = y.data();
  for (int64_t i = 0; i < n; ++i) py[i] = px[i] < 0.0f ? 0.0f : px[i];  // keeps NaN
  // dx = dy · [x > 0]   (0 at exactly x = 0, as in PyTorch)
  return record(y, "relu", {x}, [x, n](const Tensor& dy) {
    float* dx = grad_buffer(x);
    const float* g = dy.data();
    const float* in = x.data();
    for (int64_t i = 0; i < n; ++i) {
      const float gi = g[i];  // read unconditionally, so the select below needs no branch
      dx[i] += in[i] > 0.0f ? gi : 0.0f;
    }
  });
}

Tensor sigmoid(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape());
  const float* px = x.data();
  float* py = y.data();
  for (int64_t i = 0; i < x.numel(); ++i) {
    // exp of a non-positive number only: never overflows, and 1/(1+e^-x) at x = -100 is not 0/inf.
    const float v = px[i];
    if (v >= 0.0f) {
      py[i] = 1.0f / (1.0f + std::exp(-v));
    } else {
      const float e = std::exp(v);
      py[i] = e / (1.0f + e);
    }
  }
  // dx = dy · y · (1 - y)
  return record(y, "sigmoid", {x}, [x, out = y.detach()](const Tensor& dy) {
    float* dx = grad_buffer(x);
    const float* g = dy.data();
    const float* s = out.data();
    for (int64_t i = 0; i < x.numel(); ++i) dx[i] += g[i] * s[i] * (1.0f - s[i]);
  }, Saved::output);
}

Tensor tanh(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape());
  const float* px = x.data();
  float* py = y.data();
  for (int64_t i = 0; i < x.numel(); ++i) py[i] = std::tanh(px[i]);
  // dx = dy · (1 - y²)
  return record(y, "tanh", {x}, [x, out = y.detach()](const Tensor& dy) {
    float* dx = grad_buffer(x);
    const float* g = dy.data();
    const float* t = out.data();
    for (int64_t i = 0; i < x.numel(); ++i) dx[i] += g[i] * (1.0f - t[i] * t[i]);
  }, Saved::output);
}

}  // namespace minigrad
