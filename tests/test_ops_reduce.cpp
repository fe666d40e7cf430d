// Tests of ops/reduce.hpp: sum, mean, max and argmax over everything and along each dim, with
// and without keepdim: PyTorch's values, gradient checks, ties and NaN, dim errors.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>

#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/reduce.hpp"
#include "minigrad/tensor.hpp"
#include "minigrad/gradcheck.hpp"

using namespace minigrad;

namespace {

// X [2, 3, 2], the input of the golden values in tests/reference/golden_ops.py.
Tensor golden_x() {
  return Tensor::from({1.0f, -2.0f, 3.5f, 0.5f, -1.0f, 4.0f, 2.0f, 2.0f, -0.5f, 1.5f, 0.0f, -3.0f},
                      {2, 3, 2});
}

}  // namespace

TEST_CASE("sum and mean over everything") {
  Tensor x = golden_x().requires_grad_();
  Tensor s = sum(x);
  CHECK(s.shape() == Shape{});
  CHECK(s.item() == 8.0f);
  Tensor m = mean(x);
  CHECK(m.item() == doctest::Approx(8.0 / 12));
  (s + m * 6.0f).backward();
  for (float g : x.grad().to_vector()) CHECK(g == doctest::Approx(1.5));
  CHECK(sum(Tensor::zeros({0})).item() == 0.0f);
  CHECK(std::isnan(mean(Tensor::zeros({0})).item()));
}

TEST_CASE("sum, mean, max along each dim: golden values from PyTorch") {
  struct Case {
    int64_t dim;
    Shape shape, kept;
    std::vector<float> sum, mean, max, argmax;
  };
  const Case cases[] = {
      {0,
       {3, 2},
       {1, 3, 2},
       {3, 0, 3, 2, -1, 1},
       {1.5f, 0, 1.5f, 1, -0.5f, 0.5f},
       {2, 2, 3.5f, 1.5f, 0, 4},
       {1, 1, 0, 1, 1, 0}},
      {1,
       {2, 2},
       {2, 1, 2},
       {3.5f, 2.5f, 1.5f, 0.5f},
       {1.1666666f, 0.83333331f, 0.5f, 0.16666667f},
       {3.5f, 4, 2, 2},
       {1, 2, 0, 0}},
      {2,
       {2, 3},
       {2, 3, 1},
       {-1, 4, 3, 4, 1, -3},
       {-0.5f, 2, 1.5f, 2, 0.5f, -1.5f},
       {1, 3.5f, 4, 2, 1.5f, 0},
       {0, 0, 1, 0, 1, 0}},
      {-1,
       {2, 3},
       {2, 3, 1},
       {-1, 4, 3, 4, 1, -3},
       {-0.5f, 2, 1.5f, 2, 0.5f, -1.5f},
       {1, 3.5f, 4, 2, 1.5f, 0},
       {0, 0, 1, 0, 1, 0}},
      {-3,
       {3, 2},
       {1, 3, 2},
       {3, 0, 3, 2, -1, 1},
       {1.5f, 0, 1.5f, 1, -0.5f, 0.5f},
       {2, 2, 3.5f, 1.5f, 0, 4},
       {1, 1, 0, 1, 1, 0}},
  };
  const Tensor x = golden_x();
  for (const Case& c : cases) {
    INFO("dim ", c.dim);
    for (bool keepdim : {false, true}) {
      const Shape& shape = keepdim ? c.kept : c.shape;
      Tensor s = sum(x, c.dim, keepdim), m = mean(x, c.dim, keepdim);
      auto [v, i] = max(x, c.dim, keepdim);
      Tensor a = argmax(x, c.dim, keepdim);
      CHECK(s.shape() == shape);
      CHECK(m.shape() == shape);
      CHECK(v.shape() == shape);
      CHECK(i.shape() == shape);
      CHECK(a.shape() == shape);
      CHECK(max_abs_diff(s, c.sum) < 1e-6);
      CHECK(max_abs_diff(m, c.mean) < 1e-6);
      CHECK(v.to_vector() == c.max);
      CHECK(i.to_vector() == c.argmax);
      CHECK(a.to_vector() == c.argmax);
    }
  }
}

