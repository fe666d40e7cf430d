// BatchNorm1d and BatchNorm2d: batch statistics, running averages and the fused backward, written
// once for an input seen as (N, C, S). Every loop runs over a sample's F = C·S values with the
// per-channel numbers spread out to F entries first, so the same plain loop serves S = 1 (where
// it runs along the channels) and S = H·W (along the pixels), and vectorises in both.
#include "minigrad/nn/batchnorm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/backend.hpp"
#include "python_float.hpp"

namespace minigrad::nn {

namespace {
// x's gradient buffer for the backward below, which adds into every element of it; `fresh` is
// true when those elements are zeros never written (a new buffer, or one zero_grad() left to the
// backend: backend.hpp, zero_later). Then each value is added to 0 rather than read, the same
// numbers as grad_buffer() and +=, without a pass of zeros over an activation-sized buffer.
struct WholeGrad {
  float* data;
  bool fresh;
};
WholeGrad whole_grad_buffer(const Tensor& t) {
  TensorImpl* impl = t.impl();
  if (!impl->grad) {
    impl->grad = Tensor::empty(impl->shape).impl_ptr();
    backend::zero_later(impl->grad->storage->data(), impl->grad->storage->size());
  }
  float* data = impl->grad->storage->data();
  return {data, backend::take_zeros(data, impl->grad->storage->size())};
}

// Per-position sums folded into per-channel sums, for channels [c0, c1): channel c owns positions
// c·S .. c·S+S-1, and its sum starts at 0 and adds them in order.
void per_channel(const std::vector<double>& by_position, int64_t c0, int64_t c1, int64_t S,
                 std::vector<double>& out) {
  for (int64_t c = c0; c < c1; ++c) {
    out[c] = 0.0;
    for (int64_t s = 0; s < S; ++s) out[c] += by_position[c * S + s];
  }
}

// A per-channel value repeated for each of the S positions of channels [c0, c1) (F = C·S).
template <class Out, class In>
void per_position(const std::vector<In>& by_channel, int64_t c0, int64_t c1, int64_t S,
                  std::vector<Out>& out) {
  for (int64_t c = c0; c < c1; ++c)
    for (int64_t s = 0; s < S; ++s) out[c * S + s] = static_cast<Out>(by_channel[c]);
}
template <class Out = float, class In>
std::vector<Out> per_position(const std::vector<In>& by_channel, int64_t S) {
  const auto C = static_cast<int64_t>(by_channel.size());
  std::vector<Out> out(static_cast<size_t>(C * S));
  per_position(by_channel, 0, C, S, out);
  return out;
}

// Calls pass(j0, j1) for the positions [j0, j1) of blocks of whole channels among [c0, c1), at
// most kBlockPositions positions each (one channel when S is larger). A pass over one block's N
// rows keeps that block's per-position sums in the first-level cache, where the sums of all F
// positions (a 64x32x28x28 input has F = 25,088) would not fit. Each position is summed in the
// same order.
constexpr int64_t kBlockPositions = 1024;
template <class Pass>
void by_channel_blocks(int64_t c0, int64_t c1, int64_t S, Pass pass) {
  const int64_t channels = std::max<int64_t>(1, kBlockPositions / S);
  for (int64_t c = c0; c < c1; c += channels) pass(c * S, std::min(c1, c + channels) * S);
}

// Calls step(c0, c1) for groups of whole channels, one block each. A channel's statistics and
// gradients depend on its own values alone, so a group runs every pass while its N·S values are
// in the second-level cache: memory is read once, not once a pass (a 64x32x28x28 input is 6.4 MB,
// one channel of it 200 KB). Synchronised, the processes exchange every channel's sums in one
// reduce between the passes, so there is one group: all the channels.
template <class Step>
void by_channel_groups(int64_t C, int64_t S, bool all_at_once, Step step) {
  if (all_at_once) return step(0, C);
  by_channel_blocks(0, C, S, [&](int64_t j0, int64_t j1) { step(j0 / S, j1 / S); });
}
}  // namespace

BatchNorm::BatchNorm(const char* name, int64_t num_features, BatchNormOptions options)
    : num_features_(num_features), options_(options) {
  if (num_features <= 0)
    throw std::invalid_argument(
        fmt::format("{}: num_features must be positive, got {}", name, num_features));
  if (!(options.eps > 0.0f))
    throw std::invalid_argument(fmt::format(
        "{}: eps must be positive, got {} (HINT: PyTorch's default is 1e-5)", name, options.eps));
  if (options.momentum && !(*options.momentum >= 0.0f && *options.momentum <= 1.0f))
    throw std::invalid_argument(
        fmt::format("{}: momentum must be in [0, 1] or nullopt, got {} (HINT: PyTorch's 0.1 is "
                    "Keras' 0.9: it weights the new batch)",
                    name, *options.momentum));
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

Tensor BatchNorm1d::forward(const Tensor& x) {
  const int64_t C = num_features();
  if (x.dim() != 2 || x.size(1) != C)
    throw std::invalid_argument(fmt::format(
        "BatchNorm1d({}): expected input of shape [N, {}] but got {} (HINT: the layer before it "
        "must output {} features; images (N, C, H, W) need BatchNorm2d)",
        C, C, shape_str(x.shape()), C));
  return normalize(x, x.size(0), 1);
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  const int64_t C = num_features();
  if (x.dim() != 4 || x.size(1) != C)
    throw std::invalid_argument(fmt::format(
        "BatchNorm2d({}): expected input of shape [N, {}, H, W] but got {} (HINT: the layer "
        "before it must output {} channels; a flat (N, C) input needs BatchNorm1d)",
        C, C, shape_str(x.shape()), C));
  return normalize(x, x.size(0), x.size(2) * x.size(3));
}

// x: (N, C, S) -> y: (N, C, S), per channel c over its M = N·S values:
//   batch statistics:   mu = mean x[·,c,·],  var = mean (x[·,c,·] - mu)²  (biased)
//   running statistics: mu = running_mean[c], var = running_var[c]         (eval)
//   xhat = (x - mu)·invstd, invstd = 1/sqrt(var + eps);  y = γ·xhat + β
// Synchronised (all_reduce_ set, training): Σ over every process's rows, M the sum of their M.
Tensor BatchNorm::normalize(const Tensor& x, int64_t N, int64_t S) {
  const int64_t C = num_features_, F = C * S;
  const bool batch_stats = is_training() || !options_.track_running_stats;
  const bool sync = all_reduce_ && is_training();
  // Adds v up across processes when synchronised; a no-op otherwise.
  const AllReduce reduce = sync ? all_reduce_ : AllReduce([](std::span<double>) {});
  int64_t M = N * S;  // synchronised: every process's values, known after the first reduce
  auto check_values = [&] {
    if (batch_stats && M <= 1)
      throw std::invalid_argument(fmt::format(
          "Expected more than 1 value per channel when training, got input size {} (HINT: a "
          "batch of one row has no variance; drop the last incomplete batch, use a larger batch, "
          "or call eval() to use the running statistics)",
          shape_str(x.shape())));
  };
  if (!sync) check_values();

  const float* xs = x.data();
  std::vector<double> sum(static_cast<size_t>(C)), sq(static_cast<size_t>(C));
  std::vector<float> mu(static_cast<size_t>(C)), invstd(static_cast<size_t>(C));
  std::vector<float> mean(static_cast<size_t>(F)), is(static_cast<size_t>(F));  // per position
  Tensor weight = weight_, bias = bias_;
  Tensor y = Tensor::empty(x.shape());
  float* ys = y.data();
  const std::vector<float> g =
      options_.affine ? per_position(weight_.to_vector(), S) : std::vector<float>();
  const std::vector<float> b =
      options_.affine ? per_position(bias_.to_vector(), S) : std::vector<float>();
  // xhat is not stored: the backward computes it again from x, mu and invstd, the same float
  // operations, which costs less than writing it out here and reading it back there.
  // One plain loop per case (no branch inside), so each vectorises.
  auto normalize_channels = [&](int64_t c0, int64_t c1) {
    per_position(mu, c0, c1, S, mean);
    per_position(invstd, c0, c1, S, is);
    by_channel_blocks(c0, c1, S, [&](int64_t j0, int64_t j1) {
      for (int64_t i = 0; i < N; ++i) {
        const float* xr = xs + i * F;
        float* yr = ys + i * F;
        if (options_.affine)
          for (int64_t j = j0; j < j1; ++j) yr[j] = g[j] * ((xr[j] - mean[j]) * is[j]) + b[j];
        else
          for (int64_t j = j0; j < j1; ++j) yr[j] = (xr[j] - mean[j]) * is[j];
      }
    });
  };
  if (batch_stats) {
    const bool update_running = is_training() && options_.track_running_stats;
    double f = 0.0;
    if (update_running) {
      float& tracked = num_batches_tracked_.data()[0];
      tracked += 1.0f;
      f = options_.momentum ? *options_.momentum : 1.0 / tracked;
    }
    // Two passes in double: the one-pass E[x²] - E[x]² loses every digit when |mean| >> std.
    std::vector<double> acc(static_cast<size_t>(F), 0.0), mean_f(static_cast<size_t>(F));
    by_channel_groups(C, S, sync, [&](int64_t c0, int64_t c1) {
      by_channel_blocks(c0, c1, S, [&](int64_t j0, int64_t j1) {
        for (int64_t i = 0; i < N; ++i)
          for (int64_t j = j0; j < j1; ++j) acc[j] += xs[i * F + j];
      });
      per_channel(acc, c0, c1, S, sum);
      if (sync) {  // one reduce for the sums and the count: each call is a wait for every process
        sum.push_back(static_cast<double>(M));
        reduce(sum);
        M = static_cast<int64_t>(sum.back());
        sum.pop_back();
        check_values();
      }
      for (int64_t c = c0; c < c1; ++c) sum[c] /= static_cast<double>(M);
      per_position(sum, c0, c1, S, mean_f);
      std::fill(acc.begin() + c0 * S, acc.begin() + c1 * S, 0.0);
      by_channel_blocks(c0, c1, S, [&](int64_t j0, int64_t j1) {
        for (int64_t i = 0; i < N; ++i)
          for (int64_t j = j0; j < j1; ++j) {
            const double d = xs[i * F + j] - mean_f[j];
            acc[j] += d * d;
          }
      });
      per_channel(acc, c0, c1, S, sq);
      reduce(sq);
      for (int64_t c = c0; c < c1; ++c) {
        const double var = sq[c] / static_cast<double>(M);
        mu[c] = static_cast<float>(sum[c]);
        invstd[c] = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(options_.eps)));
      }
      // running = (1 - f)·running + f·batch, with the UNBIASED variance var·M/(M-1); f is the
      // momentum, or 1/num_batches_tracked (a cumulative average) when momentum is nullopt.
      if (update_running) {
        float* rm = running_mean_.data();
        float* rv = running_var_.data();
        for (int64_t c = c0; c < c1; ++c) {
          const double unbiased = sq[c] / static_cast<double>(M - 1);
          rm[c] = static_cast<float>((1.0 - f) * rm[c] + f * sum[c]);
          rv[c] = static_cast<float>((1.0 - f) * rv[c] + f * unbiased);
        }
      }
      normalize_channels(c0, c1);
    });
    if (update_running) {
      running_mean_.bump_version();
      running_var_.bump_version();
      num_batches_tracked_.bump_version();
    }
  } else {
    const float* rm = running_mean_.data();
    const float* rv = running_var_.data();
    for (int64_t c = 0; c < C; ++c) {
      mu[c] = rm[c];
      invstd[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(rv[c]) + options_.eps));
    }
    normalize_channels(0, C);
  }

  // Backward, with dxhat = dy·γ and sums Σ over a channel's M values (running statistics are
  // never differentiated):
  //   batch statistics (mu and var depend on x, hence the two correction terms):
  //     dx = invstd/M · (M·dxhat - Σ dxhat - xhat·Σ(dxhat·xhat))
  //   running statistics (constants):  dx = dxhat·invstd
  //   dγ = Σ dy·xhat      dβ = Σ dy
  // Synchronised, dx's two sums and M run over every process's rows; dγ and dβ stay local (the
  // data-parallel step adds the parameters' gradients up across processes afterwards).
  auto backward = [x, weight, bias, mean = std::move(mean), is = std::move(is), batch_stats, sync,
                   N, C, S, M, reduce](const Tensor& dy) {
    const int64_t F = C * S;
    const float* d = dy.data();
    const float* xs = x.data();
    // xhat at position k = i·F + j, exactly as the forward computed it
    auto xhat = [&](int64_t k, int64_t j) { return (xs[k] - mean[j]) * is[j]; };
    float* dgamma = weight.defined() && weight.requires_grad() ? grad_buffer(weight) : nullptr;
    float* dbeta = bias.defined() && bias.requires_grad() ? grad_buffer(bias) : nullptr;
    // fresh: dx's zeros were never written, and are not read
    const WholeGrad grad_x = x.requires_grad() ? whole_grad_buffer(x) : WholeGrad{nullptr, false};
    float* dx = grad_x.data;
    const bool fresh = grad_x.fresh;
    const float* gam = weight.defined() ? weight.data() : nullptr;
    const double m = static_cast<double>(M);
    std::vector<double> acc_dy(static_cast<size_t>(F), 0.0),
        acc_dy_xhat(static_cast<size_t>(F), 0.0);
    std::vector<double> sum_dy(static_cast<size_t>(C)), sum_dy_xhat(static_cast<size_t>(C));
    std::vector<double> gain(static_cast<size_t>(C)), mean_dxhat(static_cast<size_t>(C), 0.0),
        mean_dxhat_xhat(static_cast<size_t>(C), 0.0);
    std::vector<float> gn(static_cast<size_t>(F)), md(static_cast<size_t>(F)),
        mdx(static_cast<size_t>(F));
    by_channel_groups(C, S, batch_stats && sync, [&](int64_t c0, int64_t c1) {
      // One pass for the two sums everything needs, per position and then per channel (double).
      by_channel_blocks(c0, c1, S, [&](int64_t j0, int64_t j1) {
        for (int64_t i = 0; i < N; ++i)
          for (int64_t j = j0; j < j1; ++j) {
            acc_dy[j] += d[i * F + j];
            acc_dy_xhat[j] += static_cast<double>(d[i * F + j]) * xhat(i * F + j, j);
          }
      });
      per_channel(acc_dy, c0, c1, S, sum_dy);
      per_channel(acc_dy_xhat, c0, c1, S, sum_dy_xhat);
      for (int64_t c = c0; c < c1; ++c) {
        if (dgamma) dgamma[c] += static_cast<float>(sum_dy_xhat[c]);
        if (dbeta) dbeta[c] += static_cast<float>(sum_dy[c]);
      }
      if (dx == nullptr) return;
      if (batch_stats && sync) {  // dx needs the sums over the whole batch: one reduce for both
        std::vector<double> both(sum_dy);
        both.insert(both.end(), sum_dy_xhat.begin(), sum_dy_xhat.end());
        reduce(both);
        std::copy_n(both.begin(), C, sum_dy.begin());
        std::copy_n(both.begin() + C, C, sum_dy_xhat.begin());
      }
      // dxhat = dy·γ, so Σ dxhat = γ·Σ dy and Σ dxhat·xhat = γ·Σ dy·xhat. Per channel:
      //   dx = invstd·(dxhat - mean_dxhat - xhat·mean_dxhat_xhat)   (the 1/M moved inside)
      // With running statistics both means drop out.
      for (int64_t c = c0; c < c1; ++c) {
        gain[c] = gam ? gam[c] : 1.0;
        if (!batch_stats) continue;
        mean_dxhat[c] = gain[c] * sum_dy[c] / m;
        mean_dxhat_xhat[c] = gain[c] * sum_dy_xhat[c] / m;
      }
      per_position(gain, c0, c1, S, gn);
      per_position(mean_dxhat, c0, c1, S, md);
      per_position(mean_dxhat_xhat, c0, c1, S, mdx);
      by_channel_blocks(c0, c1, S, [&](int64_t j0, int64_t j1) {
        for (int64_t i = 0; i < N; ++i) {
          const int64_t k0 = i * F;
          if (!batch_stats)
            for (int64_t j = j0; j < j1; ++j)
              dx[k0 + j] = (fresh ? 0.0f : dx[k0 + j]) + d[k0 + j] * gn[j] * is[j];
          else
            for (int64_t j = j0; j < j1; ++j)
              dx[k0 + j] = (fresh ? 0.0f : dx[k0 + j]) +
                           is[j] * (d[k0 + j] * gn[j] - md[j] - xhat(k0 + j, j) * mdx[j]);
        }
      });
    });
  };
  return record(y, "batch_norm", {x, weight, bias}, std::move(backward));
}

std::string BatchNorm::extra_repr() const {
  return fmt::format(
      "{}, eps={}, momentum={}, affine={}, track_running_stats={}", num_features_,
      py_float(options_.eps), options_.momentum ? py_float(*options_.momentum) : "None",
      options_.affine ? "True" : "False", options_.track_running_stats ? "True" : "False");
}

}  // namespace minigrad::nn
