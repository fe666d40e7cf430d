// Tests of optim/adam.hpp: Adam and AdamW sequences against torch 1.13 (golden values made by
// tests/reference/golden_optim.py), amsgrad, per-parameter step counts, option checks, and that
// both minimise a quadratic.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/optim/adam.hpp"

using namespace minigrad;
using optim::Adam;
using optim::AdamW;

namespace {

// The shared scenario of golden_optim.py: THETA0, then one GRADS row per step.
const std::vector<float> k_theta0 = {1.0f, -2.0f, 0.5f, 3.0f};
const std::vector<std::vector<float>> k_grads = {
    {0.5f, 3.0f, -1.0f, 0.01f},   {0.4f, -2.0f, -1.5f, 0.02f},  {-0.3f, 0.5f, 2.0f, 0.0f},
    {0.05f, 0.1f, -0.2f, -0.03f}, {1.0f, -1.0f, 0.001f, 0.04f},
};

// ---- golden values: theta after each step (torch 1.13) ----
// Adam(lr=0.01)
const std::vector<std::vector<float>> k_adam_lr = {
    {0.99000001f, -2.00999999f, 0.50999999f, 2.99000001f},
    {0.980118752f, -2.01144528f, 0.519908071f, 2.98034811f},
    {0.975915074f, -2.01343012f, 0.520287752f, 2.97288728f},
    {0.972069919f, -2.01521516f, 0.521028757f, 2.97389865f},
    {0.965739787f, -2.01522279f, 0.521653056f, 2.97049713f},
};
// Adam(lr=0.01, weight_decay=0.1)
const std::vector<std::vector<float>> k_adam_wd = {
    {0.99000001f, -2.00999999f, 0.50999999f, 2.99000001f},
    {0.980089664f, -2.01066661f, 0.519896626f, 2.97999358f},
    {0.974275649f, -2.01171494f, 0.519948065f, 2.97001147f},
    {0.968544304f, -2.01240873f, 0.520310163f, 2.96010017f},
    {0.961275458f, -2.01122427f, 0.520508468f, 2.9501245f},
};
// Adam(lr=0.01, betas=(0.8, 0.9), amsgrad=True): the gradients shrink at step 4, so the max
// of v differs from v there.
const std::vector<std::vector<float>> k_adam_amsgrad = {
    {0.99000001f, -2.00999999f, 0.50999999f, 2.99000001f},
    {0.980126679f, -2.01088047f, 0.519923747f, 2.98031354f},
    {0.976654649f, -2.01247096f, 0.519510865f, 2.97348642f},
    {0.973592937f, -2.01383615f, 0.519683897f, 2.97559357f},
    {0.967091203f, -2.01315212f, 0.519814253f, 2.97212195f},
};
// Adam(lr=0.02, betas=(0.5, 0.6), eps=1e-3): a large ε shows where it is added
const std::vector<std::vector<float>> k_adam_betas_eps = {
    {0.980039895f, -2.01999331f, 0.519980013f, 2.9818182f},
    {0.960395157f, -2.0172441f, 0.539945543f, 2.96325421f},
    {0.959635794f, -2.01889133f, 0.53325367f, 2.9521513f},
    {0.957245827f, -2.02077055f, 0.530720174f, 2.96310425f},
    {0.941862524f, -2.01290989f, 0.529080689f, 2.9540782f},
};
// Adam(lr=0.01, weight_decay=0.1, amsgrad=True)
const std::vector<std::vector<float>> k_adam_amsgrad_wd = {
    {0.99000001f, -2.00999999f, 0.50999999f, 2.99000001f},
    {0.980089664f, -2.01066661f, 0.519896626f, 2.97999358f},
    {0.974275649f, -2.01171494f, 0.519948065f, 2.97001147f},
    {0.968544304f, -2.01240849f, 0.520310163f, 2.96010017f},
    {0.961275458f, -2.01122403f, 0.520508409f, 2.9501245f},
};
// AdamW(lr=0.01), default weight_decay 1e-2
const std::vector<std::vector<float>> k_adamw_default_wd = {
    {0.989899993f, -2.00979996f, 0.509949982f, 2.98970008f},
    {0.979919732f, -2.01104426f, 0.519807041f, 2.9797492f},
    {0.975618064f, -2.01282787f, 0.520134747f, 2.97199035f},
    {0.971675336f, -2.01441169f, 0.520823717f, 2.97270441f},
    {0.965248048f, -2.01421785f, 0.521395922f, 2.96900558f},
};
// AdamW(lr=0.01, weight_decay=0.1, amsgrad=True)
const std::vector<std::vector<float>> k_adamw_amsgrad = {
    {0.989000022f, -2.00800014f, 0.509500027f, 2.98699999f},
    {0.978129804f, -2.00743747f, 0.518898606f, 2.97436118f},
    {0.972948015f, -2.00741482f, 0.51875937f, 2.96392965f},
    {0.968129933f, -2.00719213f, 0.518981636f, 2.96197724f},
    {0.960831702f, -2.00519252f, 0.519086599f, 2.95561385f},
};
// Adam(lr=0.01) on [a, b]; b has no grad at step 1, so its bias correction starts at step 2
const std::vector<std::vector<float>> k_frozen_adam = {
    {0.99000001f, -0.99000001f, 2.0f, 0.5f},
    {0.98034817f, -0.996553302f, 1.99000001f, 0.50999999f},
    {0.976147294f, -1.00352943f, 1.98082221f, 0.515385389f},
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

template <class Opt, class Options>
void check_sequence(const Options& options, const std::vector<std::vector<float>>& expected) {
  Tensor theta = Tensor::from(k_theta0).requires_grad_();
  Opt opt({theta}, options);
  for (size_t t = 0; t < k_grads.size(); ++t) {
    opt.zero_grad();
    set_grad(theta, k_grads[t]);
    opt.step();
    check_close(theta.to_vector(), expected[t], "step " + std::to_string(t + 1));
  }
}

}  // namespace

TEST_CASE("Adam: the documented golden step (docs/semantics.md#adam)") {
  // θ = [1, −2], g = [0.5, 3], lr 0.01, λ 0.1: the first step is −lr·sign(g).
  Tensor theta = Tensor::from({1.0f, -2.0f}).requires_grad_();
  Adam adam({theta}, {.lr = 0.01, .weight_decay = 0.1});
  set_grad(theta, {0.5f, 3.0f});
  adam.step();
  CHECK(theta.to_vector()[0] == doctest::Approx(0.99).epsilon(1e-6));
  CHECK(theta.to_vector()[1] == doctest::Approx(-2.01).epsilon(1e-6));
  CHECK(adam.step_count(0) == 1);
}

TEST_CASE("Adam and AdamW: five-step sequences match torch.optim") {
  SUBCASE("Adam") { check_sequence<Adam>(optim::AdamOptions{.lr = 0.01}, k_adam_lr); }
  SUBCASE("Adam, weight decay into the gradient") {
    check_sequence<Adam>(optim::AdamOptions{.lr = 0.01, .weight_decay = 0.1}, k_adam_wd);
  }
  SUBCASE("Adam, amsgrad") {
    check_sequence<Adam>(optim::AdamOptions{.lr = 0.01, .betas = {0.8, 0.9}, .amsgrad = true},
                         k_adam_amsgrad);
  }
  SUBCASE("Adam, betas and a large eps") {
    check_sequence<Adam>(optim::AdamOptions{.lr = 0.02, .betas = {0.5, 0.6}, .eps = 1e-3},
                         k_adam_betas_eps);
  }
  SUBCASE("Adam, amsgrad and weight decay") {
    check_sequence<Adam>(optim::AdamOptions{.lr = 0.01, .weight_decay = 0.1, .amsgrad = true},
                         k_adam_amsgrad_wd);
  }
  SUBCASE("AdamW, default weight decay 1e-2 applied to the weights") {
    check_sequence<AdamW>(optim::AdamWOptions{.lr = 0.01}, k_adamw_default_wd);
  }
  SUBCASE("AdamW, amsgrad") {
    check_sequence<AdamW>(optim::AdamWOptions{.lr = 0.01, .weight_decay = 0.1, .amsgrad = true},
                          k_adamw_amsgrad);
  }
}

TEST_CASE("Adam: each parameter counts its own steps; one without a grad is skipped") {
  Tensor a = Tensor::from({1.0f, -1.0f}).requires_grad_();
  Tensor b = Tensor::from({2.0f, 0.5f}).requires_grad_();
  Adam adam({a, b}, {.lr = 0.01});
  const std::vector<std::vector<float>> ga = {{0.5f, -0.25f}, {1.0f, 2.0f}, {-0.5f, 0.75f}};
  const std::vector<std::vector<float>> gb = {{}, {0.3f, -0.6f}, {0.9f, 0.1f}};
  for (size_t t = 0; t < 3; ++t) {
    adam.zero_grad(/*set_to_none=*/true);
    set_grad(a, ga[t]);
    if (!gb[t].empty()) set_grad(b, gb[t]);
    adam.step();
    std::vector<float> ab = a.to_vector();
    for (float v : b.to_vector()) ab.push_back(v);
    check_close(ab, k_frozen_adam[t], "step " + std::to_string(t + 1));
  }
  CHECK(adam.step_count(0) == 3);
  CHECK(adam.step_count(1) == 2);
}

TEST_CASE("Adam: the moments are PyTorch's exp_avg and exp_avg_sq") {
  Tensor theta = Tensor::from({1.0f}).requires_grad_();
  Adam adam({theta}, {.lr = 0.1, .betas = {0.9, 0.99}});
  CHECK_FALSE(adam.exp_avg(0).defined());
  set_grad(theta, {2.0f});
  adam.step();
  CHECK(adam.exp_avg(0).item() == doctest::Approx(0.2).epsilon(1e-6));      // (1 − β1)·g
  CHECK(adam.exp_avg_sq(0).item() == doctest::Approx(0.04).epsilon(1e-6));  // (1 − β2)·g²
}

TEST_CASE("Adam: invalid options are rejected with a hint") {
  Tensor p = Tensor::from({1.0f}).requires_grad_();
  CHECK_THROWS_WITH_AS(Adam({p}, {.lr = -1e-3}), doctest::Contains("Adam: invalid learning rate"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Adam({p}, {.betas = {1.0, 0.999}}),
                       doctest::Contains("invalid beta parameter at index 0: 1"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Adam({p}, {.betas = {0.9, -0.1}}),
                       doctest::Contains("invalid beta parameter at index 1"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Adam({p}, {.eps = -1e-8}), doctest::Contains("invalid epsilon value"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(AdamW({p}, {.weight_decay = -0.01}),
                       doctest::Contains("AdamW: invalid weight_decay value"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(AdamW({p}, {.betas = {0.9, 1.5}}), doctest::Contains("HINT"),
                       std::invalid_argument);
}

TEST_CASE("Adam and AdamW minimise a quadratic") {
  // f(θ) = Σ (θ − c)², df/dθ = 2(θ − c). AdamW's decay pulls slightly towards 0, hence its
  // looser bound.
  const std::vector<float> c = {3.0f, -1.0f, 0.25f};
  auto run = [&](auto& opt, Tensor& theta) {
    for (int t = 0; t < 2000; ++t) {
      opt.zero_grad();
      float* dtheta = grad_buffer(theta);
      for (int k = 0; k < 3; ++k) dtheta[k] = 2.0f * (theta.data()[k] - c[k]);
      opt.step();
    }
  };
  Tensor t1 = Tensor::zeros({3}).requires_grad_();
  Adam adam({t1}, {.lr = 0.05});
  run(adam, t1);
  for (int k = 0; k < 3; ++k) CHECK(t1.data()[k] == doctest::Approx(c[k]).epsilon(1e-3));
  Tensor t2 = Tensor::zeros({3}).requires_grad_();
  AdamW adamw({t2}, {.lr = 0.05});
  run(adamw, t2);
  for (int k = 0; k < 3; ++k) CHECK(t2.data()[k] == doctest::Approx(c[k]).epsilon(2e-2));
}

// ---- state_dict: stop after `split` steps, continue in a fresh optimizer, match bit for bit ----
TEST_CASE("Adam: state_dict round trip continues the golden sequence exactly") {
  const optim::AdamOptions options{.lr = 0.01, .weight_decay = 0.1, .amsgrad = true};
  for (size_t split = 0; split <= k_grads.size(); ++split) {
    CAPTURE(split);
    Tensor whole = Tensor::from(k_theta0).requires_grad_();
    Adam uninterrupted({whole}, options);
    Tensor first = Tensor::from(k_theta0).requires_grad_();
    Adam before({first}, options);
    for (size_t t = 0; t < split; ++t) {
      before.zero_grad();
      set_grad(first, k_grads[t]);
      before.step();
    }
    const StateDict state = before.state_dict();
    if (split > 0) {
      REQUIRE(state.size() == 4);
      CHECK(state[0].name == "state.0.step");
      CHECK(state[0].tensor.item() == static_cast<float>(split));
      CHECK(state[1].name == "state.0.exp_avg");
      CHECK(state[2].name == "state.0.exp_avg_sq");
      CHECK(state[3].name == "state.0.max_exp_avg_sq");
    }
    Tensor second = first.detach().clone().requires_grad_();
    Adam after({second}, options);
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
    check_close(second.to_vector(), k_adam_amsgrad_wd.back(), "after the round trip");
  }
}

TEST_CASE("Adam: state_dict keeps each parameter's own step count") {
  // b gets no grad at step 1 (k_frozen_adam): after one step only a has state.
  Tensor a = Tensor::from({1.0f, -1.0f}).requires_grad_();
  Tensor b = Tensor::from({2.0f, 0.5f}).requires_grad_();
  Adam adam({a, b}, {.lr = 0.01});
  set_grad(a, {1.0f, 1.0f});
  adam.step();
  const StateDict state = adam.state_dict();
  REQUIRE(state.size() == 3);
  CHECK(state[0].name == "state.0.step");
  Adam fresh({a, b}, {.lr = 0.01});
  fresh.load_state_dict(state);
  CHECK(fresh.step_count(0) == 1);
  CHECK(fresh.step_count(1) == 0);
  CHECK_FALSE(fresh.exp_avg(1).defined());
}

TEST_CASE("Adam: load_state_dict rejects incomplete or foreign state, naming it") {
  Tensor theta = Tensor::from(k_theta0).requires_grad_();
  Adam adam({theta}, {.lr = 0.01});
  auto error_of = [&](const StateDict& s) {
    try {
      adam.load_state_dict(s);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const Tensor four = Tensor::zeros({4});
  CHECK(error_of({{"state.0.step", Tensor::scalar(2.0f)}, {"state.0.exp_avg", four}})
            .find("state of parameter 0 is incomplete: it needs step, exp_avg, exp_avg_sq") !=
        std::string::npos);
  CHECK(error_of({{"state.0.max_exp_avg_sq", four}}).find("Adam keeps no 'max_exp_avg_sq'") !=
        std::string::npos);  // not without amsgrad
  CHECK(error_of({{"state.0.step", Tensor::scalar(2.5f)}}).find("expected a whole number") !=
        std::string::npos);
  CHECK(error_of({{"state.0.step", four}}).find("has shape [4], expected []") != std::string::npos);
  CHECK(adam.step_count(0) == 0);  // unchanged by the failed loads
}
