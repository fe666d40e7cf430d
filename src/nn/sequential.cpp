// Sequential: children named by position and called in order.
#include "minigrad/nn/sequential.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace minigrad::nn {

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (const auto& m : modules) push_back(m);
}

void Sequential::push_back(std::shared_ptr<Module> module) {
  if (!module)
    throw std::invalid_argument(fmt::format(
        "Sequential::push_back: module {} is null (HINT: create it with std::make_shared)",
        size()));
  register_module(std::to_string(size()), std::move(module));
}

Sequential& Sequential::add(std::shared_ptr<Module> module) {
  push_back(std::move(module));
  return *this;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (const auto& [name, child] : children()) h = (*child)(h);  // operator(): summary sees it
  return h;
}

std::shared_ptr<Module> Sequential::operator[](size_t i) const {
  if (i >= size())
    throw std::out_of_range(
        fmt::format("Sequential: index {} is out of range for {} modules", i, size()));
  return children()[i].second;
}

void Sequential::throw_wrong_type(size_t i) const {
  throw std::invalid_argument(
      fmt::format("Sequential::at({}): module {} is a {}, not the type asked for (HINT: print "
                  "repr() to see what each index holds)",
                  i, i, (*this)[i]->type_name()));
}

}  // namespace minigrad::nn
