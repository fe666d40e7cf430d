// Tests of optim/sgd.hpp: PyTorch's SGD sequences (golden values from torch 1.13, made by
// tests/reference/golden_optim.py), its first-step and Nesterov rules, option checks, and that it
// minimises a quadratic.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/optim/sgd.hpp"

using namespace minigrad;
using optim::SGD;

namespace {

// The shared scenario of golden_optim.py: THETA0, then one GRADS row per step.
const std::vector<float> k_theta0 = {1.0f, -2.0f, 0.5f, 3.0f};
const std::vector<std::vector<float>> k_grads = {
    {0.5f, 3.0f, -1.0f, 0.01f},   {0.4f, -2.0f, -1.5f, 0.02f},  {-0.3f, 0.5f, 2.0f, 0.0f},
    {0.05f, 0.1f, -0.2f, -0.03f}, {1.0f, -1.0f, 0.001f, 0.04f},
};

// ---- golden values: theta after each step (torch 1.13) ----
// SGD(lr=0.1)
const std::vector<std::vector<float>> k_sgd_plain = {
    {0.949999988f, -2.29999995f, 0.600000024f, 2.99900007f},
    {0.909999967f, -2.0999999f, 0.75f, 2.99699998f},
    {0.939999998f, -2.14999986f, 0.550000012f, 2.99699998f},
    {0.935000002f, -2.15999985f, 0.569999993f, 3.0f},
    {0.834999979f, -2.05999994f, 0.569899976f, 2.99600005f},
};
// SGD(lr=0.1, momentum=0.9)
const std::vector<std::vector<float>> k_sgd_momentum = {
    {0.949999988f, -2.29999995f, 0.600000024f, 2.99900007f},
    {0.86500001f, -2.36999989f, 0.840000033f, 2.99610019f},
    {0.818499982f, -2.4829998f, 0.856000066f, 2.99349022f},
    {0.771649957f, -2.59469986f, 0.890400052f, 2.9941411f},
    {0.629484951f, -2.59522986f, 0.921260059f, 2.99072695f},
};
// SGD(lr=0.1, momentum=0.9, dampening=0.5)
const std::vector<std::vector<float>> k_sgd_dampening = {
    {0.949999988f, -2.29999995f, 0.600000024f, 2.99900007f},
    {0.88499999f, -2.47000003f, 0.765000045f, 2.99710011f},
    {0.841499984f, -2.648f, 0.813500047f, 2.99539018f},
    {0.799849987f, -2.8132f, 0.867150068f, 2.99535108f},
    {0.712364972f, -2.91188002f, 0.915385067f, 2.99331594f},
};
// SGD(lr=0.1, weight_decay=0.01): decay must apply without momentum too
const std::vector<std::vector<float>> k_sgd_weight_decay = {
    {0.949000001f, -2.2980001f, 0.5995f, 2.99600005f},
    {0.908051014f, -2.09570217f, 0.748900473f, 2.99100399f},
    {0.937142968f, -2.14360642f, 0.548151553f, 2.98801303f},
    {0.931205809f, -2.15146279f, 0.567603409f, 2.98802495f},
    {0.830274582f, -2.0493114f, 0.566935778f, 2.9810369f},
};
// SGD(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)
const std::vector<std::vector<float>> k_sgd_nesterov_wd = {
    {0.943000019f, -2.26600003f, 0.590250015f, 2.97055006f},
    {0.871741533f, -2.16787314f, 0.765617609f, 2.9278748f},
    {0.850070834f, -2.20666099f, 0.661331236f, 2.87591982f},
    {0.808164358f, -2.21736217f, 0.673636138f, 2.81786442f},
    {0.673846304f, -2.11635828f, 0.672191978f, 2.74663663f},
};
// SGD(lr=0.1, momentum=0.8, dampening=0.3, weight_decay=0.05)
const std::vector<std::vector<float>> k_sgd_all = {
    {0.944999993f, -2.28999996f, 0.597500026f, 2.98399997f},
    {0.869692504f, -2.37398505f, 0.778408766f, 2.95935607f},
    {0.827402592f, -2.46786404f, 0.780411363f, 2.92928314f},
    {0.787174761f, -2.54132986f, 0.793281972f, 2.89707232f},
    {0.682237387f, -2.52120781f, 0.800731957f, 2.85836387f},
};
// SGD(momentum=0.9, dampening=0.1) with lr 0.1, 0.1, 0.01, 0.01, 0.01: PyTorch's v = μv + g
// keeps the old lr out of the buffer (Sutskever's v = μv + lr·g would not).
const std::vector<std::vector<float>> k_sgd_lr_change = {
    {0.949999988f, -2.29999995f, 0.600000024f, 2.99900007f},
    {0.868999958f, -2.38999987f, 0.825000048f, 2.99629998f},
    {0.864409983f, -2.40259981f, 0.827250063f, 2.99605703f},
    {0.859829009f, -2.41483974f, 0.831075072f, 2.99610829f},
    {0.846706092f, -2.41685581f, 0.834508598f, 2.99579453f},
};
// SGD(lr=0.1, momentum=0.9, dampening=0.5) on [a, b]; b has no grad at step 1
const std::vector<std::vector<float>> k_frozen_sgd = {
    {0.949999988f, -0.975000024f, 2.0f, 0.5f},
    {0.854999959f, -1.05250001f, 1.97000003f, 0.560000002f},
    {0.794499934f, -1.15974998f, 1.898f, 0.609000027f},
};

void set_grad(const Tensor& p, const std::vector<float>& g) {
  REQUIRE(static_cast<int64_t>(g.size()) == p.numel());
  float* dp = grad_buffer(p);
  for (size_t k = 0; k < g.size(); ++k) dp[k] = g[k];
}

void check_close(const std::vector<float>& actual, const std::vector<float>& expected,
                 const std::string& where) {
  REQUIRE(actual.size() == expected.size());
  for (size_t k = 0; k < actual.size(); ++k) {
    INFO(where, ", element ", k, ": got ", actual[k], ", PyTorch gives ", expected[k]);
    CHECK(std::abs(actual[k] - expected[k]) <= 1e-7f + 1e-6f * std::abs(expected[k]));
  }
}

// Runs the golden scenario with `options`; `lr_at(step)` may change the lr before each step.
void check_sequence(const optim::SGDOptions& options,
                    const std::vector<std::vector<float>>& expected,
                    const std::function<double(size_t)>& lr_at = nullptr) {
  Tensor theta = Tensor::from(k_theta0).requires_grad_();
  SGD sgd({theta}, options);
  for (size_t t = 0; t < k_grads.size(); ++t) {
    if (lr_at) sgd.set_lr(lr_at(t));
    sgd.zero_grad();
    set_grad(theta, k_grads[t]);
    sgd.step();
    check_close(theta.to_vector(), expected[t], "step " + std::to_string(t + 1));
  }
}

}  // namespace

