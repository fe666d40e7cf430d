// Dropout: inverted dropout with a mask drawn from the module's own generator, as one node.
#include "minigrad/nn/dropout.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "minigrad/autograd.hpp"

namespace minigrad::nn {

namespace {
float checked_p(float p) {
  if (!(p >= 0.0f && p <= 1.0f))  // also rejects NaN
    throw std::invalid_argument(fmt::format(
        "dropout probability has to be between 0 and 1, but got {} (HINT: p is the fraction of "
        "elements zeroed, e.g. 0.3)",
        p));
  return p;
}
}  // namespace

Dropout::Dropout(float p, uint64_t seed) : p_(checked_p(p)), gen_(seed) {}
Dropout::Dropout(float p, const Generator& gen) : p_(checked_p(p)), gen_(gen) {}

// x: (...) -> y: (...) = x·mask, mask[i] = 1/(1-p) with probability 1-p, else 0.
//   dx = dy·mask
Tensor Dropout::forward(const Tensor& x) {
  if (!is_training() || p_ == 0.0f) return x;
  const int64_t n = x.numel();
  Tensor mask = Tensor::empty(x.shape());
  float* m = mask.data();
  if (p_ == 1.0f) {
    mask.fill_(0.0f);  // everything dropped; no 1/(1-p) = inf to multiply by 0 into NaN
  } else {
    const float keep = 1.0f - p_, scale = 1.0f / keep;
    gen_.bernoulli_fill(m, n, keep, scale);
  }
  Tensor y = Tensor::empty(x.shape());
  const float* xs = x.data();
  float* ys = y.data();
  for (int64_t i = 0; i < n; ++i) ys[i] = xs[i] * m[i];
  return record(y, "dropout", {x}, [x, mask, n](const Tensor& dy) {
    float* dx = grad_buffer(x);
    const float* g = dy.data();
    const float* mk = mask.data();
    for (int64_t i = 0; i < n; ++i) dx[i] += g[i] * mk[i];
  }, Saved::none);
}

std::string Dropout::extra_repr() const {
  // Python prints a float that is a whole number as "1.0", fmt as "1".
  std::string p = fmt::format("{}", p_);
  if (p.find_first_of(".e") == std::string::npos) p += ".0";
  return "p=" + p + ", inplace=False";
}

}  // namespace minigrad::nn
