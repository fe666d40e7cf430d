// Classic bug 3: running BatchNorm in training mode at test time. In train() it normalises with
// the statistics of whatever batch it is given, so a test row's prediction depends on the rows
// around it, and every test batch moves the running statistics. eval() uses the running ones.
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/batchnorm.hpp"
#include "minigrad/ops/elementwise.hpp"

using namespace minigrad;

// The first row of a (N, 2) output, to four decimals.
std::string first_row(const Tensor& y) {
  char text[64];
  std::snprintf(text, sizeof text, "[%.4f, %.4f]", y.at({0, 0}), y.at({0, 1}));
  return text;
}

int main() {
  nn::BatchNorm1d bn(2);
  Generator gen(0);
  for (int step = 0; step < 100; ++step)  // "training": batches with mean 5 and std 2
    bn(Tensor::randn({16, 2}, gen) * 2.0f + 5.0f);
  std::cout << "after training: running_mean " << bn.running_mean() << "\n";

  NoGradGuard no_grad;
  Tensor row = Tensor::from({{6, 6}});  // the test row, with two different companions
  Tensor batch1 = Tensor::from({{6, 6}, {4, 4}});
  Tensor batch2 = Tensor::from({{6, 6}, {9, 9}});
  for (bool training : {true, false}) {
    bn.train(training);
    std::cout << (training ? "train mode (bug):\n" : "eval mode (fix):\n");
    std::cout << "  row in batch 1 -> " << first_row(bn(batch1)) << "\n";
    std::cout << "  row in batch 2 -> " << first_row(bn(batch2)) << "\n";
    std::string alone;
    try {
      alone = first_row(bn(row));
    } catch (const std::invalid_argument& e) {
      alone = std::string("error: ") + e.what();
    }
    std::cout << "  row alone      -> " << alone << "\n";
    std::cout << "  running_mean now " << bn.running_mean() << "\n";
  }
}
