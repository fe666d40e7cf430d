// Tests of autograd.hpp: the classic bugs of hand-written engines, each pinned by a test
// (fan-out accumulation, a - a, b = a + a; c = b + b, broadcast gradient shapes, deep graphs,
// leaks), and the engine's contract: retain_graph, NoGradGuard, errors, accumulation on leaves.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/ops/activation.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/matmul.hpp"
#include "minigrad/ops/reduce.hpp"
#include "minigrad/tensor.hpp"
#include "minigrad/gradcheck.hpp"

using namespace minigrad;

TEST_CASE("d(x*x)/dx = 2x") {
  Tensor x = Tensor::from({-1.5f, 0.0f, 3.0f}).requires_grad_();
  sum(x * x).backward();
  CHECK(x.grad().to_vector() == std::vector<float>{-3.0f, 0.0f, 6.0f});
}

TEST_CASE("d(a-a)/da = 0") {
  Tensor a = Tensor::scalar(5.0f).requires_grad_();
  (a - a).backward();
  CHECK(a.grad().item() == 0.0f);
}

TEST_CASE("b = a + a; c = b + b gives dc/da = 4 (a reused non-leaf)") {
  Tensor a = Tensor::scalar(1.0f).requires_grad_();
  Tensor b = a + a;
  Tensor c = b + b;
  c.backward();
  CHECK(c.item() == 4.0f);
  CHECK(a.grad().item() == 4.0f);
}

TEST_CASE("an input used in two branches accumulates both, including a diamond") {
  // y = x·3 + exp(x): dy/dx = 3 + exp(x)
  Tensor x = Tensor::scalar(0.5f).requires_grad_();
  Tensor y = x * 3.0f + exp(x);
  y.backward();
  CHECK(x.grad().item() == doctest::Approx(3.0 + std::exp(0.5)));

  // Diamond: h = relu(w·2); out = h·h + h  ->  d out/dw = (2h + 1)·2 where h > 0
  Tensor w = Tensor::scalar(1.5f).requires_grad_();
  Tensor h = relu(w * 2.0f);
  (h * h + h).backward();
  CHECK(w.grad().item() == doctest::Approx((2 * 3.0 + 1) * 2));
}

TEST_CASE("a bias-row broadcast's gradient has the bias's shape") {
  Tensor x = Tensor::ones({4, 3});
  Tensor bias = Tensor::from({0.1f, 0.2f, 0.3f}).requires_grad_();
  Tensor col = Tensor::from({1.0f, 2.0f, 3.0f, 4.0f}, {4, 1}).requires_grad_();
  sum((x + bias) * col).backward();
  REQUIRE(bias.grad().shape() == Shape{3});
  CHECK(bias.grad().to_vector() == std::vector<float>{10, 10, 10});
  REQUIRE(col.grad().shape() == Shape{4, 1});
  CHECK(max_abs_diff(col.grad(), {3.6f, 3.6f, 3.6f, 3.6f}) < 1e-6);  // row sums of x + bias
}

TEST_CASE("a chain of 100,000 ops runs backward and is dropped without overflowing the stack") {
  // Every op uses its input twice (y + y): the node then holds the only handles to its input
  // more than once, and its teardown must still be iterative.
  SUBCASE("with backward") {
    Tensor x = Tensor::scalar(1.0f).requires_grad_();
    Tensor y = x;
    for (int i = 0; i < 50000; ++i) y = (y + y) * 0.5f;  // each step's local gradient is 1
    y.backward();
    CHECK(x.grad().item() == 1.0f);
  }  // the released graph dies here
  SUBCASE("without backward") {
    Tensor x = Tensor::scalar(1.0f).requires_grad_();
    Tensor y = x;
    for (int i = 0; i < 100000; ++i) y = y + y;
    CHECK(y.grad_fn() != nullptr);
  }  // 100,000 unwalked nodes die here
  SUBCASE("without backward, single use") {
    Tensor x = Tensor::scalar(1.0f).requires_grad_();
    Tensor y = x;
    for (int i = 0; i < 100000; ++i) y = relu(y);
    CHECK(y.grad_fn() != nullptr);
  }
}

