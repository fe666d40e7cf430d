// Tensor: factories, element access, views, and PyTorch-style printing.
#include "minigrad/tensor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ostream>
#include <stdexcept>

#include "minigrad/autograd.hpp"

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

namespace {
Tensor make(const Shape& shape, bool zero) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(shape_numel(shape), zero);
  impl->shape = shape;
  return Tensor(std::move(impl));
}
}  // namespace

// ---- factories ----
Tensor Tensor::empty(const Shape& shape) { return make(shape, false); }
Tensor Tensor::zeros(const Shape& shape) { return make(shape, true); }
Tensor Tensor::ones(const Shape& shape) { return full(shape, 1.0f); }
Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = make(shape, false);
  std::fill_n(t.data(), t.numel(), value);
  return t;
}
Tensor Tensor::scalar(float value) { return full({}, value); }
NestedList::NestedList(float value) : values_{value} {}
NestedList::NestedList(std::initializer_list<NestedList> items) {
  shape_.push_back(static_cast<int64_t>(items.size()));
  if (items.size() == 0) return;
  const Shape& first = items.begin()->shape();
  shape_.insert(shape_.end(), first.begin(), first.end());
  values_.reserve(items.size() * items.begin()->values().size());
  int64_t i = 0;
  for (const NestedList& item : items) {
    if (item.shape() != first)
      throw std::invalid_argument(fmt::format(
          "Tensor::from: element {} of a list has shape {} but element 0 has shape {} (HINT: "
          "every list at one depth must hold the same number of values, nested the same way)",
          i, shape_str(item.shape()), shape_str(first)));
    values_.insert(values_.end(), item.values().begin(), item.values().end());
    ++i;
  }
}
Tensor Tensor::from(std::initializer_list<NestedList> items) {
  const NestedList all(items);
  return from(all.values(), all.shape());
}
Tensor Tensor::from(const std::vector<float>& values, const Shape& shape) {
  if (shape_numel(shape) != static_cast<int64_t>(values.size()))
    throw std::invalid_argument(fmt::format("Tensor::from: {} values cannot have shape {} ({} values)",
                                            values.size(), shape_str(shape), shape_numel(shape)));
  Tensor t = make(shape, false);
  if (!values.empty()) std::memcpy(t.data(), values.data(), values.size() * sizeof(float));
  return t;
}
Tensor Tensor::from(const std::vector<float>& values) {
  return from(values, {static_cast<int64_t>(values.size())});
}
Tensor Tensor::zeros_like(const Tensor& other) { return zeros(other.shape()); }
Tensor Tensor::ones_like(const Tensor& other) { return ones(other.shape()); }
Tensor Tensor::rand(const Shape& shape, Generator& gen) { return uniform(shape, 0.0f, 1.0f, gen); }
Tensor Tensor::randn(const Shape& shape, Generator& gen) {
  Tensor t = make(shape, false);
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = gen.normal();
  return t;
}
Tensor Tensor::uniform(const Shape& shape, float low, float high, Generator& gen) {
  if (!(low <= high))
    throw std::invalid_argument(fmt::format("Tensor::uniform: low ({}) must not exceed high ({})", low, high));
  Tensor t = make(shape, false);
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = gen.uniform(low, high);
  return t;
}
Tensor Tensor::from_storage(std::shared_ptr<Storage> storage, const Shape& shape) {
  if (!storage || storage->size() != shape_numel(shape))
    throw std::invalid_argument(
        fmt::format("Tensor::from_storage: a storage of {} values cannot have shape {} ({} values)",
                    storage ? storage->size() : 0, shape_str(shape), shape_numel(shape)));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->shape = shape;
  return Tensor(std::move(impl));
}
Tensor Tensor::arange(int64_t n) {
  Tensor t = make({n}, false);
  for (int64_t i = 0; i < n; ++i) t.data()[i] = static_cast<float>(i);
  return t;
}

// ---- shape and data ----
void Tensor::throw_undefined() {
  throw std::logic_error("use of an undefined Tensor (HINT: it was default-constructed, or a "
                           "grad() that has not been computed yet)");
}
const Shape& Tensor::shape() const { return checked().shape; }
int64_t Tensor::size(int64_t d) const {
  const int64_t n = dim();
  const int64_t k = d < 0 ? d + n : d;
  if (k < 0 || k >= n)
    throw std::out_of_range(fmt::format("size({}): dimension out of range for a tensor of shape {} "
                                        "(HINT: use a dim from {} to {})",
                                        d, shape_str(shape()), -n, n - 1));
  return shape()[static_cast<size_t>(k)];
}

