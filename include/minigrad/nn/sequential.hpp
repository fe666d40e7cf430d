// Sequential: runs its children in order, each one's output feeding the next. Children are named
// by position, "0", "1", ..., like PyTorch, so parameter names read "network.0.weight" and a
// parameter-free layer (ReLU, Dropout) still takes an index.
// Leaves out: named entries (OrderedDict), slicing, insertion in the middle.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>

#include "minigrad/nn/module.hpp"

namespace minigrad::nn {

class Sequential : public Module {
 public:
  Sequential() = default;
  /// Sequential({std::make_shared<Linear>(4, 3, gen), std::make_shared<ReLU>()}).
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);

  /// Appends `module` under the next index.
  void push_back(std::shared_ptr<Module> module);
  /// push_back, returning *this so calls chain: seq.add(a).add(b).
  Sequential& add(std::shared_ptr<Module> module);

  /// Feeds x through every child in order; an empty Sequential returns x.
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Sequential"; }

  size_t size() const { return children().size(); }
  /// The i-th child; throws std::out_of_range naming i and size().
  std::shared_ptr<Module> operator[](size_t i) const;
  /// The i-th child as type M; throws if it is some other type: seq.at<Linear>(0)->weight().
  template <class M>
  std::shared_ptr<M> at(size_t i) const {
    auto m = std::dynamic_pointer_cast<M>((*this)[i]);
    if (!m) throw_wrong_type(i);
    return m;
  }

 private:
  [[noreturn]] void throw_wrong_type(size_t i) const;
};

}  // namespace minigrad::nn
