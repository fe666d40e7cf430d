// ModuleList: holds modules by position so that their parameters are registered ("layers.0.weight")
// and saved, while the owner decides how to call them, as torch.nn.ModuleList. Unlike Sequential
// it has no forward of its own: a custom Module's forward loops over it (a residual stack, a
// layer chosen per input).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "minigrad/nn/module.hpp"

namespace minigrad::nn {

class ModuleList : public Module {
 public:
  ModuleList() = default;
  /// ModuleList({std::make_shared<Linear>(4, 4, gen), std::make_shared<Linear>(4, 4, gen)}).
  ModuleList(std::initializer_list<std::shared_ptr<Module>> modules);

  /// Appends `module` under the next index, "0", "1", ...
  void push_back(std::shared_ptr<Module> module);
  /// push_back, returning *this (PyTorch's append).
  ModuleList& append(std::shared_ptr<Module> module);

  /// Throws: a ModuleList only holds modules; call them from the forward of the module owning it.
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "ModuleList"; }

  size_t size() const { return modules_.size(); }
  bool empty() const { return modules_.empty(); }
  /// The i-th module; throws std::out_of_range naming i and size().
  std::shared_ptr<Module> operator[](size_t i) const;
  /// The i-th module as type M; throws if it is some other type: layers.at<Linear>(0)->weight().
  template <class M>
  std::shared_ptr<M> at(size_t i) const {
    auto m = std::dynamic_pointer_cast<M>((*this)[i]);
    if (!m) throw_wrong_type(i);
    return m;
  }
  /// for (const auto& layer : layers) h = (*layer)(h);
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

 private:
  [[noreturn]] void throw_wrong_type(size_t i) const;
  std::vector<std::shared_ptr<Module>> modules_;  // the registered children, in order
};

}  // namespace minigrad::nn
