// Tests of ops/elementwise.hpp: broadcasting errors, and add/sub/mul/div and the unary ops,
// through gradient checks in many broadcasting configurations, golden values from PyTorch
// (tests/reference/golden_ops.py), and a naive multi-index reference for rank 4.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>

#include "minigrad/autograd.hpp"
#include "minigrad/gradcheck.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/tensor.hpp"

using namespace minigrad;

namespace {

using BinaryOp = Tensor (*)(const Tensor&, const Tensor&);

std::string throws_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

// Offset of output multi-index `idx` in an operand of shape `s`, broadcasting from the right.
int64_t broadcast_offset(const Shape& out, const Shape& s, const Shape& idx) {
  int64_t off = 0;
  for (size_t d = out.size() - s.size(); d < out.size(); ++d) {
    const int64_t size = s[d - (out.size() - s.size())];
    off = off * size + (size == 1 ? 0 : idx[d]);
  }
  return off;
}

}  // namespace

TEST_CASE("incompatible shapes name both shapes, the dimension and the sizes") {
  Tensor a = Tensor::zeros({32, 10}), b = Tensor::zeros({5});
  const std::string msg = throws_message([&] { add(a, b); });
  CHECK(msg.find("add: shapes [32, 10] and [5] cannot be broadcast (dimension 1: 10 vs 5)") == 0);
  CHECK(msg.find("HINT") != std::string::npos);
  CHECK(throws_message([&] {
          mul(Tensor::zeros({2, 3, 4}), Tensor::zeros({3, 3, 4}));
        }).find("mul: shapes [2, 3, 4] and [3, 3, 4] cannot be broadcast (dimension 0: 2 vs 3)") ==
        0);
  CHECK_THROWS_AS(broadcast_shapes({3}, {4}), std::invalid_argument);
  CHECK_THROWS_AS(Tensor::zeros({2}) / Tensor::zeros({3}), std::invalid_argument);
}

TEST_CASE("binary ops match a naive multi-index reference on rank-4 broadcasts") {
  // Random shape pairs of rank 0-4 with sizes 1-3: every mix of real, broadcast and missing dims,
  // which exercises the plan's dimension coalescing far beyond the hand-picked cases.
  Generator gen(7);
  for (int trial = 0; trial < 200; ++trial) {
    Shape full;
    const int64_t rank = static_cast<int64_t>(gen.randint(5));
    for (int64_t d = 0; d < rank; ++d) full.push_back(1 + static_cast<int64_t>(gen.randint(3)));
    auto operand_shape = [&] {
      Shape s(full.begin() + static_cast<int64_t>(gen.randint(static_cast<uint64_t>(rank) + 1)),
              full.end());
      for (int64_t& v : s)
        if (gen.bernoulli(0.3f)) v = 1;
      return s;
    };
    const Shape sa = operand_shape(), sb = operand_shape();
    Tensor a = Tensor::randn(sa, gen).requires_grad_();
    Tensor b = Tensor::randn(sb, gen).requires_grad_();
    Tensor y = mul(a, b);
    const Shape out = y.shape();
    REQUIRE(out == broadcast_shapes(sa, sb));
    Tensor dy = Tensor::randn(out, gen);
    y.backward(dy);

    // Naive: walk every output multi-index.
    std::vector<float> expect_y(static_cast<size_t>(y.numel()));
    std::vector<double> expect_da(static_cast<size_t>(a.numel())),
        expect_db(static_cast<size_t>(b.numel()));
    Shape idx(out.size(), 0);
    for (int64_t i = 0; i < y.numel(); ++i) {
      int64_t rest = i;
      for (size_t d = out.size(); d-- > 0;) idx[d] = rest % out[d], rest /= out[d];
      const int64_t ia = broadcast_offset(out, sa, idx), ib = broadcast_offset(out, sb, idx);
      expect_y[static_cast<size_t>(i)] = a.data()[ia] * b.data()[ib];
      expect_da[static_cast<size_t>(ia)] += dy.data()[i] * b.data()[ib];
      expect_db[static_cast<size_t>(ib)] += dy.data()[i] * a.data()[ia];
    }
    INFO("a ", shape_str(sa), " * b ", shape_str(sb));
    CHECK(y.to_vector() == expect_y);
    REQUIRE(a.grad().shape() == sa);
    REQUIRE(b.grad().shape() == sb);
    for (size_t k = 0; k < expect_da.size(); ++k)
      CHECK(a.grad().data()[k] == doctest::Approx(expect_da[k]).epsilon(1e-5));
    for (size_t k = 0; k < expect_db.size(); ++k)
      CHECK(b.grad().data()[k] == doctest::Approx(expect_db[k]).epsilon(1e-5));
  }
}

