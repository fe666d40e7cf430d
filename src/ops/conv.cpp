// conv2d through im2col and one matrix product per image and group, and conv2d_reference as
// nested loops over every term of the sum. Both record the same gradients; the fast one lowers
// them to matrix products as well, the reference sends each term's share straight back.
// The derivation of both backwards is in docs/autograd.md ("The convolution's backward").
#include "minigrad/ops/conv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/backend.hpp"
#include "minigrad/backend/scratch.hpp"

namespace minigrad {

namespace {

// C (m, n) = alpha·op(A)·op(B) + beta·C, row-major with tight leading dimensions: the one place
// this file reaches the matrix product.
void matrix_product(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                    float alpha, const float* a, const float* b, float beta, float* c) {
  backend::gemm(transpose_a, transpose_b, m, n, k, alpha, a, b, beta, c);
}

// Every size a convolution needs, checked once.
struct ConvGeometry {
  int64_t N, C, H, W;  // x (N, C, H, W)
  int64_t O, kh, kw;   // weight (O, C/groups, kh, kw)
  int64_t groups;
  int64_t Cg, Og;  // input and output channels per group
  int64_t Ho, Wo;  // y (N, O, Ho, Wo)
  Conv2dArgs args;
  int64_t K() const { return Cg * kh * kw; }  // rows of an image's columns: one per kernel tap
  int64_t L() const { return Ho * Wo; }       // columns: one per output pixel
  backend::ConvColumns columns() const {      // one group of one image, for im2col and col2im
    return {Cg,
            H,
            W,
            kh,
            kw,
            args.stride.h,
            args.stride.w,
            args.padding.h,
            args.padding.w,
            args.dilation.h,
            args.dilation.w,
            Ho,
            Wo};
  }
};

ConvGeometry check_conv(const char* op, const Tensor& x, const Tensor& w, const Tensor& b,
                        const Conv2dArgs& a) {
  if (x.dim() != 4)
    throw std::invalid_argument(fmt::format(
        "{}: x must be 4-D (N, C_in, H, W) but is {} (HINT: one image is [1, C, H, W]; a "
        "grey-scale batch [N, H, W] needs x.reshape({{N, 1, H, W}}))",
        op, shape_str(x.shape())));
  if (w.dim() != 4)
    throw std::invalid_argument(fmt::format(
        "{}: weight must be 4-D (C_out, C_in/groups, kH, kW) but is {} (HINT: PyTorch's layout)",
        op, shape_str(w.shape())));
  if (a.stride.h < 1 || a.stride.w < 1 || a.dilation.h < 1 || a.dilation.w < 1 || a.padding.h < 0 ||
      a.padding.w < 0 || a.groups < 1)
    throw std::invalid_argument(fmt::format(
        "{}: stride ({}, {}) and dilation ({}, {}) must be >= 1, padding ({}, {}) >= 0 and groups "
        "({}) >= 1",
        op, a.stride.h, a.stride.w, a.dilation.h, a.dilation.w, a.padding.h, a.padding.w,
        a.groups));
  ConvGeometry g{};
  g.N = x.size(0), g.C = x.size(1), g.H = x.size(2), g.W = x.size(3);
  g.O = w.size(0), g.kh = w.size(2), g.kw = w.size(3);
  g.groups = a.groups, g.args = a;
  if (g.O % a.groups != 0 || g.C % a.groups != 0 || w.size(1) * a.groups != g.C)
    throw std::invalid_argument(fmt::format(
        "{}: x is {} with C_in = {} but weight is {} with groups = {}: expected C_in = "
        "weight.size(1)·groups = {} and C_out = {} divisible by groups (HINT: the weight is "
        "(C_out, C_in/groups, kH, kW); check the layer's in_channels)",
        op, shape_str(x.shape()), g.C, shape_str(w.shape()), a.groups, w.size(1) * a.groups, g.O));
  if (b.defined() && b.shape() != Shape{g.O})
    throw std::invalid_argument(
        fmt::format("{}: bias is {} but weight {} has C_out = {} (HINT: the bias is (C_out))", op,
                    shape_str(b.shape()), shape_str(w.shape()), g.O));
  g.Cg = g.C / a.groups, g.Og = g.O / a.groups;
  g.Ho = conv_output_size(g.H, g.kh, a.stride.h, a.padding.h, a.dilation.h);
  g.Wo = conv_output_size(g.W, g.kw, a.stride.w, a.padding.w, a.dilation.w);
  if (g.Ho < 1 || g.Wo < 1 || g.kh < 1 || g.kw < 1)
    throw std::invalid_argument(fmt::format(
        "{}: x is {} and weight {}: the padded input ({} x {}) is smaller than the dilated kernel "
        "({} x {}), so there is no output pixel (HINT: add padding or use a larger image)",
        op, shape_str(x.shape()), shape_str(w.shape()), g.H + 2 * a.padding.h,
        g.W + 2 * a.padding.w, a.dilation.h * (g.kh - 1) + 1, a.dilation.w * (g.kw - 1) + 1));
  return g;
}

// x_group: (Cg, H, W), one image's channels of one group -> cols: (K, L) with
//   cols[(c·kh + p)·kw + q, i·Wo + j] = x[c, i·sh - ph + p·dh, j·sw - pw + q·dw]  (0 off the image)
// so that W_g (Og, K) · cols (K, L) is the convolution of that group. The loops are the
// backend's (backend.hpp: the plain walk in the reference backend, vector rows in the fast one).
void im2col(const ConvGeometry& g, const float* x_group, float* cols) {
  backend::im2col(g.columns(), x_group, cols);
}

// The adjoint of im2col: each entry of dcols (K, L) is added back to the pixel of dx_group
// (Cg, H, W) it was copied from; padding entries have no pixel and are dropped.
void col2im(const ConvGeometry& g, const float* dcols, float* dx_group) {
  backend::col2im(g.columns(), dcols, dx_group);
}

// db[o] += Σ_{n, i, j} dy[n, o, i, j] over the images [first, last)
// Each plane is summed in order, eight planes side by side: one chain of additions waits for
// each add, eight independent chains overlap.
void add_bias_grad(const ConvGeometry& g, const float* dy, int64_t first, int64_t last, float* db) {
  constexpr int64_t kPlanes = 8;
  const int64_t L = g.L();
  for (int64_t n = first; n < last; ++n)
    for (int64_t o0 = 0; o0 < g.O; o0 += kPlanes) {
      const int64_t planes = std::min(kPlanes, g.O - o0);
      const float* plane = dy + (n * g.O + o0) * L;
      double s[kPlanes] = {};
      if (planes == kPlanes)
        for (int64_t l = 0; l < L; ++l)
          for (int64_t k = 0; k < kPlanes; ++k) s[k] += plane[k * L + l];
      else
        for (int64_t k = 0; k < planes; ++k)
          for (int64_t l = 0; l < L; ++l) s[k] += plane[k * L + l];
      for (int64_t k = 0; k < planes; ++k) db[o0 + k] += static_cast<float>(s[k]);
    }
}

// dW_g += Σ_n dy[n, g] · X[n, g]ᵀ and db += Σ_n dy[n] over the batch, in two halves: each half
// sums its own images in order into a buffer of its own, and the halves are added at the end.
// backend::parallel_rows may run the halves on two threads; on one they run one after the
// other, so the sums are the same whatever the thread count.
void add_weight_and_bias_grads(const ConvGeometry& g, const Tensor& x, const float* dy,
                               const Tensor& weight, const Tensor& bias) {
  const bool need_dw = weight.requires_grad();
  const bool need_db = bias.defined() && bias.requires_grad();
  if (!need_dw && !need_db) return;
  const int64_t K = g.K(), L = g.L(), half = (g.N + 1) / 2;
  const int64_t dw_size = need_dw ? weight.numel() : 0, db_size = need_db ? g.O : 0;
  // dW of the first half and of the second, then their db
  backend::Scratch<float> parts(2 * (dw_size + db_size), 0.0f);
  backend::parallel_rows(2, half * g.C * g.H * g.W, [&](int64_t first_half, int64_t last_half) {
    backend::Scratch<float> cols(K * L);
    for (int64_t h = first_half; h < last_half; ++h) {
      const int64_t first = h * half, last = std::min(g.N, first + half);
      if (need_db) add_bias_grad(g, dy, first, last, parts.data() + 2 * dw_size + h * db_size);
      if (!need_dw) continue;
      float* dw = parts.data() + h * dw_size;
      for (int64_t n = first; n < last; ++n)
        for (int64_t grp = 0; grp < g.groups; ++grp) {
          im2col(g, x.data() + (n * g.C + grp * g.Cg) * g.H * g.W, cols.data());
          matrix_product(false, true, g.Og, K, L, 1.0f, dy + (n * g.O + grp * g.Og) * L,
                         cols.data(), 1.0f, dw + grp * g.Og * K);
        }
    }
  });
  const float* p = parts.data();
  if (need_dw) {
    float* dw = grad_buffer(weight);
    for (int64_t k = 0; k < dw_size; ++k) dw[k] += p[k] + p[dw_size + k];
  }
  if (need_db) {
    float* db = grad_buffer(bias);
    for (int64_t o = 0; o < db_size; ++o)
      db[o] += p[2 * dw_size + o] + p[2 * dw_size + db_size + o];
  }
}

std::vector<Tensor> conv_inputs(const Tensor& x, const Tensor& w, const Tensor& b) {
  std::vector<Tensor> inputs = {x, w};
  if (b.defined()) inputs.push_back(b);
  return inputs;
}

}  // namespace

Size2::Size2(int64_t both) : h(both), w(both) {}
Size2::Size2(int64_t height, int64_t width) : h(height), w(width) {}

int64_t conv_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                         int64_t dilation) {
  const int64_t span = in + 2 * padding - dilation * (kernel - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

// Per image n and group g, with X = im2col(x[n, group g]) (K, L), K = C_in/groups·kh·kw taps,
// L = H_out·W_out output pixels, and W_g the group's weights viewed as (C_out/groups, K):
//   y[n, g] = W_g · X + b                         (C_out/groups, L)
//   dW_g   += Σ_n dy[n, g] · Xᵀ                    (C_out/groups, K)
//   dX      = W_gᵀ · dy[n, g]                      (K, L), then dx[n, g] += col2im(dX)
//   db     += Σ_{n, i, j} dy
// X is built again in the backward rather than kept: a batch's columns are kh·kw times the input.
// The images of y and of dx are independent of each other, so backend::parallel_rows may hand
// part of them to a second thread (each image is computed the same way by whichever thread);
// dW and db sum each half of the batch on its own and then add the two halves.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dArgs& args) {
  const ConvGeometry g = check_conv("conv2d", x, weight, bias, args);
  Tensor y = Tensor::empty({g.N, g.O, g.Ho, g.Wo});
  backend::parallel_rows(g.N, g.C * g.H * g.W, [&](int64_t first, int64_t last) {
    const int64_t K = g.K(), L = g.L();
    backend::Scratch<float> cols(K * L);
    for (int64_t n = first; n < last; ++n)
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        im2col(g, x.data() + (n * g.C + grp * g.Cg) * g.H * g.W, cols.data());
        float* yg = y.data() + (n * g.O + grp * g.Og) * L;
        if (bias.defined())  // each output channel's plane starts as its bias; the product adds on
          for (int64_t o = 0; o < g.Og; ++o)
            std::fill_n(yg + o * L, L, bias.data()[grp * g.Og + o]);
        matrix_product(false, false, g.Og, L, K, 1.0f, weight.data() + grp * g.Og * K, cols.data(),
                       bias.defined() ? 1.0f : 0.0f, yg);
      }
  });
  return record(y, "conv2d", conv_inputs(x, weight, bias), [x, weight, bias, g](const Tensor& dy) {
    const int64_t K = g.K(), L = g.L();
    add_weight_and_bias_grads(g, x, dy.data(), weight, bias);
    if (x.requires_grad()) {
      float* dx = grad_buffer(x);
      backend::parallel_rows(g.N, g.C * g.H * g.W, [&](int64_t first, int64_t last) {
        backend::Scratch<float> dcols(K * L);
        for (int64_t n = first; n < last; ++n)
          for (int64_t grp = 0; grp < g.groups; ++grp) {
            matrix_product(true, false, K, L, g.Og, 1.0f, weight.data() + grp * g.Og * K,
                           dy.data() + (n * g.O + grp * g.Og) * L, 0.0f, dcols.data());
            col2im(g, dcols.data(), dx + (n * g.C + grp * g.Cg) * g.H * g.W);
          }
      });
    }
  });
}

