// Classic bug 2: forgetting zero_grad(). Leaf gradients accumulate across backward() calls (that
// is what lets several losses add up), so each step must start from zero.
#include <iostream>

#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/reduce.hpp"
#include "minigrad/optim/sgd.hpp"

using namespace minigrad;

// Fits y = w·x to data made with w = 2, by SGD on the mean squared error.
void fit(bool zero_grad) {
  Tensor x = Tensor::from({1, 2, 3});
  Tensor y = Tensor::from({2, 4, 6});
  Tensor w = Tensor::scalar(0.0f).requires_grad_();
  optim::SGD sgd({w}, {.lr = 0.05});
  std::cout << (zero_grad ? "with zero_grad():\n" : "without zero_grad():\n");
  for (int step = 1; step <= 6; ++step) {
    if (zero_grad) sgd.zero_grad();
    Tensor loss = mean(pow(w * x - y, 2.0f));
    loss.backward();
    sgd.step();
    std::cout << "  step " << step << ": loss " << loss.item() << ", w.grad " << w.grad().item()
              << ", w " << w.item() << "\n";
  }
}

int main() {
  fit(false);
  fit(true);
}
