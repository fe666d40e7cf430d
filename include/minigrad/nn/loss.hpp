// Loss functions: CrossEntropyLoss, NLLLoss, BCEWithLogitsLoss, MSELoss, L1 and Huber, each one
// fused graph node.
// Losses are small value types, not Modules: they take two tensors (input, target), own no
// parameters and have no train/eval behaviour, so the Module contract would only get in the way.
// The free functions (cross_entropy, ...) are torch.nn.functional's; the classes hold options.
// Leaves out: class weights, pos_weight, probability (soft) targets for cross entropy.
#pragma once

#include <cstdint>
#include <string>

#include "minigrad/tensor.hpp"

namespace minigrad::nn {

/// How per-element losses are combined: kept as they are, averaged, or summed.
enum class Reduction { None, Mean, Sum };

struct CrossEntropyOptions {
  Reduction reduction = Reduction::Mean;
  /// Rows whose target equals this contribute nothing and are left out of the mean.
  int64_t ignore_index = -100;
  /// ε in [0, 1]: the target becomes (1-ε)·onehot + ε/C everywhere.
  float label_smoothing = 0.0f;
};

/// input (N, C) logits, target (N) class indices stored as whole floats -> loss () or (N).
/// l_n = (1-ε)·(-log p[n, y_n]) + ε/C·Σ_c(-log p[n, c]) with log p from a stable log-softmax.
/// Mean divides by the number of rows not ignored; when every row is ignored that is 0/0 = NaN,
/// as in PyTorch. A target that is not a whole number, or lies outside [0, C) and is not
/// ignore_index, throws naming the row.
Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const CrossEntropyOptions& options = {});

struct NLLLossOptions {
  Reduction reduction = Reduction::Mean;
  /// Rows whose target equals this contribute nothing and are left out of the mean.
  int64_t ignore_index = -100;
};

/// input (N, C) log-probabilities (log_softmax's output), target (N) class indices stored as
/// whole floats -> loss () or (N). l_n = -input[n, y_n]; mean divides by the rows not ignored.
/// nll_loss(log_softmax(x, 1), y) equals cross_entropy(x, y). Targets are checked as there.
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& options = {});

/// input and target of the same shape -> loss () or that shape.
/// l = max(x, 0) - x·y + log(1 + exp(-|x|)): the same as BCE(sigmoid(x), y) but never log(0).
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        Reduction reduction = Reduction::Mean);

/// input and target of the same shape -> loss () or that shape. l = (x - y)².
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
/// input and target of the same shape -> loss () or that shape. l = |x - y|; the gradient at
/// x = y is 0, as PyTorch's sign(0).
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
/// input and target of the same shape -> loss () or that shape, with d = x - y:
/// l = d²/2 where |d| <= delta, else delta·(|d| - delta/2): squared near the target, linear far
/// from it, so outliers pull less than with MSE. delta must be positive.
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                  float delta = 1.0f);

/// "mean", "sum" or "none", as PyTorch spells the reduction.
std::string reduction_name(Reduction reduction);

class CrossEntropyLoss {
 public:
  CrossEntropyLoss() = default;
  /// CrossEntropyLoss({.label_smoothing = 0.1f}).
  explicit CrossEntropyLoss(const CrossEntropyOptions& options) : options_(options) {}
  /// logits (N, C), target (N) -> loss.
  Tensor forward(const Tensor& input, const Tensor& target) const {
    return cross_entropy(input, target, options_);
  }
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return forward(input, target);
  }
  const CrossEntropyOptions& options() const { return options_; }
  /// "CrossEntropyLoss()", as print() shows it in PyTorch.
  std::string repr() const { return "CrossEntropyLoss()"; }

 private:
  CrossEntropyOptions options_;
};

class NLLLoss {
 public:
  NLLLoss() = default;
  /// NLLLoss({.reduction = Reduction::Sum, .ignore_index = 0}).
  explicit NLLLoss(const NLLLossOptions& options) : options_(options) {}
  /// log-probabilities (N, C), target (N) -> loss.
  Tensor forward(const Tensor& input, const Tensor& target) const {
    return nll_loss(input, target, options_);
  }
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return forward(input, target);
  }
  const NLLLossOptions& options() const { return options_; }
  std::string repr() const { return "NLLLoss()"; }

 private:
  NLLLossOptions options_;
};

class BCEWithLogitsLoss {
 public:
  explicit BCEWithLogitsLoss(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  /// logits and {0, 1} (or soft) targets of the same shape -> loss.
  Tensor forward(const Tensor& input, const Tensor& target) const {
    return binary_cross_entropy_with_logits(input, target, reduction_);
  }
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return forward(input, target);
  }
  std::string repr() const { return "BCEWithLogitsLoss()"; }

 private:
  Reduction reduction_;
};

class MSELoss {
 public:
  explicit MSELoss(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) const {
    return mse_loss(input, target, reduction_);
  }
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return forward(input, target);
  }
  std::string repr() const { return "MSELoss()"; }

 private:
  Reduction reduction_;
};

class L1Loss {
 public:
  explicit L1Loss(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) const {
    return l1_loss(input, target, reduction_);
  }
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return forward(input, target);
  }
  std::string repr() const { return "L1Loss()"; }

 private:
  Reduction reduction_;
};

class HuberLoss {
 public:
  /// HuberLoss(Reduction::Mean, 0.5f); delta must be positive (checked when called).
  explicit HuberLoss(Reduction reduction = Reduction::Mean, float delta = 1.0f)
      : reduction_(reduction), delta_(delta) {}
  Tensor forward(const Tensor& input, const Tensor& target) const {
    return huber_loss(input, target, reduction_, delta_);
  }
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return forward(input, target);
  }
  float delta() const { return delta_; }
  std::string repr() const { return "HuberLoss()"; }

 private:
  Reduction reduction_;
  float delta_;
};

}  // namespace minigrad::nn
