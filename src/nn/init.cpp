// nn::init: fills in place, with the gains and fans of torch.nn.init (PyTorch 1.13). Each fill
// bumps the tensor's version, as any write into a tensor a graph may have saved must.
#include "minigrad/nn/init.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace minigrad::nn::init {

namespace {

Tensor fill_with(Tensor tensor, const char* name, float (*draw)(Generator&, float, float),
                 Generator& gen, float p, float q) {
  if (!tensor.defined())
    throw std::invalid_argument(fmt::format(
        "init::{}: the tensor is undefined (HINT: a layer built without a bias has no bias())",
        name));
  float* v = tensor.data();
  for (int64_t i = 0; i < tensor.numel(); ++i) v[i] = draw(gen, p, q);
  tensor.bump_version();
  return tensor;
}

float draw_uniform(Generator& gen, float low, float high) { return gen.uniform(low, high); }
float draw_normal(Generator& gen, float mean, float std) { return mean + std * gen.normal(); }

int64_t fan(const Tensor& tensor, FanMode mode) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return mode == FanMode::fan_in ? fan_in : fan_out;
}

// The standard deviation Kaiming initialisation gives: gain / sqrt(fan).
float kaiming_std(const Tensor& tensor, const KaimingOptions& options) {
  const int64_t f = fan(tensor, options.mode);
  if (f == 0) return 0.0f;  // an empty tensor: nothing is drawn
  return calculate_gain(options.nonlinearity, options.a) / std::sqrt(static_cast<float>(f));
}

float xavier_std(const Tensor& tensor, float gain) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  if (fan_in + fan_out == 0) return 0.0f;
  return gain * std::sqrt(2.0f / static_cast<float>(fan_in + fan_out));
}

}  // namespace

float calculate_gain(std::string_view nonlinearity, std::optional<float> param) {
  for (std::string_view linear : {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                                  "conv_transpose2d", "conv_transpose3d", "identity", "sigmoid"})
    if (nonlinearity == linear) return 1.0f;
  if (nonlinearity == "tanh") return 5.0f / 3.0f;
  if (nonlinearity == "relu") return std::sqrt(2.0f);
  if (nonlinearity == "leaky_relu") {
    const float slope = param.value_or(0.01f);
    return std::sqrt(2.0f / (1.0f + slope * slope));
  }
  if (nonlinearity == "selu") return 3.0f / 4.0f;
  throw std::invalid_argument(fmt::format(
      "calculate_gain: unsupported nonlinearity \"{}\" (HINT: one of linear, conv1d, conv2d, "
      "conv3d, conv_transpose1d/2d/3d, identity, sigmoid, tanh, relu, leaky_relu, selu)",
      nonlinearity));
}

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
  if (tensor.dim() < 2)
    throw std::invalid_argument(fmt::format(
        "init: fan in and fan out cannot be computed for a tensor of shape {}, which has fewer "
        "than 2 dimensions (HINT: Xavier and Kaiming initialise weights (out, in, ...); use "
        "uniform_, normal_ or zeros_ for a bias)",
        shape_str(tensor.shape())));
  int64_t receptive_field = 1;  // Π kernel sizes: a conv weight is (out, in, kH, kW)
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
  return {tensor.size(1) * receptive_field, tensor.size(0) * receptive_field};
}

Tensor uniform_(Tensor tensor, Generator& gen, float a, float b) {
  if (!(a <= b))
    throw std::invalid_argument(fmt::format(
        "init::uniform_: a ({}) must not exceed b ({}) (HINT: U(a, b) draws from [a, b))", a, b));
  return fill_with(std::move(tensor), "uniform_", draw_uniform, gen, a, b);
}

Tensor normal_(Tensor tensor, Generator& gen, float mean, float std) {
  if (!(std >= 0))
    throw std::invalid_argument(fmt::format(
        "init::normal_: std must be >= 0 but is {} (HINT: std is a standard deviation, not a "
        "variance)",
        std));
  return fill_with(std::move(tensor), "normal_", draw_normal, gen, mean, std);
}

Tensor constant_(Tensor tensor, float value) {
  if (!tensor.defined())
    throw std::invalid_argument(
        "init::constant_: the tensor is undefined (HINT: a layer built without a bias has no "
        "bias())");
  tensor.fill_(value);  // fill_ bumps the version
  return tensor;
}

Tensor zeros_(Tensor tensor) { return constant_(std::move(tensor), 0.0f); }
Tensor ones_(Tensor tensor) { return constant_(std::move(tensor), 1.0f); }

Tensor xavier_uniform_(Tensor tensor, Generator& gen, float gain) {
  const float bound = std::sqrt(3.0f) * xavier_std(tensor, gain);  // U(-b, b) has std b/sqrt(3)
  return fill_with(std::move(tensor), "xavier_uniform_", draw_uniform, gen, -bound, bound);
}

Tensor xavier_normal_(Tensor tensor, Generator& gen, float gain) {
  const float std = xavier_std(tensor, gain);
  return fill_with(std::move(tensor), "xavier_normal_", draw_normal, gen, 0.0f, std);
}

Tensor kaiming_uniform_(Tensor tensor, Generator& gen, const KaimingOptions& options) {
  const float bound = std::sqrt(3.0f) * kaiming_std(tensor, options);
  return fill_with(std::move(tensor), "kaiming_uniform_", draw_uniform, gen, -bound, bound);
}

Tensor kaiming_normal_(Tensor tensor, Generator& gen, const KaimingOptions& options) {
  const float std = kaiming_std(tensor, options);
  return fill_with(std::move(tensor), "kaiming_normal_", draw_normal, gen, 0.0f, std);
}

}  // namespace minigrad::nn::init
