// to_dot(): the graph behind a tensor as Graphviz DOT text, to look at what backward() will walk.
// Teaches what a graph holds: every op that was recorded (an ellipse: its name and the shape it
// produced), the tensors it read (boxes: leaves that require a grad are filled, constants are
// grey), and the edges from inputs to ops. Render with `dot -Tsvg graph.dot -o graph.svg`.
// Leaves out: rendering itself (that is Graphviz's job) and graphs of several roots.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "minigrad/tensor.hpp"

namespace minigrad::viz {

/// Labels for particular tensors: {{"x", x}, {"w", w}}, or a module's named_parameters().
using TensorNames = std::vector<std::pair<std::string, Tensor>>;

struct DotOptions {
  /// Names shown on the tensors they belong to (leaves and op outputs alike).
  TensorNames names = {};
  /// Also print the values, and the grad where there is one, of tensors with at most this many
  /// elements (0: never). Useful for scalar graphs; an MLP's weights are far too big for it.
  int64_t max_values = 0;
  /// A caption under the picture.
  std::string title = {};
};

/// The graph that produced `root`, found by following grad_fn()->inputs() with an explicit stack
/// (no recursion). Node ids (t0, t1, ...) are given in the order tensors are found from the root,
/// so the text is the same on every run. An op whose graph backward() already released is drawn
/// dashed and labelled "released", with no inputs left to show.
/// With names: to_dot(loss, {.names = model->named_parameters()}).
std::string to_dot(const Tensor& root, const DotOptions& options = {});

}  // namespace minigrad::viz
