// Tests of optim/optimizer.hpp, the base every optimizer shares: which parameter lists it
// accepts, zero_grad, set_lr, that step() runs without recording a graph, and that it reports a
// NaN or an infinity in a gradient or an updated value.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/backend.hpp"
#include "minigrad/ops/activation.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/matmul.hpp"
#include "minigrad/ops/reduce.hpp"
#include "minigrad/optim/adam.hpp"
#include "minigrad/optim/sgd.hpp"

using namespace minigrad;

TEST_CASE("Optimizer: rejects parameter lists it could not train, naming the parameter") {
  Tensor ok = Tensor::zeros({2, 3}).requires_grad_();
  CHECK_THROWS_WITH_AS(optim::SGD({}, {.lr = 0.1}), doctest::Contains("empty parameter list"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(optim::SGD({ok, Tensor()}, {.lr = 0.1}),
                       doctest::Contains("parameter 1 is an undefined tensor"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(optim::SGD({ok, Tensor::zeros({4})}, {.lr = 0.1}),
                       doctest::Contains("parameter 1 of shape [4] does not require grad"),
                       std::invalid_argument);
  Tensor non_leaf = record(Tensor::zeros({2, 3}), "fake", {ok}, [](const Tensor&) {});
  REQUIRE_FALSE(non_leaf.is_leaf());
  CHECK_THROWS_WITH_AS(optim::SGD({non_leaf}, {.lr = 0.1}),
                       doctest::Contains("can't optimize a non-leaf tensor"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(optim::SGD({ok, ok}, {.lr = 0.1}),
                       doctest::Contains("parameters 0 and 1 are the same tensor"),
                       std::invalid_argument);
}

TEST_CASE("Optimizer: set_lr drives the next step; invalid values are rejected") {
  Tensor p = Tensor::from({1.0f}).requires_grad_();
  optim::SGD sgd({p}, {.lr = 0.1});
  CHECK(sgd.lr() == 0.1);
  sgd.set_lr(0.25);
  CHECK(sgd.lr() == 0.25);
  *grad_buffer(p) = 2.0f;
  sgd.step();
  CHECK(p.item() == doctest::Approx(0.5));
  CHECK_THROWS_WITH_AS(sgd.set_lr(-1.0), doctest::Contains("SGD: invalid learning rate: -1"),
                       std::invalid_argument);
  CHECK(sgd.lr() == 0.25);
}

TEST_CASE("Optimizer: step() runs under no-grad; zero_grad clears every parameter") {
  Tensor a = Tensor::from({1.0f, 2.0f}).requires_grad_();
  Tensor b = Tensor::from({3.0f}).requires_grad_();
  optim::SGD sgd({a, b}, {.lr = 0.1});
  *grad_buffer(a) = 1.0f;
  *grad_buffer(b) = 1.0f;
  CHECK(grad_enabled());
  sgd.step();
  CHECK(grad_enabled());  // the guard is gone again
  CHECK(a.is_leaf());
  CHECK(b.is_leaf());
  sgd.zero_grad();
  CHECK(a.grad().to_vector() == std::vector<float>{0.0f, 0.0f});
  CHECK(b.grad().to_vector() == std::vector<float>{0.0f});
  sgd.zero_grad(/*set_to_none=*/true);
  CHECK_FALSE(a.grad().defined());
  CHECK_FALSE(b.grad().defined());
  CHECK(sgd.params().size() == 2);
  CHECK(sgd.params()[0].is_same(a));
}

namespace {

void check_close(const Tensor& t, const std::vector<float>& want) {
  REQUIRE(t.defined());
  const std::vector<float> got = t.to_vector();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-5));
}

std::vector<float> scaled(std::vector<float> v, float s) {
  for (float& x : v) x *= s;
  return v;
}

}  // namespace

// The fast backend defers zero_grad()'s zeros to the first product into each grad (backend.hpp,
// zero_later). Every check below starts from a grad holding a previous step's values, so a zero
// that was deferred and then forgotten shows as a stale value added in.
TEST_CASE("Optimizer: zero_grad reads as zeros however the backend writes them") {
  Generator gen(7);
  const Tensor x = Tensor::randn({4, 3}, gen), c = Tensor::randn({4, 5}, gen);
  Tensor w = Tensor::randn({5, 3}, gen).requires_grad_();
  Tensor b = Tensor::randn({5}, gen).requires_grad_();
  optim::SGD sgd({w, b}, {.lr = 0.1});
  const auto backward = [&] { sum(linear(x, w, b) * c).backward(); };  // dw = cᵀ·x, db = Σ c
  backward();
  const std::vector<float> dw = w.grad().to_vector(), db = b.grad().to_vector();
  REQUIRE(std::any_of(dw.begin(), dw.end(), [](float v) { return v != 0.0f; }));

  SUBCASE("read after zero_grad: zeros, not the last step's values") {
    sgd.zero_grad();
    check_close(w.grad(), std::vector<float>(15, 0.0f));
    check_close(b.grad(), std::vector<float>(5, 0.0f));
  }
  SUBCASE("backward after zero_grad gives one gradient; a second one without it adds") {
    sgd.zero_grad();
    backward();
    check_close(w.grad(), dw);
    check_close(b.grad(), db);
    backward();
    check_close(w.grad(), scaled(dw, 2.0f));
    check_close(b.grad(), scaled(db, 2.0f));
  }
  SUBCASE("a value written into the grad between zero_grad and backward is added to") {
    sgd.zero_grad();
    w.grad().fill_(1.0f);
    backward();
    std::vector<float> want = dw;
    for (float& v : want) v += 1.0f;
    check_close(w.grad(), want);
  }
  SUBCASE("a handle to the grad kept across zero_grad sees the zeros, then the new gradient") {
    const Tensor kept = w.grad();
    sgd.zero_grad();
    check_close(kept, std::vector<float>(15, 0.0f));
    backward();
    check_close(kept, dw);
  }
  SUBCASE("an elementwise backward after zero_grad adds to zeros") {
    sgd.zero_grad();
    sum(w * w).backward();  // dw = 2w, through a loop, not a product
    check_close(w.grad(), scaled(w.to_vector(), 2.0f));
  }
  SUBCASE("a backward that writes all of the grad (relu's) adds to zeros, then to its values") {
    std::vector<float> want;  // dw = [w > 0]
    for (float v : w.to_vector()) want.push_back(v > 0.0f ? 1.0f : 0.0f);
    sgd.zero_grad();
    sum(relu(w)).backward();
    check_close(w.grad(), want);
    sum(relu(w)).backward();
    check_close(w.grad(), scaled(want, 2.0f));
  }
  SUBCASE("step() after zero_grad without a backward moves nothing") {
    sgd.zero_grad();
    const std::vector<float> before = w.to_vector();
    sgd.step();
    check_close(w, before);
  }
  SUBCASE("set_to_none after zero_grad, then backward: one gradient") {
    sgd.zero_grad();
    sgd.zero_grad(/*set_to_none=*/true);
    CHECK_FALSE(w.grad().defined());
    backward();
    check_close(w.grad(), dw);
  }
}

namespace {

// Every optimizer and option that changes the update's arithmetic.
std::vector<std::pair<std::string, std::function<std::unique_ptr<optim::Optimizer>(Tensor)>>>
every_update_rule() {
  using P = std::unique_ptr<optim::Optimizer>;
  return {
      {"SGD",
       [](Tensor p) -> P {
         return std::make_unique<optim::SGD>(std::vector{p}, optim::SGDOptions{.lr = 0.1});
       }},
      {"SGD lr 0",
       [](Tensor p) -> P {
         return std::make_unique<optim::SGD>(std::vector{p}, optim::SGDOptions{.lr = 0.0});
       }},
      {"SGD momentum",
       [](Tensor p) -> P {
         return std::make_unique<optim::SGD>(std::vector{p},
                                             optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
       }},
      {"SGD dampening 1",
       [](Tensor p) -> P {
         return std::make_unique<optim::SGD>(
             std::vector{p}, optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 1.0});
       }},
      {"SGD nesterov, weight decay",
       [](Tensor p) -> P {
         return std::make_unique<optim::SGD>(
             std::vector{p},
             optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true});
       }},
      {"Adam",
       [](Tensor p) -> P {
         return std::make_unique<optim::Adam>(std::vector{p}, optim::AdamOptions{.lr = 0.1});
       }},
      {"Adam lr 0",
       [](Tensor p) -> P {
         return std::make_unique<optim::Adam>(std::vector{p}, optim::AdamOptions{.lr = 0.0});
       }},
      {"Adam amsgrad, weight decay",
       [](Tensor p) -> P {
         return std::make_unique<optim::Adam>(
             std::vector{p}, optim::AdamOptions{.lr = 0.1, .weight_decay = 0.01, .amsgrad = true});
       }},
      {"AdamW",
       [](Tensor p) -> P {
         return std::make_unique<optim::AdamW>(std::vector{p}, optim::AdamWOptions{.lr = 0.1});
       }},
  };
}

}  // namespace

TEST_CASE("Optimizer: step() returns false when a gradient holds a NaN or an infinity") {
  const float inf = std::numeric_limits<float>::infinity();
  const float bad_values[] = {std::numeric_limits<float>::quiet_NaN(), inf, -inf};
  // 128 x 128 values: large enough for two parts with two threads; the bad value in either.
  for (int threads : {1, 2}) {
    backend::set_num_threads(threads);
    for (const auto& rule : every_update_rule())
      for (float bad : bad_values)
        for (int64_t at : {int64_t{0}, int64_t{128 * 128 - 1}}) {
          const std::string& name = rule.first;
          CAPTURE(name);
          CAPTURE(bad);
          CAPTURE(at);
          CAPTURE(threads);
          Tensor p = Tensor::full({128, 128}, 0.5f).requires_grad_();
          auto optimizer = rule.second(p);
          std::fill_n(grad_buffer(p), p.numel(), 0.25f);
          CHECK(optimizer->step());  // finite: true, also on the second step (momentum, moments)
          CHECK(optimizer->step());
          grad_buffer(p)[at] = bad;
          CHECK_FALSE(optimizer->step());
        }
  }
  backend::set_num_threads(1);
}

TEST_CASE("Optimizer: step() returns false when finite gradients overflow a parameter") {
  Tensor p = Tensor::from({3e38f, 1.0f}).requires_grad_();
  optim::SGD sgd({p}, {.lr = 1e38});
  grad_buffer(p)[0] = -1.0f;  // 3e38 + 1e38 is beyond float's largest, 3.4e38
  grad_buffer(p)[1] = 1.0f;
  CHECK_FALSE(sgd.step());
  CHECK(std::isinf(p.data()[0]));
  Tensor q = Tensor::from({3e38f}).requires_grad_();
  optim::SGD fine({q}, {.lr = 1e37});
  grad_buffer(q)[0] = -1.0f;
  CHECK(fine.step());
}
