// to_dot(): an iterative walk from the root through grad_fn()->inputs(), written out as DOT.
#include "minigrad/viz/dot.hpp"

#include <fmt/format.h>

#include <unordered_map>

#include "minigrad/autograd.hpp"

namespace minigrad::viz {

namespace {

// A DOT string literal's body: quotes and backslashes escaped, so a name cannot end the label.
std::string dot_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// "2.5" for one element, "[1, -2, 0.5]" for several (4 significant digits).
std::string values_str(const Tensor& t) {
  const float* p = t.data();
  if (t.numel() == 1) return fmt::format("{:.4g}", p[0]);
  std::string s = "[";
  for (int64_t i = 0; i < t.numel(); ++i) s += fmt::format("{}{:.4g}", i ? ", " : "", p[i]);
  return s + "]";
}

// The label lines of one tensor: name or op, shape, and (when small enough) data and grad.
std::string label(const Tensor& t, const std::string& name, const DotOptions& options) {
  const auto& node = t.grad_fn();
  std::string text;
  if (node)
    text = (name.empty() ? "" : name + " = ") + dot_escape(node->name());
  else
    text = name.empty() ? (t.requires_grad() ? "leaf" : "constant") : name;
  text += "\\n" + dot_escape(shape_str(t.shape()));
  if (!node) text += t.requires_grad() ? "\\nrequires_grad" : "\\nno grad";
  if (node && node->released()) text += "\\n(released)";
  if (options.max_values > 0 && t.numel() <= options.max_values) {
    text += "\\ndata " + values_str(t);
    const Tensor g = t.grad();
    if (g.defined()) text += "\\ngrad " + values_str(g);
  }
  return text;
}

}  // namespace

std::string to_dot(const Tensor& root, const DotOptions& options) {
  std::unordered_map<const TensorImpl*, std::string> names;
  for (const auto& [name, t] : options.names)
    if (t.defined()) names.emplace(t.impl(), dot_escape(name));  // the first name given wins

  // Ids in the order tensors are found; each tensor is expanded once, however often it is used.
  std::unordered_map<const TensorImpl*, int> ids;
  std::vector<Tensor> found;  // found[id]
  std::vector<std::string> edges;
  auto id_of = [&](const Tensor& t) {
    auto [it, is_new] = ids.emplace(t.impl(), static_cast<int>(found.size()));
    if (is_new) found.push_back(t);
    return std::pair{it->second, is_new};
  };

  std::vector<Tensor> stack;
  if (root.defined()) {
    id_of(root);
    stack.push_back(root);
  }
  while (!stack.empty()) {
    const Tensor t = std::move(stack.back());
    stack.pop_back();
    const auto& node = t.grad_fn();
    if (!node) continue;
    const int to = ids.at(t.impl());
    for (const Tensor& in : node->inputs()) {  // empty once the graph is released
      if (!in.defined()) continue;
      const auto [from, is_new] = id_of(in);
      edges.push_back(fmt::format("  t{} -> t{};\n", from, to));
      if (is_new) stack.push_back(in);
    }
  }

  std::string dot =
      "// Edges run forwards, from the tensors an op read to the op; backward() walks them in\n"
      "// reverse. Ellipses are recorded ops, boxes are leaves: filled if they require a grad.\n"
      "digraph minigrad {\n"
      "  graph [fontname=\"Helvetica\", fontsize=11];\n"
      "  node [fontname=\"Helvetica\", fontsize=11];\n"
      "  edge [arrowsize=0.7];\n";
  if (!options.title.empty())
    dot += fmt::format("  label=\"{}\";\n  labelloc=b;\n", dot_escape(options.title));
  for (size_t id = 0; id < found.size(); ++id) {
    const Tensor& t = found[id];
    auto it = names.find(t.impl());
    const std::string text = label(t, it == names.end() ? "" : it->second, options);
    std::string style;
    if (t.grad_fn())
      style = t.grad_fn()->released() ? "shape=ellipse, style=dashed" : "shape=ellipse";
    else if (t.requires_grad())
      style = "shape=box, style=filled, fillcolor=\"#cfe2f3\"";
    else
      style = "shape=box, style=filled, fillcolor=\"#eeeeee\", fontcolor=\"#555555\"";
    if (id == 0) style += ", peripheries=2";  // the root: where backward() starts
    dot += fmt::format("  t{} [label=\"{}\", {}];\n", id, text, style);
  }
  for (const std::string& e : edges) dot += e;
  dot += "}\n";
  return dot;
}

}  // namespace minigrad::viz
