// Tensor: shapes, views, in-place writes and the autograd accessors. The factories are in
// tensor_factories.cpp, element access (at, item) in tensor_access.cpp, printing in
// tensor_print.cpp.
#include "minigrad/tensor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/backend.hpp"

namespace minigrad {

// ---- shape and data ----
void Tensor::throw_undefined() {
  throw std::logic_error(
      "use of an undefined Tensor (HINT: it was default-constructed, or a grad() that has not "
      "been computed yet)");
}
const Shape& Tensor::shape() const { return checked().shape; }
int64_t Tensor::size(int64_t d) const {
  const int64_t n = dim();
  const int64_t k = d < 0 ? d + n : d;
  if (k < 0 || k >= n)
    throw std::out_of_range(fmt::format(
        "size({}): dimension out of range for a tensor of shape {} (HINT: use a dim from {} to {})",
        d, shape_str(shape()), -n, n - 1));
  return shape()[static_cast<size_t>(k)];
}

Tensor Tensor::clone() const {
  Tensor t = empty(shape());
  if (numel()) std::memcpy(t.data(), data(), static_cast<size_t>(numel()) * sizeof(float));
  return t;
}

Tensor Tensor::detach() const { return from_storage(checked().storage, shape()); }

Tensor Tensor::reshape(const Shape& new_shape) const {
  Tensor y = from_storage(checked().storage, infer_shape(shape(), new_shape));
  // y = x viewed with a new shape  ->  dx = dy viewed as x's shape
  return record(y, "reshape", {*this}, [x = *this](const Tensor& dy) {
    float* dx = grad_buffer(x);
    const float* g = dy.data();
    for (int64_t i = 0; i < dy.numel(); ++i) dx[i] += g[i];
  }, Saved::none);
}

Tensor& Tensor::copy_(const Tensor& src) {
  if (src.numel() != numel())
    throw std::invalid_argument(fmt::format("copy_: source has shape {} but destination has {}",
                                            shape_str(src.shape()), shape_str(shape())));
  if (numel()) std::memmove(data(), src.data(), static_cast<size_t>(numel()) * sizeof(float));
  bump_version();
  return *this;
}

Tensor& Tensor::fill_(float value) {
  std::fill_n(data(), numel(), value);
  bump_version();
  return *this;
}

// ---- autograd ----
bool Tensor::requires_grad() const { return checked().requires_grad; }
Tensor& Tensor::requires_grad_(bool on) {
  if (!on && checked().grad_fn)
    throw std::logic_error("requires_grad_(false) on a non-leaf tensor (HINT: use detach())");
  checked().requires_grad = on;
  return *this;
}
Tensor Tensor::grad() const {
  const TensorImpl& impl = checked();
  if (impl.grad) backend::settle(impl.grad->storage->data());  // zeros a zero_grad() deferred
  return Tensor(impl.grad);
}
void Tensor::zero_grad(bool set_to_none) {
  TensorImpl& impl = checked();
  if (!impl.grad) return;
  if (set_to_none)
    impl.grad.reset();
  else
    std::fill_n(impl.grad->storage->data(), impl.grad->storage->size(), 0.0f);
}
Tensor& Tensor::retain_grad() {
  checked().retains_grad = true;
  return *this;
}
const std::shared_ptr<Node>& Tensor::grad_fn() const { return checked().grad_fn; }
bool Tensor::is_leaf() const { return checked().grad_fn == nullptr; }
void Tensor::backward(const Tensor& grad_output, bool retain_graph) const {
  run_backward(*this, grad_output, retain_graph);
}

}  // namespace minigrad
