// BatchNorm1d over (N, C) and BatchNorm2d over (N, C, H, W), exactly as torch.nn: per channel,
// statistics over every other dimension; biased batch variance to normalise, unbiased variance
// into running_var, running statistics in eval. Both are one core (BatchNorm, like PyTorch's
// _BatchNorm) that sees the input as (N, C, S), S = H·W or 1; forward and backward are one node.
// With a set_all_reduce() hook it is SyncBatchNorm: the sums behind the statistics and the
// backward are added up across processes (docs/distributed.md).
// Leaves out: (N, C, L) inputs for BatchNorm1d, 3-D inputs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "minigrad/nn/module.hpp"

namespace minigrad::nn {

struct BatchNormOptions {
  float eps = 1e-5f;
  /// Weight of the new batch in the running averages; nullopt gives the cumulative average
  /// (factor 1/num_batches_tracked), like momentum=None in PyTorch.
  std::optional<float> momentum = 0.1f;
  /// Learnable per-channel scale `weight` (γ = 1) and shift `bias` (β = 0).
  bool affine = true;
  /// Keep running_mean/running_var/num_batches_tracked buffers and use them in eval. When false
  /// there are no buffers and batch statistics are used in eval too.
  bool track_running_stats = true;
};

/// The part BatchNorm1d and BatchNorm2d share: parameters, buffers and the normalisation of an
/// input seen as (N, C, S). Not used directly; the subclasses check their own input's shape.
class BatchNorm : public Module {
 public:
  /// "128, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True".
  std::string extra_repr() const override;

  int64_t num_features() const { return num_features_; }
  const BatchNormOptions& options() const { return options_; }
  /// γ (C) and β (C), handles sharing the module's storage; undefined when affine is false.
  Tensor weight() const { return weight_; }
  Tensor bias() const { return bias_; }
  /// (C), (C) and a scalar whole number; undefined when track_running_stats is false.
  Tensor running_mean() const { return running_mean_; }
  Tensor running_var() const { return running_var_; }
  Tensor num_batches_tracked() const { return num_batches_tracked_; }

  /// Adds a buffer up element-wise across every process of a data-parallel job, in place; each
  /// process must call it at the same point with the same length.
  using AllReduce = std::function<void(std::span<double>)>;
  /// Synchronised batch statistics (PyTorch's SyncBatchNorm): in training the batch is the union
  /// of every process's rows, and the backward's sums are reduced the same way. Empty: local.
  void set_all_reduce(AllReduce all_reduce) { all_reduce_ = std::move(all_reduce); }
  /// Whether set_all_reduce() gave it a hook.
  bool synchronised() const { return static_cast<bool>(all_reduce_); }

 protected:
  /// `name` is the subclass's type name, for the constructor's errors.
  BatchNorm(const char* name, int64_t num_features, BatchNormOptions options);
  /// x holds N·C·S values laid out (N, C, S); y has x's shape. Uses (and in training updates)
  /// the statistics of each channel c over its N·S values.
  Tensor normalize(const Tensor& x, int64_t N, int64_t S);

 private:
  int64_t num_features_;
  BatchNormOptions options_;
  Tensor weight_, bias_;
  Tensor running_mean_, running_var_, num_batches_tracked_;
  AllReduce all_reduce_;
};

class BatchNorm1d : public BatchNorm {
 public:
  /// BatchNorm1d(128) or BatchNorm1d(128, {.momentum = std::nullopt}).
  explicit BatchNorm1d(int64_t num_features, BatchNormOptions options = {})
      : BatchNorm("BatchNorm1d", num_features, options) {}
  /// x (N, C) -> y (N, C). With batch statistics (training, or no running stats) N must be > 1.
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "BatchNorm1d"; }
};

class BatchNorm2d : public BatchNorm {
 public:
  /// BatchNorm2d(64): one mean and variance per channel, over the batch and every pixel.
  explicit BatchNorm2d(int64_t num_features, BatchNormOptions options = {})
      : BatchNorm("BatchNorm2d", num_features, options) {}
  /// x (N, C, H, W) -> y (N, C, H, W). With batch statistics N·H·W must be > 1.
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "BatchNorm2d"; }
};

}  // namespace minigrad::nn
