// Tests of tensor.hpp: factories, seeded randomness, handle semantics (copies share, clone
// copies, detach cuts), reshape/view sharing storage and carrying gradients, element access
// errors, and the printed text.
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "minigrad/autograd.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/reduce.hpp"
#include "minigrad/tensor.hpp"
#include "minigrad/gradcheck.hpp"

using namespace minigrad;

TEST_CASE("factories give the shape and values asked for") {
  CHECK(Tensor::zeros({2, 3}).to_vector() == std::vector<float>(6, 0.0f));
  CHECK(Tensor::ones({4}).to_vector() == std::vector<float>(4, 1.0f));
  CHECK(Tensor::full({2, 2}, -1.5f).to_vector() == std::vector<float>(4, -1.5f));
  CHECK(Tensor::empty({3, 0}).numel() == 0);
  Tensor s = Tensor::scalar(2.5f);
  CHECK(s.shape() == Shape{});
  CHECK(s.dim() == 0);
  CHECK(s.numel() == 1);
  CHECK(s.item() == 2.5f);
  CHECK(Tensor::from({1.0f, 2.0f, 3.0f}).shape() == Shape{3});
  Tensor m = Tensor::from({{1, 2, 3}, {4, 5, 6}});
  CHECK(m.shape() == Shape{2, 3});
  CHECK(m.at({1, 0}) == 4.0f);
  CHECK(Tensor::from({1, 2, 3, 4, 5, 6}, {3, 2}).at({2, 1}) == 6.0f);
  CHECK(Tensor::zeros_like(m).shape() == Shape{2, 3});
  CHECK(Tensor::ones_like(m).to_vector() == std::vector<float>(6, 1.0f));
  CHECK(Tensor::arange(4).to_vector() == std::vector<float>{0, 1, 2, 3});
  CHECK_FALSE(m.requires_grad());
  CHECK(m.is_leaf());
  CHECK_FALSE(Tensor().defined());
}

TEST_CASE("from reads nested lists of any depth, like torch.tensor") {
  Tensor column = Tensor::from({{0}, {1}, {1}, {0}});  // XOR targets: once an ambiguous call
  CHECK(column.shape() == Shape{4, 1});
  CHECK(column.to_vector() == std::vector<float>{0, 1, 1, 0});
  Tensor cube = Tensor::from({{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}, {{9, 10}, {11, 12}}});
  CHECK(cube.shape() == Shape{3, 2, 2});
  CHECK(cube.at({2, 0, 1}) == 10.0f);
  CHECK(Tensor::from({{{{0.5f}}}}).shape() == Shape{1, 1, 1, 1});
  CHECK(Tensor::from({}).shape() == Shape{0});
  CHECK(Tensor::from({{}, {}}).shape() == Shape{2, 0});
}

