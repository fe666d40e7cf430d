// Elementwise ops with broadcasting. One small planner (BroadcastPlan) turns any pair of shapes
// into "outer runs × one inner run", so [32, 10] + [10] is 32 runs of 10 contiguous adds and
// same-shape or scalar operands are a single flat loop: the fast paths fall out of the plan.
// Each backward walks the same plan and adds into the input's own-shaped gradient, which sums
// over the broadcast dimensions as it goes: that is sum_to, fused into the loop.
#include "minigrad/ops/elementwise.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <type_traits>

#include "minigrad/autograd.hpp"

namespace minigrad {

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

// How to walk the output of a broadcasting binary op. The output's dimensions are coalesced
// wherever neither operand changes between broadcast and real, so every case reduces to
// `runs` outer positions, each a contiguous run of `inner` elements along which a and b advance
// by a_step and b_step (1 for a real dimension, 0 for a broadcast one).
struct BroadcastPlan {
  Shape out;
  int64_t inner = 1;
  int64_t a_step = 1, b_step = 1;
  // Outer (coalesced) dimensions, outermost first, with the offset each one adds per step.
  std::vector<int64_t> sizes, y_strides, a_strides, b_strides;

  BroadcastPlan(const char* op, const Shape& a, const Shape& b)
      : out(broadcast_or_throw(op, a, b)) {
    const size_t rank = out.size();
    struct Dim {
      int64_t size;
      bool a_real, b_real;
    };
    std::vector<Dim> dims;  // size-1 output dimensions dropped, like ones merged
    for (size_t d = 0; d < rank; ++d) {
      if (out[d] == 1) continue;
      const bool a_real = d + a.size() >= rank && a[d + a.size() - rank] == out[d];
      const bool b_real = d + b.size() >= rank && b[d + b.size() - rank] == out[d];
      if (!dims.empty() && dims.back().a_real == a_real && dims.back().b_real == b_real)
        dims.back().size *= out[d];
      else
        dims.push_back({out[d], a_real, b_real});
    }
    if (dims.empty()) return;  // one element
    inner = dims.back().size;
    a_step = dims.back().a_real ? 1 : 0;
    b_step = dims.back().b_real ? 1 : 0;
    int64_t ys = inner, as = a_step ? inner : 1, bs = b_step ? inner : 1;
    for (size_t d = dims.size() - 1; d-- > 0;) {
      sizes.insert(sizes.begin(), dims[d].size);
      y_strides.insert(y_strides.begin(), ys);
      a_strides.insert(a_strides.begin(), dims[d].a_real ? as : 0);
      b_strides.insert(b_strides.begin(), dims[d].b_real ? bs : 0);
      ys *= dims[d].size;
      if (dims[d].a_real) as *= dims[d].size;
      if (dims[d].b_real) bs *= dims[d].size;
    }
  }

