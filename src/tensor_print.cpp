// Tensor::str() and operator<<: PyTorch's way of printing a tensor. Every value of a tensor
// shares one style (whole numbers as "2.", else four decimals, or scientific notation when the
// magnitudes span too far) and one width, so columns line up; a tensor of more than 1,000 values
// shows the first and last three entries of each long dimension.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>

#include "minigrad/autograd.hpp"
#include "minigrad/tensor.hpp"

namespace minigrad {

namespace {
struct Style {
  bool integral = true;
  bool sci = false;
  int width = 0;
};

std::string format_value(float v, const Style& st) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (st.sci) return fmt::format("{:.4e}", v);
  if (st.integral) return fmt::format("{:.0f}.", v);
  return fmt::format("{:.4f}", v);
}

Style choose_style(const float* p, int64_t n) {
  Style st;
  double max_abs = 0, min_abs = INFINITY;
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(p[i])) continue;
    const double a = std::fabs(p[i]);
    if (p[i] != std::floor(p[i])) st.integral = false;
    max_abs = std::max(max_abs, a);
    if (a > 0) min_abs = std::min(min_abs, a);
  }
  if (st.integral)
    st.sci = max_abs >= 1e8;
  else
    st.sci = max_abs >= 1e8 || min_abs < 1e-4 ||
             (min_abs > 0 && max_abs / min_abs > 1e3 && max_abs > 1e3);
  for (int64_t i = 0; i < n; ++i)
    st.width = std::max(st.width, static_cast<int>(format_value(p[i], st).size()));
  return st;
}

// Prints dimension `d` starting at flat offset `off`; long dimensions are summarised as
// "first 3, ..., last 3" once the whole tensor has more than 1000 values.
void print_dim(std::string& out, const float* p, const Shape& shape, size_t d, int64_t off,
               const Style& st, bool summarise, int indent) {
  if (shape.empty()) {
    out += format_value(p[0], st);
    return;
  }
  const int64_t n = shape[d];
  int64_t inner = 1;
  for (size_t k = d + 1; k < shape.size(); ++k) inner *= shape[k];
  out += '[';
  const bool cut = summarise && n > 6;
  for (int64_t i = 0; i < n; ++i) {
    if (cut && i == 3) {
      out += "...";
      i = n - 3;
      if (d + 1 == shape.size()) {
        out += ", ";
      } else {
        out += ",\n";
        out.append(static_cast<size_t>(indent + 1), ' ');
      }
    }
    if (d + 1 == shape.size()) {
      const std::string v = format_value(p[off + i], st);
      out.append(static_cast<size_t>(st.width) - v.size(), ' ');
      out += v;
    } else {
      print_dim(out, p, shape, d + 1, off + i * inner, st, summarise, indent + 1);
    }
    if (i + 1 < n) {
      if (d + 1 == shape.size()) {
        out += ", ";
      } else {
        out += ',';
        out.append(shape.size() - d - 1, '\n');  // a blank line between blocks of 3-D and up
        out.append(static_cast<size_t>(indent + 1), ' ');
      }
    }
  }
  out += ']';
}
}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  const float* p = data();
  const int64_t n = numel();
  std::string out = "tensor(";
  if (n == 0) {
    out += "[]";
  } else {
    const Style st = choose_style(p, n);
    print_dim(out, p, shape(), 0, 0, st, n > 1000, 7);
  }
  out += ", shape=" + shape_str(shape());
  if (grad_fn())
    out += ", grad_fn=<" + grad_fn()->name() + ">";
  else if (requires_grad())
    out += ", requires_grad=True";
  return out + ")";
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace minigrad
