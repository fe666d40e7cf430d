// The autograd engine: graph nodes, grad mode, and the backward walk.
#include "minigrad/autograd.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <unordered_set>
#include <utility>

namespace minigrad {

// ---- grad mode: the only global state, one flag per thread ----
namespace {
thread_local bool g_grad_enabled = true;
}
bool grad_enabled() { return g_grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }

// ---- Node ----
namespace {
[[noreturn]] void throw_released(const std::string& op) {
  throw std::logic_error(fmt::format(
      "backward(): the graph through '{}' was already released by an earlier backward() "
      "(HINT: pass retain_graph=true to the first backward() if you need to walk it twice)",
      op));
}
}  // namespace

Node::Node(std::string name, std::vector<Tensor> inputs, BackwardFn backward)
    : name_(std::move(name)), inputs_(std::move(inputs)), backward_(std::move(backward)) {}

Node::~Node() {
  // Destroying a node drops its inputs, whose nodes drop theirs, and so on: done recursively a
  // 100,000-op chain overflows the stack. Instead, nodes about to die with their last owner are
  // moved onto an explicit stack and emptied one at a time.
  std::vector<std::shared_ptr<Node>> pending;
  auto harvest = [&pending](Node& n) {
    n.backward_ = nullptr;  // the closure's copies of the inputs go first
    for (size_t i = 0; i < n.inputs_.size(); ++i) {
      TensorImpl* impl = n.inputs_[i].impl();
      if (impl == nullptr || !impl->grad_fn || impl->grad_fn.use_count() != 1) continue;
      // The input dies with this node if every handle to it is one of this node's inputs
      // (y + y holds y twice).
      long held_here = 0;
      for (const Tensor& t : n.inputs_) held_here += t.impl() == impl ? 1 : 0;
      if (n.inputs_[i].impl_ptr().use_count() == held_here)
        pending.push_back(std::move(impl->grad_fn));  // later copies now see no grad_fn
    }
    n.inputs_.clear();
  };
  harvest(*this);
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    harvest(*n);
  }  // each n now dies with nothing left to recurse into
}

void Node::save_versions(Saved saved, const Tensor& output) {
  if (saved == Saved::inputs || saved == Saved::inputs_and_output) {
    input_versions_.reserve(inputs_.size());
    for (const Tensor& t : inputs_)
      input_versions_.push_back(t.defined() ? t.impl()->storage->version() : -1);
  }
  if (saved == Saved::output || saved == Saved::inputs_and_output) {
    output_storage_ = output.impl()->storage;
    output_version_ = output_storage_->version();
    output_shape_ = output.shape();
  }
}

void Node::check_versions() const {
  auto fail = [this](const std::string& which, const Shape& shape, int64_t now, int64_t then) {
    throw std::logic_error(fmt::format(
        "backward(): one of the tensors needed to compute the gradient of '{}' ({}, shape {}) "
        "has been modified by an in-place operation: its version is {}, it was {} when '{}' "
        "used it (HINT: clone() the tensor before writing to it with fill_/copy_/zero_ or an "
        "optimizer step, or write to it only after backward())",
        name_, which, shape_str(shape), now, then, name_));
  };
  for (size_t i = 0; i < input_versions_.size(); ++i) {
    if (input_versions_[i] < 0) continue;
    const int64_t now = inputs_[i].impl()->storage->version();
    if (now != input_versions_[i])
      fail(fmt::format("input {}", i), inputs_[i].shape(), now, input_versions_[i]);
  }
  if (output_storage_ && output_storage_->version() != output_version_)
    fail("its output", output_shape_, output_storage_->version(), output_version_);
}

void Node::apply(const Tensor& dout) {
  if (released_) throw_released(name_);
  check_versions();
  backward_(dout);
}

void Node::release() {
  backward_ = nullptr;
  inputs_.clear();
  input_versions_.clear();
  output_storage_.reset();
  released_ = true;
}

