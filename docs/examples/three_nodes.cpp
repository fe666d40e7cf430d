// The tutorial's first graph: L = (a·b + a)², three recorded ops, with `a` read twice.
#include <iostream>

#include "minigrad/autograd.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/viz/dot.hpp"

using namespace minigrad;

int main() {
  Tensor a = Tensor::scalar(2.0f).requires_grad_();  // leaves: made by us, no grad_fn
  Tensor b = Tensor::scalar(-3.0f).requires_grad_();
  Tensor c = a * b;  // node "mul": inputs {a, b}
  Tensor d = c + a;  // node "add": inputs {c, a}
  Tensor L = d * d;  // node "mul": inputs {d, d}

  // What the graph holds: each result points back at the node that made it, and the node
  // holds its inputs. Nothing points forwards.
  for (const Tensor& t : {L, d, c}) {
    const Node& node = *t.grad_fn();
    std::cout << t.item() << " = " << node.name() << "(";
    for (size_t i = 0; i < node.inputs().size(); ++i)
      std::cout << (i ? ", " : "") << node.inputs()[i].item();
    std::cout << ")\n";
  }
  std::cout << viz::to_dot(L, {.names = {{"a", a}, {"b", b}, {"c", c}, {"d", d}, {"L", L}}});

  L.backward();
  std::cout << "dL/da = " << a.grad().item() << "\n";  // 2d·b + 2d = 24 - 8
  std::cout << "dL/db = " << b.grad().item() << "\n";  // 2d·a
  std::cout << "graph released: " << std::boolalpha << L.grad_fn()->released() << "\n";
}