TEST_CASE("building and dropping 10,000 graphs leaves nothing behind") {
  // Under -DMINIGRAD_SANITIZE=ON, LeakSanitizer fails the run if any graph survives (a closure
  // holding its own output would). Without it, a weak handle shows the nodes are gone.
  Generator gen(1);
  Tensor w = Tensor::randn({8, 4}, gen).requires_grad_();
  Tensor b = Tensor::zeros({8}).requires_grad_();
  std::weak_ptr<TensorImpl> last_hidden;
  std::weak_ptr<Node> last_node;
  for (int i = 0; i < 10000; ++i) {
    Tensor x = Tensor::randn({2, 4}, gen);
    Tensor h = relu(linear(x, w, b));
    Tensor loss = mean(sigmoid(h) * h);
    last_hidden = h.impl_ptr();
    last_node = loss.grad_fn();
    if (i % 2 == 0) loss.backward();  // half released by backward, half dropped unwalked
  }
  CHECK(last_hidden.expired());
  CHECK(last_node.expired());
  CHECK(w.grad().defined());
}

TEST_CASE("backward twice: a clear error without retain_graph, accumulation with it") {
  Tensor x = Tensor::scalar(2.0f).requires_grad_();
  SUBCASE("without retain_graph") {
    Tensor y = x * x;
    y.backward();
    CHECK(x.grad().item() == 4.0f);
    CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("already released"), std::logic_error);
    CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("HINT: pass retain_graph=true"),
                         std::logic_error);
  }
  SUBCASE("with retain_graph") {
    Tensor y = x * x;
    y.backward(Tensor(), true);
    y.backward(Tensor(), true);
    CHECK(x.grad().item() == 8.0f);
    y.backward();  // the last walk may release
    CHECK(x.grad().item() == 12.0f);
    CHECK_THROWS_AS(y.backward(), std::logic_error);
  }
}

