// gradcheck: compares an op's analytic gradient (from backward()) with central differences, as
// torch.autograd.gradcheck does. Teaches the one test every op and module needs: perturb each
// input element by ±eps, evaluate the function without recording, and see whether the slope
// matches what backward() produced. Use it on your own ops and modules:
//   auto r = gradcheck([](const std::vector<Tensor>& in) { return my_op(in[0]); }, {x});
//   if (!r.ok) std::cerr << r.report;
// Leaves out: second derivatives, and complex or double inputs (minigrad is float32 only).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "minigrad/tensor.hpp"

namespace minigrad {

/// gradcheck's tolerances: gradcheck(f, inputs, {.eps = 1e-2, .atol = 1e-3}).
struct GradCheckOptions {
  // The central-difference step. Larger than in a float64 gradcheck on purpose: the forward runs
  // in float32, so L carries a rounding error of about ulp(L), and the slope's error ulp(L)/eps
  // swamps a small step (1e-3 on a sum of 50 squares already errs by 2e-3). The truncation
  // error, eps²·f'''(x)/6, stays far below atol for the smooth ops at 1e-2.
  double eps = 1e-2;
  double atol = 1e-3;  // an element passes if |analytic - numeric| <= atol + rtol·|numeric|
  double rtol = 1e-2;
  /// Check at most this many elements per input (evenly spaced, first and last included);
  /// 0 checks every element. For large inputs whose full check would be slow.
  int64_t max_elements = 0;
  /// Seeds the random weighting R of a non-scalar output.
  uint64_t seed = 0;
};

/// What gradcheck found: ok, the largest error, and a readable report of the mismatches.
struct GradCheckResult {
  bool ok = false;
  double max_abs_error = 0;  // max |analytic - numeric| over every checked element
  std::string report;        // every mismatch (up to 10), naming input, element, both values
};

/// Checks the gradient of L = sum(f(inputs) · R) (or f(inputs) itself when it has one element)
/// with respect to every input that requires grad. R is a fixed random weighting in [-1, 1], so
/// every output element matters. `f` may also use tensors it captures (a module's parameters):
/// pass them in `inputs` too and they are checked as well. Grads the inputs held before the call
/// are restored afterwards; their values are restored exactly after each perturbation.
GradCheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          std::vector<Tensor> inputs, const GradCheckOptions& options = {});

/// Largest |actual[i] - expected[i]|, for comparing with golden values; infinity if the sizes
/// differ or any value is NaN.
double max_abs_diff(const Tensor& actual, const std::vector<float>& expected);

}  // namespace minigrad
