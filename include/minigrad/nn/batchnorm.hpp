// BatchNorm1d over (N, C) inputs, exactly as torch.nn.BatchNorm1d: biased batch variance to
// normalise, unbiased variance into running_var, running statistics in eval. Forward and backward
// are fused into one graph node (the derivation is in the comment above the backward).
// Leaves out: (N, C, L) inputs, and sync across devices.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "minigrad/nn/module.hpp"

namespace minigrad::nn {

struct BatchNormOptions {
  float eps = 1e-5f;
  /// Weight of the new batch in the running averages; nullopt gives the cumulative average
  /// (factor 1/num_batches_tracked), like momentum=None in PyTorch.
  std::optional<float> momentum = 0.1f;
  /// Learnable per-feature scale `weight` (γ = 1) and shift `bias` (β = 0).
  bool affine = true;
  /// Keep running_mean/running_var/num_batches_tracked buffers and use them in eval. When false
  /// there are no buffers and batch statistics are used in eval too.
  bool track_running_stats = true;
};

class BatchNorm1d : public Module {
 public:
  /// BatchNorm1d(128) or BatchNorm1d(128, {.momentum = std::nullopt}).
  explicit BatchNorm1d(int64_t num_features, BatchNormOptions options = {});

  /// x (N, C) -> y (N, C). In training (or without running stats) normalises with the batch's
  /// statistics, which needs N > 1, and updates the running statistics.
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "BatchNorm1d"; }
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

 private:
  int64_t num_features_;
  BatchNormOptions options_;
  Tensor weight_, bias_;
  Tensor running_mean_, running_var_, num_batches_tracked_;
};

}  // namespace minigrad::nn
