// The autograd engine: grad mode, recording a node, and the backward walk. How a dropped graph is
// freed is in graph_teardown.cpp; the in-place checks in saved_versions.cpp; retain_grad()'s
// rules in retained_grads.hpp.
#include "minigrad/autograd.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <unordered_set>
#include <utility>

#include "minigrad/backend/backend.hpp"
#include "retained_grads.hpp"

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

void Node::apply(const Tensor& dout) {
  if (released_) throw_released(name_);
  versions_.check(name_, inputs_);
  backward_(dout);
}

void Node::release() {
  backward_ = nullptr;
  inputs_.clear();
  versions_.clear();
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
  // Zeros that an optimizer's zero_grad() left to the backend are written now (backend.hpp).
  return backend::settle(impl->grad->storage->data());
}

float* grad_buffer_for_kernel(const Tensor& t) {
  TensorImpl* impl = t.impl();
  if (!impl->grad) {
    impl->grad = Tensor::empty(impl->shape).impl_ptr();
    backend::zero_later(impl->grad->storage->data(), impl->grad->storage->size());
  }
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
  if (!grad_output.defined() && root.numel() != 1)
    throw std::logic_error(fmt::format(
        "backward(): a gradient can be created implicitly only for a scalar, but this tensor "
        "has shape {} (HINT: reduce it with sum() or mean(), or pass a grad_output of shape {})",
        shape_str(root.shape()), shape_str(root.shape())));
  if (grad_output.defined() && grad_output.shape() != root.shape())
    throw std::logic_error(fmt::format(
        "backward(): grad_output has shape {} but the tensor has shape {} (HINT: they must match "
        "exactly)",
        shape_str(grad_output.shape()), shape_str(root.shape())));
  const Tensor seed = grad_output.defined() ? grad_output : Tensor::ones(root.shape());

  NoGradGuard no_grad;  // backward closures must not record anything themselves
  std::vector<Tensor> order = topological_order(root);
  autograd_detail::RetainedGrads retained(order);  // non-leaf grads start empty for this walk

  float* droot = grad_buffer(root);  // dL/dL = 1, added (+=) like every other contribution
  for (int64_t i = 0; i < seed.numel(); ++i) droot[i] += seed.data()[i];
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    TensorImpl* impl = it->impl();
    if (!impl->grad_fn || !impl->grad) continue;  // a leaf, or no gradient reached it
    impl->grad_fn->apply(Tensor(impl->grad));
  }

  // Freed in the reverse of the order they were made, as C++ frees a function's locals: the
  // intermediate grads (made from the loss back) inputs first, then every node's closure and the
  // walk's tensors (made from the inputs forward) outputs first. A memory cache that hands out
  // first the buffer given back last then gives each op, at the next step, the buffer it had at
  // this one (docs/autograd.md, "The graph is freed after backward()").
  for (Tensor& t : order) {
    TensorImpl* impl = t.impl();
    if (impl->grad_fn && !impl->retains_grad) impl->grad.reset();
  }
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    TensorImpl* impl = it->impl();
    if (impl->grad_fn && !retain_graph) impl->grad_fn->release();
  }
  retained.restore();
  while (!order.empty()) order.pop_back();
}

}  // namespace minigrad
