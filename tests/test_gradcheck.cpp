// Tests of the gradcheck helper itself: it must pass correct backwards and, above all, FAIL wrong
// ones (a factor of 2, a missing term, a gradient of the wrong shape). The ops here are written
// with record() directly so that this file depends on nothing but the engine.
#include <doctest/doctest.h>

#include "minigrad/autograd.hpp"
#include "minigrad/tensor.hpp"
#include "minigrad/gradcheck.hpp"

using namespace minigrad;

namespace {

// y = x², with the backward scaled by `factor` (1 is right, 2 is the classic doubled-grad bug).
Tensor square(const Tensor& x, float factor) {
  Tensor y = Tensor::empty(x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) y.data()[i] = x.data()[i] * x.data()[i];
  // dx = 2·x·dy
  return record(y, "square", {x}, [x, factor](const Tensor& dy) {
    float* dx = grad_buffer(x);
    for (int64_t i = 0; i < x.numel(); ++i) dx[i] += factor * 2.0f * x.data()[i] * dy.data()[i];
  });
}

// y = a·b elementwise (same shapes); `with_db` false forgets b's term.
Tensor product(const Tensor& a, const Tensor& b, bool with_db) {
  Tensor y = Tensor::empty(a.shape());
  for (int64_t i = 0; i < a.numel(); ++i) y.data()[i] = a.data()[i] * b.data()[i];
  // da = dy·b, db = dy·a
  return record(y, "product", {a, b}, [a, b, with_db](const Tensor& dy) {
    if (a.requires_grad()) {
      float* da = grad_buffer(a);
      for (int64_t i = 0; i < a.numel(); ++i) da[i] += dy.data()[i] * b.data()[i];
    }
    if (with_db && b.requires_grad()) {
      float* db = grad_buffer(b);
      for (int64_t i = 0; i < b.numel(); ++i) db[i] += dy.data()[i] * a.data()[i];
    }
  });
}

// y = x + row for x (n, m), row (m); the backward either sums dy over rows (right) or hands the
// row the whole (n, m) gradient (the classic broadcasting bug).
Tensor add_row(const Tensor& x, const Tensor& row, bool sum_rows) {
  const int64_t n = x.size(0), m = x.size(1);
  Tensor y = Tensor::empty(x.shape());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) y.data()[i * m + j] = x.data()[i * m + j] + row.data()[j];
  // dx = dy, drow = Σ_i dy[i, :]
  return record(y, "add_row", {x, row}, [x, row, sum_rows, n, m](const Tensor& dy) {
    if (x.requires_grad()) {
      float* dx = grad_buffer(x);
      for (int64_t i = 0; i < n * m; ++i) dx[i] += dy.data()[i];
    }
    if (!row.requires_grad()) return;
    if (sum_rows) {
      float* drow = grad_buffer(row);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < m; ++j) drow[j] += dy.data()[i * m + j];
    } else {
      row.impl()->grad = dy.clone().impl_ptr();  // wrong shape, as a buggy engine would leave it
    }
  });
}

Tensor sum_all(const Tensor& x) {
  Tensor y = Tensor::scalar(0.0f);
  for (int64_t i = 0; i < x.numel(); ++i) y.data()[0] += x.data()[i];
  // dx = dy (broadcast)
  return record(y, "sum_all", {x}, [x](const Tensor& dy) {
    float* dx = grad_buffer(x);
    for (int64_t i = 0; i < x.numel(); ++i) dx[i] += dy.data()[0];
  });
}

}  // namespace

TEST_CASE("gradcheck passes a correct backward") {
  Generator gen(1);
  Tensor x = Tensor::randn({3, 4}, gen).requires_grad_();
  GradCheckResult r =
      gradcheck([](const std::vector<Tensor>& in) { return square(in[0], 1.0f); }, {x});
  CHECK_MESSAGE(r.ok, r.report);
  CHECK(r.max_abs_error < 1e-3);
}

