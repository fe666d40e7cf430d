// Losses: cross entropy from logits (stable log-sum-exp, label smoothing, ignore_index), binary
// cross entropy from logits, mean squared error, L1 and Huber, each one fused forward/backward
// node.
#include "minigrad/nn/loss.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

#include "minigrad/autograd.hpp"

namespace minigrad::nn {

std::string reduction_name(Reduction reduction) {
  switch (reduction) {
    case Reduction::None:
      return "none";
    case Reduction::Mean:
      return "mean";
    case Reduction::Sum:
      return "sum";
  }
  return "?";
}

namespace {

// Per-element losses (of `shape`) -> the loss tensor: that shape for None, a scalar otherwise.
// Mean divides by `count` (the elements or rows that count; 0 gives NaN, as 0/0 in PyTorch).
Tensor reduce(const std::vector<double>& losses, const Shape& shape, Reduction reduction,
              double count) {
  if (reduction == Reduction::None) {
    Tensor out = Tensor::empty(shape);
    for (size_t i = 0; i < losses.size(); ++i) out.data()[i] = static_cast<float>(losses[i]);
    return out;
  }
  double total = 0;
  for (double l : losses) total += l;
  if (reduction == Reduction::Mean)
    total = count > 0 ? total / count : std::numeric_limits<double>::quiet_NaN();
  return Tensor::scalar(static_cast<float>(total));
}

// d(loss)/d(l_i) for element i given the loss's upstream gradient dy: dy[i] for None, dy for Sum,
// dy/count for Mean.
double upstream(const Tensor& dy, int64_t i, Reduction reduction, double count) {
  if (reduction == Reduction::None) return dy.data()[i];
  if (reduction == Reduction::Mean) return dy.data()[0] / count;
  return dy.data()[0];
}

void require_same_shape(const char* loss, const Tensor& input, const Tensor& target) {
  if (input.shape() != target.shape())
    throw std::invalid_argument(fmt::format(
        "{}: target has shape {} but input has shape {} (HINT: they must match exactly; a "
        "column of predictions [N, 1] against labels [N] needs reshape({{-1, 1}}) on the labels)",
        loss, shape_str(target.shape()), shape_str(input.shape())));
}

// input (N, C) and target (N), or an error naming the op; returns {N, C}. `what` is what a row
// of input holds ("logits", "log-probabilities").
std::pair<int64_t, int64_t> require_scores_and_classes(const char* op, const char* what,
                                                       const Tensor& input, const Tensor& target) {
  if (input.dim() != 2)
    throw std::invalid_argument(fmt::format(
        "{}: expected {} of shape [N, C] but got {} (HINT: one row of class scores per sample)", op,
        what, shape_str(input.shape())));
  const int64_t N = input.size(0), C = input.size(1);
  if (target.shape() != Shape{N})
    throw std::invalid_argument(fmt::format(
        "{}: expected target of shape [{}] (one class index per row of the {} {}) but got {} "
        "(HINT: targets are class indices, not one-hot rows)",
        op, N, what, shape_str(input.shape()), shape_str(target.shape())));
  return {N, C};
}

// The class of each row of `target` (N) as an index into C classes, or -1 for a row whose
// target is ignore_index. A target that is not a whole number or not in [0, C) throws.
std::vector<int64_t> class_indices(const char* op, const Tensor& target, int64_t C,
                                   int64_t ignore_index) {
  const int64_t N = target.numel();
  std::vector<int64_t> cls(static_cast<size_t>(N));
  for (int64_t n = 0; n < N; ++n) {
    const float t = target.data()[n];
    if (!std::isfinite(t) || t != std::floor(t))
      throw std::invalid_argument(fmt::format(
          "{}: target {} in row {} is not a whole number (HINT: targets are class indices 0..{} "
          "stored as floats)",
          op, t, n, C - 1));
    const auto k = static_cast<int64_t>(t);
    if (k == ignore_index) {
      cls[n] = -1;
    } else if (k < 0 || k >= C) {
      throw std::out_of_range(fmt::format(
          "Target {} is out of bounds for {} classes (row {}) (HINT: labels must lie in 0..{}; "
          "check the label column of the data, or the number of classes of the model)",
          k, C, n, C - 1));
    } else {
      cls[n] = k;
    }
  }
  return cls;
}

}  // namespace

// ---- cross entropy ----
// input x: (N, C), target y: (N) -> loss: () or (N). With lse_n = log Σ_c exp(x[n,c]) (computed as
// m + log Σ exp(x - m), m the row max, so 1e4 logits cannot overflow) and log p = x - lse:
//   l_n = (1-ε)·(lse_n - x[n,y_n]) + ε/C·Σ_c(lse_n - x[n,c]),   0 for ignored rows
// Backward, from d lse/dx = softmax p:
//   dx[n,c] = g_n·(p[n,c] - (1-ε)·1{c = y_n} - ε/C),   g_n = dy_n, dy or dy/N_valid
Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const CrossEntropyOptions& options) {
  // Plain variables, not a structured binding: the backward lambda captures them.
  const auto [rows, classes] = require_scores_and_classes("cross_entropy", "logits", input, target);
  const int64_t N = rows, C = classes;
  const float eps = options.label_smoothing;
  if (!(eps >= 0.0f && eps <= 1.0f))
    throw std::invalid_argument(
        fmt::format("cross_entropy: label_smoothing must be in [0, 1], but got {}", eps));

  const std::vector<int64_t> cls = class_indices("cross_entropy", target, C, options.ignore_index);

  const float* x = input.data();
  // softmax is kept for the backward only when there will be one (evaluation skips it).
  const bool needs_grad = should_record({&input});
  Tensor probs = needs_grad ? Tensor::empty({N, C}) : Tensor();
  float* p = needs_grad ? probs.data() : nullptr;
  std::vector<double> losses(static_cast<size_t>(N), 0.0);
  double valid = 0;
  std::vector<double> e(static_cast<size_t>(C));  // exp(x[n,c] - m) of the current row
  for (int64_t n = 0; n < N; ++n) {
    const float* row = x + n * C;
    const double m = *std::max_element(row, row + C);
    double s = 0, sum_x = 0;
    for (int64_t c = 0; c < C; ++c) {
      e[static_cast<size_t>(c)] = std::exp(row[c] - m);
      s += e[static_cast<size_t>(c)];
      sum_x += row[c];
    }
    const double lse = m + std::log(s);
    // softmax = exp(x - m) / Σ exp(x - m): the exponentials above, divided, instead of a second
    // exp(x - lse) per class.
    if (p)
      for (int64_t c = 0; c < C; ++c)
        p[n * C + c] = static_cast<float>(e[static_cast<size_t>(c)] / s);
    if (cls[n] < 0) continue;
    valid += 1;
    const double nll = lse - row[cls[n]];
    const double uniform = static_cast<double>(C) * lse - sum_x;  // Σ_c -log p[n,c]
    losses[n] = (1.0 - eps) * nll + eps / static_cast<double>(C) * uniform;
  }
  Tensor out = reduce(losses, {N}, options.reduction, valid);

  const Reduction reduction = options.reduction;
  auto backward = [input, probs, cls, eps, reduction, valid, N, C](const Tensor& dy) {
    float* dx = grad_buffer(input);
    const float* pr = probs.data();
    const double off = eps / static_cast<double>(C);
    for (int64_t n = 0; n < N; ++n) {
      if (cls[n] < 0) continue;  // ignored rows get no gradient
      const double g = upstream(dy, n, reduction, valid);
      for (int64_t c = 0; c < C; ++c) {
        const double onehot = c == cls[n] ? 1.0 - eps : 0.0;
        dx[n * C + c] += static_cast<float>(g * (pr[n * C + c] - onehot - off));
      }
    }
  };
  return record(out, "cross_entropy", {input}, std::move(backward));
}

