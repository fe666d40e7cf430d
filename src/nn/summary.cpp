// summary(): torchinfo's layer table, built from one observed forward pass on zeros.
#include "minigrad/nn/summary.hpp"

#include <fmt/format.h>

#include <unordered_map>
#include <vector>

#include "minigrad/autograd.hpp"

namespace minigrad::nn {

std::string with_thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

namespace {

struct Row {
  Module* module;
  int depth;  // 0 for the root
  int index;  // 1-based count of the modules met so far at this depth, as torchinfo numbers them
};

// Pre-order walk: a module, then its children, so rows read top to bottom like the model.
void walk(Module& m, int depth, std::vector<Row>& rows, std::vector<int>& counters) {
  if (static_cast<int>(counters.size()) <= depth)
    counters.resize(static_cast<size_t>(depth) + 1, 0);
  rows.push_back({&m, depth, ++counters[static_cast<size_t>(depth)]});
  for (const auto& [name, child] : m.children()) walk(*child, depth + 1, rows, counters);
}

// Pads to `width` characters, counting UTF-8 code points (the tree glyphs are 3 bytes each).
std::string pad(const std::string& s, size_t width) {
  size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  return s + std::string(chars < width ? width - chars : 1, ' ');
}

}  // namespace

std::string summary(Module& module, const Shape& input_shape) {
  std::vector<Row> rows;
  std::vector<int> counters;
  walk(module, 0, rows, counters);

  // Shapes from an observed forward in eval mode (BatchNorm then accepts any batch and Dropout
  // draws nothing); every module's own mode is put back afterwards, even if forward throws.
  std::unordered_map<const Module*, Shape> shapes;
  std::vector<bool> modes;
  for (const Row& r : rows) modes.push_back(r.module->is_training());
  auto restore = [&rows, &modes] {
    for (size_t i = 0; i < rows.size(); ++i)  // pre-order: a parent's train() is fixed up below it
      if (rows[i].module->is_training() != modes[i]) rows[i].module->train(modes[i]);
  };
  module.eval();
  try {
    NoGradGuard no_grad;
    ForwardObserver observer(
        [&shapes](const Module& m, const Tensor& y) { shapes[&m] = y.shape(); });
    module(Tensor::zeros(input_shape));
  } catch (...) {
    restore();
    throw;
  }
  restore();

  std::string out = pad("Layer (type:depth-idx)", 41) + pad("Output Shape", 26) + "Param #\n";
  int64_t total = 0, trainable = 0;
  double mult_adds = 0;
  for (const Row& r : rows) {
    Module& m = *r.module;
    int64_t own = m.num_parameters();
    for (const auto& [name, child] : m.children()) own -= child->num_parameters();

    std::string label;
    if (r.depth == 0) {
      label = m.type_name();
    } else {
      std::string prefix = "├─";
      if (r.depth > 1) {
        prefix.clear();
        for (int d = 1; d < r.depth; ++d) prefix += "│    ";
        prefix += "└─";
      }
      label = fmt::format("{}{}: {}-{}", prefix, m.type_name(), r.depth, r.index);
    }
    auto it = shapes.find(&m);
    const std::string shape = it == shapes.end() ? "--" : shape_str(it->second);
    out += pad(label, 41) + pad(shape, 26) + (own > 0 ? with_thousands(own) : "--") + "\n";

    // torchinfo's count: each of the module's own parameters is used once per output row.
    if (own > 0 && it != shapes.end() && !it->second.empty() && it->second.back() > 0)
      mult_adds += static_cast<double>(own) *
                   static_cast<double>(shape_numel(it->second) / it->second.back());
  }
  for (const Tensor& p : module.parameters()) {
    total += p.numel();
    if (p.requires_grad()) trainable += p.numel();
  }
  out += "Total params: " + with_thousands(total) + "\n";
  out += "Trainable params: " + with_thousands(trainable) + "\n";
  out += "Non-trainable params: " + with_thousands(total - trainable) + "\n";
  out += fmt::format("Total mult-adds (M): {:.2f}\n", mult_adds / 1e6);
  out += fmt::format("Input size (MB): {:.2f}\n",
                     static_cast<double>(shape_numel(input_shape)) * 4 / 1e6);
  out += fmt::format("Params size (MB): {:.2f}\n", static_cast<double>(total) * 4 / 1e6);
  return out;
}

}  // namespace minigrad::nn
