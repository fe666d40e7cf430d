// Tensor: an n-dimensional float32 array in contiguous row-major storage, plus the autograd
// bookkeeping (requires_grad, grad, grad_fn). A Tensor is a *handle*: copying one shares its data
// and its grad, like `b = a` in Python; clone() copies, detach() shares the data but leaves the
// graph. No strides: every tensor is contiguous, so reshape()/view() are free and transpose()
// copies. Ops live in ops/*.hpp.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "minigrad/generator.hpp"
#include "minigrad/nested_list.hpp"
#include "minigrad/shape.hpp"
#include "minigrad/storage.hpp"

namespace minigrad {

class Node;

/// Everything a Tensor handle points at. Users normally never touch this directly.
struct TensorImpl {
  std::shared_ptr<Storage> storage;  // shared by views (reshape/view/detach)
  Shape shape;
  bool requires_grad = false;
  bool retains_grad = false;         // keep .grad on a non-leaf after backward()
  std::shared_ptr<TensorImpl> grad;  // same shape as this tensor, or null
  std::shared_ptr<Node> grad_fn;     // the node that produced this tensor (null for a leaf)
};

class Tensor {
 public:
  /// An undefined tensor (like a default-constructed torch::Tensor); defined() is false.
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- factories (tensor_factories.cpp): each a new leaf; random ones take a generator ----
  /// Uninitialised values: only for outputs that are fully overwritten.
  static Tensor empty(const Shape& shape);
  static Tensor zeros(const Shape& shape);
  static Tensor ones(const Shape& shape);
  static Tensor full(const Shape& shape, float value);
  static Tensor scalar(float value);
  /// From nested lists: Tensor::from({1, 2, 3}) is [3], Tensor::from({{0}, {1}}) is [2, 1].
  static Tensor from(std::initializer_list<NestedList> items);
  /// Values copied from a vector, viewed with `shape` (numel must match).
  static Tensor from(const std::vector<float>& values, const Shape& shape);
  static Tensor from(const std::vector<float>& values);
  static Tensor zeros_like(const Tensor& other);
  static Tensor ones_like(const Tensor& other);
  /// U[0, 1), N(0, 1), U[low, high), and 0, 1, ..., n-1.
  static Tensor rand(const Shape& shape, Generator& gen);
  static Tensor randn(const Shape& shape, Generator& gen);
  static Tensor uniform(const Shape& shape, float low, float high, Generator& gen);
  static Tensor arange(int64_t n);
  /// Over an existing storage (no copy) of exactly numel values, e.g. a loader's batch buffer.
  static Tensor from_storage(std::shared_ptr<Storage> storage, const Shape& shape);

  // ---- shape and data ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  /// Size of dimension d; negative d counts from the end like PyTorch.
  int64_t size(int64_t d) const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  /// Number of values. O(1): a storage always holds exactly numel values (tensors are contiguous).
  int64_t numel() const { return checked().storage->size(); }
  float* data() { return checked().storage->data(); }
  const float* data() const { return checked().storage->data(); }
  /// Element at a multi-index, bounds-checked: t.at({i, j}).
  float& at(std::initializer_list<int64_t> index);
  float at(std::initializer_list<int64_t> index) const;
  /// The single value of a one-element tensor.
  float item() const;
  std::vector<float> to_vector() const;

  /// A copy with its own storage, not attached to the graph.
  Tensor clone() const;
  /// Same storage, no grad_fn, requires_grad false: cuts the graph here.
  Tensor detach() const;
  /// Same data, new shape (one dimension may be -1). Differentiable.
  Tensor reshape(const Shape& shape) const;
  /// Alias of reshape: every minigrad tensor is contiguous, so a view always exists.
  Tensor view(const Shape& shape) const { return reshape(shape); }
  /// Copies values from `src` (same numel) into this tensor's storage; not recorded.
  Tensor& copy_(const Tensor& src);
  /// Sets every element; not recorded.
  Tensor& fill_(float value);
  /// Sets every element to 0; not recorded.
  Tensor& zero_() { return fill_(0.0f); }
  /// In-place writes to the storage so far (PyTorch's `_version`; see saved_versions.hpp).
  int64_t version() const { return checked().storage->version(); }
  /// Call after writing into data() in place, so a graph that saved the old values refuses them.
  void bump_version() { checked().storage->bump_version(); }

  // ---- autograd ----
  bool requires_grad() const;
  /// Marks a leaf as needing a gradient (like torch's requires_grad_()).
  Tensor& requires_grad_(bool on = true);
  /// The accumulated gradient, or an undefined tensor if none has been computed.
  Tensor grad() const;
  /// Zeroes the gradient in place (set_to_none drops it instead).
  void zero_grad(bool set_to_none = false);
  /// Keep this non-leaf tensor's grad after backward() (like torch's retain_grad()).
  Tensor& retain_grad();
  const std::shared_ptr<Node>& grad_fn() const;
  /// True for tensors made by the user (no grad_fn).
  bool is_leaf() const;
  /// Reverse-mode differentiation from this tensor: a scalar seeds itself with 1, another shape
  /// needs a `grad_output` of that shape. The graph is released unless retain_graph is true.
  void backward(const Tensor& grad_output = Tensor(), bool retain_graph = false) const;

  /// PyTorch-like text: "tensor([[1.0000, 2.0000], ...], shape=[2, 2], requires_grad=True)".
  std::string str() const;

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  /// True if both handles share one TensorImpl.
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

 private:
  TensorImpl& checked() const {
    if (!impl_) throw_undefined();
    return *impl_;
  }
  [[noreturn]] static void throw_undefined();
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace minigrad
