// BatchNorm1d: batch statistics, running averages and the fused backward.
#include "minigrad/nn/batchnorm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

#include "minigrad/autograd.hpp"

namespace minigrad::nn {

namespace {
// How Python prints a float: "0.1", "1e-05", and "1.0" rather than "1".
std::string py_float(float v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}
}  // namespace

BatchNorm1d::BatchNorm1d(int64_t num_features, BatchNormOptions options)
    : num_features_(num_features), options_(options) {
  if (num_features <= 0)
    throw std::invalid_argument(
        fmt::format("BatchNorm1d: num_features must be positive, got {}", num_features));
  if (!(options.eps > 0.0f))
    throw std::invalid_argument(
        fmt::format("BatchNorm1d: eps must be positive, got {} (HINT: PyTorch's default is 1e-5)",
                    options.eps));
  if (options.momentum && !(*options.momentum >= 0.0f && *options.momentum <= 1.0f))
    throw std::invalid_argument(fmt::format(
        "BatchNorm1d: momentum must be in [0, 1] or nullopt, got {} (HINT: PyTorch's 0.1 is "
        "Keras' 0.9: it weights the new batch)",
        *options.momentum));
  if (options.affine) {
    weight_ = register_parameter("weight", Tensor::ones({num_features}));
    bias_ = register_parameter("bias", Tensor::zeros({num_features}));
  }
  if (options.track_running_stats) {
    running_mean_ = register_buffer("running_mean", Tensor::zeros({num_features}));
    running_var_ = register_buffer("running_var", Tensor::ones({num_features}));
    num_batches_tracked_ = register_buffer("num_batches_tracked", Tensor::scalar(0.0f), DType::I64);
  }
}

// x: (N, C) -> y: (N, C), per feature c over the N rows:
//   batch statistics:   mu = mean_i x[i,c],  var = mean_i (x[i,c] - mu)²  (biased)
//   running statistics: mu = running_mean[c], var = running_var[c]         (eval)
//   xhat = (x - mu)·invstd, invstd = 1/sqrt(var + eps);  y = γ·xhat + β
Tensor BatchNorm1d::forward(const Tensor& x) {
  const int64_t C = num_features_;
  if (x.dim() != 2 || x.size(1) != C)
    throw std::invalid_argument(fmt::format(
        "BatchNorm1d({}): expected input of shape [N, {}] but got {} (HINT: the layer before it "
        "must output {} features)",
        C, C, shape_str(x.shape()), C));
  const int64_t N = x.size(0);
  const bool batch_stats = is_training() || !options_.track_running_stats;
  if (batch_stats && N <= 1)
    throw std::invalid_argument(fmt::format(
        "Expected more than 1 value per channel when training, got input size {} (HINT: a batch "
        "of one row has no variance; drop the last incomplete batch, use a larger batch, or call "
        "eval() to use the running statistics)",
        shape_str(x.shape())));

  const float* xs = x.data();
  std::vector<float> mu(static_cast<size_t>(C)), invstd(static_cast<size_t>(C));
  if (batch_stats) {
    // Two passes in double: the one-pass E[x²] - E[x]² loses every digit when |mean| >> std.
    std::vector<double> sum(static_cast<size_t>(C), 0.0), sq(static_cast<size_t>(C), 0.0);
    for (int64_t i = 0; i < N; ++i)
      for (int64_t c = 0; c < C; ++c) sum[c] += xs[i * C + c];
    for (int64_t c = 0; c < C; ++c) sum[c] /= static_cast<double>(N);
    for (int64_t i = 0; i < N; ++i)
      for (int64_t c = 0; c < C; ++c) {
        const double d = xs[i * C + c] - sum[c];
        sq[c] += d * d;
      }
    for (int64_t c = 0; c < C; ++c) {
      const double var = sq[c] / static_cast<double>(N);
      mu[c] = static_cast<float>(sum[c]);
      invstd[c] = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(options_.eps)));
    }
    if (is_training() && options_.track_running_stats) {
      // running = (1 - f)·running + f·batch, with the UNBIASED variance var·N/(N-1); f is the
      // momentum, or 1/num_batches_tracked (a cumulative average) when momentum is nullopt.
      float& tracked = num_batches_tracked_.data()[0];
      tracked += 1.0f;
      const double f = options_.momentum ? *options_.momentum : 1.0 / tracked;
      float* rm = running_mean_.data();
      float* rv = running_var_.data();
      for (int64_t c = 0; c < C; ++c) {
        const double unbiased = sq[c] / static_cast<double>(N - 1);
        rm[c] = static_cast<float>((1.0 - f) * rm[c] + f * sum[c]);
        rv[c] = static_cast<float>((1.0 - f) * rv[c] + f * unbiased);
      }
    }
  } else {
    const float* rm = running_mean_.data();
    const float* rv = running_var_.data();
    for (int64_t c = 0; c < C; ++c) {
      mu[c] = rm[c];
      invstd[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(rv[c]) + options_.eps));
    }
  }

  // xhat is saved for the backward; without one (evaluation) it is never stored.
  Tensor weight = weight_, bias = bias_;
  const bool needs_grad = should_record({&x, &weight, &bias});
  Tensor xhat = needs_grad ? Tensor::empty(x.shape()) : Tensor();
  Tensor y = Tensor::empty(x.shape());
  float* xh = needs_grad ? xhat.data() : nullptr;
  float* ys = y.data();
  const float* g = options_.affine ? weight_.data() : nullptr;
  const float* b = options_.affine ? bias_.data() : nullptr;
  // One plain loop per case (no branch inside), so each vectorises.
  const float* m = mu.data();
  const float* is = invstd.data();
  for (int64_t i = 0; i < N; ++i) {
    const float* xr = xs + i * C;
    float* yr = ys + i * C;
    if (xh) {
      float* hr = xh + i * C;
      for (int64_t c = 0; c < C; ++c) hr[c] = (xr[c] - m[c]) * is[c];
      if (g)
        for (int64_t c = 0; c < C; ++c) yr[c] = g[c] * hr[c] + b[c];
      else
        std::copy(hr, hr + C, yr);
    } else if (g) {
      for (int64_t c = 0; c < C; ++c) yr[c] = g[c] * ((xr[c] - m[c]) * is[c]) + b[c];
    } else {
      for (int64_t c = 0; c < C; ++c) yr[c] = (xr[c] - m[c]) * is[c];
    }
  }

  // Backward, with dxhat = dy·γ (running statistics are never differentiated):
  //   batch statistics (mu and var depend on x, hence the two correction terms):
  //     dx = invstd/N · (N·dxhat - Σ_i dxhat - xhat·Σ_i(dxhat·xhat))
  //   running statistics (constants):  dx = dxhat·invstd
  //   dγ = Σ_i dy·xhat      dβ = Σ_i dy
  auto backward = [x, weight, bias, xhat, invstd, batch_stats, N, C](const Tensor& dy) {
    const float* d = dy.data();
    const float* xh = xhat.data();
    // One pass for the two sums everything needs: Σ_i dy and Σ_i dy·xhat, per feature (double).
    std::vector<double> sum_dy(static_cast<size_t>(C), 0.0), sum_dy_xhat(static_cast<size_t>(C), 0.0);
    for (int64_t i = 0; i < N; ++i)
      for (int64_t c = 0; c < C; ++c) {
        sum_dy[c] += d[i * C + c];
        sum_dy_xhat[c] += static_cast<double>(d[i * C + c]) * xh[i * C + c];
      }
    if (weight.defined() && weight.requires_grad()) {
      float* dgamma = grad_buffer(weight);
      for (int64_t c = 0; c < C; ++c) dgamma[c] += static_cast<float>(sum_dy_xhat[c]);
    }
    if (bias.defined() && bias.requires_grad()) {
      float* dbeta = grad_buffer(bias);
      for (int64_t c = 0; c < C; ++c) dbeta[c] += static_cast<float>(sum_dy[c]);
    }
    if (!x.requires_grad()) return;
    float* dx = grad_buffer(x);
    const float* gam = weight.defined() ? weight.data() : nullptr;
    if (!batch_stats) {
      for (int64_t i = 0; i < N; ++i)
        for (int64_t c = 0; c < C; ++c)
          dx[i * C + c] += d[i * C + c] * (gam ? gam[c] : 1.0f) * invstd[c];
      return;
    }
    // dxhat = dy·γ, so Σ_i dxhat = γ·Σ_i dy and Σ_i dxhat·xhat = γ·Σ_i dy·xhat. Per feature:
    //   dx = a·(dxhat - mean_dxhat - xhat·mean_dxhat_xhat),  a = invstd (the 1/N moved inside)
    const double n = static_cast<double>(N);
    std::vector<float> gain(static_cast<size_t>(C)), mean_dxhat(static_cast<size_t>(C)),
        mean_dxhat_xhat(static_cast<size_t>(C));
    for (int64_t c = 0; c < C; ++c) {
      const double g = gam ? gam[c] : 1.0;
      gain[c] = static_cast<float>(g);
      mean_dxhat[c] = static_cast<float>(g * sum_dy[c] / n);
      mean_dxhat_xhat[c] = static_cast<float>(g * sum_dy_xhat[c] / n);
    }
    for (int64_t i = 0; i < N; ++i)
      for (int64_t c = 0; c < C; ++c) {
        const int64_t k = i * C + c;
        dx[k] += invstd[c] * (d[k] * gain[c] - mean_dxhat[c] - xh[k] * mean_dxhat_xhat[c]);
      }
  };
  return record(y, "batch_norm", {x, weight, bias}, std::move(backward));
}

std::string BatchNorm1d::extra_repr() const {
  return fmt::format(
      "{}, eps={}, momentum={}, affine={}, track_running_stats={}", num_features_,
      py_float(options_.eps), options_.momentum ? py_float(*options_.momentum) : "None",
      options_.affine ? "True" : "False", options_.track_running_stats ? "True" : "False");
}

}  // namespace minigrad::nn