namespace {

// Calls term(xi, wi, yi) for every product w[wi]·x[xi] in the sum that makes y[yi]:
//   y[n, o, i, j] = b[o] + Σ_{c, p, q} w[o, c, p, q] · x[n, g·Cg + c, ih, iw]
//   ih = i·sh - ph + p·dh,  iw = j·sw - pw + q·dw
// with g = o / Og the output channel's group; taps that fall in the padding are skipped (zeros).
template <class Term>
void for_each_term(const ConvGeometry& g, Term term) {
  const Conv2dArgs& a = g.args;
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t o = 0; o < g.O; ++o)
      for (int64_t i = 0; i < g.Ho; ++i)
        for (int64_t j = 0; j < g.Wo; ++j) {
          const int64_t yi = ((n * g.O + o) * g.Ho + i) * g.Wo + j;
          for (int64_t c = 0; c < g.Cg; ++c)
            for (int64_t p = 0; p < g.kh; ++p)
              for (int64_t q = 0; q < g.kw; ++q) {
                const int64_t ih = i * a.stride.h - a.padding.h + p * a.dilation.h;
                const int64_t iw = j * a.stride.w - a.padding.w + q * a.dilation.w;
                if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                const int64_t xc = (o / g.Og) * g.Cg + c;
                term(((n * g.C + xc) * g.H + ih) * g.W + iw, ((o * g.Cg + c) * g.kh + p) * g.kw + q,
                     yi);
              }
        }
}

}  // namespace