TEST_CASE("add, sub, mul, div pass gradcheck in every broadcasting configuration") {
  const std::pair<Shape, Shape> configs[] = {{{3, 4}, {3, 4}},    {{3, 4}, {4}},
                                             {{3, 4}, {3, 1}},    {{3, 4}, {1, 4}},
                                             {{3, 4}, {}},        {{}, {3, 4}},
                                             {{4}, {3, 4}},       {{3, 1}, {1, 4}},
                                             {{2, 3, 4}, {3, 1}}, {{2, 1, 4, 1}, {5, 1, 3}},
                                             {{1}, {2, 2}},       {{}, {}}};
  const std::pair<const char*, BinaryOp> ops[] = {
      {"add", add}, {"sub", sub}, {"mul", mul}, {"div", div}};
  Generator gen(11);
  for (const auto& config : configs)
    for (const auto& named_op : ops) {
      const Shape &sa = config.first, &sb = config.second;
      const char* name = named_op.first;
      const BinaryOp op = named_op.second;
      Tensor a = Tensor::randn(sa, gen).requires_grad_();
      // div's denominator is kept in [0.5, 1.5] (either sign) so 1/b stays smooth.
      Tensor b = Tensor::uniform(sb, 0.5f, 1.5f, gen);
      for (int64_t i = 0; i < b.numel(); ++i)
        if (gen.bernoulli(0.5f)) b.data()[i] = -b.data()[i];
      b.requires_grad_();
      GradCheckResult r =
          gradcheck([op](const std::vector<Tensor>& in) { return op(in[0], in[1]); }, {a, b});
      INFO(name, " ", shape_str(sa), " with ", shape_str(sb));
      CHECK_MESSAGE(r.ok, r.report);
    }
}

TEST_CASE("broadcast golden values from PyTorch: y = a*b + a/b - b") {
  Tensor a = Tensor::from({{0.5f, -1.0f, 2.0f}, {1.5f, 0.25f, -0.75f}}).requires_grad_();
  Tensor b = Tensor::from({1.25f, -0.5f, 2.0f}).requires_grad_();
  Tensor y = a * b + a / b - b;
  y.backward(Tensor::from({{1.0f, -2.0f, 0.5f}, {0.25f, 3.0f, -1.0f}}));
  CHECK(max_abs_diff(y, {-0.22500002f, 3.0f, 3.0f, 1.825f, -0.125f, -3.875f}) < 1e-6);
  CHECK(max_abs_diff(a.grad(), {2.05f, 5.0f, 1.25f, 0.51249999f, -7.5f, -2.5f}) < 1e-6);
  CHECK(b.grad().shape() == Shape{3});
  CHECK(max_abs_diff(b.grad(), {-0.93499994f, -9.25f, 1.8125f}) < 1e-5);

  // A column against a row: both stretch.
  Tensor c = Tensor::from({2.0f, -3.0f}, {2, 1}).requires_grad_();
  Tensor r = Tensor::from({0.5f, 1.0f, -1.5f, 2.5f}, {1, 4}).requires_grad_();
  Tensor z = c * r - c + r;
  z.backward(Tensor::arange(8).reshape({2, 4}) - 3.5f);
  CHECK(z.shape() == Shape{2, 4});
  CHECK(max_abs_diff(z, {-0.5f, 1.0f, -6.5f, 5.5f, 2.0f, 1.0f, 6.0f, -2.0f}) < 1e-6);
  CHECK(c.grad().shape() == Shape{2, 1});
  CHECK(max_abs_diff(c.grad(), {4.75f, -1.25f}) < 1e-6);
  CHECK(r.grad().shape() == Shape{1, 4});
  CHECK(max_abs_diff(r.grad(), {-11.5f, -10.5f, -9.5f, -8.5f}) < 1e-6);
}