TEST_CASE("SGD: the documented golden values (docs/semantics.md#sgd)") {
  SUBCASE("momentum 0.9, dampening 0.5, weight decay 0.01: first step has no dampening") {
    Tensor p = Tensor::from({1.0f}).requires_grad_();
    SGD sgd({p}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5, .weight_decay = 0.01});
    set_grad(p, {2.0f});
    sgd.step();
    CHECK(p.item() == doctest::Approx(0.799).epsilon(1e-6));
    set_grad(p, {2.0f});
    sgd.step();
    CHECK(p.item() == doctest::Approx(0.5177005).epsilon(1e-6));
  }
  SUBCASE("nesterov, momentum 0.9, g = 1") {
    Tensor p = Tensor::from({1.0f}).requires_grad_();
    SGD sgd({p}, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
    set_grad(p, {1.0f});
    sgd.step();
    CHECK(p.item() == doctest::Approx(0.81).epsilon(1e-6));
    set_grad(p, {1.0f});
    sgd.step();
    CHECK(p.item() == doctest::Approx(0.539).epsilon(1e-6));
  }
}

TEST_CASE("SGD: five-step sequences match torch.optim.SGD") {
  SUBCASE("plain") { check_sequence({.lr = 0.1}, k_sgd_plain); }
  SUBCASE("momentum") { check_sequence({.lr = 0.1, .momentum = 0.9}, k_sgd_momentum); }
  SUBCASE("dampening") {
    check_sequence({.lr = 0.1, .momentum = 0.9, .dampening = 0.5}, k_sgd_dampening);
  }
  SUBCASE("weight decay without momentum") {
    check_sequence({.lr = 0.1, .weight_decay = 0.01}, k_sgd_weight_decay);
  }
  SUBCASE("nesterov with weight decay") {
    check_sequence({.lr = 0.05, .momentum = 0.9, .weight_decay = 0.1, .nesterov = true},
                   k_sgd_nesterov_wd);
  }
  SUBCASE("momentum, dampening and weight decay together") {
    check_sequence({.lr = 0.1, .momentum = 0.8, .dampening = 0.3, .weight_decay = 0.05}, k_sgd_all);
  }
  SUBCASE("lr changed between steps, as a scheduler does") {
    check_sequence({.lr = 0.1, .momentum = 0.9, .dampening = 0.1}, k_sgd_lr_change,
                   [](size_t t) { return t < 2 ? 0.1 : 0.01; });
  }
}

