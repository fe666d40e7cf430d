// ModuleList: children registered by position, handed out by index or in a range-for.
#include "minigrad/nn/module_list.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace minigrad::nn {

ModuleList::ModuleList(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (const auto& m : modules) push_back(m);
}

void ModuleList::push_back(std::shared_ptr<Module> module) {
  if (!module)
    throw std::invalid_argument(fmt::format(
        "ModuleList::push_back: module {} is null (HINT: create it with std::make_shared)",
        size()));
  modules_.push_back(register_module(std::to_string(size()), std::move(module)));
}

ModuleList& ModuleList::append(std::shared_ptr<Module> module) {
  push_back(std::move(module));
  return *this;
}

Tensor ModuleList::forward(const Tensor& x) {
  throw std::logic_error(fmt::format(
      "ModuleList of {} modules has no forward, called with {} (HINT: loop over it in the forward "
      "of the module that owns it, or use Sequential to chain the modules in order)",
      size(), shape_str(x.shape())));
}

std::shared_ptr<Module> ModuleList::operator[](size_t i) const {
  if (i >= size())
    throw std::out_of_range(
        fmt::format("ModuleList: index {} is out of range for {} modules", i, size()));
  return modules_[i];
}

void ModuleList::throw_wrong_type(size_t i) const {
  throw std::invalid_argument(
      fmt::format("ModuleList::at({}): module {} is a {}, not the type asked for (HINT: print "
                  "repr() to see what each index holds)",
                  i, i, (*this)[i]->type_name()));
}

}  // namespace minigrad::nn
