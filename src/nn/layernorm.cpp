// LayerNorm: per-row statistics of x seen as (R, D), D = numel(normalized_shape), and the fused
// backward. Statistics are summed in double, so a row of large values with a small spread keeps
// its variance; everything stored is float.
#include "minigrad/nn/layernorm.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

#include "minigrad/autograd.hpp"
#include "python_float.hpp"

namespace minigrad::nn {

namespace {

// How Python prints a shape tuple: "(3,)" and "(2, 3)".
std::string py_tuple(const Shape& s) {
  if (s.size() == 1) return fmt::format("({},)", s[0]);
  return fmt::format("({})", fmt::join(s, ", "));
}

void check_shapes(const Tensor& x, const Shape& normalized, const Tensor& weight,
                  const Tensor& bias) {
  const size_t n = normalized.size();
  const Shape& xs = x.shape();
  if (xs.size() < n || !std::equal(normalized.begin(), normalized.end(), xs.end() - n))
    throw std::invalid_argument(fmt::format(
        "layer_norm: x is {} but normalized_shape is {}: x's last {} dim(s) must equal it (HINT: "
        "LayerNorm normalises over the trailing dims; build it with the sizes of x's last dims, "
        "e.g. LayerNorm({}))",
        shape_str(xs), shape_str(normalized), n, xs.empty() ? 1 : xs.back()));
  for (const auto& [t, name] : {std::pair{&weight, "weight"}, std::pair{&bias, "bias"}})
    if (t->defined() && t->shape() != normalized)
      throw std::invalid_argument(fmt::format(
          "layer_norm: {} is {} but normalized_shape is {} (HINT: weight and bias have exactly "
          "normalized_shape)",
          name, shape_str(t->shape()), shape_str(normalized)));
}

}  // namespace

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                  const Tensor& bias, float eps) {
  check_shapes(x, normalized_shape, weight, bias);
  // x: (R, D) row-major, one row per sample position; weight, bias: (D)
  const int64_t D = shape_numel(normalized_shape);
  const int64_t R = D == 0 ? 0 : x.numel() / D;
  Tensor y = Tensor::empty(x.shape());
  Tensor xhat = Tensor::empty(x.shape());  // saved for the backward
  std::vector<float> rstd(static_cast<size_t>(R));
  const float* xs = x.data();
  float* xh = xhat.data();
  float* ys = y.data();
  const float* g = weight.defined() ? weight.data() : nullptr;
  const float* b = bias.defined() ? bias.data() : nullptr;
  for (int64_t r = 0; r < R; ++r) {
    const float* xr = xs + r * D;
    double mean = 0, var = 0;  // biased: the mean of squared deviations, as PyTorch
    for (int64_t j = 0; j < D; ++j) mean += xr[j];
    mean /= static_cast<double>(D);
    for (int64_t j = 0; j < D; ++j) var += (xr[j] - mean) * (xr[j] - mean);
    var /= static_cast<double>(D);
    rstd[r] = static_cast<float>(1.0 / std::sqrt(var + eps));
    for (int64_t j = 0; j < D; ++j) {
      const float h = static_cast<float>((xr[j] - mean) * rstd[r]);
      xh[r * D + j] = h;
      ys[r * D + j] = (g ? g[j] * h : h) + (b ? b[j] : 0.0f);
    }
  }

  // With dxhat = dy·weight and means over a row's D values (mean and var depend on the row):
  //   dx      = rstd · (dxhat - mean(dxhat) - xhat · mean(dxhat · xhat))
  //   dweight = Σ_rows dy · xhat        dbias = Σ_rows dy
  auto backward = [x, weight, bias, xhat, rstd = std::move(rstd), R, D](const Tensor& dy) {
    const float* d = dy.data();
    const float* h = xhat.data();
    if (weight.defined() && weight.requires_grad()) {
      float* dweight = grad_buffer(weight);
      for (int64_t r = 0; r < R; ++r)
        for (int64_t j = 0; j < D; ++j) dweight[j] += d[r * D + j] * h[r * D + j];
    }
    if (bias.defined() && bias.requires_grad()) {
      float* dbias = grad_buffer(bias);
      for (int64_t r = 0; r < R; ++r)
        for (int64_t j = 0; j < D; ++j) dbias[j] += d[r * D + j];
    }
    if (!x.requires_grad()) return;
    float* dx = grad_buffer(x);
    const float* g = weight.defined() ? weight.data() : nullptr;
    std::vector<float> dxhat(static_cast<size_t>(D));
    for (int64_t r = 0; r < R; ++r) {
      double sum_dxhat = 0, sum_dxhat_xhat = 0;
      for (int64_t j = 0; j < D; ++j) {
        dxhat[j] = g ? d[r * D + j] * g[j] : d[r * D + j];
        sum_dxhat += dxhat[j];
        sum_dxhat_xhat += static_cast<double>(dxhat[j]) * h[r * D + j];
      }
      const double mean_dxhat = sum_dxhat / static_cast<double>(D);
      const double mean_dxhat_xhat = sum_dxhat_xhat / static_cast<double>(D);
      for (int64_t j = 0; j < D; ++j)
        dx[r * D + j] +=
            static_cast<float>(rstd[r] * (dxhat[j] - mean_dxhat - h[r * D + j] * mean_dxhat_xhat));
    }
  };
  return record(y, "layer_norm", {x, weight, bias}, std::move(backward));
}

LayerNorm::LayerNorm(Shape normalized_shape, LayerNormOptions options)
    : normalized_shape_(std::move(normalized_shape)), options_(options) {
  bool positive = !normalized_shape_.empty();
  for (int64_t s : normalized_shape_) positive = positive && s > 0;
  if (!positive)
    throw std::invalid_argument(fmt::format(
        "LayerNorm: normalized_shape must be one or more positive sizes, got {} (HINT: pass the "
        "sizes of the input's last dims, e.g. LayerNorm(128) for (..., 128) inputs)",
        shape_str(normalized_shape_)));
  if (!(options_.eps > 0))
    throw std::invalid_argument(fmt::format(
        "LayerNorm: eps must be positive, got {} (HINT: 1e-5 is PyTorch's default)", options_.eps));
  if (options_.elementwise_affine) {
    weight_ = register_parameter("weight", Tensor::ones(normalized_shape_));
    bias_ = register_parameter("bias", Tensor::zeros(normalized_shape_));
  }
}

Tensor LayerNorm::forward(const Tensor& x) {
  return layer_norm(x, normalized_shape_, weight_, bias_, options_.eps);
}

std::string LayerNorm::extra_repr() const {
  return fmt::format("{}, eps={}, elementwise_affine={}", py_tuple(normalized_shape_),
                     py_float(options_.eps), options_.elementwise_affine ? "True" : "False");
}

}  // namespace minigrad::nn