TEST_CASE("SGD: a parameter without a grad is skipped and starts its momentum later") {
  Tensor a = Tensor::from({1.0f, -1.0f}).requires_grad_();
  Tensor b = Tensor::from({2.0f, 0.5f}).requires_grad_();
  SGD sgd({a, b}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5});
  const std::vector<std::vector<float>> ga = {{0.5f, -0.25f}, {1.0f, 2.0f}, {-0.5f, 0.75f}};
  const std::vector<std::vector<float>> gb = {{}, {0.3f, -0.6f}, {0.9f, 0.1f}};
  for (size_t t = 0; t < 3; ++t) {
    sgd.zero_grad(/*set_to_none=*/true);
    set_grad(a, ga[t]);
    if (!gb[t].empty()) set_grad(b, gb[t]);
    sgd.step();
    if (t == 0) CHECK_FALSE(sgd.momentum_buffer(1).defined());
    std::vector<float> ab = a.to_vector();
    for (float v : b.to_vector()) ab.push_back(v);
    check_close(ab, k_frozen_sgd[t], "step " + std::to_string(t + 1));
  }
  CHECK(sgd.momentum_buffer(1).defined());
}

TEST_CASE("SGD: step() records nothing and updates the module's storage in place") {
  Tensor w = Tensor::from({1.0f, 2.0f}).requires_grad_();
  const float* storage = w.data();
  SGD sgd({w}, {.lr = 0.5});
  set_grad(w, {1.0f, -1.0f});
  sgd.step();
  CHECK(w.data() == storage);
  CHECK(w.is_leaf());
  CHECK(w.to_vector() == std::vector<float>{0.5f, 2.5f});
  sgd.zero_grad();
  CHECK(w.grad().to_vector() == std::vector<float>{0.0f, 0.0f});
  sgd.zero_grad(/*set_to_none=*/true);
  CHECK_FALSE(w.grad().defined());
  sgd.step();  // no grad: nothing changes
  CHECK(w.to_vector() == std::vector<float>{0.5f, 2.5f});
}

