// Tests of nn/layernorm.hpp: LayerNorm against PyTorch's values and gradients
// (tests/reference/golden_layers.py), per-sample statistics (batch of one, train == eval),
// finite-difference checks, the parameters, the repr and the shape errors.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "minigrad/gradcheck.hpp"
#include "minigrad/nn/layernorm.hpp"
#include "minigrad/ops/reduce.hpp"
#include "support/golden_case.hpp"

using namespace minigrad;
using minigrad::testing::backward_weighted;
using nn::LayerNorm;

namespace {
Tensor golden_x() {  // [2, 2, 3]
  return Tensor::from({{{1, -2, 0.5f}, {3, 0, -1}}, {{0.25f, 0.25f, 4}, {-1.5f, 2.5f, 1}}});
}
}  // namespace

TEST_CASE("LayerNorm over the last dim: values and gradients as PyTorch") {
  LayerNorm ln(3);
  ln.weight().copy_(Tensor::from({1.5f, -0.5f, 2}));
  ln.bias().copy_(Tensor::from({0.1f, 0.2f, -0.3f}));
  Tensor x = golden_x().requires_grad_();
  Tensor y = backward_weighted(ln(x));
  CHECK(y.shape() == Shape{2, 2, 3});
  CHECK(max_abs_diff(y, {1.4334974f, 0.89849865f, 0.71599799f, 2.1592159f, 0.39611578f, -2.261158f,
                         -0.96065837f, 0.55355281f, 2.5284226f, -1.8697938f, -0.35558283f,
                         0.10406023f}) < 1e-5);
  CHECK(max_abs_diff(x.grad(), {-1.0446777f, -0.20893121f, 1.2536092f, 0.63925886f, -2.5570474f,
                                1.9177883f, 2.6869946f, -2.6870079f, 1.347065e-05f, -2.5882378f,
                                -4.3137684f, 6.9020057f}) < 1e-4);
  CHECK(max_abs_diff(ln.weight().grad(), {-12.305225f, 5.273747f, 7.9336324f}) < 1e-4);
  CHECK(max_abs_diff(ln.bias().grad(), {12, 16, 20}) < 1e-6);
}

TEST_CASE("LayerNorm over two dims without affine parameters, with its eps, as PyTorch") {
  LayerNorm ln({2, 3}, {.eps = 1e-3f, .elementwise_affine = false});
  CHECK(ln.named_parameters().empty());
  CHECK_FALSE(ln.weight().defined());
  Tensor x = golden_x().requires_grad_();
  Tensor y = backward_weighted(ln(x));
  CHECK(max_abs_diff(y, {0.4762345f, -1.4287034f, 0.15874483f, 1.7461931f, -0.15874483f,
                         -0.79372412f, -0.47343731f, -0.47343731f, 1.6570306f, -1.4676557f,
                         0.80484343f, -0.047343731f}) < 1e-5);
  CHECK(max_abs_diff(x.grad(), {-1.5634463f, -1.0244755f, -0.30948901f, 0.40549743f, 0.94446814f,
                                1.5474446f, -1.3566413f, -0.78851652f, -0.50690913f, 0.48144102f,
                                0.74394751f, 1.4266791f}) < 1e-5);
}

TEST_CASE("LayerNorm uses each sample's own statistics: a batch of one, train equals eval") {
  Generator gen(4);
  LayerNorm ln(8);
  CHECK(ln.weight().to_vector() == std::vector<float>(8, 1.0f));  // PyTorch's init: ones, zeros
  CHECK(ln.bias().to_vector() == std::vector<float>(8, 0.0f));
  Tensor x = Tensor::randn({5, 8}, gen) * 3.0f + 7.0f;
  Tensor y = ln(x);
  for (int64_t r = 0; r < 5; ++r) {
    double mean = 0, sq = 0;
    for (int64_t j = 0; j < 8; ++j) mean += y.at({r, j});
    for (int64_t j = 0; j < 8; ++j) sq += y.at({r, j}) * y.at({r, j});
    CHECK(std::abs(mean / 8) < 1e-6);
    CHECK(sq / 8 == doctest::Approx(1.0).epsilon(1e-4));  // biased variance 1, up to eps
  }
  ln.eval();
  CHECK(max_abs_diff(ln(x), y.to_vector()) == 0.0);
  Tensor row = Tensor::from(std::vector<float>(x.data() + 16, x.data() + 24), {1, 8});
  CHECK(max_abs_diff(ln(row), std::vector<float>(y.data() + 16, y.data() + 24)) < 1e-6);
}

TEST_CASE("LayerNorm gradient checks, with and without affine parameters") {
  Generator gen(9);
  LayerNorm ln({3, 4});
  ln.weight().copy_(Tensor::randn({3, 4}, gen));
  ln.bias().copy_(Tensor::randn({3, 4}, gen));
  Tensor x = Tensor::randn({2, 3, 4}, gen).requires_grad_();
  GradCheckResult r = gradcheck([&ln](const std::vector<Tensor>& in) { return ln(in[0]); },
                                {x, ln.weight(), ln.bias()});
  CHECK_MESSAGE(r.ok, r.report);
  LayerNorm plain(4, {.elementwise_affine = false});
  GradCheckResult r2 =
      gradcheck([&plain](const std::vector<Tensor>& in) { return plain(in[0]); }, {x});
  CHECK_MESSAGE(r2.ok, r2.report);
}

TEST_CASE("LayerNorm prints like PyTorch and names wrong shapes") {
  CHECK(LayerNorm(3).repr() == "LayerNorm((3,), eps=1e-05, elementwise_affine=True)");
  CHECK(LayerNorm({2, 3}, {.eps = 1e-3f, .elementwise_affine = false}).repr() ==
        "LayerNorm((2, 3), eps=0.001, elementwise_affine=False)");
  LayerNorm ln({2, 3});
  CHECK_THROWS_WITH_AS(ln(Tensor::zeros({4, 3, 2})),
                       doctest::Contains("layer_norm: x is [4, 3, 2] but normalized_shape is "
                                         "[2, 3]: x's last 2 dim(s) must equal it (HINT:"),
                       std::invalid_argument);
  CHECK_THROWS_AS(ln(Tensor::zeros({3})), std::invalid_argument);
  CHECK_THROWS_WITH_AS(nn::layer_norm(Tensor::zeros({2, 3}), {3}, Tensor::ones({4})),
                       doctest::Contains("weight is [4] but normalized_shape is [3]"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(LayerNorm(0), doctest::Contains("HINT"), std::invalid_argument);
  CHECK_THROWS_AS(LayerNorm(Shape{}), std::invalid_argument);
  CHECK_THROWS_AS(LayerNorm(3, {.eps = 0}), std::invalid_argument);
}
