// Reverse-mode autograd: the graph node, the no-grad guard and the backward walk.
//
// Every op that has an input needing a gradient records one Node on its output. The Node holds
// the op's inputs (edges point from an output back to its inputs, never forward) and a backward
// closure that turns the output's gradient into contributions added (+=) to the inputs' grads.
// The engine passes the output's gradient to the closure, so a closure never holds its own
// output: no shared_ptr cycle, the graph dies with its last tensor. A node notes the storage
// version of every tensor its backward will read and refuses to run if one was written in place
// since (the gradient would silently use the new values). Leaves out: higher-order gradients
// (backward itself is never recorded) and in-place ops recorded in a graph.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "minigrad/tensor.hpp"

namespace minigrad {

/// What an op's backward reads besides dout, so that writes to it in place can be detected:
/// mul reads its inputs, exp its output (y = eˣ, dx = dy·y), add nothing.
enum class Saved { none, inputs, output, inputs_and_output };

class Node {
 public:
  /// Receives d(loss)/d(output) and adds d(loss)/d(input) into each input that requires a grad.
  using BackwardFn = std::function<void(const Tensor& dout)>;

  Node(std::string name, std::vector<Tensor> inputs, BackwardFn backward);
  /// Tears long chains down iteratively, so dropping a 100,000-op graph cannot overflow the stack.
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const std::string& name() const { return name_; }
  const std::vector<Tensor>& inputs() const { return inputs_; }
  bool released() const { return released_; }
  /// Notes the current versions of what the backward reads (`output` is the op's result).
  void save_versions(Saved saved, const Tensor& output);
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
  // Version of inputs_[i]'s storage when recorded, or -1 if the backward does not read it.
  std::vector<int64_t> input_versions_;
  std::shared_ptr<Storage> output_storage_;  // set only when the backward reads the output
  int64_t output_version_ = 0;
  Shape output_shape_;
  void check_versions() const;
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

/// The engine behind Tensor::backward(): iterative topological sort, reverse walk, release.
void run_backward(const Tensor& root, const Tensor& grad_output, bool retain_graph);

}  // namespace minigrad
