// Regression: an MLP fitted to y = sin(x) on [-3, 3] with MSELoss and Adam, the whole set as one
// batch. Shows tensors built from std::vector, a Sequential, and evaluation under NoGradGuard.
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "minigrad/minigrad.hpp"

using namespace minigrad;

int main() {
  // x: (64, 1) evenly spaced in [-3, 3]; y: (64, 1) = sin(x)
  const int64_t n = 64;
  std::vector<float> xs(n), ys(n);
  for (int64_t i = 0; i < n; ++i) {
    xs[i] = -3.0f + 6.0f * static_cast<float>(i) / static_cast<float>(n - 1);
    ys[i] = std::sin(xs[i]);
  }
  const Tensor x = Tensor::from(xs, {n, 1});
  const Tensor y = Tensor::from(ys, {n, 1});

  Generator gen(0);
  nn::Sequential model({std::make_shared<nn::Linear>(1, 32, gen), std::make_shared<nn::Tanh>(),
                        std::make_shared<nn::Linear>(32, 1, gen)});
  optim::Adam adam(model.parameters(), {.lr = 0.01});

  for (int step = 0; step <= 1000; ++step) {
    const Tensor loss = nn::mse_loss(model(x), y);  // ()
    adam.zero_grad();
    loss.backward();
    adam.step();
    if (step % 250 == 0) std::printf("step %4d: mse %.5f\n", step, loss.item());
  }

  NoGradGuard no_grad;
  const Tensor probe = Tensor::from(std::vector<float>{-2.0f, 0.5f, 2.5f}, {3, 1});  // (3, 1)
  const Tensor predicted = model(probe);                                             // (3, 1)
  for (int i = 0; i < 3; ++i)
    std::printf("sin(%+.1f) = %+.3f, model says %+.3f\n", probe.at({i, 0}),
                std::sin(probe.at({i, 0})), predicted.at({i, 0}));
}
