// Tests of ops/matmul.hpp: matmul against plain loops on odd shapes and all four transpose
// combinations, matmul's and linear's gradients, linear == matmul + add, PyTorch's values for
// linear, and the shape errors. backend::gemm itself is tested in test_backend.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "minigrad/autograd.hpp"
#include "minigrad/gradcheck.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/matmul.hpp"
#include "minigrad/tensor.hpp"

using namespace minigrad;

namespace {

// Stored shape of an operand whose op() is (rows, cols).
Shape stored(int64_t rows, int64_t cols, bool transposed) {
  return transposed ? Shape{cols, rows} : Shape{rows, cols};
}

struct Dims {
  int64_t m, n, k;
};

// op(a)·op(b) by the definition, summed in double: what matmul must compute.
std::vector<float> plain_matmul(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const int64_t m = ta ? a.size(1) : a.size(0), k = ta ? a.size(0) : a.size(1);
  const int64_t n = tb ? b.size(0) : b.size(1);
  std::vector<float> c(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p)
        s += static_cast<double>(ta ? a.at({p, i}) : a.at({i, p})) *
             (tb ? b.at({j, p}) : b.at({p, j}));
      c[static_cast<size_t>(i * n + j)] = static_cast<float>(s);
    }
  return c;
}

}  // namespace

TEST_CASE("matmul equals plain loops on odd shapes and all four transposes") {
  const Dims dims[] = {{1, 1, 1}, {3, 2, 5}, {33, 127, 784}, {1, 7, 3}, {5, 1, 9}, {17, 13, 1}};
  Generator gen(23);
  for (const Dims& d : dims)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        INFO("m=", d.m, " n=", d.n, " k=", d.k, " ta=", ta, " tb=", tb);
        Tensor a = Tensor::randn(stored(d.m, d.k, ta), gen);
        Tensor b = Tensor::randn(stored(d.k, d.n, tb), gen);
        Tensor c = matmul(a, b, ta, tb);
        CHECK(c.shape() == Shape{d.m, d.n});
        // float32 accumulation over k terms of size ~1: error grows like sqrt(k)·1e-7·|terms|
        CHECK(max_abs_diff(c, plain_matmul(a, b, ta, tb)) <
              1e-5 * std::sqrt(static_cast<double>(d.k)) * 4);
      }
}

TEST_CASE("matmul known values") {
  Tensor a = Tensor::from({{1, 2, 3}, {4, 5, 6}});
  Tensor b = Tensor::from({{7, 8}, {9, 10}, {11, 12}});
  CHECK(matmul(a, b).to_vector() == std::vector<float>{58, 64, 139, 154});
  CHECK(matmul(a, a, false, true).to_vector() == std::vector<float>{14, 32, 32, 77});
  CHECK(matmul(a, a, true, false).shape() == Shape{3, 3});
  CHECK(matmul(b, a, true, true).to_vector() == std::vector<float>{58, 139, 64, 154});  // (a·b)ᵀ
}

TEST_CASE("matmul passes gradcheck in all four transpose combinations") {
  Generator gen(29);
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      INFO("ta=", ta, " tb=", tb);
      Tensor a = Tensor::randn(stored(3, 5, ta), gen).requires_grad_();
      Tensor b = Tensor::randn(stored(5, 2, tb), gen).requires_grad_();
      auto f = [ta, tb](const std::vector<Tensor>& in) { return matmul(in[0], in[1], ta, tb); };
      GradCheckResult r = gradcheck(f, {a, b});
      CHECK_MESSAGE(r.ok, r.report);
    }
  // A large product, with a few sampled elements per input.
  Tensor x = Tensor::randn({33, 78}, gen).requires_grad_();
  Tensor w = (Tensor::randn({127, 78}, gen) * 0.1f).detach().requires_grad_();
  GradCheckResult r =
      gradcheck([](const std::vector<Tensor>& in) { return matmul(in[0], in[1], false, true); },
                {x, w}, {.atol = 2e-3, .max_elements = 12});
  CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("matmul's gradients equal plain loops on the big shape: da = dy·bᵀ, db = aᵀ·dy") {
  Generator gen(31);
  Tensor a = Tensor::randn({33, 784}, gen).requires_grad_();
  Tensor b = Tensor::randn({784, 127}, gen).requires_grad_();
  Tensor dy = Tensor::randn({33, 127}, gen);
  matmul(a, b).backward(dy);
  CHECK(max_abs_diff(a.grad(), plain_matmul(dy, b, false, true)) < 1e-3);
  CHECK(max_abs_diff(b.grad(), plain_matmul(a, dy, true, false)) < 1e-3);
}

