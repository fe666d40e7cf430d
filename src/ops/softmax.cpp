// softmax and log_softmax along one dim, the stable way: subtract the maximum m first, so exp
// never overflows, and log_softmax = x - m - log Σ exp(x - m) never takes the log of an
// underflowed softmax (logits ×1e8 still give finite values). x is viewed as (outer, n, inner)
// around dim, like the reductions. Leaves out: a fused cross-entropy (that belongs to the loss).
#include "minigrad/ops/softmax.hpp"

#include <cmath>

#include "dim_split.hpp"
#include "minigrad/autograd.hpp"

namespace minigrad {

namespace {

using Lanes = ops_detail::DimSplit;

// Splits x's shape around `dim` into lanes of n elements (see dim_split.hpp).
Lanes split(const char* op, const Shape& shape, int64_t dim) {
  return ops_detail::split_dim(op, shape, dim,
                               "; for a batch of logits (B, C) that is dim 1 or -1");
}

// y = x - m - log Σ_k exp(x_k - m) along each lane; with `exponentiate`, y = exp of that.
Tensor stable_forward(const Tensor& x, const Lanes& l, bool exponentiate) {
  Tensor y = Tensor::empty(x.shape());
  const float* px = x.data();
  float* py = y.data();
  for (int64_t o = 0; o < l.outer; ++o)
    for (int64_t i = 0; i < l.inner; ++i) {
      const float* xl = px + o * l.n * l.inner + i;  // lane element k is xl[k·inner]
      float* yl = py + o * l.n * l.inner + i;
      float m = -INFINITY;
      for (int64_t k = 0; k < l.n; ++k) m = std::fmax(m, xl[k * l.inner]);
      double s = 0;
      for (int64_t k = 0; k < l.n; ++k) s += std::exp(xl[k * l.inner] - m);
      const float log_s = static_cast<float>(std::log(s));
      for (int64_t k = 0; k < l.n; ++k) {
        const float v = xl[k * l.inner] - m - log_s;
        yl[k * l.inner] = exponentiate ? std::exp(v) : v;
      }
    }
  return y;
}

// The backward of both (each formula is written beside its forward), from the saved output y:
// per lane, one sum (of dy for log_softmax, of dy · y for softmax), then every dx_k from it.
void lane_backward(const Lanes& l, const Tensor& dy, const Tensor& y, bool log_space, float* dx) {
  const float* g = dy.data();
  const float* py = y.data();
  for (int64_t o = 0; o < l.outer; ++o)
    for (int64_t i = 0; i < l.inner; ++i) {
      const int64_t base = o * l.n * l.inner + i;  // lane element k is at base + k·inner
      double total = 0;
      for (int64_t k = 0; k < l.n; ++k) {
        const int64_t at = base + k * l.inner;
        total += log_space ? g[at] : g[at] * py[at];
      }
      for (int64_t k = 0; k < l.n; ++k) {
        const int64_t at = base + k * l.inner;
        dx[at] += log_space ? g[at] - std::exp(py[at]) * static_cast<float>(total)
                            : py[at] * (g[at] - static_cast<float>(total));
      }
    }
}

}  // namespace

Tensor log_softmax(const Tensor& x, int64_t dim) {
  const Lanes l = split("log_softmax", x.shape(), dim);
  Tensor y = stable_forward(x, l, false);
  // With p = softmax(x) = exp(y), along each lane:
  //   dx_k = dy_k - p_k · Σ_j dy_j
  return record(y, "log_softmax", {x}, [x, l, out = y.detach()](const Tensor& dy) {
    lane_backward(l, dy, out, /*log_space=*/true, grad_buffer(x));
  }, Saved::output);
}

Tensor softmax(const Tensor& x, int64_t dim) {
  const Lanes l = split("softmax", x.shape(), dim);
  Tensor y = stable_forward(x, l, true);
  // Along each lane:
  //   dx_k = y_k · (dy_k - Σ_j dy_j · y_j)
  return record(y, "softmax", {x}, [x, l, out = y.detach()](const Tensor& dy) {
    lane_backward(l, dy, out, /*log_space=*/false, grad_buffer(x));
  }, Saved::output);
}

}  // namespace minigrad
