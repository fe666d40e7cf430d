// Tensor: factories, element access, views, and the autograd accessors. How a tensor prints is
// in tensor_print.cpp: formatting, not part of what a tensor is.
#include "minigrad/tensor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "minigrad/autograd.hpp"

namespace minigrad {

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw std::invalid_argument("negative dimension in shape " + shape_str(shape));
    n *= d;
  }
  return n;
}

namespace {
// A new handle to `storage` viewed with `shape`, whose number of values the caller has checked.
Tensor view_of(std::shared_ptr<Storage> storage, const Shape& shape) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->shape = shape;
  return Tensor(std::move(impl));
}
Tensor make(const Shape& shape, bool zero) {
  return view_of(std::make_shared<Storage>(shape_numel(shape), zero), shape);
}
}  // namespace

// ---- factories ----
Tensor Tensor::empty(const Shape& shape) { return make(shape, false); }
Tensor Tensor::zeros(const Shape& shape) { return make(shape, true); }
Tensor Tensor::ones(const Shape& shape) { return full(shape, 1.0f); }
Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = make(shape, false);
  std::fill_n(t.data(), t.numel(), value);
  return t;
}
Tensor Tensor::scalar(float value) { return full({}, value); }
NestedList::NestedList(float value) : values_{value} {}
NestedList::NestedList(std::initializer_list<NestedList> items) {
  shape_.push_back(static_cast<int64_t>(items.size()));
  if (items.size() == 0) return;
  const Shape& first = items.begin()->shape();
  shape_.insert(shape_.end(), first.begin(), first.end());
  values_.reserve(items.size() * items.begin()->values().size());
  int64_t i = 0;
  for (const NestedList& item : items) {
    if (item.shape() != first)
      throw std::invalid_argument(fmt::format(
          "Tensor::from: element {} of a list has shape {} but element 0 has shape {} (HINT: "
          "every list at one depth must hold the same number of values, nested the same way)",
          i, shape_str(item.shape()), shape_str(first)));
    values_.insert(values_.end(), item.values().begin(), item.values().end());
    ++i;
  }
}
Tensor Tensor::from(std::initializer_list<NestedList> items) {
  const NestedList all(items);
  return from(all.values(), all.shape());
}
Tensor Tensor::from(const std::vector<float>& values, const Shape& shape) {
  if (shape_numel(shape) != static_cast<int64_t>(values.size()))
    throw std::invalid_argument(
        fmt::format("Tensor::from: {} values cannot have shape {} ({} values)", values.size(),
                    shape_str(shape), shape_numel(shape)));
  Tensor t = make(shape, false);
  if (!values.empty()) std::memcpy(t.data(), values.data(), values.size() * sizeof(float));
  return t;
}
Tensor Tensor::from(const std::vector<float>& values) {
  return from(values, {static_cast<int64_t>(values.size())});
}
Tensor Tensor::zeros_like(const Tensor& other) { return zeros(other.shape()); }
Tensor Tensor::ones_like(const Tensor& other) { return ones(other.shape()); }
Tensor Tensor::rand(const Shape& shape, Generator& gen) { return uniform(shape, 0.0f, 1.0f, gen); }
Tensor Tensor::randn(const Shape& shape, Generator& gen) {
  Tensor t = make(shape, false);
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = gen.normal();
  return t;
}
Tensor Tensor::uniform(const Shape& shape, float low, float high, Generator& gen) {
  if (!(low <= high))
    throw std::invalid_argument(
        fmt::format("Tensor::uniform: low ({}) must not exceed high ({})", low, high));
  Tensor t = make(shape, false);
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = gen.uniform(low, high);
  return t;
}
Tensor Tensor::from_storage(std::shared_ptr<Storage> storage, const Shape& shape) {
  if (!storage || storage->size() != shape_numel(shape))
    throw std::invalid_argument(
        fmt::format("Tensor::from_storage: a storage of {} values cannot have shape {} ({} values)",
                    storage ? storage->size() : 0, shape_str(shape), shape_numel(shape)));
  return view_of(std::move(storage), shape);
}
Tensor Tensor::arange(int64_t n) {
  Tensor t = make({n}, false);
  for (int64_t i = 0; i < n; ++i) t.data()[i] = static_cast<float>(i);
  return t;
}

