// The documents' hand-worked BatchNorm: two neurons over a batch of five, normalised per neuron
// (per column) with the batch's mean and biased variance, then scaled by γ = 1 and shifted by β =
// 0.
// "The documents": README.md#the-documents.
#include <iostream>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/batchnorm.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/reduce.hpp"

using namespace minigrad;

int main() {
  // Neuron 1 sees 1, 2, 3, 4, 5 and neuron 2 sees 2, 4, 6, 8, 10: x is (batch 5, neurons 2).
  Tensor x = Tensor::from({{1, 2}, {2, 4}, {3, 6}, {4, 8}, {5, 10}});

  // Steps 1 to 4 with plain ops: statistics down each column (dim 0).
  Tensor mu = mean(x, 0);                   // (2)
  Tensor var = mean(pow(x - mu, 2.0f), 0);  // (2), divided by N: the biased variance
  Tensor xhat = (x - mu) / sqrt(var + 1e-5f);
  std::cout << "mean = " << mu << "\n";
  std::cout << "var  = " << var << "\n";
  std::cout << "std  = " << sqrt(var) << "\n";
  std::cout << "xhat = " << xhat << "\n";

  // Step 5 and the whole layer: BatchNorm1d(2) starts with γ = 1, β = 0.
  nn::BatchNorm1d bn(2);
  NoGradGuard no_grad;  // looking, not training: no graph needed
  std::cout << "BatchNorm1d(2)(x) = " << bn(x) << "\n";
}
