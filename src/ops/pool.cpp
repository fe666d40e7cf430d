// max_pool2d, avg_pool2d and adaptive_avg_pool2d. Every (n, c) plane is pooled on its own, so
// each op is a loop over planes around a loop over output cells; the backward walks the same
// windows and sends dy back into them.
#include "minigrad/ops/pool.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/backend.hpp"
#include "minigrad/backend/scratch.hpp"

namespace minigrad {

namespace {

// x viewed as (N·C, H, W) planes, and the windows over each (backend.hpp).
using PoolGeometry = backend::PoolWindows;

void require_4d(const char* op, const Tensor& x) {
  if (x.dim() != 4)
    throw std::invalid_argument(fmt::format(
        "{}: x must be 4-D (N, C, H, W) but is {} (HINT: one image is [1, C, H, W]; reshape it)",
        op, shape_str(x.shape())));
}

PoolGeometry check_pool(const char* op, const Tensor& x, Size2 k, const Pool2dArgs& a) {
  require_4d(op, x);
  const Size2 s = a.stride.value_or(k);
  if (k.h < 1 || k.w < 1 || s.h < 1 || s.w < 1)
    throw std::invalid_argument(fmt::format(
        "{}: kernel_size ({}, {}) and stride ({}, {}) must be >= 1", op, k.h, k.w, s.h, s.w));
  if (a.padding.h < 0 || a.padding.w < 0 || 2 * a.padding.h > k.h || 2 * a.padding.w > k.w)
    throw std::invalid_argument(fmt::format(
        "{}: padding ({}, {}) must be between 0 and half the kernel ({}, {}) (HINT: PyTorch's "
        "rule: a window must always hold one pixel of the image)",
        op, a.padding.h, a.padding.w, k.h, k.w));
  PoolGeometry g{x.size(0) * x.size(1), x.size(2),   x.size(3), k.h, k.w, s.h, s.w,
                 a.padding.h,           a.padding.w, 0,         0};
  g.Ho = conv_output_size(g.H, k.h, s.h, g.ph, 1);
  g.Wo = conv_output_size(g.W, k.w, s.w, g.pw, 1);
  if (g.Ho < 1 || g.Wo < 1)
    throw std::invalid_argument(fmt::format(
        "{}: x is {} but the window is {} x {} with padding ({}, {}): the output would be empty "
        "(HINT: use a smaller kernel_size or a larger image)",
        op, shape_str(x.shape()), k.h, k.w, g.ph, g.pw));
  return g;
}

Shape pooled_shape(const Tensor& x, int64_t Ho, int64_t Wo) {
  return {x.size(0), x.size(1), Ho, Wo};
}

}  // namespace

// Per plane, y[i, j] = max over the window rows i·sh - ph .. + kh - 1 (and columns alike) that
// lie on the image; argmax[i, j] remembers where (h·W + w). Pixels are compared in row-major
// order and only a larger one (or a NaN) takes over, so a tie keeps the first maximum.
//   dx[argmax[i, j]] += dy[i, j]   (every other pixel of the window gets nothing)
// The loops are the backend's (backend.hpp: one window at a time in the reference backend, 2x2
// windows in vector registers in the fast one). argmax is int32, in the backend's memory
// (scratch.hpp), shared with the backward.
Tensor max_pool2d(const Tensor& x, Size2 kernel_size, const Pool2dArgs& args) {
  const PoolGeometry g = check_pool("max_pool2d", x, kernel_size, args);
  if (g.H * g.W > std::numeric_limits<int32_t>::max())
    throw std::invalid_argument(fmt::format(
        "max_pool2d: x is {}, whose planes of {} pixels are too large for its int32 arg-max "
        "(HINT: pool smaller images, or tiles of this one)",
        shape_str(x.shape()), g.H * g.W));
  Tensor y = Tensor::empty(pooled_shape(x, g.Ho, g.Wo));
  auto argmax = std::make_shared<backend::Scratch<int32_t>>(y.numel());
  backend::max_pool2d(g, x.data(), y.data(), argmax->data());
  return record(
      y, "max_pool2d", {x},
      [x, g, argmax](const Tensor& dy) {
        backend::max_pool2d_backward(g, argmax->data(), dy.data(), grad_buffer_for_kernel(x));
      },
      Saved::none);
}

// Per plane, y[i, j] = (1 / (kh·kw)) · Σ window pixels on the image (the padding adds zeros but
// still counts in the divisor, count_include_pad=True).
//   dx[h, w] += dy[i, j] / (kh·kw)   for every pixel (h, w) of window (i, j)
Tensor avg_pool2d(const Tensor& x, Size2 kernel_size, const Pool2dArgs& args) {
  const PoolGeometry g = check_pool("avg_pool2d", x, kernel_size, args);
  Tensor y = Tensor::empty(pooled_shape(x, g.Ho, g.Wo));
  const double divisor = static_cast<double>(g.kh * g.kw);
  // Calls f(pixel offset in the plane, output cell) for every pixel of every window.
  auto for_each_window_pixel = [g](int64_t pl, auto f) {
    for (int64_t i = 0; i < g.Ho; ++i)
      for (int64_t j = 0; j < g.Wo; ++j) {
        const int64_t h0 = g.row0(i), h1 = g.row1(i), w0 = g.col0(j), w1 = g.col1(j);
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) f(h * g.W + w, (pl * g.Ho + i) * g.Wo + j);
      }
  };
  std::vector<double> acc(static_cast<size_t>(y.numel()), 0.0);
  for (int64_t pl = 0; pl < g.planes; ++pl) {
    const float* in = x.data() + pl * g.H * g.W;
    for_each_window_pixel(pl, [&](int64_t px, int64_t k) { acc[k] += in[px]; });
  }
  for (int64_t k = 0; k < y.numel(); ++k) y.data()[k] = static_cast<float>(acc[k] / divisor);
  return record(
      y, "avg_pool2d", {x},
      [x, g, divisor, for_each_window_pixel](const Tensor& dy) {
        float* dx = grad_buffer(x);
        const float* d = dy.data();
        const float scale = static_cast<float>(1.0 / divisor);
        for (int64_t pl = 0; pl < g.planes; ++pl) {
          float* plane = dx + pl * g.H * g.W;
          for_each_window_pixel(pl, [&](int64_t px, int64_t k) { plane[px] += d[k] * scale; });
        }
      },
      Saved::none);
}

