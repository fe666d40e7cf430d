// Shapes: printing, counting, and the -1 of reshape().
#include "minigrad/shape.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace minigrad {

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw std::invalid_argument("negative dimension in shape " + shape_str(shape));
    n *= d;
  }
  return n;
}

Shape infer_shape(const Shape& from, const Shape& to) {
  const int64_t numel = shape_numel(from);
  const auto fail = [&] {
    throw std::invalid_argument(fmt::format(
        "reshape: cannot view shape {} ({} values) as {} (HINT: the number of values must stay "
        "the same; sizes are >= 0, and one of them may be -1 to have it inferred)",
        shape_str(from), numel, shape_str(to)));
  };
  Shape s = to;
  auto infer = s.end();  // the size given as -1, if any
  int64_t known = 1;     // the product of the other sizes
  for (auto it = s.begin(); it != s.end(); ++it) {
    if (*it < -1 || (*it == -1 && infer != s.end())) fail();
    if (*it == -1)
      infer = it;
    else
      known *= *it;
  }
  if (infer != s.end()) {
    if (known == 0 || numel % known != 0) fail();
    *infer = numel / known;
  }
  if (shape_numel(s) != numel) fail();
  return s;
}

}  // namespace minigrad
