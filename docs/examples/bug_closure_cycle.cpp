// Classic bug 4: a backward closure that owns its own output. The output holds its node, the
// node holds the closure, the closure holds the output: a shared_ptr cycle that nothing frees.
// Every graph that is built and never walked by backward() (an evaluation pass, say) then leaks.
#include <cmath>
#include <iostream>
#include <memory>
#include <vector>

#include "minigrad/autograd.hpp"

using namespace minigrad;

// y = exp(x),  dx = dy · exp(x) = dy · y: the backward wants the output's values.
Tensor exp_op(const Tensor& x, bool capture_output) {
  Tensor y = Tensor::empty(x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) y.data()[i] = std::exp(x.data()[i]);
  if (capture_output)  // the bug: the closure keeps y itself, grad_fn and all
    return record(y, "exp", {x}, [x, y](const Tensor& dy) {
      for (int64_t i = 0; i < x.numel(); ++i) grad_buffer(x)[i] += dy.data()[i] * y.data()[i];
    });
  // The fix: keep y.detach(), a handle to the same values without the grad_fn.
  return record(y, "exp", {x}, [x, out = y.detach()](const Tensor& dy) {
    for (int64_t i = 0; i < x.numel(); ++i) grad_buffer(x)[i] += dy.data()[i] * out.data()[i];
  });
}

int main() {
  Tensor x = Tensor::from({0.0f, 1.0f}).requires_grad_();
  for (bool capture_output : {true, false}) {
    std::vector<std::weak_ptr<TensorImpl>> outputs;  // watch the outputs without owning them
    for (int i = 0; i < 1000; ++i) {
      Tensor y = exp_op(x, capture_output);  // forward only, as in evaluation
      outputs.push_back(y.impl_ptr());
    }  // every y handle is gone here
    int alive = 0;
    for (const auto& w : outputs) alive += w.expired() ? 0 : 1;
    std::cout << (capture_output ? "closure holds y:          " : "closure holds y.detach(): ")
              << alive << " of 1000 outputs still alive\n";
    // Break the leaked cycles by hand, so that this program itself ends without a leak.
    for (const auto& w : outputs)
      if (auto y = w.lock()) y->grad_fn.reset();
  }
}