  /// Calls body(iy, ia, ib) for every output element iy, with the elements of a and b it reads.
  template <class Body>
  void for_each(Body body) const {
    if (shape_numel(out) == 0) return;
    using One = std::integral_constant<int64_t, 1>;
    using Zero = std::integral_constant<int64_t, 0>;
    // The steps become compile-time constants so that the inner loops vectorise.
    auto walk = [&](auto sa, auto sb) {
      std::vector<int64_t> idx(sizes.size(), 0);
      int64_t oy = 0, oa = 0, ob = 0;
      while (true) {
        for (int64_t k = 0; k < inner; ++k) body(oy + k, oa + k * sa, ob + k * sb);
        // Odometer over the outer dimensions.
        size_t d = sizes.size();
        while (d > 0) {
          --d;
          oy += y_strides[d], oa += a_strides[d], ob += b_strides[d];
          if (++idx[d] < sizes[d]) break;
          oy -= y_strides[d] * sizes[d], oa -= a_strides[d] * sizes[d];
          ob -= b_strides[d] * sizes[d];
          idx[d] = 0;
          if (d == 0) return;
        }
        if (sizes.empty()) return;
      }
    };
    if (a_step && b_step)
      walk(One{}, One{});
    else if (a_step)
      walk(One{}, Zero{});
    else if (b_step)
      walk(Zero{}, One{});
    else
      walk(Zero{}, Zero{});
  }
};

// y = f(a, b) elementwise under broadcasting; the caller keeps the plan for its backward.
template <class F>
Tensor binary_forward(const BroadcastPlan& plan, const Tensor& a, const Tensor& b, F f) {
  Tensor y = Tensor::empty(plan.out);
  float* py = y.data();
  const float* pa = a.data();
  const float* pb = b.data();
  plan.for_each([&](int64_t i, int64_t ia, int64_t ib) { py[i] = f(pa[ia], pb[ib]); });
  return y;
}

// y = f(x) elementwise, for the unary ops.
template <class F>
Tensor unary_forward(const Tensor& x, F f) {
  Tensor y = Tensor::empty(x.shape());
  const float* px = x.data();
  float* py = y.data();
  for (int64_t i = 0; i < x.numel(); ++i) py[i] = f(px[i]);
  return y;
}

// The backward of a + b (b_sign 1) and a - b (b_sign -1): da += sum_to(dy),
// db += b_sign · sum_to(dy). Multiplying by -1 is exact: db += -g gives the bits db -= g gives.
void add_backward(const BroadcastPlan& plan, const Tensor& dy, const Tensor& a, const Tensor& b,
                  float b_sign) {
  const float* g = dy.data();
  if (a.requires_grad()) {
    float* da = grad_buffer(a);
    plan.for_each([&](int64_t i, int64_t ia, int64_t) { da[ia] += g[i]; });
  }
  if (b.requires_grad()) {
    float* db = grad_buffer(b);
    plan.for_each([&](int64_t i, int64_t, int64_t ib) { db[ib] += b_sign * g[i]; });
  }
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

Tensor add(const Tensor& a, const Tensor& b) {
  const BroadcastPlan plan("add", a.shape(), b.shape());
  Tensor y = binary_forward(plan, a, b, [](float u, float v) { return u + v; });
  // da = sum_to(dy), db = sum_to(dy)
  return record(y, "add", {a, b},
                [a, b, plan](const Tensor& dy) { add_backward(plan, dy, a, b, 1.0f); }, Saved::none);
}

Tensor sub(const Tensor& a, const Tensor& b) {
  const BroadcastPlan plan("sub", a.shape(), b.shape());
  Tensor y = binary_forward(plan, a, b, [](float u, float v) { return u - v; });
  // da = sum_to(dy), db = -sum_to(dy)
  return record(y, "sub", {a, b},
                [a, b, plan](const Tensor& dy) { add_backward(plan, dy, a, b, -1.0f); }, Saved::none);
}

Tensor mul(const Tensor& a, const Tensor& b) {
  const BroadcastPlan plan("mul", a.shape(), b.shape());
  Tensor y = binary_forward(plan, a, b, [](float u, float v) { return u * v; });
  // da = sum_to(dy · b), db = sum_to(dy · a)
  return record(y, "mul", {a, b}, [a, b, plan](const Tensor& dy) {
    const float* g = dy.data();
    const float* pa = a.data();
    const float* pb = b.data();
    if (a.requires_grad()) {
      float* da = grad_buffer(a);
      plan.for_each([&](int64_t i, int64_t ia, int64_t ib) { da[ia] += g[i] * pb[ib]; });
    }
    if (b.requires_grad()) {
      float* db = grad_buffer(b);
      plan.for_each([&](int64_t i, int64_t ia, int64_t ib) { db[ib] += g[i] * pa[ia]; });
    }
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  const BroadcastPlan plan("div", a.shape(), b.shape());
  Tensor y = binary_forward(plan, a, b, [](float u, float v) { return u / v; });
  // da = sum_to(dy / b), db = sum_to(-dy · a / b²)
  return record(y, "div", {a, b}, [a, b, plan](const Tensor& dy) {
    const float* g = dy.data();
    const float* pa = a.data();
    const float* pb = b.data();
    if (a.requires_grad()) {
      float* da = grad_buffer(a);
      plan.for_each([&](int64_t i, int64_t ia, int64_t ib) { da[ia] += g[i] / pb[ib]; });
    }
    if (b.requires_grad()) {
      float* db = grad_buffer(b);
      plan.for_each(
          [&](int64_t i, int64_t ia, int64_t ib) { db[ib] -= g[i] * pa[ia] / (pb[ib] * pb[ib]); });
    }
  });
}

// ---- unary ops: y has x's shape ----

Tensor neg(const Tensor& x) {
  Tensor y = unary_forward(x, [](float v) { return -v; });
  // dx = -dy
  return record(y, "neg", {x}, [x](const Tensor& dy) {
    float* dx = grad_buffer(x);
    const float* g = dy.data();
    for (int64_t i = 0; i < x.numel(); ++i) dx[i] -= g[i];
  }, Saved::none);
}

Tensor exp(const Tensor& x) {
  Tensor y = unary_forward(x, [](float v) { return std::exp(v); });
  // dx = dy · exp(x) = dy · y   (y saved detached: a closure never holds its own output)
  return record(y, "exp", {x}, [x, out = y.detach()](const Tensor& dy) {
    float* dx = grad_buffer(x);
    const float* g = dy.data();
    const float* py = out.data();
    for (int64_t i = 0; i < x.numel(); ++i) dx[i] += g[i] * py[i];
  }, Saved::output);
}

Tensor log(const Tensor& x) {
  Tensor y = unary_forward(x, [](float v) { return std::log(v); });
  // dx = dy / x
  return record(y, "log", {x}, [x](const Tensor& dy) {
    float* dx = grad_buffer(x);
    const float* g = dy.data();
    const float* px = x.data();
    for (int64_t i = 0; i < x.numel(); ++i) dx[i] += g[i] / px[i];
  });
}

Tensor pow(const Tensor& x, float exponent) {
  Tensor y = exponent == 2.0f
                 ? unary_forward(x, [](float v) { return v * v; })
                 : unary_forward(x, [exponent](float v) { return std::pow(v, exponent); });
  // dx = dy · p · x^(p-1); exactly 0 for p = 0 (PyTorch does not let 0 · x^-1 make a NaN at x = 0)
  return record(y, "pow", {x}, [x, exponent](const Tensor& dy) {
    float* dx = grad_buffer(x);
    if (exponent == 0.0f) return;
    const float* g = dy.data();
    const float* px = x.data();
    for (int64_t i = 0; i < x.numel(); ++i)
      dx[i] += g[i] * exponent * std::pow(px[i], exponent - 1.0f);
  });
}

Tensor sqrt(const Tensor& x) {
  Tensor y = unary_forward(x, [](float v) { return std::sqrt(v); });
  // dx = dy / (2·sqrt(x)) = dy / (2·y)
  return record(y, "sqrt", {x}, [x, out = y.detach()](const Tensor& dy) {
    float* dx = grad_buffer(x);
    const float* g = dy.data();
    const float* py = out.data();
    for (int64_t i = 0; i < x.numel(); ++i) dx[i] += g[i] / (2.0f * py[i]);
  }, Saved::output);
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