TEST_CASE("unary ops: golden values from PyTorch") {
  const std::vector<float> xs = {0.3f, 1.7f, 0.9f, 2.4f};
  const Tensor dy = Tensor::from({1.0f, -0.5f, 2.0f, 0.25f});
  struct Case {
    const char* name;
    std::function<Tensor(const Tensor&)> f;
    std::vector<float> y, dx;
  };
  const Case cases[] = {
      {"exp",
       [](const Tensor& t) { return exp(t); },
       {1.3498588f, 5.4739475f, 2.4596031f, 11.023177f},
       {1.3498588f, -2.7369738f, 4.9192061f, 2.7557943f}},
      {"log",
       [](const Tensor& t) { return log(t); },
       {-1.2039728f, 0.53062826f, -0.10536055f, 0.87546879f},
       {3.3333333f, -0.29411763f, 2.2222223f, 0.10416666f}},
      {"sqrt",
       [](const Tensor& t) { return sqrt(t); },
       {0.54772258f, 1.3038405f, 0.94868326f, 1.5491934f},
       {0.91287088f, -0.19174124f, 1.0540926f, 0.08068715f}},
      {"pow 3",
       [](const Tensor& t) { return pow(t, 3.0f); },
       {0.027000003f, 4.9130001f, 0.72899991f, 13.824001f},
       {0.27000001f, -4.335f, 4.8599997f, 4.3200002f}},
      {"pow -1.5",
       [](const Tensor& t) { return pow(t, -1.5f); },
       {6.0858059f, 0.45115587f, 1.171214f, 0.26895717f},
       {-30.429028f, 0.19903934f, -3.9040468f, -0.042024553f}},
      {"neg",
       [](const Tensor& t) { return -t; },
       {-0.3f, -1.7f, -0.9f, -2.4f},
       {-1.0f, 0.5f, -2.0f, -0.25f}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Tensor x = Tensor::from(xs).requires_grad_();
    Tensor y = c.f(x);
    y.backward(dy);
    CHECK(max_abs_diff(y, c.y) < 2e-6 * 14);  // relative to the largest value, 13.8
    CHECK(max_abs_diff(x.grad(), c.dx) < 2e-6 * 30);
  }
}

TEST_CASE("unary ops pass gradcheck") {
  Generator gen(3);
  // Positive inputs away from 0, where log, sqrt and negative powers are smooth.
  Tensor pos = Tensor::uniform({3, 4}, 0.5f, 2.0f, gen).requires_grad_();
  Tensor any = Tensor::randn({3, 4}, gen).requires_grad_();
  auto check = [](const char* name, std::function<Tensor(const Tensor&)> f, const Tensor& x) {
    GradCheckResult r = gradcheck([f](const std::vector<Tensor>& in) { return f(in[0]); }, {x});
    INFO(name);
    CHECK_MESSAGE(r.ok, r.report);
  };
  check(
      "neg", [](const Tensor& t) { return neg(t); }, any);
  check(
      "exp", [](const Tensor& t) { return exp(t); }, any);
  check(
      "log", [](const Tensor& t) { return log(t); }, pos);
  check(
      "sqrt", [](const Tensor& t) { return sqrt(t); }, pos);
  check(
      "pow 2", [](const Tensor& t) { return pow(t, 2.0f); }, any);
  check(
      "pow 3", [](const Tensor& t) { return pow(t, 3.0f); }, any);
  check(
      "pow 0.5", [](const Tensor& t) { return pow(t, 0.5f); }, pos);
  check(
      "pow -1.5", [](const Tensor& t) { return pow(t, -1.5f); }, pos);
  check(
      "pow 0", [](const Tensor& t) { return pow(t, 0.0f); }, any);
}

TEST_CASE("edge values follow PyTorch: log(0), NaN, division by zero, pow(0) at 0") {
  CHECK(log(Tensor::scalar(0.0f)).item() == -INFINITY);
  CHECK(std::isnan(log(Tensor::scalar(-1.0f)).item()));
  CHECK(std::isnan(sqrt(Tensor::scalar(-1.0f)).item()));
  CHECK((Tensor::scalar(1.0f) / Tensor::scalar(0.0f)).item() == INFINITY);
  CHECK(std::isnan((Tensor::scalar(NAN) + Tensor::scalar(1.0f)).item()));
  // d/dx x^0 is exactly 0 even at x = 0 (not 0 · 0^-1 = NaN).
  Tensor x = Tensor::zeros({2}).requires_grad_();
  pow(x, 0.0f).backward(Tensor::ones({2}));
  CHECK(x.grad().to_vector() == std::vector<float>{0, 0});
  CHECK(pow(x, 0.0f).to_vector() == std::vector<float>{1, 1});
  // Empty tensors broadcast to empty results.
  Tensor e = add(Tensor::zeros({0, 3}), Tensor::ones({3}));
  CHECK(e.shape() == Shape{0, 3});
}

TEST_CASE("only inputs that require grad receive a gradient") {
  Tensor a = Tensor::from({1.0f, 2.0f}).requires_grad_();
  Tensor b = Tensor::from({3.0f, 4.0f});
  Tensor y = a * b;
  CHECK(y.requires_grad());
  y.backward(Tensor::ones({2}));
  CHECK(a.grad().to_vector() == std::vector<float>{3, 4});
  CHECK_FALSE(b.grad().defined());
  // Neither requires grad: nothing is recorded.
  Tensor z = b * b;
  CHECK_FALSE(z.requires_grad());
  CHECK(z.grad_fn() == nullptr);
}

TEST_CASE("the same tensor on both sides: x*x, x/x, x-x") {
  Tensor x = Tensor::from({1.5f, -2.0f}).requires_grad_();
  (x * x).backward(Tensor::ones({2}));
  CHECK(x.grad().to_vector() == std::vector<float>{3.0f, -4.0f});
  x.zero_grad();
  (x / x).backward(Tensor::ones({2}));
  CHECK(max_abs_diff(x.grad(), {0.0f, 0.0f}) < 1e-7);
  x.zero_grad();
  (x - x).backward(Tensor::ones({2}));
  CHECK(x.grad().to_vector() == std::vector<float>{0.0f, 0.0f});
}