// ---- negative log likelihood ----
// input x: (N, C) log-probabilities (log_softmax's output), target y: (N) -> loss () or (N):
//   l_n = -x[n, y_n],  0 for ignored rows;  mean divides by the rows not ignored
//   dx[n, y_n] = -g_n,  g_n = dy_n, dy or dy/N_valid;  every other dx is 0
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& options) {
  const auto [rows, classes] =
      require_scores_and_classes("nll_loss", "log-probabilities", input, target);
  const int64_t N = rows, C = classes;  // captured by the backward lambda
  const std::vector<int64_t> cls = class_indices("nll_loss", target, C, options.ignore_index);
  std::vector<double> losses(static_cast<size_t>(N), 0.0);
  double valid = 0;
  for (int64_t n = 0; n < N; ++n) {
    if (cls[n] < 0) continue;
    valid += 1;
    losses[n] = -static_cast<double>(input.data()[n * C + cls[n]]);
  }
  Tensor out = reduce(losses, {N}, options.reduction, valid);
  const Reduction reduction = options.reduction;
  auto backward = [input, cls, reduction, valid, N, C](const Tensor& dy) {
    float* dx = grad_buffer(input);
    for (int64_t n = 0; n < N; ++n)
      if (cls[n] >= 0) dx[n * C + cls[n]] -= static_cast<float>(upstream(dy, n, reduction, valid));
  };
  return record(out, "nll_loss", {input}, std::move(backward), Saved::none);
}

