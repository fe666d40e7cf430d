// The smallest complete use of the engine: build a graph, walk it backwards, read the gradients.
#include <iostream>

#include "minigrad/ops/activation.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/reduce.hpp"
#include "minigrad/tensor.hpp"

using namespace minigrad;

int main() {
  Tensor x = Tensor::from({{1, 2}, {3, 4}}).requires_grad_();  // (2, 2) leaf
  Tensor w = Tensor::from({0.5f, -1.0f}).requires_grad_();     // (2) broadcast over the rows
  Tensor y = relu(x * w + 1.0f);                               // (2, 2), one node per op
  Tensor loss = sum(y);                                        // () scalar
  loss.backward();                                             // fills x.grad() and w.grad()
  std::cout << "y      = " << y << "\n";
  std::cout << "loss   = " << loss.item() << "\n";
  std::cout << "dx     = " << x.grad() << "\n";
  std::cout << "dw     = " << w.grad() << "\n";
}
