// XOR learned by a Module of one's own: two Linear layers registered as children, tanh between
// them. Shows what a custom module needs (forward, type_name, register_module) and what it gets
// for free (parameters(), named_parameters(), repr(), state_dict()).
#include <iostream>
#include <memory>

#include "minigrad/minigrad.hpp"

using namespace minigrad;

// x (B, 2) -> logits (B, 2)
class XorNet : public nn::Module {
 public:
  explicit XorNet(Generator& gen)
      : hidden_(register_module("hidden", std::make_shared<nn::Linear>(2, 4, gen))),
        out_(register_module("out", std::make_shared<nn::Linear>(4, 2, gen))) {}

  Tensor forward(const Tensor& x) override { return (*out_)(tanh((*hidden_)(x))); }
  std::string type_name() const override { return "XorNet"; }

 private:
  std::shared_ptr<nn::Linear> hidden_;
  std::shared_ptr<nn::Linear> out_;
};

int main() {
  // x: (4, 2), one point per row; y: (4), 1 where exactly one input is 1.
  const Tensor x = Tensor::from({{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  const Tensor y = Tensor::from({0, 1, 1, 0});

  Generator gen(1);
  XorNet model(gen);
  std::cout << model.repr() << "\n";
  for (const auto& [name, p] : model.named_parameters())
    std::cout << name << ": " << p.numel() << " values\n";

  optim::SGD sgd(model.parameters(), {.lr = 0.5, .momentum = 0.9});
  for (int step = 0; step <= 100; ++step) {
    const Tensor loss = nn::cross_entropy(model(x), y);  // ()
    sgd.zero_grad();
    loss.backward();
    sgd.step();
    if (step % 25 == 0) std::cout << "step " << step << ": loss " << loss.item() << "\n";
  }

  NoGradGuard no_grad;
  const Tensor predicted = argmax(model(x), 1);  // (4)
  for (int i = 0; i < 4; ++i)
    std::cout << "xor(" << x.at({i, 0}) << ", " << x.at({i, 1}) << ") = " << predicted.at({i})
              << "\n";
}
