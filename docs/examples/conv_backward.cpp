// The convolution's backward seen two ways on a 3x3 image and a 2x2 kernel: as matrix products
// over the im2col columns, and directly, as two more convolutions (dw = x correlated with dy,
// dx = dy padded and correlated with the flipped kernel). Both agree with conv2d's own backward.
#include <iostream>

#include "minigrad/autograd.hpp"
#include "minigrad/ops/conv.hpp"
#include "minigrad/ops/matmul.hpp"

using namespace minigrad;

int main() {
  Tensor x = Tensor::from({1, 2, 0, -1, 3, 1, 2, 0, -2}, {1, 1, 3, 3}).requires_grad_();
  Tensor w = Tensor::from({1, -1, 2, 0.5f}, {1, 1, 2, 2}).requires_grad_();
  Tensor dy = Tensor::from({1, 0, -1, 2}, {1, 1, 2, 2});  // upstream gradient, y is (1, 1, 2, 2)

  Tensor y = conv2d(x, w);
  y.backward(dy);
  std::cout << "y  = " << y.reshape({2, 2}) << "\n";
  std::cout << "conv2d's backward:\n  dw = " << w.grad().reshape({2, 2})
            << "\n  dx = " << x.grad().reshape({3, 3}) << "\n";

  // im2col view: column l = i·2 + j holds the 2x2 patch under output pixel (i, j), row k = p·2 + q
  // the kernel tap (p, q). Then y = W·X, dW = dy·Xᵀ and dX = Wᵀ·dy, and dx sums each entry of dX
  // back into the pixel it was copied from (col2im).
  NoGradGuard no_grad;
  Tensor X = Tensor::empty({4, 4});
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t q = 0; q < 2; ++q)
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 2; ++j) X.at({p * 2 + q, i * 2 + j}) = x.at({0, 0, i + p, j + q});
  Tensor W = w.reshape({1, 4}), DY = dy.reshape({1, 4});
  std::cout << "im2col:\n  X  = " << X << "\n  W·X = " << matmul(W, X) << "\n";
  std::cout << "  dW = dy·Xᵀ = " << matmul(DY, X, false, true) << "\n";
  Tensor dX = matmul(W, DY, true, false);  // (4, 4): dX[k, l] = w[k]·dy[l]
  Tensor dx = Tensor::zeros({3, 3});
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t q = 0; q < 2; ++q)
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 2; ++j) dx.at({i + p, j + q}) += dX.at({p * 2 + q, i * 2 + j});
  std::cout << "  dX = Wᵀ·dy = " << dX << "\n  col2im(dX) = " << dx << "\n";

  // Direct view: dw[p, q] = Σ_ij dy[i, j]·x[i + p, j + q], a convolution of x with dy as kernel;
  // dx[h, v] = Σ_pq dy[h - p, v - q]·w[p, q], a convolution of dy, padded by kernel - 1, with the
  // kernel flipped in both directions.
  Tensor w_flipped = Tensor::from({0.5f, 2, -1, 1}, {1, 1, 2, 2});
  std::cout << "direct:\n  conv2d(x, dy) = " << conv2d(x, dy).reshape({2, 2})
            << "\n  conv2d(dy, flipped w, padding 1) = "
            << conv2d(dy, w_flipped, Tensor(), {.padding = 1}).reshape({3, 3}) << "\n";
}
