// Classic bug 1: a backward that overwrites (=) the input's gradient instead of adding (+=) to it.
// Every path that reaches a tensor adds its share; an = keeps only the last one to arrive.
#include <iostream>

#include "minigrad/autograd.hpp"
#include "minigrad/ops/elementwise.hpp"

using namespace minigrad;

// y = a · b elementwise (same shapes).  da = dy · b,  db = dy · a
Tensor times(const Tensor& a, const Tensor& b, bool overwrite) {
  Tensor y = Tensor::empty(a.shape());
  for (int64_t i = 0; i < y.numel(); ++i) y.data()[i] = a.data()[i] * b.data()[i];
  return record(y, "times", {a, b}, [a, b, overwrite](const Tensor& dy) {
    float* da = grad_buffer(a);
    float* db = grad_buffer(b);
    for (int64_t i = 0; i < dy.numel(); ++i) {
      if (overwrite) {  // the bug
        da[i] = dy.data()[i] * b.data()[i];
        db[i] = dy.data()[i] * a.data()[i];
      } else {  // the fix
        da[i] += dy.data()[i] * b.data()[i];
        db[i] += dy.data()[i] * a.data()[i];
      }
    }
  });
}

int main() {
  for (bool overwrite : {true, false}) {
    std::cout << (overwrite ? "with = (bug)\n" : "with += (fix)\n");

    Tensor x = Tensor::scalar(3.0f).requires_grad_();
    times(x, x, overwrite).backward();  // d(x·x)/dx = 2x = 6
    std::cout << "  d(x*x)/dx at x = 3:            " << x.grad().item() << "\n";

    Tensor a = Tensor::scalar(2.0f).requires_grad_();
    Tensor b = Tensor::scalar(-3.0f).requires_grad_();
    Tensor d = times(a, b, overwrite) + a;  // add's backward reaches a first, then times's
    (d * d).backward();                     // dL/da = 2d·b + 2d = 16
    std::cout << "  dL/da for L = (a*b + a)^2:     " << a.grad().item() << "\n";
  }
}