// The direct view: each term w·x of y's sum sends dy·x to w and dy·w to x, so
//   dw[o, c, p, q]      = Σ_{n, i, j} dy[n, o, i, j] · x[n, g·Cg + c, i·sh - ph + p·dh, ...]
//   dx[n, g·Cg + c, h, w] = Σ over (o in group g, p, q, i, j) that read pixel (h, w) of dy · w
//   db[o]               = Σ_{n, i, j} dy[n, o, i, j]
Tensor conv2d_reference(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        const Conv2dArgs& args) {
  const ConvGeometry g = check_conv("conv2d_reference", x, weight, bias, args);
  std::vector<double> acc(static_cast<size_t>(g.N * g.O * g.L()), 0.0);
  const float* xs = x.data();
  const float* ws = weight.data();
  for_each_term(g, [&](int64_t xi, int64_t wi, int64_t yi) {
    acc[yi] += static_cast<double>(ws[wi]) * xs[xi];
  });
  Tensor y = Tensor::empty({g.N, g.O, g.Ho, g.Wo});
  for (int64_t k = 0; k < y.numel(); ++k) {
    const int64_t o = k / g.L() % g.O;
    y.data()[k] = static_cast<float>(acc[k] + (bias.defined() ? bias.data()[o] : 0.0));
  }
  auto backward = [x, weight, bias, g](const Tensor& dy) {
    std::vector<double> dx(static_cast<size_t>(x.numel()), 0.0);
    std::vector<double> dw(static_cast<size_t>(weight.numel()), 0.0);
    const float *xs = x.data(), *ws = weight.data(), *d = dy.data();
    for_each_term(g, [&](int64_t xi, int64_t wi, int64_t yi) {
      dx[xi] += static_cast<double>(d[yi]) * ws[wi];
      dw[wi] += static_cast<double>(d[yi]) * xs[xi];
    });
    if (x.requires_grad()) {
      float* gx = grad_buffer(x);
      for (size_t k = 0; k < dx.size(); ++k) gx[k] += static_cast<float>(dx[k]);
    }
    if (weight.requires_grad()) {
      float* gw = grad_buffer(weight);
      for (size_t k = 0; k < dw.size(); ++k) gw[k] += static_cast<float>(dw[k]);
    }
    if (bias.defined() && bias.requires_grad()) add_bias_grad(g, d, 0, g.N, grad_buffer(bias));
  };
  return record(y, "conv2d_reference", conv_inputs(x, weight, bias), std::move(backward));
}

}  // namespace minigrad