TEST_CASE("NoGradGuard records nothing, nests, and restores the mode") {
  Tensor x = Tensor::ones({2}).requires_grad_();
  CHECK(grad_enabled());
  {
    NoGradGuard outer;
    CHECK_FALSE(grad_enabled());
    Tensor y = x * 2.0f;
    CHECK_FALSE(y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
    {
      NoGradGuard inner;
      CHECK(linear(Tensor::ones({1, 2}), Tensor::ones({3, 2}).requires_grad_()).grad_fn() ==
            nullptr);
    }
    CHECK_FALSE(grad_enabled());  // the inner guard restored "off", not "on"
  }
  CHECK(grad_enabled());
  CHECK((x * 2.0f).requires_grad());
}

TEST_CASE(
    "backward on a tensor that does not require grad, or a non-scalar without seed, is an error") {
  Tensor plain = Tensor::ones({3});
  CHECK_THROWS_WITH_AS(sum(plain).backward(), doctest::Contains("does not require grad"),
                       std::logic_error);
  Tensor x = Tensor::ones({2, 3}).requires_grad_();
  Tensor y = x * 2.0f;
  CHECK_THROWS_WITH_AS(y.backward(),
                       doctest::Contains("only for a scalar, but this tensor has shape [2, 3]"),
                       std::logic_error);
  CHECK_THROWS_WITH_AS(
      y.backward(Tensor::ones({3, 2})),
      doctest::Contains("grad_output has shape [3, 2] but the tensor has shape [2, 3]"),
      std::logic_error);
  y.backward(Tensor::ones({2, 3}));  // the failed calls left the graph intact
  CHECK(x.grad().to_vector() == std::vector<float>(6, 2.0f));
}

TEST_CASE("leaf grads accumulate across backward() calls until zero_grad") {
  Tensor w = Tensor::from({1.0f, 2.0f}).requires_grad_();
  for (int i = 0; i < 3; ++i) sum(w * 3.0f).backward();
  CHECK(w.grad().to_vector() == std::vector<float>{9, 9});
  w.zero_grad();
  CHECK(w.grad().to_vector() == std::vector<float>{0, 0});
  sum(w * w).backward();
  CHECK(w.grad().to_vector() == std::vector<float>{2, 4});
  w.zero_grad(/*set_to_none=*/true);
  CHECK_FALSE(w.grad().defined());
}

TEST_CASE("intermediate grads are freed unless retain_grad is asked for") {
  Tensor x = Tensor::from({1.0f, -2.0f}).requires_grad_();
  Tensor h = x * 3.0f;
  Tensor kept = h * 2.0f;
  kept.retain_grad();
  sum(kept * kept).backward();
  CHECK_FALSE(h.grad().defined());
  REQUIRE(kept.grad().defined());
  CHECK(kept.grad().to_vector() == std::vector<float>{12, -24});  // 2·kept
  CHECK(x.grad().to_vector() == std::vector<float>{72, -144});
  CHECK_FALSE(h.is_leaf());
  CHECK(x.is_leaf());
}

TEST_CASE("detach cuts the graph; requires_grad_(false) on a non-leaf is refused") {
  Tensor x = Tensor::scalar(3.0f).requires_grad_();
  Tensor y = x * x;
  Tensor z = y.detach() * x;  // dz/dx = y (held constant) = 9
  z.backward();
  CHECK(x.grad().item() == 9.0f);
  CHECK_THROWS_WITH_AS(y.requires_grad_(false), doctest::Contains("HINT: use detach()"),
                       std::logic_error);
}

TEST_CASE("record attaches a node only when an input needs a grad") {
  Tensor a = Tensor::ones({2});
  Tensor b = Tensor::ones({2}).requires_grad_();
  bool called = false;
  Tensor out = record(Tensor::ones({2}), "probe", {a}, [&](const Tensor&) { called = true; });
  CHECK_FALSE(out.requires_grad());
  out = record(Tensor::ones({2}), "probe", {a, b}, [&](const Tensor&) { called = true; });
  CHECK(out.requires_grad());
  REQUIRE(out.grad_fn() != nullptr);
  CHECK(out.grad_fn()->name() == "probe");
  CHECK(out.grad_fn()->inputs().size() == 2);
  out.backward(Tensor::ones({2}));
  CHECK(called);
  CHECK(out.grad_fn()->released());
  CHECK(should_record({&a}) == false);
  CHECK(should_record({&a, &b}) == true);
}

TEST_CASE("grad_buffer: zeros on first use, the same buffer after, zeroed by zero_grad") {
  Tensor w = Tensor::ones({2, 3}).requires_grad_();
  float* first = grad_buffer(w);
  CHECK(w.grad().to_vector() == std::vector<float>(6, 0.0f));  // created as zeros
  first[1] += 2.0f;
  CHECK(grad_buffer(w) == first);  // then the same buffer: contributions add up
  grad_buffer(w)[1] += 3.0f;
  CHECK(w.grad().to_vector() == std::vector<float>{0, 5, 0, 0, 0, 0});
  w.zero_grad();  // zeroed in place: the same buffer, all zeros
  CHECK(grad_buffer(w) == first);
  CHECK(w.grad().to_vector() == std::vector<float>(6, 0.0f));
  w.zero_grad(/*set_to_none=*/true);
  CHECK_FALSE(w.grad().defined());
  grad_buffer(w)[0] += 1.0f;  // a new buffer, zeros again
  CHECK(w.grad().to_vector() == std::vector<float>{1, 0, 0, 0, 0, 0});
}

TEST_CASE("linear's gradients are written on the first backward and added on the next") {
  // x·Wᵀ + b twice through the same leaves: written by beta = 0, then added by beta = 1.
  Generator gen(3);
  Tensor x = Tensor::randn({5, 4}, gen).requires_grad_();
  Tensor w = Tensor::randn({3, 4}, gen).requires_grad_();
  Tensor b = Tensor::randn({3}, gen).requires_grad_();
  sum(linear(x, w, b)).backward();
  const auto dx1 = x.grad().to_vector(), dw1 = w.grad().to_vector(), db1 = b.grad().to_vector();
  sum(linear(x, w, b)).backward();
  const auto dx2 = x.grad().to_vector(), dw2 = w.grad().to_vector(), db2 = b.grad().to_vector();
  for (size_t i = 0; i < dx1.size(); ++i) CHECK(dx2[i] == doctest::Approx(2 * dx1[i]));
  for (size_t i = 0; i < dw1.size(); ++i) CHECK(dw2[i] == doctest::Approx(2 * dw1[i]));
  for (size_t i = 0; i < db1.size(); ++i) CHECK(db2[i] == doctest::Approx(2 * db1[i]));
  // d(Σ y)/db = rows of the batch; d/dW[j,k] = Σ_r x[r,k]
  CHECK(db1 == std::vector<float>{5, 5, 5});
}