TEST_CASE("reductions pass gradcheck over each dim, with and without keepdim") {
  Generator gen(5);
  const Shape shapes[] = {{5}, {3, 4}, {2, 3, 4}, {2, 1, 3, 2}};
  for (const Shape& s : shapes) {
    // Distinct values spaced well apart so max's choice cannot flip under a ±eps step.
    Tensor x = Tensor::from(std::vector<float>(static_cast<size_t>(shape_numel(s))), s);
    for (int64_t i = 0; i < x.numel(); ++i) x.data()[i] = 0.25f * static_cast<float>(i);
    for (int64_t i = x.numel() - 1; i > 0; --i)
      std::swap(x.data()[i], x.data()[gen.randint(static_cast<uint64_t>(i) + 1)]);
    x.requires_grad_();
    GradCheckResult r = gradcheck([](const std::vector<Tensor>& in) { return sum(in[0]); }, {x});
    CHECK_MESSAGE(r.ok, r.report);
    r = gradcheck([](const std::vector<Tensor>& in) { return mean(in[0]); }, {x});
    CHECK_MESSAGE(r.ok, r.report);
    const int64_t rank = static_cast<int64_t>(s.size());
    for (int64_t dim = -rank; dim < rank; ++dim)
      for (bool keepdim : {false, true}) {
        INFO("shape ", shape_str(s), " dim ", dim, " keepdim ", keepdim);
        r = gradcheck([=](const std::vector<Tensor>& in) { return sum(in[0], dim, keepdim); }, {x});
        CHECK_MESSAGE(r.ok, r.report);
        r = gradcheck([=](const std::vector<Tensor>& in) { return mean(in[0], dim, keepdim); },
                      {x});
        CHECK_MESSAGE(r.ok, r.report);
        r = gradcheck([=](const std::vector<Tensor>& in) { return max(in[0], dim, keepdim).first; },
                      {x});
        CHECK_MESSAGE(r.ok, r.report);
      }
  }
}

TEST_CASE("a scalar reduces along dim 0 or -1 to itself, as in PyTorch") {
  Tensor x = Tensor::scalar(2.5f).requires_grad_();
  CHECK(sum(x, 0).item() == 2.5f);
  CHECK(mean(x, -1, true).shape() == Shape{});
  CHECK(max(x, 0).second.item() == 0.0f);
  sum(x, 0).backward();
  CHECK(x.grad().item() == 1.0f);
}

TEST_CASE("dims out of range and empty maxima give errors naming dim and shape") {
  Tensor x = Tensor::zeros({3, 4});
  std::string msg;
  try {
    sum(x, 2);
  } catch (const std::out_of_range& e) {
    msg = e.what();
  }
  CHECK(msg.find("sum: dim 2 is out of range for a tensor of shape [3, 4]") == 0);
  CHECK(msg.find("HINT: use a dim from -2 to 1") != std::string::npos);
  CHECK_THROWS_AS(mean(x, -3), std::out_of_range);
  CHECK_THROWS_AS(max(x, 5), std::out_of_range);
  CHECK_THROWS_AS(argmax(x, -3), std::out_of_range);
  CHECK_THROWS_AS(sum(Tensor::scalar(1.0f), 1), std::out_of_range);
  CHECK_THROWS_WITH_AS(max(Tensor::zeros({2, 0}), 1),
                       doctest::Contains("dimension 1 of shape [2, 0], which has size 0"),
                       std::invalid_argument);
  // Summing an empty dimension is fine: zeros.
  CHECK(sum(Tensor::zeros({2, 0}), 1).to_vector() == std::vector<float>{0, 0});
}
