// gradcheck: analytic gradients from backward() against central differences in double.
#include "minigrad/gradcheck.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <memory>

#include "minigrad/autograd.hpp"

namespace minigrad {

namespace {

// L = sum(y · R) accumulated in double (R empty: y has one element and L is that element).
double weighted_sum(const Tensor& y, const std::vector<float>& r) {
  const float* p = y.data();
  if (r.empty()) return static_cast<double>(p[0]);
  double s = 0;
  for (int64_t i = 0; i < y.numel(); ++i)
    s += static_cast<double>(p[i]) * r[static_cast<size_t>(i)];
  return s;
}

// "[1, 2]": the multi-index of flat element `flat` in `shape`.
std::string index_str(const Shape& shape, int64_t flat) {
  Shape idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  return shape_str(idx);
}

// Which elements of an input of n values to check: all, or `max` evenly spaced ones.
std::vector<int64_t> elements_to_check(int64_t n, int64_t max) {
  std::vector<int64_t> out;
  if (max <= 0 || n <= max) {
    for (int64_t i = 0; i < n; ++i) out.push_back(i);
  } else if (max == 1) {
    out.push_back(0);
  } else {
    for (int64_t k = 0; k < max; ++k) out.push_back(k * (n - 1) / (max - 1));
  }
  return out;
}

}  // namespace

GradCheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          std::vector<Tensor> inputs, const GradCheckOptions& options) {
  GradCheckResult result;
  result.ok = true;
  int mismatches = 0;
  auto fail = [&](const std::string& line) {
    result.ok = false;
    if (++mismatches <= 10) result.report += line + "\n";
  };

  // Set the callers' grads aside so the analytic gradient starts from zero; put them back at the
  // end.
  std::vector<std::shared_ptr<TensorImpl>> saved_grads;
  for (Tensor& x : inputs) {
    saved_grads.push_back(x.impl()->grad);
    x.impl()->grad.reset();
  }
  auto restore_grads = [&] {
    for (size_t i = 0; i < inputs.size(); ++i) inputs[i].impl()->grad = saved_grads[i];
  };

  // ---- analytic: one backward() from L ----
  std::vector<float> r;  // the weighting R, empty for a one-element output
  std::vector<Tensor> analytic(inputs.size());
  Shape out_shape;
  try {
    Tensor y = f(inputs);
    out_shape = y.shape();
    if (!y.requires_grad()) {
      fail(fmt::format("the output (shape {}) does not require grad: nothing was recorded",
                       shape_str(y.shape())));
    } else if (y.numel() == 1) {
      y.backward(Tensor::ones(y.shape()));
    } else {
      Generator gen(options.seed);
      Tensor weights = Tensor::uniform(y.shape(), -1.0f, 1.0f, gen);
      r = weights.to_vector();
      y.backward(weights);
    }
    for (size_t i = 0; i < inputs.size(); ++i)
      if (inputs[i].requires_grad() && inputs[i].impl()->grad)
        analytic[i] = Tensor(inputs[i].impl()->grad).clone();
  } catch (const std::exception& e) {
    restore_grads();
    fail(std::string("forward or backward threw: ") + e.what());
    return result;
  }
  restore_grads();
  if (!result.ok) return result;

  // ---- numeric: central differences, evaluated without recording ----
  NoGradGuard no_grad;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor& x = inputs[i];
    if (!x.requires_grad()) continue;
    if (analytic[i].defined() && analytic[i].shape() != x.shape()) {
      fail(
          fmt::format("input {}: gradient has shape {} but the input has shape {} (HINT: a "
                      "broadcasting op must sum_to() its gradient)",
                      i, shape_str(analytic[i].shape()), shape_str(x.shape())));
      continue;
    }
    float* p = x.data();
    for (int64_t e : elements_to_check(x.numel(), options.max_elements)) {
      const float original = p[e];
      // The float steps actually taken, so that rounding of x ± eps does not bias the slope.
      const float up = static_cast<float>(original + options.eps);
      const float down = static_cast<float>(original - options.eps);
      p[e] = up;
      const double l_up = weighted_sum(f(inputs), r);
      p[e] = down;
      const double l_down = weighted_sum(f(inputs), r);
      p[e] = original;
      x.bump_version();  // written in place, even if restored bit for bit
      const double numeric = (l_up - l_down) / (static_cast<double>(up) - down);
      const double a = analytic[i].defined() ? analytic[i].data()[e] : 0.0;
      const double err = std::fabs(a - numeric);
      result.max_abs_error = std::max(result.max_abs_error, err);
      if (!(err <= options.atol + options.rtol * std::fabs(numeric)))  // NaN fails too
        fail(
            fmt::format("input {} {} element {} {}: analytic {:.6g} vs numeric {:.6g} "
                        "(abs error {:.3g}){}",
                        i, shape_str(x.shape()), e, index_str(x.shape(), e), a, numeric, err,
                        analytic[i].defined() ? "" : " [no gradient reached this input]"));
    }
  }
  if (mismatches > 10) result.report += fmt::format("... and {} more\n", mismatches - 10);
  if (!result.ok)
    result.report = fmt::format("gradcheck failed (output shape {}, eps {}, atol {}, rtol {}):\n",
                                shape_str(out_shape), options.eps, options.atol, options.rtol) +
                    result.report;
  return result;
}

double max_abs_diff(const Tensor& actual, const std::vector<float>& expected) {
  if (actual.numel() != static_cast<int64_t>(expected.size())) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const double d = std::fabs(static_cast<double>(actual.data()[i]) - expected[i]);
    if (std::isnan(d)) return INFINITY;
    worst = std::max(worst, d);
  }
  return worst;
}

}  // namespace minigrad