// Per plane, y[i, j] = mean of x[h, w] over rows h0(i) <= h < h1(i) and columns w0(j) <= w < w1(j),
// h0(i) = floor(i·H/oh), h1(i) = ceil((i+1)·H/oh): windows that tile the plane, overlapping by at
// most one pixel when oh does not divide H.
//   dx[h, w] += dy[i, j] / ((h1 - h0)·(w1 - w0))   for every pixel of window (i, j)
Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size) {
  require_4d("adaptive_avg_pool2d", x);
  const int64_t H = x.size(2), W = x.size(3), oh = output_size.h, ow = output_size.w;
  if (oh < 1 || ow < 1 || H < 1 || W < 1)
    throw std::invalid_argument(fmt::format(
        "adaptive_avg_pool2d: output_size ({}, {}) and the planes of x {} must be non-empty "
        "(HINT: output_size 1 averages each channel to one value)",
        oh, ow, shape_str(x.shape())));
  const int64_t planes = x.size(0) * x.size(1);
  auto start = [](int64_t i, int64_t in, int64_t out) { return i * in / out; };
  auto end = [](int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; };
  Tensor y = Tensor::empty(pooled_shape(x, oh, ow));
  for (int64_t pl = 0; pl < planes; ++pl)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t h0 = start(i, H, oh), h1 = end(i, H, oh);
        const int64_t w0 = start(j, W, ow), w1 = end(j, W, ow);
        double s = 0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) s += x.data()[(pl * H + h) * W + w];
        y.data()[(pl * oh + i) * ow + j] =
            static_cast<float>(s / static_cast<double>((h1 - h0) * (w1 - w0)));
      }
  return record(
      y, "adaptive_avg_pool2d", {x},
      [x, planes, H, W, oh, ow, start, end](const Tensor& dy) {
        float* dx = grad_buffer(x);
        for (int64_t pl = 0; pl < planes; ++pl)
          for (int64_t i = 0; i < oh; ++i)
            for (int64_t j = 0; j < ow; ++j) {
              const int64_t h0 = start(i, H, oh), h1 = end(i, H, oh);
              const int64_t w0 = start(j, W, ow), w1 = end(j, W, ow);
              const float share =
                  dy.data()[(pl * oh + i) * ow + j] / static_cast<float>((h1 - h0) * (w1 - w0));
              for (int64_t h = h0; h < h1; ++h)
                for (int64_t w = w0; w < w1; ++w) dx[(pl * H + h) * W + w] += share;
            }
      },
      Saved::none);
}

}  // namespace minigrad
