// How Python prints a float, for the modules' reprs (extra_repr): "0.1", "1e-05", and "1.0"
// rather than "1", so that a repr reads as PyTorch's does.
#pragma once

#include <fmt/format.h>

#include <string>

namespace minigrad::nn {

inline std::string py_float(float v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

}  // namespace minigrad::nn
