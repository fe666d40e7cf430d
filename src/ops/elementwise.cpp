// Elementwise ops with broadcasting. A BroadcastPlan (broadcast_plan.hpp) walks the output and
// hands the loop body every element's position in a and in b. Each backward walks the same plan
// and adds into the input's own-shaped gradient, so it sums over the broadcast dimensions as it
// goes: sum_to, fused into the loop. The one-input ops are a function and its slope
// (pointwise.hpp).
#include "minigrad/ops/elementwise.hpp"

#include <cmath>

#include "broadcast_plan.hpp"
#include "minigrad/autograd.hpp"
#include "pointwise.hpp"

namespace minigrad {

using ops_detail::BroadcastPlan;
using ops_detail::pointwise;

namespace {

// y = f(a, b) under broadcasting, recorded as `name` with the backward
//   da += da_fn(dy, a, b),  db += db_fn(dy, a, b)
// for every output element: dy times the slope of f in a, and in b. Each lands on the element of
// its input that the forward read, so a broadcast input's gradient is summed back to its shape.
template <class F, class DA, class DB>
Tensor binary(const char* name, const Tensor& a, const Tensor& b, F f, DA da_fn, DB db_fn,
              Saved saved = Saved::inputs) {
  const BroadcastPlan plan(name, a.shape(), b.shape());
  Tensor y = Tensor::empty(plan.out);
  float* py = y.data();
  const float* pa = a.data();
  const float* pb = b.data();
  plan.for_each([&](int64_t i, int64_t ia, int64_t ib) { py[i] = f(pa[ia], pb[ib]); });
  return record(y, name, {a, b}, [a, b, plan, da_fn, db_fn](const Tensor& dy) {
    const float* g = dy.data();
    const float* pa = a.data();
    const float* pb = b.data();
    if (a.requires_grad()) {
      float* da = grad_buffer(a);
      plan.for_each(
          [&](int64_t i, int64_t ia, int64_t ib) { da[ia] += da_fn(g[i], pa[ia], pb[ib]); });
    }
    if (b.requires_grad()) {
      float* db = grad_buffer(b);
      plan.for_each(
          [&](int64_t i, int64_t ia, int64_t ib) { db[ib] += db_fn(g[i], pa[ia], pb[ib]); });
    }
  }, saved);
}

}  // namespace

// ---- binary ops: y has the broadcast shape; each gradient is summed back to its input ----

// y = a + b  ->  da = dy, db = dy
Tensor add(const Tensor& a, const Tensor& b) {
  return binary(
      "add", a, b, [](float u, float v) { return u + v; }, [](float g, float, float) { return g; },
      [](float g, float, float) { return g; }, Saved::none);
}

// y = a - b  ->  da = dy, db = -dy
Tensor sub(const Tensor& a, const Tensor& b) {
  return binary(
      "sub", a, b, [](float u, float v) { return u - v; }, [](float g, float, float) { return g; },
      [](float g, float, float) { return -g; }, Saved::none);
}

// y = a · b  ->  da = dy · b, db = dy · a
Tensor mul(const Tensor& a, const Tensor& b) {
  return binary(
      "mul", a, b, [](float u, float v) { return u * v; },
      [](float g, float, float v) { return g * v; }, [](float g, float u, float) { return g * u; });
}

// y = a / b  ->  da = dy / b, db = -dy · a / b²
Tensor div(const Tensor& a, const Tensor& b) {
  return binary(
      "div", a, b, [](float u, float v) { return u / v; },
      [](float g, float, float v) { return g / v; },
      [](float g, float u, float v) { return -(g * u / (v * v)); });
}

// ---- unary ops: y has x's shape; each is its function and dx as dy times its slope ----

// y = -x  ->  dx = -dy
Tensor neg(const Tensor& x) {
  return pointwise(
      "neg", x, [](float v) { return -v; }, [](float g, float, float) { return -g; }, Saved::none);
}

// y = e^x  ->  dx = dy · e^x = dy · y
Tensor exp(const Tensor& x) {
  return pointwise(
      "exp", x, [](float v) { return std::exp(v); }, [](float g, float, float y) { return g * y; },
      Saved::output);
}

// y = ln x  ->  dx = dy / x
Tensor log(const Tensor& x) {
  return pointwise(
      "log", x, [](float v) { return std::log(v); }, [](float g, float v, float) { return g / v; });
}

// y = x^p  ->  dx = dy · p · x^(p-1); exactly 0 for p = 0 (PyTorch does not let 0 · x^-1 make a
// NaN at x = 0). x² is x·x, exact.
Tensor pow(const Tensor& x, float p) {
  return pointwise(
      "pow", x, [p](float v) { return p == 2.0f ? v * v : std::pow(v, p); },
      [p](float g, float v, float) { return p == 0.0f ? 0.0f : g * p * std::pow(v, p - 1.0f); });
}

// y = √x  ->  dx = dy / (2·√x) = dy / (2·y)
Tensor sqrt(const Tensor& x) {
  return pointwise(
      "sqrt", x, [](float v) { return std::sqrt(v); },
      [](float g, float, float y) { return g / (2.0f * y); }, Saved::output);
}

}  // namespace minigrad
