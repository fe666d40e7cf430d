// pointwise: the pattern of every one-input elementwise op, written once. The forward is
// y = f(x) element by element; by the chain rule each element's gradient is dy times the slope of
// f there, so the backward is dx += df(dy, x, y) element by element, where df names that product
// (in terms of x or y, whichever is simpler). Internal to src/ops.
#pragma once

#include <cstdint>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/backend.hpp"

namespace minigrad::ops_detail {

/// y = f(x), recorded as `name` with the backward dx += df(dy, x, y) for every element. y is
/// saved detached: a closure never holds its own output. `saved` says which of x and y df reads,
/// so that an in-place write to that one, and only that one, is caught at backward().
/// A new dx (zeros still owed, backend.hpp's take_zeros) gets 0 + df without a pass of zeros
/// first and without reading them: the same numbers as += on a zero-filled buffer.
template <class F, class DF>
Tensor pointwise(const char* name, const Tensor& x, F f, DF df, Saved saved = Saved::inputs) {
  const int64_t n = x.numel();  // read once: a bound re-read after each store keeps loops scalar
  Tensor y = Tensor::empty(x.shape());
  const float* px = x.data();
  float* py = y.data();
  for (int64_t i = 0; i < n; ++i) py[i] = f(px[i]);
  return record(y, name, {x}, [x, out = y.detach(), n, df](const Tensor& dy) {
    float* dx = grad_buffer_for_kernel(x);
    const bool fresh = backend::take_zeros(dx, n);
    const float* g = dy.data();
    const float* in = x.data();
    const float* o = out.data();
    if (fresh)
      for (int64_t i = 0; i < n; ++i) dx[i] = 0.0f + df(g[i], in[i], o[i]);
    else
      for (int64_t i = 0; i < n; ++i) dx[i] += df(g[i], in[i], o[i]);
  }, saved);
}

}  // namespace minigrad::ops_detail