TEST_CASE("linear: PyTorch's values and gradients") {
  Tensor x = Tensor::from({{1.0f, 2.0f, -1.0f}, {0.5f, -0.5f, 3.0f}}).requires_grad_();
  Tensor w = Tensor::from({{0.1f, -0.2f, 0.3f}, {0.4f, 0.5f, -0.6f}}).requires_grad_();
  Tensor b = Tensor::from({0.05f, -0.15f}).requires_grad_();
  Tensor y = linear(x, w, b);
  CHECK(y.grad_fn()->name() == "linear");
  CHECK(y.grad_fn()->inputs().size() == 3);  // one node for x·wᵀ + b
  y.backward(Tensor::from({{1.0f, -1.0f}, {0.5f, 2.0f}}));
  CHECK(max_abs_diff(y, {-0.55f, 1.85f, 1.1f, -2.0f}) < 1e-6);
  CHECK(max_abs_diff(x.grad(), {-0.3f, -0.7f, 0.9f, 0.85f, 0.9f, -1.05f}) < 1e-6);
  CHECK(max_abs_diff(w.grad(), {1.25f, 1.75f, 0.5f, 0.0f, -3.0f, 7.0f}) < 1e-6);
  CHECK(b.grad().shape() == Shape{2});
  CHECK(max_abs_diff(b.grad(), {1.5f, 1.0f}) < 1e-6);
}

TEST_CASE("linear equals matmul + add, in values and in gradients") {
  Generator gen(37);
  Tensor x = Tensor::randn({32, 20}, gen).requires_grad_();
  Tensor w = Tensor::randn({7, 20}, gen).requires_grad_();
  Tensor b = Tensor::randn({7}, gen).requires_grad_();
  Tensor dy = Tensor::randn({32, 7}, gen);

  Tensor fused = linear(x, w, b);
  fused.backward(dy);
  const Tensor dx = x.grad().clone(), dw = w.grad().clone(), db = b.grad().clone();
  for (Tensor* t : {&x, &w, &b}) t->zero_grad(true);

  Tensor composed = matmul(x, w, false, true) + b;
  composed.backward(dy);
  CHECK(max_abs_diff(fused, composed.to_vector()) < 1e-5);
  CHECK(max_abs_diff(dx, x.grad().to_vector()) < 1e-5);
  CHECK(max_abs_diff(dw, w.grad().to_vector()) < 1e-5);
  CHECK(max_abs_diff(db, b.grad().to_vector()) < 1e-5);

  // Without a bias.
  CHECK(max_abs_diff(linear(x, w), matmul(x, w, false, true).to_vector()) < 1e-5);
}

TEST_CASE("linear passes gradcheck with and without bias; dx only when x requires grad") {
  Generator gen(41);
  Tensor x = Tensor::randn({4, 5}, gen).requires_grad_();
  Tensor w = Tensor::randn({3, 5}, gen).requires_grad_();
  Tensor b = Tensor::randn({3}, gen).requires_grad_();
  GradCheckResult r = gradcheck(
      [](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); }, {x, w, b});
  CHECK_MESSAGE(r.ok, r.report);
  r = gradcheck([](const std::vector<Tensor>& in) { return linear(in[0], in[1]); }, {x, w});
  CHECK_MESSAGE(r.ok, r.report);

  Tensor images = Tensor::randn({4, 5}, gen);  // data: no gradient wanted
  Tensor y = linear(images, w, b);
  y.backward(Tensor::ones({4, 3}));
  CHECK_FALSE(images.grad().defined());
  CHECK(w.grad().defined());
  // Gradients accumulate into existing ones (beta = 1), like every other op.
  const Tensor before = w.grad().clone();
  linear(images, w, b).backward(Tensor::ones({4, 3}));
  for (int64_t i = 0; i < w.numel(); ++i)
    CHECK(w.grad().data()[i] == doctest::Approx(2 * before.data()[i]));
}

TEST_CASE("shape errors name both shapes and suggest a fix") {
  Tensor a = Tensor::zeros({32, 784}), b = Tensor::zeros({785, 128});
  CHECK_THROWS_WITH_AS(
      matmul(a, b),
      doctest::Contains("matmul: inner dimensions differ: a is [32, 784] but b is [785, 128]"),
      std::invalid_argument);
  CHECK_THROWS_WITH_AS(matmul(a, b), doctest::Contains("HINT"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(matmul(a, Tensor::zeros({128, 785}), false, true),
                       doctest::Contains("a is [32, 784] but b is [128, 785] (transposed)"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(matmul(Tensor::zeros({784}), b),
                       doctest::Contains("a is [784] but b is [785, 128]"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(linear(a, Tensor::zeros({128, 785})),
                       doctest::Contains("linear: x is [32, 784] but weight is [128, 785]"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      linear(a, Tensor::zeros({128, 784}), Tensor::zeros({784})),
      doctest::Contains("linear: bias is [784] but the weight [128, 784] has 128 outputs"),
      std::invalid_argument);
  CHECK_THROWS_AS(linear(Tensor::scalar(1), Tensor::zeros({128, 784})), std::invalid_argument);
}
