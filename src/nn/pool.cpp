// MaxPool2d, AvgPool2d, AdaptiveAvgPool2d modules: thin wrappers over ops/pool.hpp.
#include "minigrad/nn/pool.hpp"

#include <fmt/format.h>

namespace minigrad::nn {

namespace {
// How PyTorch prints a size it was given: "2" for one number, "(2, 3)" for a pair.
std::string size_str(Size2 s) {
  return s.h == s.w ? fmt::format("{}", s.h) : fmt::format("({}, {})", s.h, s.w);
}
}  // namespace

MaxPool2d::MaxPool2d(Size2 kernel_size, Pool2dArgs args) : kernel_size_(kernel_size), args_(args) {}

Tensor MaxPool2d::forward(const Tensor& x) { return max_pool2d(x, kernel_size_, args_); }

std::string MaxPool2d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}, dilation=1, ceil_mode=False",
                     size_str(kernel_size_), size_str(args_.stride.value_or(kernel_size_)),
                     size_str(args_.padding));
}

AvgPool2d::AvgPool2d(Size2 kernel_size, Pool2dArgs args) : kernel_size_(kernel_size), args_(args) {}

Tensor AvgPool2d::forward(const Tensor& x) { return avg_pool2d(x, kernel_size_, args_); }

std::string AvgPool2d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", size_str(kernel_size_),
                     size_str(args_.stride.value_or(kernel_size_)), size_str(args_.padding));
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) { return adaptive_avg_pool2d(x, output_size_); }

std::string AdaptiveAvgPool2d::extra_repr() const {
  return "output_size=" + size_str(output_size_);
}

}  // namespace minigrad::nn
