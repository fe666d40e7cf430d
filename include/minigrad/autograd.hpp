// Reverse-mode autograd: the graph node, the no-grad guard and the backward walk. Each op with an
// input that needs a gradient records one Node on its output, holding the op's inputs (edges run
// from an output back to its inputs, never forwards) and a closure that turns the output's
// gradient into contributions added (+=) to the inputs' grads. The engine passes that gradient
// in, so no closure holds its own output. Leaves out: higher-order gradients, in-place ops.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "minigrad/saved_versions.hpp"
#include "minigrad/tensor.hpp"

namespace minigrad {

class Node {
 public:
  /// Receives d(loss)/d(output) and adds d(loss)/d(input) into each input that requires a grad.
  using BackwardFn = std::function<void(const Tensor& dout)>;

  Node(std::string name, std::vector<Tensor> inputs, BackwardFn backward);
  /// Tears long chains down iteratively (graph_teardown.cpp): no stack overflow at 100,000 ops.
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const std::string& name() const { return name_; }
  const std::vector<Tensor>& inputs() const { return inputs_; }
  bool released() const { return released_; }
  /// Notes the current versions of what the backward reads (`output` is the op's result).
  void save_versions(Saved saved, const Tensor& output) { versions_.note(saved, inputs_, output); }
  /// Runs the backward closure; throws if the graph was already released or if a tensor it
  /// reads was modified in place after this node was recorded.
  void apply(const Tensor& dout);
  /// Drops the inputs and the closure (and everything it saved).
  void release();

 private:
  std::string name_;
  std::vector<Tensor> inputs_;
  BackwardFn backward_;
  bool released_ = false;
  SavedVersions versions_;  // of the values backward_ reads (saved_versions.hpp)
};

/// True unless a NoGradGuard is alive on this thread.
bool grad_enabled();

/// While alive, ops record nothing (like torch::NoGradGuard). Nests; thread-local.
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// Whether an op with these inputs must record a node: grad mode on and any input requires grad.
bool should_record(std::initializer_list<const Tensor*> inputs);
bool should_record(const std::vector<Tensor>& inputs);

/// Attaches a node to `out` when should_record(inputs); returns `out` either way. Ops call this
/// right after computing their forward result, saying what their backward reads:
///   return record(y, "relu", {x}, [x](const Tensor& dy) { ... });           // reads x
///   return record(y, "add", {a, b}, [a, b](const Tensor& dy) { ... }, Saved::none);
Tensor record(Tensor out, std::string name, std::vector<Tensor> inputs, Node::BackwardFn backward,
              Saved saved = Saved::inputs);

/// The gradient buffer of `t`, created as zeros of t's shape on first use. Backward closures
/// add (+=) into it; a plain = would drop the contribution of every other path through t.
float* grad_buffer(const Tensor& t);
/// grad_buffer for a backend kernel that adds into every element of it: zeros still owed (a new
/// buffer, or one zero_grad() left to the backend) are not written here but left to the kernel,
/// which asks backend::take_zeros and then stores its sums instead of adding them to zeros read.
float* grad_buffer_for_kernel(const Tensor& t);

/// The engine behind Tensor::backward(): iterative topological sort, reverse walk, release.
void run_backward(const Tensor& root, const Tensor& grad_output, bool retain_graph);

}  // namespace minigrad