TEST_CASE("SGD: invalid options are rejected with a hint") {
  Tensor p = Tensor::from({1.0f}).requires_grad_();
  CHECK_THROWS_WITH_AS(SGD({p}, {.lr = -0.1}), doctest::Contains("invalid learning rate: -0.1"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(SGD({p}, {.lr = NAN}), doctest::Contains("learning rate"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(SGD({p}, {.lr = 0.1, .momentum = -0.5}),
                       doctest::Contains("invalid momentum"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(SGD({p}, {.lr = 0.1, .weight_decay = -1}),
                       doctest::Contains("invalid weight_decay"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      SGD({p}, {.lr = 0.1, .nesterov = true}),
      doctest::Contains("Nesterov momentum requires a momentum and zero dampening"),
      std::invalid_argument);
  CHECK_THROWS_WITH_AS(SGD({p}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}),
                       doctest::Contains("HINT"), std::invalid_argument);
  CHECK_NOTHROW(SGD({p}, {.lr = 0.1, .momentum = 0.9, .nesterov = true}));
  CHECK_NOTHROW(SGD({p}, {.lr = 0.0}));  // PyTorch allows lr = 0
}

TEST_CASE("SGD with momentum minimises a quadratic") {
  // f(θ) = Σ (θ − c)², df/dθ = 2(θ − c): θ must reach c.
  const std::vector<float> c = {3.0f, -1.0f, 0.25f};
  Tensor theta = Tensor::zeros({3}).requires_grad_();
  SGD sgd({theta}, {.lr = 0.05, .momentum = 0.9});
  for (int t = 0; t < 300; ++t) {
    sgd.zero_grad();
    float* dtheta = grad_buffer(theta);
    for (int k = 0; k < 3; ++k) dtheta[k] = 2.0f * (theta.data()[k] - c[k]);
    sgd.step();
  }
  for (int k = 0; k < 3; ++k) CHECK(theta.data()[k] == doctest::Approx(c[k]).epsilon(1e-4));
}

// ---- state_dict: stop after `split` steps, continue in a fresh optimizer, match bit for bit ----
TEST_CASE("SGD: state_dict round trip continues the golden sequence exactly") {
  const optim::SGDOptions options{.lr = 0.1, .momentum = 0.9, .dampening = 0.5};
  for (size_t split = 0; split <= k_grads.size(); ++split) {
    CAPTURE(split);
    Tensor whole = Tensor::from(k_theta0).requires_grad_();
    SGD uninterrupted({whole}, options);
    Tensor first = Tensor::from(k_theta0).requires_grad_();
    SGD before({first}, options);
    for (size_t t = 0; t < split; ++t) {
      before.zero_grad();
      set_grad(first, k_grads[t]);
      before.step();
    }
    const StateDict state = before.state_dict();
    CHECK(state.size() == (split > 0 ? 1u : 0u));
    if (split > 0) CHECK(state[0].name == "state.0.momentum_buffer");
    Tensor second = first.detach().clone().requires_grad_();
    SGD after({second}, options);
    after.load_state_dict(state);
    for (size_t t = 0; t < k_grads.size(); ++t) {
      uninterrupted.zero_grad();
      set_grad(whole, k_grads[t]);
      uninterrupted.step();
      if (t < split) continue;
      after.zero_grad();
      set_grad(second, k_grads[t]);
      after.step();
    }
    CHECK(second.to_vector() == whole.to_vector());  // bit for bit
    check_close(second.to_vector(), k_sgd_dampening.back(), "after the round trip");
  }
}

TEST_CASE("SGD: state_dict is a copy, and load_state_dict rejects foreign state by name") {
  Tensor theta = Tensor::from(k_theta0).requires_grad_();
  SGD sgd({theta}, {.lr = 0.1, .momentum = 0.9});
  set_grad(theta, k_grads[0]);
  sgd.step();
  StateDict state = sgd.state_dict();
  state[0].tensor.data()[0] = 99.0f;
  CHECK(sgd.momentum_buffer(0).to_vector()[0] == 0.5f);  // not shared with the optimizer

  auto error_of = [&](const StateDict& s) {
    try {
      sgd.load_state_dict(s);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const Tensor four = Tensor::zeros({4});
  CHECK(error_of({{"state.1.momentum_buffer", four}})
            .find("names parameter 1 but this optimizer "
                  "has 1") != std::string::npos);
  CHECK(error_of({{"state.0.exp_avg", four}}).find("SGD keeps no 'exp_avg'") != std::string::npos);
  CHECK(error_of({{"momentum_buffer", four}}).find("not of the form") != std::string::npos);
  CHECK(error_of({{"state.x.momentum_buffer", four}}).find("not of the form") != std::string::npos);
  CHECK(error_of({{"state.0.momentum_buffer", Tensor::zeros({2, 2})}})
            .find("has shape [2, 2], expected [4]") != std::string::npos);
  // A failed load leaves the state as it was.
  CHECK(sgd.momentum_buffer(0).to_vector()[0] == 0.5f);
  // An empty state: every parameter starts afresh (its next step sets the buffer to g).
  sgd.load_state_dict({});
  CHECK_FALSE(sgd.momentum_buffer(0).defined());
}
