// Conv2d: PyTorch's default initialisation and a shape-checked call to minigrad::conv2d.
#include "minigrad/nn/conv.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace minigrad::nn {

namespace {
std::string pair_str(Size2 s) { return fmt::format("({}, {})", s.h, s.w); }
}  // namespace

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, Size2 kernel_size, Generator& gen,
               Conv2dOptions options)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      options_(options) {
  if (in_channels <= 0 || out_channels <= 0 || kernel_size.h <= 0 || kernel_size.w <= 0)
    throw std::invalid_argument(fmt::format(
        "Conv2d: in_channels ({}), out_channels ({}) and kernel_size {} must be positive",
        in_channels, out_channels, pair_str(kernel_size)));
  if (options.groups <= 0 || in_channels % options.groups != 0 ||
      out_channels % options.groups != 0)
    throw std::invalid_argument(
        fmt::format("Conv2d: groups ({}) must divide both in_channels ({}) and out_channels ({})",
                    options.groups, in_channels, out_channels));
  // kaiming_uniform_(a=sqrt(5)) reduces to U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias uses
  // the same bound; weight first, then bias, the order PyTorch draws them in.
  const int64_t fan_in = in_channels / options.groups * kernel_size.h * kernel_size.w;
  const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
  weight_ = register_parameter(
      "weight",
      Tensor::uniform({out_channels, in_channels / options.groups, kernel_size.h, kernel_size.w},
                      -bound, bound, gen));
  if (options.bias)
    bias_ = register_parameter("bias", Tensor::uniform({out_channels}, -bound, bound, gen));
}

// x: (N, in, H, W) -> y: (N, out, H_out, W_out); the gradients live in minigrad::conv2d.
Tensor Conv2d::forward(const Tensor& x) {
  if (x.dim() != 4 || x.size(1) != in_channels_)
    throw std::invalid_argument(fmt::format(
        "Conv2d({}): expected input of shape [N, {}, H, W] but got {} (HINT: images are NCHW; "
        "a grey-scale batch [N, H, W] needs reshape({{N, 1, H, W}}))",
        extra_repr(), in_channels_, shape_str(x.shape())));
  return conv2d(x, weight_, bias_,
                {.stride = options_.stride,
                 .padding = options_.padding,
                 .dilation = options_.dilation,
                 .groups = options_.groups});
}

std::string Conv2d::extra_repr() const {
  std::string s = fmt::format("{}, {}, kernel_size={}, stride={}", in_channels_, out_channels_,
                              pair_str(kernel_size_), pair_str(options_.stride));
  if (options_.padding != Size2(0)) s += ", padding=" + pair_str(options_.padding);
  if (options_.dilation != Size2(1)) s += ", dilation=" + pair_str(options_.dilation);
  if (options_.groups != 1) s += fmt::format(", groups={}", options_.groups);
  if (!bias_.defined()) s += ", bias=False";
  return s;
}

}  // namespace minigrad::nn
