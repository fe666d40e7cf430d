// nn::init: torch.nn.init's initialisers, writing in place into a parameter (no graph is
// recorded; the tensor's version moves, so a graph that saved it refuses a stale backward).
// Teaches: the fan and gain rules behind Xavier (Glorot) and Kaiming (He) initialisation. Every
// random one takes the generator explicitly, so a seed fixes the weights; the draws are
// minigrad's own (same distributions as PyTorch, not the same numbers). Leaves out: orthogonal_,
// sparse_, trunc_normal_, dirac_ and eye_.
#pragma once

#include <optional>
#include <string_view>
#include <utility>

#include "minigrad/generator.hpp"
#include "minigrad/tensor.hpp"

namespace minigrad::nn::init {

/// Which fan Kaiming initialisation keeps the variance of: the forward's (fan_in) or the
/// backward's (fan_out).
enum class FanMode { fan_in, fan_out };

struct KaimingOptions {
  /// The negative slope of the leaky_relu that follows (0 for ReLU).
  float a = 0.0f;
  FanMode mode = FanMode::fan_in;
  /// "leaky_relu" (PyTorch's default) or "relu"; any name calculate_gain knows.
  std::string_view nonlinearity = "leaky_relu";
};

/// The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain: 1 for linear,
/// conv1d/2d/3d (and their transposes), identity and sigmoid; 5/3 for tanh; sqrt(2) for relu;
/// sqrt(2 / (1 + slope²)) for leaky_relu (slope = param, default 0.01); 3/4 for selu.
float calculate_gain(std::string_view nonlinearity, std::optional<float> param = std::nullopt);
/// {fan_in, fan_out} of a weight of at least 2 dims (out, in, *kernel):
/// fan_in = in · receptive field, fan_out = out · receptive field, receptive field = Π kernel.
std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor);

/// Fills with U(a, b).
Tensor uniform_(Tensor tensor, Generator& gen, float a = 0.0f, float b = 1.0f);
/// Fills with N(mean, std²).
Tensor normal_(Tensor tensor, Generator& gen, float mean = 0.0f, float std = 1.0f);
/// Fills with `value`.
Tensor constant_(Tensor tensor, float value);
Tensor zeros_(Tensor tensor);
Tensor ones_(Tensor tensor);
/// U(-bound, bound), bound = gain · sqrt(6 / (fan_in + fan_out)).
Tensor xavier_uniform_(Tensor tensor, Generator& gen, float gain = 1.0f);
/// N(0, std²), std = gain · sqrt(2 / (fan_in + fan_out)).
Tensor xavier_normal_(Tensor tensor, Generator& gen, float gain = 1.0f);
/// U(-bound, bound), bound = sqrt(3) · gain / sqrt(fan), gain = calculate_gain(nonlinearity, a).
/// With {.a = sqrt(5)} this is the default initialisation of Linear's weight.
Tensor kaiming_uniform_(Tensor tensor, Generator& gen, const KaimingOptions& options = {});
/// N(0, std²), std = gain / sqrt(fan).
Tensor kaiming_normal_(Tensor tensor, Generator& gen, const KaimingOptions& options = {});

}  // namespace minigrad::nn::init