TEST_CASE("factory errors say what is wrong") {
  CHECK_THROWS_WITH_AS(Tensor::from({{1, 2}, {3}}),
                       doctest::Contains("element 1 of a list has shape [1] but element 0 has "
                                         "shape [2]"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Tensor::from({{{1}, {2}}, {3, 4}}),
                       doctest::Contains("element 1 of a list has shape [2] but element 0 has "
                                         "shape [2, 1]"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Tensor::from({1, {2}}), doctest::Contains("has shape [1] but element 0 "
                                                                 "has shape []"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Tensor::from({1, 2, 3}, {2, 2}),
                       doctest::Contains("3 values cannot have shape [2, 2]"),
                       std::invalid_argument);
  CHECK_THROWS_AS(Tensor::zeros({2, -1}), std::invalid_argument);
  Generator gen(0);
  CHECK_THROWS_AS(Tensor::uniform({2}, 1.0f, 0.0f, gen), std::invalid_argument);
  CHECK_THROWS_WITH_AS(Tensor().shape(), doctest::Contains("undefined Tensor"), std::logic_error);
}

TEST_CASE("seeded random factories are reproducible and have the right distribution") {
  Generator g1(42), g2(42), g3(43);
  Tensor a = Tensor::randn({1000}, g1), b = Tensor::randn({1000}, g2),
         c = Tensor::randn({1000}, g3);
  CHECK(a.to_vector() == b.to_vector());
  CHECK(a.to_vector() != c.to_vector());
  // The stream continues: a second draw differs from the first but matches across generators.
  CHECK(Tensor::rand({5}, g1).to_vector() == Tensor::rand({5}, g2).to_vector());
  g1.manual_seed(42);
  CHECK(Tensor::randn({1000}, g1).to_vector() == a.to_vector());

  Generator gen(7);
  Tensor n = Tensor::randn({20000}, gen);
  const double m = mean(n).item();
  const double var = mean((n - static_cast<float>(m)) * (n - static_cast<float>(m))).item();
  CHECK(std::fabs(m) < 0.03);  // 4 standard errors: 4/sqrt(20000) = 0.028
  CHECK(std::fabs(var - 1.0) < 0.04);
  Tensor u = Tensor::rand({20000}, gen);
  float lo = 1, hi = 0;
  for (float v : u.to_vector()) lo = std::min(lo, v), hi = std::max(hi, v);
  CHECK(lo >= 0.0f);
  CHECK(hi < 1.0f);
  CHECK(std::fabs(mean(u).item() - 0.5) < 0.01);
  Tensor w = Tensor::uniform({1000}, -2.0f, 3.0f, gen);
  for (float v : w.to_vector()) CHECK((v >= -2.0f && v < 3.0f));
}

TEST_CASE("bernoulli_fill draws two 24-bit uniforms per 64 bits, tested as bernoulli() tests one") {
  // Against the definition, bit by bit: out[2j] from bits 40-63 of draw j, out[2j+1] from 8-31.
  Generator g(5), ref(5);
  std::vector<float> out(7);
  g.bernoulli_fill(out.data(), 7, 0.3f, 2.5f);
  const auto below = [](uint64_t u24, float p) { return static_cast<double>(u24) / 16777216.0 < p; };
  for (int j = 0; j < 4; ++j) {
    const uint64_t r = ref.next_u64();
    CHECK(out[2 * j] == (below(r >> 40, 0.3f) ? 2.5f : 0.0f));
    if (2 * j + 1 < 7) CHECK(out[2 * j + 1] == (below((r >> 8) & 0xFFFFFF, 0.3f) ? 2.5f : 0.0f));
  }
  CHECK(g.next_u64() == ref.next_u64());  // 7 values took exactly 4 draws

  // The same across the fill's internal chunks of 512 values, with even and odd lengths.
  for (const int n : {1, 511, 512, 513, 1024, 1025, 1539}) {
    INFO("n=", n);
    Generator fill(9), def(9);
    std::vector<float> got(static_cast<size_t>(n));
    fill.bernoulli_fill(got.data(), n, 0.6f, 1.5f);
    bool same = true;
    for (int j = 0; 2 * j < n; ++j) {
      const uint64_t r = def.next_u64();
      const auto k = 2 * static_cast<size_t>(j);
      same &= got[k] == (below(r >> 40, 0.6f) ? 1.5f : 0.0f);
      if (2 * j + 1 < n) same &= got[k + 1] == (below((r >> 8) & 0xFFFFFF, 0.6f) ? 1.5f : 0.0f);
    }
    CHECK(same);
    CHECK(fill.next_u64() == def.next_u64());  // ceil(n / 2) draws, no more
  }

  // The rate over many values, and the two ends.
  std::vector<float> big(100000);
  g.bernoulli_fill(big.data(), 100000, 0.7f, 1.0f);
  double kept = 0;
  for (float v : big) kept += v;
  CHECK(std::fabs(kept / 100000.0 - 0.7) < 0.006);  // 4 standard errors: 4·sqrt(.21/1e5) = 0.0058
  g.bernoulli_fill(big.data(), 1000, 0.0f, 1.0f);
  for (int i = 0; i < 1000; ++i) CHECK(big[static_cast<size_t>(i)] == 0.0f);
  g.bernoulli_fill(big.data(), 1000, 1.0f, 3.0f);
  for (int i = 0; i < 1000; ++i) CHECK(big[static_cast<size_t>(i)] == 3.0f);
}

TEST_CASE("a Tensor is a handle: copies share data and grad") {
  Tensor a = Tensor::zeros({3}).requires_grad_();
  Tensor b = a;
  b.data()[1] = 5.0f;
  CHECK(a.at({1}) == 5.0f);
  CHECK(a.is_same(b));
  sum(b * 2.0f).backward();
  CHECK(a.grad().to_vector() == std::vector<float>{2, 2, 2});
}

TEST_CASE("clone copies and leaves the graph; detach shares and leaves the graph") {
  Tensor x = Tensor::from({1.0f, 2.0f}).requires_grad_();
  Tensor y = x * 3.0f;

  Tensor c = y.clone();
  CHECK(c.to_vector() == y.to_vector());
  CHECK_FALSE(c.requires_grad());
  CHECK(c.grad_fn() == nullptr);
  c.data()[0] = 100.0f;
  CHECK(y.at({0}) == 3.0f);  // separate storage

  Tensor d = y.detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(d.grad_fn() == nullptr);
  CHECK(d.is_leaf());
  d.data()[0] = 7.0f;
  CHECK(y.at({0}) == 7.0f);       // same storage
  CHECK(y.grad_fn() != nullptr);  // y itself is untouched
}

TEST_CASE("reshape and view share storage, infer -1, and are differentiable") {
  Tensor x = Tensor::arange(6);
  Tensor v = x.view({2, 3});
  CHECK(v.shape() == Shape{2, 3});
  v.at({1, 2}) = 50.0f;
  CHECK(x.at({5}) == 50.0f);
  CHECK(x.reshape({3, -1}).shape() == Shape{3, 2});
  CHECK(x.reshape({-1}).shape() == Shape{6});
  CHECK_THROWS_WITH_AS(x.reshape({4, 2}),
                       doctest::Contains("cannot view shape [6] (6 values) as [4, 2]"),
                       std::invalid_argument);
  CHECK_THROWS_AS(x.reshape({-1, -1}), std::invalid_argument);
  CHECK_THROWS_AS(x.reshape({4, -1}), std::invalid_argument);
  CHECK_THROWS_AS(x.reshape({}), std::invalid_argument);

  Tensor w = Tensor::from({{1, 2, 3}, {4, 5, 6}}).requires_grad_();
  Tensor flat = w.reshape({6});
  CHECK(flat.grad_fn() != nullptr);
  sum(flat * Tensor::arange(6)).backward();
  REQUIRE(w.grad().shape() == Shape{2, 3});
  CHECK(w.grad().to_vector() == std::vector<float>{0, 1, 2, 3, 4, 5});
  GradCheckResult r = gradcheck(
      [](const std::vector<Tensor>& in) {
        return in[0].view({3, 2}) * in[0].reshape({3, 2});
      },
      {w});
  CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("element access and item check their arguments") {
  Tensor m = Tensor::zeros({2, 3});
  m.at({1, 2}) = 4.0f;
  CHECK(m.data()[5] == 4.0f);
  const Tensor& cm = m;
  CHECK(cm.at({1, 2}) == 4.0f);
  CHECK_THROWS_WITH_AS(m.at({2, 0}),
                       doctest::Contains("index 2 is out of range for dimension 0 of shape [2, 3]"),
                       std::out_of_range);
  CHECK_THROWS_AS(m.at({0, -1}), std::out_of_range);
  CHECK_THROWS_WITH_AS(m.at({1}), doctest::Contains("1 indices for a tensor of shape [2, 3]"),
                       std::out_of_range);
  CHECK_THROWS_WITH_AS(m.item(),
                       doctest::Contains("a tensor of shape [2, 3] has 6 values, not one"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.item(), doctest::Contains("HINT: reduce it first"), std::invalid_argument);
  CHECK(Tensor::from({3.0f}, {1, 1}).item() == 3.0f);
  CHECK(m.size(1) == 3);
  CHECK(m.size(-2) == 2);
  CHECK_THROWS_WITH_AS(
      m.size(2), doctest::Contains("size(2): dimension out of range for a tensor of shape [2, 3]"),
      std::out_of_range);
  CHECK_THROWS_WITH_AS(m.size(-3), doctest::Contains("HINT: use a dim from -2 to 1"),
                       std::out_of_range);
}

TEST_CASE("copy_ and fill_ write in place") {
  Tensor a = Tensor::zeros({2, 2});
  a.copy_(Tensor::arange(4));
  CHECK(a.to_vector() == std::vector<float>{0, 1, 2, 3});
  CHECK(a.shape() == Shape{2, 2});
  a.fill_(9.0f);
  CHECK(a.to_vector() == std::vector<float>(4, 9.0f));
  CHECK_THROWS_WITH_AS(a.copy_(Tensor::zeros({3})),
                       doctest::Contains("source has shape [3] but destination has [2, 2]"),
                       std::invalid_argument);
}

TEST_CASE("every in-place write bumps the storage version, which views share") {
  Tensor a = Tensor::zeros({2, 2});
  Tensor view = a.reshape({4});
  CHECK(a.version() == 0);
  a.fill_(1.0f);
  a.copy_(Tensor::ones({2, 2}));
  view.zero_();
  CHECK(a.to_vector() == std::vector<float>(4, 0.0f));
  CHECK(a.version() == 3);
  CHECK(view.version() == 3);
  CHECK(a.clone().version() == 0);  // a copy starts its own count
}

TEST_CASE("printing: exact text for small tensors, a summary with ... for large ones") {
  CHECK(Tensor::from({{1, 2}, {3, 4}}).str() ==
        "tensor([[1., 2.],\n"
        "        [3., 4.]], shape=[2, 2])");
  CHECK(Tensor::from({{1.5f, 2}, {3, -4}}).requires_grad_().str() ==
        "tensor([[ 1.5000,  2.0000],\n"
        "        [ 3.0000, -4.0000]], shape=[2, 2], requires_grad=True)");
  CHECK(Tensor::scalar(3.5f).str() == "tensor(3.5000, shape=[])");
  CHECK(Tensor::scalar(2.0f).str() == "tensor(2., shape=[])");
  CHECK(Tensor::from({1e-5f, 1.0f}).str() == "tensor([1.0000e-05, 1.0000e+00], shape=[2])");
  CHECK(Tensor::from({NAN, INFINITY, 1.5f}).str() == "tensor([   nan,    inf, 1.5000], shape=[3])");
  CHECK(Tensor::zeros({0, 3}).str() == "tensor([], shape=[0, 3])");
  CHECK(Tensor().str() == "tensor(undefined)");

  Tensor x = Tensor::from({1.0f, 2.0f}).requires_grad_();
  CHECK((x * 2.0f).str() == "tensor([2., 4.], shape=[2], grad_fn=<mul>)");

  const std::string big = Tensor::arange(2000).reshape({2, 1000}).str();
  CHECK(big ==
        "tensor([[   0.,    1.,    2., ...,  997.,  998.,  999.],\n"
        "        [1000., 1001., 1002., ..., 1997., 1998., 1999.]], shape=[2, 1000])");
  const std::string tall = Tensor::zeros({1001, 2}).str();
  CHECK(tall.find("...") != std::string::npos);
  CHECK(tall.size() < 200);
  // 1000 values or fewer are printed in full.
  CHECK(Tensor::zeros({1000}).str().find("...") == std::string::npos);

  std::ostringstream os;
  os << Tensor::scalar(1.0f);
  CHECK(os.str() == "tensor(1., shape=[])");
}

TEST_CASE("Storage recycles a freed buffer of the same size, and zeroes it when asked") {
  const void* first = nullptr;
  {
    Storage s(1000);
    for (int64_t i = 0; i < s.size(); ++i) s.data()[i] = 7.0f;
    first = s.data();
  }
  Storage again(1000, /*zero=*/true);
  const bool recycled = static_cast<const void*>(again.data()) == first;
#if defined(__SANITIZE_ADDRESS__)
  CHECK_FALSE(recycled);  // no recycling under AddressSanitizer: it must see every free
#else
  CHECK(recycled);  // the most recently freed buffer of that size comes back
#endif
  for (int64_t i = 0; i < again.size(); ++i) REQUIRE(again.data()[i] == 0.0f);
  Storage other(1001);  // another size gets another buffer
  CHECK(static_cast<const void*>(other.data()) != static_cast<const void*>(again.data()));
  CHECK(reinterpret_cast<uintptr_t>(other.data()) % 64 == 0);
}
