// Train versus eval mode, and the running statistics that connect them. Training normalises with
// the batch's own statistics and folds them into running_mean and running_var; eval normalises
// with those running values, so one row's output no longer depends on its batch.
#include <iostream>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/batchnorm.hpp"

using namespace minigrad;

int main() {
  Tensor x = Tensor::from({{1, 2}, {2, 4}, {3, 6}, {4, 8}, {5, 10}});  // batch means 3 and 6
  NoGradGuard no_grad;

  nn::BatchNorm1d bn(2);  // momentum 0.1: each batch contributes 10%
  std::cout << "before:  running_mean " << bn.running_mean() << "\n";
  std::cout << "         running_var  " << bn.running_var() << "\n";
  Tensor y_train = bn(x);
  std::cout << "one training step:\n";
  std::cout << "  running_mean " << bn.running_mean() << "  (0.9·0 + 0.1·[3, 6])\n";
  std::cout << "  running_var  " << bn.running_var()
            << "  (0.9·1 + 0.1·[2.5, 10], the unbiased variance)\n";
  std::cout << "  num_batches_tracked " << bn.num_batches_tracked().item() << "\n";

  // Keras writes the same update as moving = momentum·moving + (1 - momentum)·batch, so its
  // momentum is the weight of the OLD value: PyTorch's 0.1 is Keras' 0.9.
  const float keras_momentum = 0.9f;
  std::cout << "  Keras with momentum 0.9: " << keras_momentum * 0.0f + (1 - keras_momentum) * 3.0f
            << ", " << keras_momentum * 0.0f + (1 - keras_momentum) * 6.0f << "\n";

  bn.eval();
  std::cout << "the same rows, train mode: " << y_train << "\n";
  std::cout << "the same rows, eval mode:  " << bn(x) << "\n";

  // The running mean approaches the batch mean as 1 - 0.9^k: after few steps it is still far off.
  bn.train();
  for (int k = 2; k <= 50; ++k) {
    bn(x);
    if (k == 5 || k == 10 || k == 20 || k == 50)
      std::cout << "after " << k << " steps: running_mean " << bn.running_mean() << "\n";
  }
}