// ---- recording ----
bool should_record(std::initializer_list<const Tensor*> inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

bool should_record(const std::vector<Tensor>& inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

Tensor record(Tensor out, std::string name, std::vector<Tensor> inputs, Node::BackwardFn backward,
              Saved saved) {
  if (!should_record(inputs)) return out;
  out.impl()->requires_grad = true;
  auto node = std::make_shared<Node>(std::move(name), std::move(inputs), std::move(backward));
  node->save_versions(saved, out);
  out.impl()->grad_fn = std::move(node);
  return out;
}

float* grad_buffer(const Tensor& t) {
  TensorImpl* impl = t.impl();
  if (!impl->grad) impl->grad = Tensor::zeros(impl->shape).impl_ptr();
  return impl->grad->storage->data();
}

// ---- backward ----
namespace {
// Post-order of every tensor that requires grad and can reach `root`, found with an explicit
// stack (no recursion: a learner's scalar graph may be 100,000 nodes deep). Inputs come before
// the tensors computed from them, so walking the list backwards visits each tensor only after
// every consumer has added its contribution to the tensor's grad.
std::vector<Tensor> topological_order(const Tensor& root) {
  std::vector<Tensor> order;
  std::unordered_set<TensorImpl*> seen;
  struct Frame {
    Tensor t;
    size_t next_input;
  };
  std::vector<Frame> stack;
  stack.push_back({root, 0});
  seen.insert(root.impl());
  while (!stack.empty()) {
    Frame& f = stack.back();
    const auto& node = f.t.grad_fn();
    if (node && node->released()) throw_released(node->name());
    if (node && f.next_input < node->inputs().size()) {
      const Tensor& in = node->inputs()[f.next_input++];
      if (in.defined() && in.requires_grad() && seen.insert(in.impl()).second)
        stack.push_back({in, 0});  // invalidates f; the loop re-reads stack.back()
      continue;
    }
    order.push_back(std::move(f.t));
    stack.pop_back();
  }
  return order;
}
}  // namespace

void run_backward(const Tensor& root, const Tensor& grad_output, bool retain_graph) {
  if (!root.requires_grad())
    throw std::logic_error(fmt::format(
        "backward(): this tensor of shape {} does not require grad, so there is nothing to "
        "differentiate (HINT: call requires_grad_() on the leaf tensors you want gradients for "
        "before computing with them, and make sure no NoGradGuard is alive)",
        shape_str(root.shape())));
  Tensor seed;
  if (!grad_output.defined()) {
    if (root.numel() != 1)
      throw std::logic_error(fmt::format(
          "backward(): a gradient can be created implicitly only for a scalar, but this tensor "
          "has shape {} (HINT: reduce it with sum() or mean(), or pass a grad_output of shape {})",
          shape_str(root.shape()), shape_str(root.shape())));
    seed = Tensor::ones(root.shape());
  } else {
    if (grad_output.shape() != root.shape())
      throw std::logic_error(
          fmt::format("backward(): grad_output has shape {} but the tensor has "
                      "shape {} (HINT: they must match exactly)",
                      shape_str(grad_output.shape()), shape_str(root.shape())));
    seed = grad_output;
  }

  NoGradGuard no_grad;  // backward closures must not record anything themselves
  std::vector<Tensor> order = topological_order(root);

  // Intermediate (non-leaf) tensors get fresh grad buffers for this walk; a retained grad from
  // an earlier walk is set aside and the new one added to it at the end, as PyTorch does.
  std::vector<std::pair<TensorImpl*, std::shared_ptr<TensorImpl>>> retained;
  for (Tensor& t : order) {
    TensorImpl* impl = t.impl();
    if (!impl->grad_fn) continue;
    if (impl->retains_grad && impl->grad) retained.emplace_back(impl, std::move(impl->grad));
    impl->grad.reset();
  }

  float* droot = grad_buffer(root);  // dL/dL = 1, added (+=) like every other contribution
  for (int64_t i = 0; i < seed.numel(); ++i) droot[i] += seed.data()[i];
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    TensorImpl* impl = it->impl();
    if (!impl->grad_fn || !impl->grad) continue;  // a leaf, or no gradient reached it
    impl->grad_fn->apply(Tensor(impl->grad));
  }

  for (Tensor& t : order) {
    TensorImpl* impl = t.impl();
    if (!impl->grad_fn) continue;
    if (!impl->retains_grad) impl->grad.reset();
    if (!retain_graph) impl->grad_fn->release();
  }
  for (auto& [impl, old] : retained) {
    if (impl->grad) {
      float* dst = old->storage->data();
      const float* src = impl->grad->storage->data();
      for (int64_t i = 0; i < shape_numel(old->shape); ++i) dst[i] += src[i];
    }
    impl->grad = std::move(old);
  }
}

}  // namespace minigrad
