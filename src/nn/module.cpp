// Module: registration, dotted names, train/eval, state_dict round trips and PyTorch's repr.
// load_state_dict checks everything first and copies only if all is well, so a bad checkpoint
// never leaves a model half-loaded.
#include "minigrad/nn/module.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <unordered_map>

#include "minigrad/autograd.hpp"

namespace minigrad::nn {

// ---- forward observers (summary) ----
namespace {
thread_local ForwardObserver* g_observer = nullptr;
}

ForwardObserver::ForwardObserver(Callback on_output)
    : on_output_(std::move(on_output)), previous_(g_observer) {
  g_observer = this;
}
ForwardObserver::~ForwardObserver() { g_observer = previous_; }

Tensor Module::operator()(const Tensor& x) {
  Tensor y = forward(x);
  if (g_observer != nullptr) g_observer->on_output_(*this, y);
  return y;
}

// ---- registration ----
void Module::check_new_name(const std::string& name, const char* what, bool defined) const {
  if (name.empty())
    throw std::invalid_argument(fmt::format("{}: a {} name cannot be empty", type_name(), what));
  if (name.find('.') != std::string::npos)
    throw std::invalid_argument(fmt::format(
        "{}: {} name '{}' contains a '.' (HINT: dots separate levels in state_dict keys such as "
        "network.0.weight; register a child module instead)",
        type_name(), what, name));
  if (!defined)
    throw std::invalid_argument(fmt::format(
        "{}: {} '{}' is undefined (HINT: skip registering it instead)", type_name(), what, name));
  auto taken = [&name](const auto& list) {
    for (const auto& entry : list)
      if (entry.first == name) return true;
    return false;
  };
  bool clash = taken(params_) || taken(children_);
  for (const Buffer& b : buffers_) clash = clash || b.name == name;
  if (clash)
    throw std::invalid_argument(fmt::format(
        "{}: '{}' is already registered (HINT: every parameter, buffer and child of a module "
        "needs its own name)",
        type_name(), name));
}

Tensor& Module::register_parameter(std::string name, Tensor value) {
  check_new_name(name, "parameter", value.defined());
  value.requires_grad_(true);
  params_.emplace_back(std::move(name), std::move(value));
  return params_.back().second;
}

Tensor& Module::register_buffer(std::string name, Tensor value, DType dtype) {
  check_new_name(name, "buffer", value.defined());
  buffers_.push_back({std::move(name), std::move(value), dtype});
  return buffers_.back().tensor;
}

// ---- traversal ----
// PyTorch's order: this module's parameters, then its buffers, then each child in turn.
void Module::collect(const std::string& prefix, StateDict& out, bool params, bool buffers) const {
  if (params)
    for (const auto& [name, t] : params_) out.push_back({prefix + name, t, DType::F32});
  if (buffers)
    for (const Buffer& b : buffers_) out.push_back({prefix + b.name, b.tensor, b.dtype});
  for (const auto& [name, child] : children_)
    child->collect(prefix + name + ".", out, params, buffers);
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (const auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  StateDict all;
  collect("", all, true, false);
  std::vector<std::pair<std::string, Tensor>> out;
  for (NamedTensor& nt : all) out.emplace_back(std::move(nt.name), std::move(nt.tensor));
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const {
  StateDict all;
  collect("", all, false, true);
  std::vector<std::pair<std::string, Tensor>> out;
  for (NamedTensor& nt : all) out.emplace_back(std::move(nt.name), std::move(nt.tensor));
  return out;
}

std::vector<Tensor> Module::buffers() const {
  std::vector<Tensor> out;
  collect_buffers(out);
  return out;
}

void Module::collect_buffers(std::vector<Tensor>& out) const {
  for (const Buffer& b : buffers_) out.push_back(b.tensor);
  for (const auto& [name, child] : children_) child->collect_buffers(out);
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const Tensor& p : parameters()) n += p.numel();
  return n;
}

// ---- modes and grads ----
void Module::train(bool on) {
  training_ = on;
  on_train(on);
  for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad(bool set_to_none) {
  for (Tensor& p : parameters()) p.zero_grad(set_to_none);
}

// ---- state_dict ----
StateDict Module::state_dict() const {
  StateDict out;
  collect("", out, true, true);
  return out;
}

void Module::load_state_dict(const StateDict& state, bool strict) {
  StateDict own = state_dict();
  std::unordered_map<std::string, const NamedTensor*> given;
  for (const NamedTensor& nt : state)
    if (!given.emplace(nt.name, &nt).second)
      throw std::invalid_argument(fmt::format(
          "load_state_dict for {}: key \"{}\" appears twice in the state dict (HINT: a state "
          "dict holds each name once; check how it was assembled)",
          type_name(), nt.name));

  // Collect every problem before touching anything, like PyTorch, so one message lists them all.
  std::vector<std::string> missing, unexpected, mismatched;
  std::unordered_map<std::string, bool> own_names;
  for (const NamedTensor& mine : own) {
    own_names[mine.name] = true;
    auto it = given.find(mine.name);
    if (it == given.end()) {
      missing.push_back(mine.name);
    } else if (it->second->tensor.shape() != mine.tensor.shape()) {
      mismatched.push_back(fmt::format(
          "size mismatch for {}: copying a param with shape {} from checkpoint, the shape in "
          "current model is {}",
          mine.name, shape_str(it->second->tensor.shape()), shape_str(mine.tensor.shape())));
    }
  }
  for (const NamedTensor& nt : state)
    if (!own_names.count(nt.name)) unexpected.push_back(nt.name);

  std::string problems;
  auto quoted = [](const std::vector<std::string>& names) {
    std::string s;
    for (size_t i = 0; i < names.size(); ++i) s += (i ? ", \"" : "\"") + names[i] + "\"";
    return s;
  };
  if (strict && !missing.empty())
    problems += "\n\tMissing key(s) in state_dict: " + quoted(missing) + ".";
  if (strict && !unexpected.empty())
    problems += "\n\tUnexpected key(s) in state_dict: " + quoted(unexpected) + ".";
  for (const std::string& m : mismatched) problems += "\n\t" + m + ".";
  if (!problems.empty())
    throw std::runtime_error(fmt::format(
        "Error(s) in loading state_dict for {}:{}\n"
        "HINT: the checkpoint must come from a model built with the same layer sizes and order; "
        "print both key lists (state_dict() names) to compare, or pass strict=false to skip "
        "missing and unexpected keys",
        type_name(), problems));

  NoGradGuard no_grad;
  for (NamedTensor& mine : own) {
    auto it = given.find(mine.name);
    if (it != given.end()) mine.tensor.copy_(it->second->tensor);
  }
}

// ---- repr ----
namespace {
// Indents every line after the first by `spaces`, as PyTorch's _addindent does.
std::string add_indent(const std::string& s, int spaces) {
  std::string out;
  const std::string pad(static_cast<size_t>(spaces), ' ');
  for (char c : s) {
    out += c;
    if (c == '\n') out += pad;
  }
  return out;
}
}  // namespace

std::string Module::repr() const {
  std::vector<std::string> lines;
  const std::string extra = extra_repr();
  if (!extra.empty()) lines.push_back(extra);
  for (const auto& [name, child] : children_)
    lines.push_back("(" + name + "): " + add_indent(child->repr(), 2));
  std::string s = type_name() + "(";
  if (lines.size() == 1 && children_.empty()) {
    s += lines[0];
  } else if (!lines.empty()) {
    for (const std::string& l : lines) s += "\n  " + l;
    s += "\n";
  }
  return s + ")";
}

}  // namespace minigrad::nn
