// The smallest training loop that needs a hidden layer: XOR, four points that no straight line
// separates, learned by a 2-4-2 MLP with minigrad's Tensor API. The same loop as the full
// Fashion-MNIST model, on a graph small enough to draw: pass a path to write it as Graphviz DOT
// (build/bin/example_xor_mlp docs/img/xor_step.dot).
#include <fstream>
#include <iostream>
#include <memory>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/activation.hpp"
#include "minigrad/nn/linear.hpp"
#include "minigrad/nn/loss.hpp"
#include "minigrad/nn/sequential.hpp"
#include "minigrad/ops/softmax.hpp"
#include "minigrad/optim/sgd.hpp"
#include "minigrad/viz/dot.hpp"

using namespace minigrad;

int main(int argc, char** argv) {
  // x: (4, 2), one point per row; y: (4), the class of each point: 1 where exactly one input is 1.
  const Tensor x = Tensor::from({{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  const Tensor y = Tensor::from({0, 1, 1, 0});

  Generator gen(1);
  nn::Sequential model({std::make_shared<nn::Linear>(2, 4, gen), std::make_shared<nn::Tanh>(),
                        std::make_shared<nn::Linear>(4, 2, gen)});
  optim::SGD sgd(model.parameters(), {.lr = 0.5, .momentum = 0.9});

  for (int step = 0; step <= 100; ++step) {
    const Tensor logits = model(x);                    // (4, 2)
    const Tensor loss = nn::cross_entropy(logits, y);  // ()
    if (step == 0 && argc > 1) {                       // the graph that the first backward() walks
      viz::TensorNames names = model.named_parameters();
      names.push_back({"x", x});
      names.push_back({"logits", logits});
      names.push_back({"loss", loss});
      std::ofstream(argv[1]) << viz::to_dot(
          loss, {.names = names, .title = "One training step of the XOR MLP"});
    }
    sgd.zero_grad();
    loss.backward();
    sgd.step();
    if (step % 20 == 0) std::cout << "step " << step << ": loss " << loss.item() << "\n";
  }

  NoGradGuard no_grad;
  const Tensor p = softmax(model(x), 1);  // (4, 2): probability of each class
  for (int i = 0; i < 4; ++i)
    std::cout << "xor(" << x.at({i, 0}) << ", " << x.at({i, 1}) << ") = " << y.at({i})
              << "   P(class 1) = " << p.at({i, 1}) << "\n";
}
