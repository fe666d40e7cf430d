// Module: the base of every layer. It owns named parameters (trained), buffers (state that is
// saved but not trained, like BatchNorm's running statistics) and child modules, and gives them
// PyTorch's dotted names ("network.0.weight") for state_dict() and checkpoints.
// Leaves out: hooks, parameter groups, devices and dtypes other than float32.
// "The documents": README.md#the-documents.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "minigrad/state_dict.hpp"
#include "minigrad/tensor.hpp"

namespace minigrad::nn {

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// x (B, ...) -> y (B, ...): what the module computes.
  virtual Tensor forward(const Tensor& x) = 0;
  /// forward(x), reported to any live ForwardObserver. Containers call their children this way
  /// (not through forward()) so that summary() sees every layer.
  Tensor operator()(const Tensor& x);

  /// The type's name as PyTorch prints it: "Linear", "BatchNorm1d".
  virtual std::string type_name() const = 0;
  /// The arguments shown in its repr: "in_features=784, out_features=128, bias=True".
  virtual std::string extra_repr() const { return ""; }
  /// PyTorch-style multi-line repr of the module tree.
  std::string repr() const;

  /// Every parameter of this module and its children, in registration order.
  std::vector<Tensor> parameters() const;
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;
  /// Every buffer of this module and its children, in named_buffers()' order, without the names
  /// (which cost a string each: this is the one a training step may call).
  std::vector<Tensor> buffers() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const {
    return children_;
  }
  /// Number of parameter values (buffers excluded): 109,770 for the documents' model.
  int64_t num_parameters() const;

  /// Training mode (Dropout drops, BatchNorm uses batch statistics), for this module and all
  /// children. eval() is train(false).
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  /// Zeroes (or, with set_to_none, drops) the grad of every parameter.
  void zero_grad(bool set_to_none = false);

  /// Parameters and buffers by dotted name; the tensors share storage with the module.
  StateDict state_dict() const;
  /// Copies values in by name. strict: every key must match (the error lists each missing and
  /// unexpected key); shapes must always match (the error names the key and both shapes).
  void load_state_dict(const StateDict& state, bool strict = true);

 protected:
  /// Registers a trained tensor; sets requires_grad. Returns the stored handle (keep a copy of
  /// it, `weight_ = register_parameter(...)`: the reference dies with the next registration).
  Tensor& register_parameter(std::string name, Tensor value);
  /// Registers saved, untrained state. An I64 buffer holds whole numbers (see state_dict.hpp).
  Tensor& register_buffer(std::string name, Tensor value, DType dtype = DType::F32);
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    check_new_name(name, "module", module != nullptr);
    children_.emplace_back(std::move(name), module);
    return module;
  }
  /// Called by train(); modules with mode-dependent state may override and call the base.
  virtual void on_train(bool) {}

 private:
  void collect(const std::string& prefix, StateDict& out, bool params, bool buffers) const;
  void collect_buffers(std::vector<Tensor>& out) const;
  /// Throws if `name` is empty, holds a '.', is already taken, or its value is missing.
  void check_new_name(const std::string& name, const char* what, bool defined) const;
  std::vector<std::pair<std::string, Tensor>> params_;
  struct Buffer {
    std::string name;
    Tensor tensor;
    DType dtype;
  };
  std::vector<Buffer> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

/// While alive, every Module::operator() call on this thread reports (module, output) to
/// `on_output` after the forward returns. summary() uses it to learn each layer's output shape.
/// Nests: an inner observer hides the outer one until it is destroyed.
class ForwardObserver {
 public:
  using Callback = std::function<void(const Module& module, const Tensor& output)>;
  explicit ForwardObserver(Callback on_output);
  ~ForwardObserver();
  ForwardObserver(const ForwardObserver&) = delete;
  ForwardObserver& operator=(const ForwardObserver&) = delete;

 private:
  friend class Module;
  Callback on_output_;
  ForwardObserver* previous_;
};

}  // namespace minigrad::nn
