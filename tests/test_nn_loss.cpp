// Tests of the losses: CrossEntropyLoss against PyTorch's golden values (every reduction, label
// smoothing, ignore_index, 1e4 logits), its gradient, the all-ignored NaN, the target errors;
// BCEWithLogitsLoss, MSELoss, L1Loss and HuberLoss golden values; and gradient checks of all three;
// NLLLoss against PyTorch (tests/reference/golden_layers.py) and cross_entropy.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "minigrad/autograd.hpp"
#include "minigrad/gradcheck.hpp"
#include "minigrad/nn/loss.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/reduce.hpp"
#include "minigrad/ops/softmax.hpp"

using namespace minigrad;
using namespace minigrad::nn;

namespace {
Tensor golden_logits() { return Tensor::from({{1, 2, 3}, {1, 0, -1}, {0.5f, 0.5f, 0.5f}}); }
Tensor golden_targets() { return Tensor::from({2, 0, 1}); }

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE(
    "CrossEntropyLoss matches PyTorch for every reduction (docs/semantics.md#cross-entropy)") {
  Tensor x = golden_logits(), t = golden_targets();
  CHECK(max_abs_diff(cross_entropy(x, t, {.reduction = Reduction::None}),
                     {0.4076059f, 0.4076059f, 1.0986123f}) < 1e-6);
  CHECK(CrossEntropyLoss()(x, t).item() == doctest::Approx(0.6379414).epsilon(1e-6));
  CHECK(CrossEntropyLoss({.reduction = Reduction::Sum})(x, t).item() ==
        doctest::Approx(1.9138241).epsilon(1e-6));
  CHECK(CrossEntropyLoss()(x, t).shape() == Shape{});
}

TEST_CASE("CrossEntropyLoss with label smoothing and ignore_index matches PyTorch") {
  Tensor x = golden_logits(), t = golden_targets();
  CHECK(cross_entropy(x, t, {.label_smoothing = 0.1f}).item() ==
        doctest::Approx(0.7046080).epsilon(1e-6));
  CHECK(cross_entropy(x, t, {.ignore_index = 1}).item() ==
        doctest::Approx(0.4076059).epsilon(1e-6));
  CHECK(cross_entropy(x, t, {.ignore_index = 1, .label_smoothing = 0.1f}).item() ==
        doctest::Approx(0.5076059).epsilon(1e-6));
  // An ignored row is 0 under reduction none.
  Tensor none = cross_entropy(x, t, {.reduction = Reduction::None, .ignore_index = 1});
  CHECK(none.at({2}) == 0.0f);
}

TEST_CASE("CrossEntropyLoss's gradient is (softmax - onehot)/N, and matches PyTorch with options") {
  Tensor x = golden_logits().requires_grad_();
  cross_entropy(x, golden_targets()).backward();
  CHECK(max_abs_diff(x.grad(), {0.0300102f, 0.0815762f, -0.1115863f, -0.1115863f, 0.0815762f,
                                0.0300102f, 0.1111111f, -0.2222222f, 0.1111111f}) < 1e-6);

  Tensor x2 = golden_logits().requires_grad_();
  Tensor loss =
      cross_entropy(x2, golden_targets(),
                    {.reduction = Reduction::Sum, .ignore_index = 1, .label_smoothing = 0.1f});
  CHECK(loss.grad_fn()->name() == "cross_entropy");  // one fused node
  loss.backward();
  CHECK(max_abs_diff(x2.grad(), {0.0566972457f, 0.211395159f, -0.268092334f, -0.268092334f,
                                 0.211395159f, 0.0566972457f, 0, 0, 0}) < 1e-6);
}

TEST_CASE("CrossEntropyLoss stays finite for logits of 1e4") {
  Tensor x = Tensor::from({{1e4f, 0, -1e4f}, {0, 0, 0}}).requires_grad_();
  Tensor loss = cross_entropy(x, Tensor::from({1, 2}));
  CHECK(loss.item() == doctest::Approx(5000.5493).epsilon(1e-6));
  loss.backward();
  for (float g : x.grad().to_vector()) CHECK(std::isfinite(g));
  CHECK(x.grad().at({0, 0}) == doctest::Approx(0.5));   // softmax 1 over N = 2
  CHECK(x.grad().at({0, 1}) == doctest::Approx(-0.5));  // the target class
}

TEST_CASE("CrossEntropyLoss with every row ignored is NaN under mean, as in PyTorch") {
  Tensor x = Tensor::from({{1, 2}, {0, 1}}).requires_grad_();
  Tensor loss = cross_entropy(x, Tensor::from({-100, -100}));
  CHECK(std::isnan(loss.item()));
  loss.backward();
  CHECK(max_abs_diff(x.grad(), {0, 0, 0, 0}) == 0.0);  // PyTorch's gradient: zeros
  CHECK(cross_entropy(x, Tensor::from({-100, -100}), {.reduction = Reduction::Sum}).item() == 0.0f);
}

TEST_CASE("CrossEntropyLoss names a bad target, its row and the fix") {
  Tensor x = Tensor::zeros({5, 10});
  const std::string oob = message_of([&] { cross_entropy(x, Tensor::from({0, 1, 2, 10, 4})); });
  CHECK(oob.find("Target 10 is out of bounds for 10 classes (row 3)") != std::string::npos);
  CHECK(oob.find("HINT") != std::string::npos);
  CHECK_THROWS_AS(cross_entropy(x, Tensor::from({0, 1, 2, 10, 4})), std::out_of_range);
  CHECK(message_of([&] {
          cross_entropy(x, Tensor::from({0, -1, 2, 3, 4}));
        }).find("Target -1 is out of bounds for 10 classes (row 1)") != std::string::npos);
  CHECK(message_of([&] {
          cross_entropy(x, Tensor::from({0, 1, 2.5f, 3, 4}));
        }).find("target 2.5 in row 2 is not a whole number") != std::string::npos);
  CHECK(message_of([&] {
          cross_entropy(x, Tensor::from({0, 1, 2}));
        }).find("expected target of shape [5]") != std::string::npos);
  CHECK_THROWS_AS(cross_entropy(Tensor::zeros({10}), Tensor::from({1})), std::invalid_argument);
  CHECK_THROWS_AS(cross_entropy(x, Tensor::zeros({5}), {.label_smoothing = 1.5f}),
                  std::invalid_argument);
}

TEST_CASE("CrossEntropyLoss gradient checks (plain, smoothing, ignore, every reduction)") {
  Generator gen(21);
  Tensor x = Tensor::randn({6, 4}, gen).requires_grad_();
  Tensor t = Tensor::from({0, 3, 1, 2, 3, 0});
  const CrossEntropyOptions cases[] = {
      {},
      {.reduction = Reduction::Sum, .label_smoothing = 0.2f},
      {.reduction = Reduction::None, .ignore_index = 3},
      {.reduction = Reduction::Mean, .ignore_index = 0, .label_smoothing = 0.1f},
  };
  for (const CrossEntropyOptions& o : cases) {
    GradCheckResult r = gradcheck(
        [&t, &o](const std::vector<Tensor>& in) { return cross_entropy(in[0], t, o); }, {x});
    CHECK_MESSAGE(r.ok, r.report);
  }
}

TEST_CASE("BCEWithLogitsLoss matches PyTorch, including its gradient with respect to the target") {
  Tensor x = Tensor::from({{-3.0f, -0.5f, 0.0f}, {0.5f, 2.0f, 40.0f}}).requires_grad_();
  Tensor t = Tensor::from({{0.0f, 1.0f, 0.5f}, {1.0f, 0.0f, 1.0f}}).requires_grad_();
  CHECK(BCEWithLogitsLoss(Reduction::Sum)(x, t).item() ==
        doctest::Approx(4.31681633).epsilon(1e-6));
  CHECK(max_abs_diff(BCEWithLogitsLoss(Reduction::None)(x, t),
                     {0.0485873297f, 0.974076986f, 0.693147182f, 0.474076986f, 2.12692809f, 0}) <
        1e-6);
  Tensor loss = BCEWithLogitsLoss()(x, t);
  CHECK(loss.item() == doctest::Approx(0.719469368).epsilon(1e-6));
  loss.backward();
  CHECK(max_abs_diff(x.grad(),
                     {0.00790431257f, -0.103743218f, 0, -0.0629234388f, 0.146799505f, 0}) < 1e-6);
  CHECK(max_abs_diff(t.grad(),
                     {0.5f, 0.0833333358f, 0, -0.0833333358f, -0.333333343f, -6.66666651f}) < 1e-6);
  // Large logits: no overflow to inf or NaN.
  CHECK(
      binary_cross_entropy_with_logits(Tensor::from({-1e4f, 1e4f}), Tensor::from({1, 0})).item() ==
      doctest::Approx(1e4));
}

TEST_CASE("MSELoss matches PyTorch") {
  Tensor x = Tensor::from({{-3.0f, -0.5f, 0.0f}, {0.5f, 2.0f, 40.0f}}).requires_grad_();
  Tensor t = Tensor::from({{0.0f, 1.0f, 0.5f}, {1.0f, 0.0f, 1.0f}}).requires_grad_();
  CHECK(MSELoss(Reduction::Sum)(x, t).item() == doctest::Approx(1536.75));
  CHECK(max_abs_diff(MSELoss(Reduction::None)(x, t), {9, 2.25f, 0.25f, 0.25f, 4, 1521}) == 0.0);
  Tensor loss = MSELoss()(x, t);
  CHECK(loss.item() == doctest::Approx(256.125));
  loss.backward();
  CHECK(max_abs_diff(x.grad(), {-1, -0.5f, -0.166666672f, -0.166666672f, 0.666666687f, 13}) < 1e-6);
  CHECK(max_abs_diff(t.grad(), {1, 0.5f, 0.166666672f, 0.166666672f, -0.666666687f, -13}) < 1e-6);
}

TEST_CASE("BCEWithLogitsLoss and MSELoss gradient checks, and their shape errors") {
  Generator gen(22);
  Tensor x = Tensor::randn({4, 3}, gen).requires_grad_();
  Tensor t = Tensor::rand({4, 3}, gen).requires_grad_();
  for (Reduction red : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    GradCheckResult bce = gradcheck(
        [red](const std::vector<Tensor>& in) {
          return binary_cross_entropy_with_logits(in[0], in[1], red);
        },
        {x, t});
    CHECK_MESSAGE(bce.ok, bce.report);
    GradCheckResult mse = gradcheck(
        [red](const std::vector<Tensor>& in) { return mse_loss(in[0], in[1], red); }, {x, t});
    CHECK_MESSAGE(mse.ok, mse.report);
  }
  const std::string msg = message_of([] { mse_loss(Tensor::zeros({4, 1}), Tensor::zeros({4})); });
  CHECK(msg.find("target has shape [4] but input has shape [4, 1]") != std::string::npos);
  CHECK_THROWS_AS(binary_cross_entropy_with_logits(Tensor::zeros({3}), Tensor::zeros({4})),
                  std::invalid_argument);
  CHECK(reduction_name(Reduction::None) == "none");
  CHECK(CrossEntropyLoss().repr() == "CrossEntropyLoss()");
}

TEST_CASE("l1_loss and huber_loss match PyTorch") {
  Tensor x = Tensor::from({{-3.0f, -0.5f, 0.0f}, {0.5f, 2.0f, 40.0f}}).requires_grad_();
  Tensor t = Tensor::from({{0.0f, 1.0f, 0.0f}, {1.0f, 0.0f, 1.0f}});
  CHECK(l1_loss(x, t).item() == doctest::Approx(7.66666651));
  CHECK(l1_loss(x, t, Reduction::Sum).item() == doctest::Approx(46));
  CHECK(max_abs_diff(l1_loss(x, t, Reduction::None), {3, 1.5f, 0, 0.5f, 2, 39}) == 0.0);
  CHECK(huber_loss(x, t).item() == doctest::Approx(7.27083349));
  CHECK(huber_loss(x, t, Reduction::Sum).item() == doctest::Approx(43.625));
  CHECK(max_abs_diff(huber_loss(x, t, Reduction::None), {2.5f, 1, 0, 0.125f, 1.5f, 38.5f}) == 0.0);
  l1_loss(x, t).backward();  // the gradient at x == t (element 2) is 0, as sign(0)
  CHECK(max_abs_diff(x.grad(), {-0.166666672f, -0.166666672f, 0, -0.166666672f, 0.166666672f,
                                0.166666672f}) < 1e-7);
  x.zero_grad();
  Tensor h = huber_loss(x, t, Reduction::Mean, 1.5f);
  CHECK(h.item() == doctest::Approx(10.645833));
  h.backward();
  CHECK(max_abs_diff(x.grad(), {-0.25f, -0.25f, 0, -0.0833333358f, 0.25f, 0.25f}) < 1e-7);
  CHECK_THROWS_AS(huber_loss(x, t, Reduction::Mean, 0.0f), std::invalid_argument);
}

TEST_CASE("L1Loss and HuberLoss hold their options and give PyTorch's values") {
  Tensor x = Tensor::from({{-3.0f, -0.5f, 0.0f}, {0.5f, 2.0f, 40.0f}});
  Tensor t = Tensor::from({{0.0f, 1.0f, 0.0f}, {1.0f, 0.0f, 1.0f}});
  CHECK(L1Loss()(x, t).item() == doctest::Approx(7.66666651));
  CHECK(L1Loss(Reduction::Sum)(x, t).item() == doctest::Approx(46));
  CHECK(HuberLoss()(x, t).item() == doctest::Approx(7.27083349));
  CHECK(HuberLoss(Reduction::Sum)(x, t).item() == doctest::Approx(43.625));
  CHECK(HuberLoss(Reduction::Mean, 1.5f)(x, t).item() == doctest::Approx(10.645833));
  CHECK(max_abs_diff(HuberLoss(Reduction::None)(x, t), {2.5f, 1, 0, 0.125f, 1.5f, 38.5f}) == 0.0);
  CHECK(HuberLoss(Reduction::Mean, 0.5f).delta() == 0.5f);
  CHECK(L1Loss().repr() == "L1Loss()");
  CHECK(HuberLoss().repr() == "HuberLoss()");
  CHECK_THROWS_AS(HuberLoss(Reduction::Mean, -1.0f)(x, t), std::invalid_argument);
}

TEST_CASE("l1_loss and huber_loss gradient checks") {
  Generator gen(23);
  Tensor x = Tensor::randn({4, 3}, gen).requires_grad_();
  Tensor t = Tensor::uniform({4, 3}, 0.0f, 3.0f, gen).requires_grad_();
  for (Reduction red : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    GradCheckResult l1 = gradcheck(
        [red](const std::vector<Tensor>& in) { return l1_loss(in[0], in[1], red); }, {x, t});
    CHECK_MESSAGE(l1.ok, l1.report);
    GradCheckResult hub = gradcheck(
        [red](const std::vector<Tensor>& in) { return huber_loss(in[0], in[1], red, 0.7f); },
        {x, t});
    CHECK_MESSAGE(hub.ok, hub.report);
  }
}

TEST_CASE("NLLLoss matches PyTorch for every reduction and ignore_index") {
  const Tensor log_probs = Tensor::from(
      {{-0.5f, -1.25f, -2}, {-3, -0.125f, -1.5f}, {-0.75f, -0.75f, -4}, {-2.5f, -1, -0.25f}});
  const Tensor t = Tensor::from({2, 0, 1, 1});
  struct Case {
    NLLLossOptions options;
    std::vector<float> loss, grad;
  };
  const Case cases[] = {
      {{}, {1.6875f}, {0, 0, 0.375f, 0.375f, 0, 0, 0, 0.375f, 0, 0, 0.375f, 0}},
      {{.reduction = Reduction::Sum}, {6.75f}, {0, 0, 1.5f, 1.5f, 0, 0, 0, 1.5f, 0, 0, 1.5f, 0}},
      {{.reduction = Reduction::None},
       {2, 3, 0.75f, 1},
       {0, 0, 1.5f, 0.5f, 0, 0, 0, -0.5f, 0, 0, -1.5f, 0}},
      {{.ignore_index = 1}, {2.5f}, {0, 0, 0.75f, 0.75f, 0, 0, 0, 0, 0, 0, 0, 0}},
  };
  for (const Case& c : cases) {
    Tensor x = log_probs.clone().requires_grad_();
    Tensor loss = NLLLoss(c.options)(x, t);
    Tensor w = Tensor::from(std::vector<float>(static_cast<size_t>(loss.numel()), 0));
    for (int64_t i = 0; i < loss.numel(); ++i) w.data()[i] = static_cast<float>(i) - 1.5f;
    sum(loss * w.reshape(loss.shape())).backward();
    CHECK(max_abs_diff(loss, c.loss) < 1e-6);
    CHECK(max_abs_diff(x.grad(), c.grad) < 1e-6);
  }
  CHECK(NLLLoss().repr() == "NLLLoss()");
}

TEST_CASE("nll_loss of log_softmax is cross_entropy; gradient checks; shared target errors") {
  Generator gen(8);
  Tensor x = Tensor::randn({5, 4}, gen).requires_grad_();
  Tensor t = Tensor::from({0, 3, 1, 2, 3});
  CHECK(nll_loss(log_softmax(x, 1), t).item() ==
        doctest::Approx(cross_entropy(x, t).item()).epsilon(1e-6));
  for (const NLLLossOptions& o : {NLLLossOptions{}, NLLLossOptions{.reduction = Reduction::None},
                                  NLLLossOptions{.reduction = Reduction::Sum, .ignore_index = 3}}) {
    GradCheckResult r = gradcheck(
        [&t, &o](const std::vector<Tensor>& in) { return nll_loss(log_softmax(in[0], 1), t, o); },
        {x});
    CHECK_MESSAGE(r.ok, r.report);
  }
  CHECK(std::isnan(nll_loss(x, Tensor::from({1, 1, 1, 1, 1}), {.ignore_index = 1}).item()));
  CHECK_THROWS_WITH_AS(nll_loss(x, Tensor::from({0, 1})),
                       doctest::Contains("nll_loss: expected target of shape [5]"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(nll_loss(x, Tensor::from({0, 1, 0.5f, 0, 0})),
                       doctest::Contains("nll_loss: target 0.5 in row 2 is not a whole number"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(nll_loss(x, Tensor::from({0, 1, 4, 0, 0})),
                       doctest::Contains("Target 4 is out of bounds for 4 classes (row 2)"),
                       std::out_of_range);
  CHECK_THROWS_WITH_AS(nll_loss(Tensor::zeros({4}), Tensor::from({0})),
                       doctest::Contains("nll_loss: expected log-probabilities of shape [N, C]"),
                       std::invalid_argument);
}
