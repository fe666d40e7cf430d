// Tests of nn/init.hpp: PyTorch's gains and fans (tests/reference/golden_layers.py), the bounds
// and spreads of every initialiser on a large weight, seeding through the generator, the version
// bump of an in-place fill, and the errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "minigrad/nn/init.hpp"
#include "minigrad/nn/linear.hpp"

using namespace minigrad;
namespace init = minigrad::nn::init;

namespace {
double mean_of(const Tensor& t) {
  double s = 0;
  for (float v : t.to_vector()) s += v;
  return s / static_cast<double>(t.numel());
}
double std_of(const Tensor& t) {
  const double m = mean_of(t);
  double s = 0;
  for (float v : t.to_vector()) s += (v - m) * (v - m);
  return std::sqrt(s / static_cast<double>(t.numel()));
}
float max_abs(const Tensor& t) {
  float m = 0;
  for (float v : t.to_vector()) m = std::max(m, std::abs(v));
  return m;
}
}  // namespace

TEST_CASE("calculate_gain and the fans are PyTorch's") {
  CHECK(init::calculate_gain("linear") == 1.0f);
  CHECK(init::calculate_gain("sigmoid") == 1.0f);
  CHECK(init::calculate_gain("conv2d") == 1.0f);
  CHECK(init::calculate_gain("tanh") == doctest::Approx(1.6666666666666667));
  CHECK(init::calculate_gain("relu") == doctest::Approx(1.4142135623730951));
  CHECK(init::calculate_gain("selu") == 0.75f);
  CHECK(init::calculate_gain("leaky_relu") == doctest::Approx(1.4141428569978354));
  CHECK(init::calculate_gain("leaky_relu", 0.2f) == doctest::Approx(1.3867504905630728));
  CHECK(init::calculate_fan_in_and_fan_out(Tensor::empty({8, 3, 5, 5})) ==
        std::pair<int64_t, int64_t>{75, 200});
  CHECK(init::calculate_fan_in_and_fan_out(Tensor::empty({10, 784})) ==
        std::pair<int64_t, int64_t>{784, 10});
}

TEST_CASE("Xavier and Kaiming: bounds and spreads from the fans and gains") {
  Generator gen(0);
  Tensor w = Tensor::empty({4000, 500});
  // bound = gain·sqrt(6 / (fan_in + fan_out)); PyTorch's largest draw was 0.07302964
  init::xavier_uniform_(w, gen, 2.0f);
  const double xavier_bound = 2.0 * std::sqrt(6.0 / 4500);
  CHECK(max_abs(w) <= xavier_bound);
  CHECK(max_abs(w) > 0.999 * xavier_bound);
  CHECK(std_of(w) == doctest::Approx(xavier_bound / std::sqrt(3.0)).epsilon(0.01));
  // a = sqrt(5) gives Linear's default bound 1/sqrt(in)
  init::kaiming_uniform_(w, gen, {.a = std::sqrt(5.0f)});
  CHECK(max_abs(w) <= 1.0 / std::sqrt(500.0) + 1e-7);
  CHECK(max_abs(w) > 0.999 / std::sqrt(500.0));
  init::kaiming_normal_(w, gen, {.mode = init::FanMode::fan_out, .nonlinearity = "relu"});
  CHECK(std::abs(mean_of(w)) < 1e-4);
  CHECK(std_of(w) == doctest::Approx(std::sqrt(2.0 / 4000)).epsilon(0.01));
  init::kaiming_normal_(w, gen);  // fan_in, leaky_relu with a = 0: sqrt(2 / 500)
  CHECK(std_of(w) == doctest::Approx(std::sqrt(2.0 / 500)).epsilon(0.01));
  init::xavier_normal_(w, gen);
  CHECK(std_of(w) == doctest::Approx(std::sqrt(2.0 / 4500)).epsilon(0.01));
  Tensor conv = Tensor::empty({16, 8, 3, 3});  // fan_in = 8·9
  init::kaiming_uniform_(conv, gen, {.nonlinearity = "relu"});
  CHECK(max_abs(conv) <= std::sqrt(2.0f) * std::sqrt(3.0f / 72) + 1e-7f);
  CHECK(max_abs(conv) > 0.98f * std::sqrt(2.0f) * std::sqrt(3.0f / 72));
}

TEST_CASE("uniform_, normal_, constant_, zeros_, ones_") {
  Generator gen(1);
  Tensor t = Tensor::empty({200, 100});
  init::uniform_(t, gen, -2.0f, 3.0f);
  const auto v = t.to_vector();
  CHECK(*std::min_element(v.begin(), v.end()) >= -2.0f);
  CHECK(*std::max_element(v.begin(), v.end()) < 3.0f);
  CHECK(mean_of(t) == doctest::Approx(0.5).epsilon(0.02));
  init::normal_(t, gen, 1.0f, 0.5f);
  CHECK(mean_of(t) == doctest::Approx(1.0).epsilon(0.01));
  CHECK(std_of(t) == doctest::Approx(0.5).epsilon(0.02));
  CHECK(init::constant_(t, 0.25f).to_vector() == std::vector<float>(20000, 0.25f));
  CHECK(init::zeros_(t).to_vector() == std::vector<float>(20000, 0.0f));
  CHECK(init::ones_(t).to_vector() == std::vector<float>(20000, 1.0f));
}

TEST_CASE("the generator fixes the draws; a fill writes through a layer's handle and its version") {
  Generator a(7), b(7);
  nn::Linear fc(5, 3, a);
  Tensor w = fc.weight();
  const int64_t before = w.version();
  init::xavier_uniform_(fc.weight(), a);
  CHECK(w.version() > before);
  CHECK(fc.weight().requires_grad());  // still a parameter
  Generator c(7);
  nn::Linear same(5, 3, c);
  init::xavier_uniform_(same.weight(), c);
  CHECK(fc.weight().to_vector() == same.weight().to_vector());
  init::xavier_uniform_(same.weight(), b);
  CHECK(fc.weight().to_vector() != same.weight().to_vector());
}

TEST_CASE("init errors name the tensor's shape and suggest a fix") {
  Generator gen(2);
  CHECK_THROWS_WITH_AS(init::xavier_uniform_(Tensor::empty({10}), gen),
                       doctest::Contains("shape [10], which has fewer than 2 dimensions (HINT:"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(init::calculate_gain("swish"),
                       doctest::Contains("unsupported nonlinearity \"swish\" (HINT:"),
                       std::invalid_argument);
  CHECK_THROWS_AS(init::uniform_(Tensor::empty({2}), gen, 1.0f, -1.0f), std::invalid_argument);
  CHECK_THROWS_AS(init::normal_(Tensor::empty({2}), gen, 0.0f, -1.0f), std::invalid_argument);
  nn::Linear nobias(3, 2, false, gen);
  CHECK_THROWS_WITH_AS(init::zeros_(nobias.bias()), doctest::Contains("undefined"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(init::normal_(nobias.bias(), gen), doctest::Contains("undefined"),
                       std::invalid_argument);
}