namespace {
int64_t flat_index(const Shape& shape, std::initializer_list<int64_t> index) {
  if (index.size() != shape.size())
    throw std::out_of_range(fmt::format("at(): {} indices for a tensor of shape {} (HINT: give one "
                                        "index per dimension)",
                                        index.size(), shape_str(shape)));
  int64_t flat = 0;
  size_t d = 0;
  for (int64_t i : index) {
    if (i < 0 || i >= shape[d])
      throw std::out_of_range(fmt::format("at(): index {} is out of range for dimension {} of "
                                          "shape {}",
                                          i, d, shape_str(shape)));
    flat = flat * shape[d] + i;
    ++d;
  }
  return flat;
}
}  // namespace

float& Tensor::at(std::initializer_list<int64_t> index) { return data()[flat_index(shape(), index)]; }
float Tensor::at(std::initializer_list<int64_t> index) const {
  return data()[flat_index(shape(), index)];
}
float Tensor::item() const {
  if (numel() != 1)
    throw std::invalid_argument(fmt::format("item(): a tensor of shape {} has {} values, not one "
                                            "(HINT: reduce it first with sum() or mean(), or read "
                                            "one element with at())",
                                            shape_str(shape()), numel()));
  return data()[0];
}
std::vector<float> Tensor::to_vector() const { return std::vector<float>(data(), data() + numel()); }

Tensor Tensor::clone() const {
  Tensor t = make(shape(), false);
  if (numel()) std::memcpy(t.data(), data(), static_cast<size_t>(numel()) * sizeof(float));
  return t;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = checked().storage;
  impl->shape = shape();
  return Tensor(std::move(impl));
}

Tensor Tensor::reshape(const Shape& new_shape) const {
  Shape s = new_shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      if (infer >= 0) throw std::invalid_argument("reshape: only one dimension can be -1");
      infer = static_cast<int64_t>(i);
    } else if (s[i] < 0) {
      throw std::invalid_argument("reshape: invalid dimension in " + shape_str(new_shape));
    } else {
      known *= s[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || numel() % known != 0)
      throw std::invalid_argument(fmt::format("reshape: cannot view shape {} ({} values) as {}",
                                              shape_str(shape()), numel(), shape_str(new_shape)));
    s[static_cast<size_t>(infer)] = numel() / known;
  }
  if (shape_numel(s) != numel())
    throw std::invalid_argument(fmt::format(
        "reshape: cannot view shape {} ({} values) as {} ({} values) (HINT: the number of values "
        "must stay the same; one dimension may be -1 to have it inferred)",
        shape_str(shape()), numel(), shape_str(new_shape), shape_numel(s)));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = checked().storage;
  impl->shape = s;
  // y = x viewed as s  ->  dx = dy viewed as x's shape
  return record(Tensor(std::move(impl)), "reshape", {*this}, [x = *this](const Tensor& dy) {
    float* dx = grad_buffer(x);
    const float* g = dy.data();
    for (int64_t i = 0; i < dy.numel(); ++i) dx[i] += g[i];
  }, Saved::none);
}

Tensor& Tensor::copy_(const Tensor& src) {
  if (src.numel() != numel())
    throw std::invalid_argument(fmt::format("copy_: source has shape {} but destination has {}",
                                            shape_str(src.shape()), shape_str(shape())));
  if (numel()) std::memmove(data(), src.data(), static_cast<size_t>(numel()) * sizeof(float));
  bump_version();
  return *this;
}

Tensor& Tensor::fill_(float value) {
  std::fill_n(data(), numel(), value);
  bump_version();
  return *this;
}

// ---- autograd ----
bool Tensor::requires_grad() const { return checked().requires_grad; }
Tensor& Tensor::requires_grad_(bool on) {
  if (!on && checked().grad_fn)
    throw std::logic_error("requires_grad_(false) on a non-leaf tensor (HINT: use detach())");
  checked().requires_grad = on;
  return *this;
}
Tensor Tensor::grad() const { return Tensor(checked().grad); }
void Tensor::zero_grad(bool set_to_none) {
  TensorImpl& impl = checked();
  if (!impl.grad) return;
  if (set_to_none)
    impl.grad.reset();
  else
    std::fill_n(impl.grad->storage->data(), impl.grad->storage->size(), 0.0f);
}
Tensor& Tensor::retain_grad() {
  checked().retains_grad = true;
  return *this;
}
const std::shared_ptr<Node>& Tensor::grad_fn() const { return checked().grad_fn; }
bool Tensor::is_leaf() const { return checked().grad_fn == nullptr; }
void Tensor::backward(const Tensor& grad_output, bool retain_graph) const {
  run_backward(*this, grad_output, retain_graph);
}

// ---- printing ----
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
    st.sci = max_abs >= 1e8 || min_abs < 1e-4 || (min_abs > 0 && max_abs / min_abs > 1e3 && max_abs > 1e3);
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
  if (grad_fn()) out += ", grad_fn=<" + grad_fn()->name() + ">";
  else if (requires_grad()) out += ", requires_grad=True";
  return out + ")";
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace minigrad
