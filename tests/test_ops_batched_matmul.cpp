// Tests of ops/batched_matmul.hpp: torch.matmul's ranks (3-D, broadcast batch dims, 1-D
// promotion) and bmm against PyTorch's values and gradients (tests/reference/golden_layers.py),
// against a loop of 2-D products, finite-difference checks, and the shape errors.
#include <doctest/doctest.h>

#include <stdexcept>

#include "minigrad/gradcheck.hpp"
#include "minigrad/ops/batched_matmul.hpp"
#include "minigrad/ops/index.hpp"
#include "minigrad/ops/matmul.hpp"
#include "minigrad/ops/shape.hpp"
#include "support/golden_case.hpp"

using namespace minigrad;
using minigrad::testing::backward_weighted;

namespace {
Tensor golden_a() {  // [2, 2, 3]
  return Tensor::from({{{0.5f, -1, 2}, {1.5f, 0.25f, -0.75f}}, {{-2, 1, 0.5f}, {3, -0.5f, 1}}});
}
Tensor golden_b() {  // [2, 3, 2]
  return Tensor::from({{{1, -0.5f}, {2, 0}, {-1, 1.5f}}, {{0.25f, 2}, {-3, 1}, {0.5f, -1}}});
}
Tensor golden_v() { return Tensor::from({1, -2, 0.5f}); }
}  // namespace

TEST_CASE("matmul of 3-D operands: values and gradients as PyTorch") {
  Tensor a = golden_a().requires_grad_(), b = golden_b().requires_grad_();
  Tensor y = backward_weighted(matmul(a, b));
  CHECK(y.shape() == Shape{2, 2, 2});
  CHECK(max_abs_diff(y, {-3.5f, 2.75f, 2.75f, -1.875f, -3.25f, -3.5f, 2.75f, 4.5f}) < 1e-6);
  CHECK(max_abs_diff(a.grad(), {-1.25f, -3, 0.75f, -0.25f, 1, 1.75f, 7.625f, -4, -2.25f, 12.125f,
                                -8, -3.25f}) < 1e-6);
  CHECK(max_abs_diff(b.grad(), {0, 2, 1.625f, 0.875f, -3.375f, -2.125f, 8.5f, 9.5f, 0.25f, 0.75f,
                                5.75f, 7.25f}) < 1e-6);
  Tensor a2 = golden_a().requires_grad_(), b2 = golden_b().requires_grad_();
  backward_weighted(bmm(a2, b2));
  CHECK(max_abs_diff(a2.grad(), a.grad().to_vector()) == 0.0);
  CHECK(max_abs_diff(b2.grad(), b.grad().to_vector()) == 0.0);
}

TEST_CASE("matmul broadcasts batch dims and sums the gradient back over them") {
  // a [2, 1, 1, 3] with b [2, 3, 2] -> [2, 2, 1, 2]: each matrix of a meets both of b's
  Tensor a = Tensor::from({{{{0.5f, -1, 2}}}, {{{3, -0.5f, 1}}}}).requires_grad_();
  Tensor b = golden_b().requires_grad_();
  Tensor y = backward_weighted(matmul(a, b));
  CHECK(y.shape() == Shape{2, 2, 1, 2});
  CHECK(max_abs_diff(y, {-3.5f, 2.75f, 4.125f, -2, 1, 0, 2.75f, 4.5f}) < 1e-6);
  CHECK(max_abs_diff(a.grad(), {1.875f, -3, -0.5f, 12.875f, -3, -0.5f}) < 1e-6);
  CHECK(max_abs_diff(b.grad(), {6.75f, 10.25f, 0.25f, -1.25f, -0.5f, 2.5f, 13.75f, 17.25f, -2.75f,
                                -4.25f, 5.5f, 8.5f}) < 1e-6);
  // a [2, 2, 3] with one shared matrix m [3, 3]
  Tensor a2 = golden_a().requires_grad_();
  Tensor m = Tensor::from({{0.5f, -0.25f, 1}, {-1.5f, 2, 0.75f}, {1, 1, 1}}).requires_grad_();
  y = backward_weighted(matmul(a2, m));
  CHECK(y.shape() == Shape{2, 2, 3});
  CHECK(max_abs_diff(y, {3.75f, -0.125f, 1.75f, -0.375f, -0.625f, 0.9375f, -2, 3, -0.75f, 3.25f,
                         -0.75f, 3.625f}) < 1e-6);
  CHECK(max_abs_diff(a2.grad(), {-0.125f, 1.625f, -1.5f, 3.625f, 5.375f, 7.5f, 7.375f, 9.125f,
                                 16.5f, 11.125f, 12.875f, 25.5f}) < 1e-6);
  CHECK(max_abs_diff(m.grad(), {15, 18, 21, 2.625f, 2.375f, 2.125f, 5.625f, 8.375f, 11.125f}) <
        1e-6);
}

