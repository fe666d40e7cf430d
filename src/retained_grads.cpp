// Setting retained grads aside during a backward walk and adding the new ones in after it.
#include "retained_grads.hpp"

namespace minigrad::autograd_detail {

RetainedGrads::RetainedGrads(const std::vector<Tensor>& order) {
  for (const Tensor& t : order) {
    TensorImpl* impl = t.impl();
    if (!impl->grad_fn) continue;
    if (impl->retains_grad && impl->grad) kept_.emplace_back(impl, std::move(impl->grad));
    impl->grad.reset();
  }
}

void RetainedGrads::restore() {
  for (auto& [impl, old] : kept_) {
    if (impl->grad) {
      float* dst = old->storage->data();
      const float* src = impl->grad->storage->data();
      for (int64_t i = 0; i < old->storage->size(); ++i) dst[i] += src[i];
    }
    impl->grad = std::move(old);
  }
  kept_.clear();
}

}  // namespace minigrad::autograd_detail
