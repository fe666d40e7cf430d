// Where BatchNorm goes: the documents' two cases for one neuron's outputs over a batch of five.
// Case 1 normalises before the ReLU, case 2 after it.
// "The documents": README.md#the-documents.
#include <iostream>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/batchnorm.hpp"
#include "minigrad/ops/activation.hpp"

using namespace minigrad;

int main() {
  Tensor z = Tensor::from({-5, -2, 0, 3, 6}).reshape({5, 1});  // (batch 5, 1 neuron)
  nn::BatchNorm1d bn(1);
  NoGradGuard no_grad;

  std::cout << "z:                   " << z.reshape({-1}) << "\n";
  std::cout << "case 1: bn(z)        " << bn(z).reshape({-1}) << "\n";
  std::cout << "        relu(bn(z))  " << relu(bn(z)).reshape({-1}) << "\n";
  std::cout << "case 2: relu(z)      " << relu(z).reshape({-1}) << "\n";
  std::cout << "        bn(relu(z))  " << bn(relu(z)).reshape({-1}) << "\n";
}