TEST_CASE("gradcheck fails a backward that is off by a factor of 2") {
  Generator gen(2);
  Tensor x = Tensor::randn({3, 4}, gen).requires_grad_();
  GradCheckResult r =
      gradcheck([](const std::vector<Tensor>& in) { return square(in[0], 2.0f); }, {x});
  CHECK_FALSE(r.ok);
  CHECK(r.max_abs_error > 0.1);
  // The report names the input, an element and both values.
  CHECK(r.report.find("input 0 [3, 4] element 0 [0, 0]: analytic") != std::string::npos);
  CHECK(r.report.find("vs numeric") != std::string::npos);
}

TEST_CASE("gradcheck fails a backward that forgets one input's term") {
  Generator gen(3);
  Tensor a = Tensor::randn({2, 3}, gen).requires_grad_();
  Tensor b = Tensor::randn({2, 3}, gen).requires_grad_();
  auto f_ok = [](const std::vector<Tensor>& in) { return product(in[0], in[1], true); };
  auto f_bad = [](const std::vector<Tensor>& in) { return product(in[0], in[1], false); };
  GradCheckResult ok = gradcheck(f_ok, {a, b});
  CHECK_MESSAGE(ok.ok, ok.report);
  GradCheckResult bad = gradcheck(f_bad, {a, b});
  CHECK_FALSE(bad.ok);
  CHECK(bad.report.find("input 1") != std::string::npos);
  CHECK(bad.report.find("input 0") == std::string::npos);  // a's gradient is still right
  CHECK(bad.report.find("no gradient reached this input") != std::string::npos);
}

TEST_CASE("gradcheck fails a broadcast whose gradient keeps the output's shape") {
  Generator gen(4);
  Tensor x = Tensor::randn({4, 3}, gen).requires_grad_();
  Tensor row = Tensor::randn({3}, gen).requires_grad_();
  GradCheckResult ok = gradcheck(
      [](const std::vector<Tensor>& in) { return add_row(in[0], in[1], true); }, {x, row});
  CHECK_MESSAGE(ok.ok, ok.report);
  GradCheckResult bad = gradcheck(
      [](const std::vector<Tensor>& in) { return add_row(in[0], in[1], false); }, {x, row});
  CHECK_FALSE(bad.ok);
  CHECK(bad.report.find("gradient has shape [4, 3] but the input has shape [3]") !=
        std::string::npos);
}

TEST_CASE("gradcheck handles a scalar output, sampling, and leaves its inputs as it found them") {
  Generator gen(5);
  Tensor x = Tensor::randn({50}, gen).requires_grad_();
  const std::vector<float> before = x.to_vector();
  grad_buffer(x)[7] = 42.0f;  // a gradient the caller had already accumulated
  auto f = [](const std::vector<Tensor>& in) { return sum_all(square(in[0], 1.0f)); };

  GradCheckResult all = gradcheck(f, {x});
  CHECK_MESSAGE(all.ok, all.report);
  GradCheckResult some = gradcheck(f, {x}, {.max_elements = 5});
  CHECK_MESSAGE(some.ok, some.report);
  GradCheckResult wrong =
      gradcheck([](const std::vector<Tensor>& in) { return sum_all(square(in[0], 2.0f)); }, {x},
                {.max_elements = 2});
  CHECK_FALSE(wrong.ok);
  // Two sampled elements: the first and the last.
  CHECK(wrong.report.find("element 0 ") != std::string::npos);
  CHECK(wrong.report.find("element 49 ") != std::string::npos);
  CHECK(wrong.report.find("element 1 ") == std::string::npos);

  CHECK(x.to_vector() == before);  // bit-exact: perturbations are undone
  REQUIRE(x.grad().defined());
  CHECK(x.grad().data()[7] == 42.0f);
  CHECK(x.grad().data()[0] == 0.0f);
}

TEST_CASE("gradcheck reports an output that was never recorded") {
  Tensor x = Tensor::ones({2});  // does not require grad, so nothing records
  Tensor w = Tensor::ones({2}).requires_grad_();
  GradCheckResult r = gradcheck([x](const std::vector<Tensor>&) { return square(x, 1.0f); }, {w});
  CHECK_FALSE(r.ok);
  CHECK(r.report.find("does not require grad") != std::string::npos);
}
