// BatchNorm1d and BatchNorm2d: batch statistics, running averages and the fused backward, written
// once for an input seen as (N, C, S). Every loop runs over a sample's F = C·S values with the
// per-channel numbers spread out to F entries first, so the same plain loop serves S = 1 (where
// it runs along the channels) and S = H·W (along the pixels), and vectorises in both.
// NO_OVERLAP before each such loop tells the compiler that what it writes (y, dx, the sums)
// overlaps nothing it reads, which it cannot prove: without it every row's loop began with a
// check for overlap, and BatchNorm1d's rows are short (64-128 values), so the checks cost 0.9% of
// a batch-32 training step (docs/benchmarks.md). The arithmetic is the same either way.
#include "minigrad/nn/batchnorm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <span>
#include <stdexcept>
#include <utility>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/backend.hpp"
#include "minigrad/backend/scratch.hpp"
#include "python_float.hpp"

// The loop that follows writes nothing it also reads through another pointer (a hint to GCC; see
// the top of this file). Other compilers get no hint: clang's nearest one,
// vectorize(assume_safety), is an error wherever it cannot vectorise, as in the sanitizer build.
#if defined(__GNUC__) && !defined(__clang__)
#define NO_OVERLAP _Pragma("GCC ivdep")
#else
#define NO_OVERLAP
#endif

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
  float* data = grad_buffer_for_kernel(t);
  return {data, backend::take_zeros(data, t.impl()->grad->storage->size())};
}

// Per-position sums (F) folded into per-channel sums (C): channel c owns positions c·S .. c·S+S-1.
std::vector<double> per_channel(const backend::Scratch<double>& by_position, int64_t C, int64_t S) {
  std::vector<double> out(static_cast<size_t>(C), 0.0);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t s = 0; s < S; ++s) out[c] += by_position[c * S + s];
  return out;
}

// A per-channel value (C) repeated for each of its S positions (F = C·S). With S = 1 (BatchNorm1d)
// that is a plain conversion, which a loop over s of length 1 would not vectorise. The F values,
// like the sums per position, live in the backend's memory (scratch.hpp).
template <class Out = float, class Values>
backend::Scratch<Out> per_position(const Values& by_channel, int64_t S) {
  const auto C = static_cast<int64_t>(by_channel.size());
  backend::Scratch<Out> out(C * S);
  if (S == 1) {
    std::copy_n(by_channel.begin(), C, out.data());
    return out;
  }
  for (int64_t c = 0; c < C; ++c)
    for (int64_t s = 0; s < S; ++s) out[c * S + s] = static_cast<Out>(by_channel[c]);
  return out;
}