// ---- binary cross entropy with logits ----
// x, y: (...) -> loss: () or (...).
//   l = max(x, 0) - x·y + log(1 + exp(-|x|))     (= -y·log σ(x) - (1-y)·log(1-σ(x)))
//   dx = g·(σ(x) - y)      dy_target = g·(-x)
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        Reduction reduction) {
  require_same_shape("binary_cross_entropy_with_logits", input, target);
  const int64_t n = input.numel();
  const float* x = input.data();
  const float* y = target.data();
  std::vector<double> losses(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double xi = x[i];
    losses[i] = std::max(xi, 0.0) - xi * y[i] + std::log1p(std::exp(-std::abs(xi)));
  }
  Tensor out = reduce(losses, input.shape(), reduction, static_cast<double>(n));
  auto backward = [input, target, reduction, n](const Tensor& dy) {
    const float* xs = input.data();
    const float* ys = target.data();
    float* dx = input.requires_grad() ? grad_buffer(input) : nullptr;
    float* dt = target.requires_grad() ? grad_buffer(target) : nullptr;
    for (int64_t i = 0; i < n; ++i) {
      const double g = upstream(dy, i, reduction, static_cast<double>(n));
      const double xi = xs[i];
      // σ(x) without overflow: exp of a non-positive number only.
      const double e = std::exp(-std::abs(xi));
      const double sig = xi >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
      if (dx) dx[i] += static_cast<float>(g * (sig - ys[i]));
      if (dt) dt[i] += static_cast<float>(g * -xi);
    }
  };
  return record(out, "binary_cross_entropy_with_logits", {input, target}, std::move(backward));
}

// ---- mean squared error ----
// x, y: (...) -> loss: () or (...).  l = (x - y)²,  dx = g·2(x - y),  dy_target = -dx
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  require_same_shape("mse_loss", input, target);
  const int64_t n = input.numel();
  const float* x = input.data();
  const float* y = target.data();
  std::vector<double> losses(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - y[i];
    losses[i] = d * d;
  }
  Tensor out = reduce(losses, input.shape(), reduction, static_cast<double>(n));
  return record(out, "mse_loss", {input, target}, [input, target, reduction, n](const Tensor& dy) {
    const float* xs = input.data();
    const float* ys = target.data();
    float* dx = input.requires_grad() ? grad_buffer(input) : nullptr;
    float* dt = target.requires_grad() ? grad_buffer(target) : nullptr;
    for (int64_t i = 0; i < n; ++i) {
      const double g = 2.0 * upstream(dy, i, reduction, static_cast<double>(n)) *
                       (static_cast<double>(xs[i]) - ys[i]);
      if (dx) dx[i] += static_cast<float>(g);
      if (dt) dt[i] -= static_cast<float>(g);
    }
  });
}

// l = |d|,  dl/dx = sign(d),  dl/dy = -sign(d),  d = x - y
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  require_same_shape("l1_loss", input, target);
  const int64_t n = input.numel();
  const float* x = input.data();
  const float* y = target.data();
  std::vector<double> losses(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) losses[i] = std::abs(static_cast<double>(x[i]) - y[i]);
  Tensor out = reduce(losses, input.shape(), reduction, static_cast<double>(n));
  return record(out, "l1_loss", {input, target}, [input, target, reduction, n](const Tensor& dy) {
    const float* xs = input.data();
    const float* ys = target.data();
    float* dx = input.requires_grad() ? grad_buffer(input) : nullptr;
    float* dt = target.requires_grad() ? grad_buffer(target) : nullptr;
    for (int64_t i = 0; i < n; ++i) {
      const double d = static_cast<double>(xs[i]) - ys[i];
      const double g = upstream(dy, i, reduction, static_cast<double>(n)) *
                       static_cast<double>((d > 0) - (d < 0));
      if (dx) dx[i] += static_cast<float>(g);
      if (dt) dt[i] -= static_cast<float>(g);
    }
  });
}

// |d| <= δ: l = d²/2,          dl/dx = d
// |d| >  δ: l = δ(|d| - δ/2),  dl/dx = δ·sign(d)        (dl/dy = -dl/dx in both)
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, float delta) {
  require_same_shape("huber_loss", input, target);
  if (!(delta > 0.0f))
    throw std::invalid_argument(fmt::format(
        "huber_loss: delta must be positive, got {} (HINT: PyTorch's default is 1.0)", delta));
  const int64_t n = input.numel();
  const float* x = input.data();
  const float* y = target.data();
  const double dl = delta;
  std::vector<double> losses(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double d = std::abs(static_cast<double>(x[i]) - y[i]);
    losses[i] = d <= dl ? 0.5 * d * d : dl * (d - 0.5 * dl);
  }
  Tensor out = reduce(losses, input.shape(), reduction, static_cast<double>(n));
  return record(out, "huber_loss", {input, target},
                [input, target, reduction, n, dl](const Tensor& dy) {
                  const float* xs = input.data();
                  const float* ys = target.data();
                  float* dx = input.requires_grad() ? grad_buffer(input) : nullptr;
                  float* dt = target.requires_grad() ? grad_buffer(target) : nullptr;
                  for (int64_t i = 0; i < n; ++i) {
                    const double d = static_cast<double>(xs[i]) - ys[i];
                    const double slope = std::clamp(d, -dl, dl);
                    const double g = upstream(dy, i, reduction, static_cast<double>(n)) * slope;
                    if (dx) dx[i] += static_cast<float>(g);
                    if (dt) dt[i] -= static_cast<float>(g);
                  }
                });
}

}  // namespace minigrad::nn
