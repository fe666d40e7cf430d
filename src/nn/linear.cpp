// Linear: PyTorch's default initialisation and a shape-checked call to minigrad::linear.
#include "minigrad/nn/linear.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "minigrad/ops/matmul.hpp"

namespace minigrad::nn {

Linear::Linear(int64_t in_features, int64_t out_features, Generator& gen)
    : Linear(in_features, out_features, true, gen) {}

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, Generator& gen)
    : in_features_(in_features), out_features_(out_features) {
  if (in_features <= 0 || out_features <= 0)
    throw std::invalid_argument(
        fmt::format("Linear: in_features and out_features must be positive, got {} and {}",
                    in_features, out_features));
  // kaiming_uniform_(a=sqrt(5)) in PyTorch reduces to U(-1/sqrt(in), 1/sqrt(in)); the bias uses
  // the same bound. Weight first, then bias: the order PyTorch draws them in.
  const float bound = 1.0f / std::sqrt(static_cast<float>(in_features));
  weight_ = register_parameter("weight",
                               Tensor::uniform({out_features, in_features}, -bound, bound, gen));
  if (bias) bias_ = register_parameter("bias", Tensor::uniform({out_features}, -bound, bound, gen));
}

// x: (..., in), weight: (out, in), bias: (out) -> y: (..., out) = x·weightᵀ + bias.
// The gradients (dx = dy·weight, dweight = dyᵀ·x, dbias = Σ_rows dy) live in minigrad::linear.
Tensor Linear::forward(const Tensor& x) {
  if (x.dim() == 0 || x.size(-1) != in_features_)
    throw std::invalid_argument(fmt::format(
        "Linear({}): expected input of shape [..., {}] but got {} (HINT: the last dim holds the "
        "features: flatten each sample to {} values, or build the layer with in_features={})",
        extra_repr(), in_features_, shape_str(x.shape()), in_features_,
        x.dim() >= 1 ? x.size(-1) : 1));
  return linear(x, weight_, bias_);
}

std::string Linear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", in_features_, out_features_,
                     bias_.defined() ? "True" : "False");
}

}  // namespace minigrad::nn