// Calls pass(j0, j1) for the positions [j0, j1) of blocks of whole channels, at most
// kBlockPositions positions each (one channel when S is larger). A pass over one block's N rows
// keeps that block's per-position sums in the first-level cache, where the sums of all F positions
// (a 64x32x28x28 input has F = 25,088) would not fit. Each position is summed in the same order.
// The blocks touch disjoint positions, so backend::parallel_rows may give some of them to a
// second thread: each block is still summed whole, in the same order, by one thread.
template <class Pass>
void by_channel_blocks(int64_t N, int64_t C, int64_t S, const Pass& pass) {
  constexpr int64_t kBlockPositions = 1024;
  const int64_t channels = std::max<int64_t>(1, kBlockPositions / S);
  const int64_t blocks = (C + channels - 1) / channels;
  backend::parallel_rows(blocks, N * channels * S, [&](int64_t first, int64_t last) {
    for (int64_t b = first; b < last; ++b)
      pass(b * channels * S, std::min(C, (b + 1) * channels) * S);
  });
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
  std::vector<float> mu(static_cast<size_t>(C)), invstd(static_cast<size_t>(C));
  if (batch_stats) {
    // Two passes in double: the one-pass E[x²] - E[x]² loses every digit when |mean| >> std.
    backend::Scratch<double> acc(F, 0.0);  // F values: in the backend's memory (scratch.hpp)
    by_channel_blocks(N, C, S, [&](int64_t j0, int64_t j1) {
      for (int64_t i = 0; i < N; ++i) {
        NO_OVERLAP
        for (int64_t j = j0; j < j1; ++j) acc[j] += xs[i * F + j];
      }
    });
    std::vector<double> sum = per_channel(acc, C, S);
    if (sync) {  // one reduce for the sums and the count: each call is a wait for every process
      sum.push_back(static_cast<double>(M));
      reduce(sum);
      M = static_cast<int64_t>(sum.back());
      sum.pop_back();
      check_values();
    }
    for (int64_t c = 0; c < C; ++c) sum[c] /= static_cast<double>(M);
    const backend::Scratch<double> mean_f = per_position<double>(sum, S);
    std::fill_n(acc.data(), F, 0.0);
    by_channel_blocks(N, C, S, [&](int64_t j0, int64_t j1) {
      for (int64_t i = 0; i < N; ++i) {
        NO_OVERLAP
        for (int64_t j = j0; j < j1; ++j) {
          const double d = xs[i * F + j] - mean_f[j];
          acc[j] += d * d;
        }
      }
    });
    std::vector<double> sq = per_channel(acc, C, S);
    reduce(sq);
    for (int64_t c = 0; c < C; ++c) {
      const double var = sq[c] / static_cast<double>(M);
      mu[c] = static_cast<float>(sum[c]);
      invstd[c] = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(options_.eps)));
    }
    if (is_training() && options_.track_running_stats) {
      // running = (1 - f)·running + f·batch, with the UNBIASED variance var·M/(M-1); f is the
      // momentum, or 1/num_batches_tracked (a cumulative average) when momentum is nullopt.
      float& tracked = num_batches_tracked_.data()[0];
      tracked += 1.0f;
      const double f = options_.momentum ? *options_.momentum : 1.0 / tracked;
      float* rm = running_mean_.data();
      float* rv = running_var_.data();
      for (int64_t c = 0; c < C; ++c) {
        const double unbiased = sq[c] / static_cast<double>(M - 1);
        rm[c] = static_cast<float>((1.0 - f) * rm[c] + f * sum[c]);
        rv[c] = static_cast<float>((1.0 - f) * rv[c] + f * unbiased);
      }
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
  }

  // xhat is not stored: the backward computes it again from x, mu and invstd, the same float
  // operations, which costs less than writing it out here and reading it back there.
  Tensor weight = weight_, bias = bias_;
  Tensor y = Tensor::empty(x.shape());
  float* ys = y.data();
  // mean and invstd per position, shared with the backward
  using PerPosition = std::shared_ptr<const backend::Scratch<float>>;
  const PerPosition mean_at = std::make_shared<const backend::Scratch<float>>(per_position(mu, S));
  const PerPosition is_at =
      std::make_shared<const backend::Scratch<float>>(per_position(invstd, S));
  const backend::Scratch<float>&mean = *mean_at, &is = *is_at;
  const backend::Scratch<float> g = per_position(
      options_.affine ? std::span<const float>(weight_.data(), C) : std::span<const float>(), S);
  const backend::Scratch<float> b = per_position(
      options_.affine ? std::span<const float>(bias_.data(), C) : std::span<const float>(), S);
  // One plain loop per case (no branch inside), so each vectorises.
  by_channel_blocks(N, C, S, [&](int64_t j0, int64_t j1) {
    for (int64_t i = 0; i < N; ++i) {
      const float* xr = xs + i * F;
      float* yr = ys + i * F;
      if (options_.affine) {
        NO_OVERLAP
        for (int64_t j = j0; j < j1; ++j) yr[j] = g[j] * ((xr[j] - mean[j]) * is[j]) + b[j];
      } else {
        NO_OVERLAP
        for (int64_t j = j0; j < j1; ++j) yr[j] = (xr[j] - mean[j]) * is[j];
      }
    }
  });

  // Backward, with dxhat = dy·γ and sums Σ over a channel's M values (running statistics are
  // never differentiated):
  //   batch statistics (mu and var depend on x, hence the two correction terms):
  //     dx = invstd/M · (M·dxhat - Σ dxhat - xhat·Σ(dxhat·xhat))
  //   running statistics (constants):  dx = dxhat·invstd
  //   dγ = Σ dy·xhat      dβ = Σ dy
  // Synchronised, dx's two sums and M run over every process's rows; dγ and dβ stay local (the
  // data-parallel step adds the parameters' gradients up across processes afterwards).
  auto backward = [x, weight, bias, mean_at, is_at, batch_stats, sync, N, C, S, M,
                   reduce](const Tensor& dy) {
    const int64_t F = C * S;
    const backend::Scratch<float>&mean = *mean_at, &is = *is_at;
    const float* d = dy.data();
    const float* xs = x.data();
    // xhat at position k = i·F + j, exactly as the forward computed it
    auto xhat = [&](int64_t k, int64_t j) { return (xs[k] - mean[j]) * is[j]; };
    // One pass for the two sums everything needs, per position and then per channel (double).
    backend::Scratch<double> acc_dy(F, 0.0), acc_dy_xhat(F, 0.0);
    by_channel_blocks(N, C, S, [&](int64_t j0, int64_t j1) {
      for (int64_t i = 0; i < N; ++i) {
        NO_OVERLAP
        for (int64_t j = j0; j < j1; ++j) {
          acc_dy[j] += d[i * F + j];
          acc_dy_xhat[j] += static_cast<double>(d[i * F + j]) * xhat(i * F + j, j);
        }
      }
    });
    std::vector<double> sum_dy = per_channel(acc_dy, C, S);
    std::vector<double> sum_dy_xhat = per_channel(acc_dy_xhat, C, S);
    if (weight.defined() && weight.requires_grad()) {
      float* dgamma = grad_buffer(weight);
      for (int64_t c = 0; c < C; ++c) dgamma[c] += static_cast<float>(sum_dy_xhat[c]);
    }
    if (bias.defined() && bias.requires_grad()) {
      float* dbeta = grad_buffer(bias);
      for (int64_t c = 0; c < C; ++c) dbeta[c] += static_cast<float>(sum_dy[c]);
    }
    if (!x.requires_grad()) return;
    if (batch_stats && sync) {  // dx needs the sums over the whole batch: one reduce for both
      std::vector<double> both(sum_dy);
      both.insert(both.end(), sum_dy_xhat.begin(), sum_dy_xhat.end());
      reduce(both);
      std::copy_n(both.begin(), C, sum_dy.begin());
      std::copy_n(both.begin() + C, C, sum_dy_xhat.begin());
    }
    const WholeGrad grad_x = whole_grad_buffer(x);  // fresh: zeros never written, not read
    float* dx = grad_x.data;
    const bool fresh = grad_x.fresh;
    const float* gam = weight.defined() ? weight.data() : nullptr;
    // dxhat = dy·γ, so Σ dxhat = γ·Σ dy and Σ dxhat·xhat = γ·Σ dy·xhat. Per channel:
    //   dx = invstd·(dxhat - mean_dxhat - xhat·mean_dxhat_xhat)   (the 1/M moved inside)
    // With running statistics both means drop out.
    // Per channel (a loop that vectorises), then repeated for each channel's S positions.
    const double m = static_cast<double>(M);
    std::vector<float> gain_c(static_cast<size_t>(C)), md_c(static_cast<size_t>(C), 0.0f),
        mdx_c(static_cast<size_t>(C), 0.0f);
    for (int64_t c = 0; c < C; ++c) {
      const double gain = gam ? gam[c] : 1.0;
      gain_c[c] = static_cast<float>(gain);
      if (batch_stats) {
        md_c[c] = static_cast<float>(gain * sum_dy[c] / m);
        mdx_c[c] = static_cast<float>(gain * sum_dy_xhat[c] / m);
      }
    }
    const backend::Scratch<float> gn = per_position(gain_c, S), md = per_position(md_c, S),
                                  mdx = per_position(mdx_c, S);
    if (!batch_stats) {
      for (int64_t i = 0; i < N; ++i)
        for (int64_t j = 0; j < F; ++j) {
          const int64_t k = i * F + j;
          dx[k] = (fresh ? 0.0f : dx[k]) + d[k] * gn[j] * is[j];
        }
      return;
    }
    by_channel_blocks(N, C, S, [&](int64_t j0, int64_t j1) {
      for (int64_t i = 0; i < N; ++i) {
        NO_OVERLAP
        for (int64_t j = j0; j < j1; ++j) {
          const int64_t k = i * F + j;
          dx[k] = (fresh ? 0.0f : dx[k]) + is[j] * (d[k] * gn[j] - md[j] - xhat(k, j) * mdx[j]);
        }
      }
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
