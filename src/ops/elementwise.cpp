// Elementwise ops with broadcasting. A BroadcastPlan gives each operand a stride per output
// dimension, 0 where it is broadcast, and walks the output in order handing every element's
// position in a and in b to the loop body. Each backward walks the same plan and adds into the
// input's own-shaped gradient, which sums over the broadcast dimensions as it goes: that is
// sum_to, fused into the loop. The one-input ops are a function and its slope (pointwise.hpp).
#include "minigrad/ops/elementwise.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "minigrad/autograd.hpp"
#include "pointwise.hpp"

namespace minigrad {

using ops_detail::pointwise;

namespace {

Shape broadcast_or_throw(const char* op, const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t d = 0; d < rank; ++d) {
    // Aligned from the right: missing leading dimensions count as 1.
    const int64_t sa = d + a.size() >= rank ? a[d + a.size() - rank] : 1;
    const int64_t sb = d + b.size() >= rank ? b[d + b.size() - rank] : 1;
    if (sa != sb && sa != 1 && sb != 1)
      throw std::invalid_argument(fmt::format(
          "{}: shapes {} and {} cannot be broadcast (dimension {}: {} vs {}) (HINT: aligned "
          "from the right, each pair of sizes must be equal or one of them 1; reshape a column "
          "to [n, 1] or a row to [1, n] to say which way it should stretch)",
          op, shape_str(a), shape_str(b), d, sa, sb));
    out[d] = sa == 1 ? sb : sa;
  }
  return out;
}

// The strides of an operand of shape `s` read as the broadcast shape `out`: per output
// dimension, how far to move in the operand per step, 0 where it is broadcast (size 1 or absent).
std::vector<int64_t> broadcast_strides(const Shape& s, const Shape& out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (size_t d = s.size(), od = out.size(); d-- > 0;) {
    --od;
    if (s[d] != 1) strides[od] = stride;
    stride *= s[d];
  }
  return strides;
}

// How a broadcasting binary op walks its output: element by element in row-major order, with
// the element of a and of b each one reads.
struct BroadcastPlan {
  Shape out;
  std::vector<int64_t> a_strides, b_strides;
  bool same_shapes;  // a, b and out alike: element i of each, one flat loop

  BroadcastPlan(const char* op, const Shape& a, const Shape& b)
      : out(broadcast_or_throw(op, a, b)),
        a_strides(broadcast_strides(a, out)),
        b_strides(broadcast_strides(b, out)),
        same_shapes(a == b) {}

  /// Calls body(i, ia, ib) for every output element i, with the elements of a and b it reads.
  template <class Body>
  void for_each(Body body) const {
    const int64_t n = shape_numel(out);
    if (same_shapes) {
      for (int64_t i = 0; i < n; ++i) body(i, i, i);
      return;
    }
    std::vector<int64_t> index(out.size(), 0);
    int64_t ia = 0, ib = 0;
    for (int64_t i = 0; i < n; ++i) {
      body(i, ia, ib);
      for (size_t d = out.size(); d-- > 0;) {  // an odometer: the last dimension turns fastest
        ia += a_strides[d], ib += b_strides[d];
        if (++index[d] < out[d]) break;
        ia -= a_strides[d] * out[d], ib -= b_strides[d] * out[d];
        index[d] = 0;
      }
    }
  }
};

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

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  return broadcast_or_throw("broadcast_shapes", a, b);
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (broadcast_or_throw("sum_to", shape, x.shape()) != x.shape())
    throw std::invalid_argument(fmt::format(
        "sum_to: {} does not broadcast to {}, so {} cannot be summed down to it (HINT: the "
        "target must be a shape that broadcasting would stretch to the source's)",
        shape_str(shape), shape_str(x.shape()), shape_str(x.shape())));
  // Walk x's elements; each lands on the target element broadcasting would have read.
  const BroadcastPlan plan("sum_to", x.shape(), shape);
  Tensor y = Tensor::zeros(shape);
  float* py = y.data();
  const float* px = x.data();
  plan.for_each([&](int64_t i, int64_t, int64_t iy) { py[iy] += px[i]; });
  return y;
}

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

// ---- operators: the scalar forms wrap the number as a [] tensor, which broadcasts ----

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, float b) { return add(a, Tensor::scalar(b)); }
Tensor operator-(const Tensor& a, float b) { return sub(a, Tensor::scalar(b)); }
Tensor operator*(const Tensor& a, float b) { return mul(a, Tensor::scalar(b)); }
Tensor operator/(const Tensor& a, float b) { return div(a, Tensor::scalar(b)); }
Tensor operator+(float a, const Tensor& b) { return add(Tensor::scalar(a), b); }
Tensor operator-(float a, const Tensor& b) { return sub(Tensor::scalar(a), b); }
Tensor operator*(float a, const Tensor& b) { return mul(Tensor::scalar(a), b); }
Tensor operator/(float a, const Tensor& b) { return div(Tensor::scalar(a), b); }

}  // namespace minigrad
