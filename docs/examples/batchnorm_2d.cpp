// BatchNorm2d: one mean and variance per channel, taken over the batch AND every pixel, which is
// BatchNorm1d applied to the (N·H·W, C) table of pixels. Then the momentum conventions side by
// side: PyTorch's 0.1 and the documents' own layer with momentum 0.9, both weighting the new batch.
#include <iostream>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/batchnorm.hpp"

using namespace minigrad;

int main() {
  // Two images, two channels of 2x2 pixels: channel 0 holds 1..8, channel 1 holds 10·(1..8).
  Tensor x = Tensor::from({1, 2, 3, 4, 10, 20, 30, 40, 5, 6, 7, 8, 50, 60, 70, 80}, {2, 2, 2, 2});
  NoGradGuard no_grad;

  nn::BatchNorm2d bn(2);
  Tensor y = bn(x);
  std::cout << "y as (image, channel, pixel) = " << y.reshape({2, 2, 4}) << "\n";
  std::cout << "(both channels come out the same: each is normalised over its own 8 values)\n";

  // The same numbers from BatchNorm1d on the table of pixels: row = (image, pixel), column =
  // channel.
  Tensor pixels = Tensor::empty({8, 2});
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 2; ++c)
      for (int64_t p = 0; p < 4; ++p) pixels.at({n * 4 + p, c}) = x.at({n, c, p / 2, p % 2});
  nn::BatchNorm1d table(2);
  Tensor rows = table(pixels);
  std::cout << "BatchNorm1d on the pixel table, image 0 pixel 0: "
            << Tensor::from({rows.at({0, 0}), rows.at({0, 1})}) << "\n";
  std::cout << "running_var 2d " << bn.running_var() << "\n";
  std::cout << "running_var 1d " << table.running_var() << "\n";

  // Momentum: PyTorch's running = (1 - m)·running + m·batch with m = 0.1 by default. The
  // documents' BatchNormalization layer writes the same formula with momentum = 0.9: each batch
  // weighs 0.9, not 0.1. To reproduce that layer, pass .momentum = 0.9f.
  nn::BatchNorm2d pytorch(2), documents(2, {.momentum = 0.9f});
  pytorch(x);
  documents(x);
  std::cout << "momentum 0.1 (PyTorch):   running_mean " << pytorch.running_mean()
            << "  (0.9·0 + 0.1·[4.5, 45])\n";
  std::cout << "momentum 0.9 (documents): running_mean " << documents.running_mean()
            << "  (0.1·0 + 0.9·[4.5, 45])\n";
  std::cout << "momentum 0.1 (PyTorch):   running_var  " << pytorch.running_var() << "\n";
  std::cout << "momentum 0.9 (documents): running_var  " << documents.running_var() << "\n";
  // The documents' layer also feeds the biased variance (5.25 and 525 here) into its moving
  // average, where PyTorch and minigrad feed the unbiased one (6 and 600).
  const float biased[2] = {5.25f, 525.0f};
  std::cout << "the documents' own layer: running_var  [" << 0.1f * 1 + 0.9f * biased[0] << ", "
            << 0.1f * 1 + 0.9f * biased[1] << "] (biased)\n";
}