// ---- shape and data ----
void Tensor::throw_undefined() {
  throw std::logic_error(
      "use of an undefined Tensor (HINT: it was default-constructed, or a "
      "grad() that has not been computed yet)");
}
const Shape& Tensor::shape() const { return checked().shape; }
int64_t Tensor::size(int64_t d) const {
  const int64_t n = dim();
  const int64_t k = d < 0 ? d + n : d;
  if (k < 0 || k >= n)
    throw std::out_of_range(
        fmt::format("size({}): dimension out of range for a tensor of shape {} "
                    "(HINT: use a dim from {} to {})",
                    d, shape_str(shape()), -n, n - 1));
  return shape()[static_cast<size_t>(k)];
}

namespace {
int64_t flat_index(const Shape& shape, std::initializer_list<int64_t> index) {
  if (index.size() != shape.size())
    throw std::out_of_range(
        fmt::format("at(): {} indices for a tensor of shape {} (HINT: give one "
                    "index per dimension)",
                    index.size(), shape_str(shape)));
  int64_t flat = 0;
  size_t d = 0;
  for (int64_t i : index) {
    if (i < 0 || i >= shape[d])
      throw std::out_of_range(
          fmt::format("at(): index {} is out of range for dimension {} of "
                      "shape {}",
                      i, d, shape_str(shape)));
    flat = flat * shape[d] + i;
    ++d;
  }
  return flat;
}
}  // namespace

float& Tensor::at(std::initializer_list<int64_t> index) {
  return data()[flat_index(shape(), index)];
}
float Tensor::at(std::initializer_list<int64_t> index) const {
  return data()[flat_index(shape(), index)];
}
float Tensor::item() const {
  if (numel() != 1)
    throw std::invalid_argument(
        fmt::format("item(): a tensor of shape {} has {} values, not one "
                    "(HINT: reduce it first with sum() or mean(), or read "
                    "one element with at())",
                    shape_str(shape()), numel()));
  return data()[0];
}
std::vector<float> Tensor::to_vector() const {
  return std::vector<float>(data(), data() + numel());
}

Tensor Tensor::clone() const {
  Tensor t = make(shape(), false);
  if (numel()) std::memcpy(t.data(), data(), static_cast<size_t>(numel()) * sizeof(float));
  return t;
}

Tensor Tensor::detach() const { return view_of(checked().storage, shape()); }

Tensor Tensor::reshape(const Shape& new_shape) const {
  const auto fail = [&] {
    throw std::invalid_argument(fmt::format(
        "reshape: cannot view shape {} ({} values) as {} (HINT: the number of values must stay "
        "the same; sizes are >= 0, and one of them may be -1 to have it inferred)",
        shape_str(shape()), numel(), shape_str(new_shape)));
  };
  Shape s = new_shape;
  auto infer = s.end();  // the size given as -1, if any
  int64_t known = 1;     // the product of the other sizes
  for (auto it = s.begin(); it != s.end(); ++it) {
    if (*it < -1 || (*it == -1 && infer != s.end())) fail();
    if (*it == -1)
      infer = it;
    else
      known *= *it;
  }
  if (infer != s.end()) {
    if (known == 0 || numel() % known != 0) fail();
    *infer = numel() / known;
  }
  if (shape_numel(s) != numel()) fail();
  // y = x viewed as s  ->  dx = dy viewed as x's shape
  return record(view_of(checked().storage, s), "reshape", {*this}, [x = *this](const Tensor& dy) {
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
Tensor Tensor::grad() const { return Tensor(checked().grad); }
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
