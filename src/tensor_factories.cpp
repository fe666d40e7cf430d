// Tensor factories (declared in tensor.hpp), PyTorch's TensorFactories: new tensors from a shape
// and a fill, from nested lists or a vector, from a seeded generator, or over an existing storage.
// Every one is a new leaf: no graph, requires_grad false.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "minigrad/nested_list.hpp"
#include "minigrad/tensor.hpp"

namespace minigrad {

namespace {
// A new leaf over `storage`, which holds exactly numel(shape) values.
Tensor leaf(std::shared_ptr<Storage> storage, const Shape& shape) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->shape = shape;
  return Tensor(std::move(impl));
}
Tensor make(const Shape& shape, bool zero) {
  return leaf(std::make_shared<Storage>(shape_numel(shape), zero), shape);
}
}  // namespace

Tensor Tensor::empty(const Shape& shape) { return make(shape, false); }
Tensor Tensor::zeros(const Shape& shape) { return make(shape, true); }
Tensor Tensor::ones(const Shape& shape) { return full(shape, 1.0f); }
Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = empty(shape);
  std::fill_n(t.data(), t.numel(), value);
  return t;
}
Tensor Tensor::scalar(float value) { return full({}, value); }
Tensor Tensor::zeros_like(const Tensor& other) { return zeros(other.shape()); }
Tensor Tensor::ones_like(const Tensor& other) { return ones(other.shape()); }
Tensor Tensor::arange(int64_t n) {
  Tensor t = empty({n});
  for (int64_t i = 0; i < n; ++i) t.data()[i] = static_cast<float>(i);
  return t;
}

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
  Tensor t = empty(shape);
  if (!values.empty()) std::memcpy(t.data(), values.data(), values.size() * sizeof(float));
  return t;
}
Tensor Tensor::from(const std::vector<float>& values) {
  return from(values, {static_cast<int64_t>(values.size())});
}

Tensor Tensor::rand(const Shape& shape, Generator& gen) { return uniform(shape, 0.0f, 1.0f, gen); }
Tensor Tensor::randn(const Shape& shape, Generator& gen) {
  Tensor t = empty(shape);
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = gen.normal();
  return t;
}
Tensor Tensor::uniform(const Shape& shape, float low, float high, Generator& gen) {
  if (!(low <= high))
    throw std::invalid_argument(
        fmt::format("Tensor::uniform: low ({}) must not exceed high ({})", low, high));
  Tensor t = empty(shape);
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = gen.uniform(low, high);
  return t;
}

Tensor Tensor::from_storage(std::shared_ptr<Storage> storage, const Shape& shape) {
  if (!storage || storage->size() != shape_numel(shape))
    throw std::invalid_argument(
        fmt::format("Tensor::from_storage: a storage of {} values cannot have shape {} ({} values)",
                    storage ? storage->size() : 0, shape_str(shape), shape_numel(shape)));
  return leaf(std::move(storage), shape);
}

}  // namespace minigrad