TEST_CASE("matmul promotes 1-D operands as torch.matmul does") {
  Tensor v = golden_v().requires_grad_(), b = golden_b().requires_grad_();
  Tensor y = backward_weighted(matmul(v, b));  // [3] · [2, 3, 2] -> [2, 2]
  CHECK(y.shape() == Shape{2, 2});
  CHECK(max_abs_diff(y, {-3.5f, 0.25f, 6.5f, -0.5f}) < 1e-6);
  CHECK(max_abs_diff(v.grad(), {1.875f, -3, -0.5f}) < 1e-6);
  CHECK(max_abs_diff(b.grad(), {-1.5f, -0.5f, 3, 1, -0.75f, -0.25f, 0.5f, 1.5f, -1, -3, 0.25f,
                                0.75f}) < 1e-6);
  Tensor a = golden_a().requires_grad_(), v2 = golden_v().requires_grad_();
  y = backward_weighted(matmul(a, v2));  // [2, 2, 3] · [3] -> [2, 2]
  CHECK(y.shape() == Shape{2, 2});
  CHECK(max_abs_diff(y, {3.5f, 0.625f, -3.75f, 4.5f}) < 1e-6);
  CHECK(max_abs_diff(a.grad(), {-1.5f, 3, -0.75f, -0.5f, 1, -0.25f, 0.5f, -1, 0.25f, 1.5f, -3,
                                0.75f}) < 1e-6);
  CHECK(max_abs_diff(v2.grad(), {2, 1.125f, -0.875f}) < 1e-6);
  Tensor v3 = golden_v().requires_grad_(), u = Tensor::from({2, 0.5f, -1}).requires_grad_();
  y = backward_weighted(matmul(v3, u));  // the dot product, a scalar
  CHECK(y.shape() == Shape{});
  CHECK(y.item() == 0.5f);
  CHECK(max_abs_diff(v3.grad(), {-3, -0.75f, 1.5f}) < 1e-6);
  CHECK(max_abs_diff(u.grad(), {-1.5f, 3, -0.75f}) < 1e-6);
  Tensor w = Tensor::from({{0.5f, -0.25f, 1}, {-1.5f, 2, 0.75f}}).requires_grad_();
  Tensor v4 = golden_v().requires_grad_();
  y = backward_weighted(matmul(w, v4));  // matrix · vector -> [2]
  CHECK(y.shape() == Shape{2});
  CHECK(max_abs_diff(y, {1.5f, -5.125f}) < 1e-6);
  CHECK(max_abs_diff(w.grad(), {-1.5f, 3, -0.75f, -0.5f, 1, -0.25f}) < 1e-6);
  CHECK(max_abs_diff(v4.grad(), {0, -0.625f, -1.875f}) < 1e-6);
}

TEST_CASE("each matrix of a batched matmul equals the 2-D product of its slices") {
  Generator gen(5);
  Tensor a = Tensor::randn({3, 1, 4, 7}, gen), b = Tensor::randn({2, 7, 5}, gen);
  Tensor c = matmul(a, b);
  REQUIRE(c.shape() == Shape{3, 2, 4, 5});
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 2; ++j) {
      Tensor ai = squeeze(narrow(narrow(a, 0, i, 1), 1, 0, 1)).reshape({4, 7});
      Tensor bj = narrow(b, 0, j, 1).reshape({7, 5});
      Tensor cij = narrow(narrow(c, 0, i, 1), 1, j, 1);
      CHECK(max_abs_diff(cij, matmul(ai, bj).to_vector()) == 0.0);
    }
  CHECK(matmul(Tensor::zeros({2, 3, 0}), Tensor::zeros({0, 4})).to_vector() ==
        std::vector<float>(24, 0.0f));  // k = 0: an empty sum is 0
  CHECK(matmul(Tensor::zeros({0, 3, 2}), Tensor::zeros({2, 4})).shape() == Shape{0, 3, 4});
}

TEST_CASE("batched matmul gradient checks") {
  Generator gen(11);
  const Shape shapes[][2] = {{{2, 3, 4}, {2, 4, 2}},
                             {{2, 1, 3, 4}, {3, 4, 2}},
                             {{4}, {2, 4, 3}},
                             {{2, 3, 4}, {4}},
                             {{5}, {5}},
                             {{3, 2, 4}, {4, 5}},
                             {{1, 4}, {3, 4, 2}}};
  for (const auto& s : shapes) {
    INFO("a ", shape_str(s[0]), " b ", shape_str(s[1]));
    Tensor a = Tensor::randn(s[0], gen).requires_grad_();
    Tensor b = Tensor::randn(s[1], gen).requires_grad_();
    GradCheckResult r =
        gradcheck([](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); }, {a, b});
    CHECK_MESSAGE(r.ok, r.report);
  }
}

TEST_CASE("batched matmul errors name both shapes and suggest a fix") {
  CHECK_THROWS_WITH_AS(
      matmul(Tensor::zeros({2, 3, 4}), Tensor::zeros({2, 5, 2})),
      doctest::Contains("matmul: inner dimensions differ: a is [2, 3, 4] but b is [2, 5, 2]"),
      std::invalid_argument);
  CHECK_THROWS_WITH_AS(matmul(Tensor::zeros({2, 3, 4}), Tensor::zeros({3, 4, 2})),
                       doctest::Contains("batch dimensions do not broadcast: a is [2, 3, 4] "
                                         "(batch [2]) but b is [3, 4, 2] (batch [3])"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(matmul(Tensor::zeros({3}), Tensor::zeros({4})),
                       doctest::Contains("a is [3] but b is [4] (3 vs 4) (HINT:"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(matmul(Tensor::scalar(2), Tensor::zeros({4})),
                       doctest::Contains("at least 1 dimension"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(matmul(Tensor::zeros({2, 3, 4}), Tensor::zeros({2, 4, 2}), true),
                       doctest::Contains("a must be 2-D but is [2, 3, 4] (HINT:"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(bmm(Tensor::zeros({2, 3, 4}), Tensor::zeros({4, 2})),
                       doctest::Contains("bmm: expected a (B, m, k) and b (B, k, n)"),
                       std::invalid_argument);
}
