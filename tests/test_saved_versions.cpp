// Tests of saved_versions.hpp: a backward refuses a saved input or output written in place since
// its op ran (naming the op, the tensor and its shape), and allows writes no backward reads.
#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/matmul.hpp"
#include "minigrad/ops/reduce.hpp"
#include "minigrad/tensor.hpp"

using namespace minigrad;

TEST_CASE("writing in place to a tensor a backward will read is an error naming the op") {
  // PyTorch raises in both cases; silently x.grad would be 2·10 = [20, 20, 20].
  SUBCASE("fill_") {
    Tensor x = Tensor::from({1, 2, 3}).requires_grad_();
    Tensor y = x * x;
    x.fill_(10.0f);
    CHECK_THROWS_WITH_AS(sum(y).backward(),
                         doctest::Contains("gradient of 'mul' (input 0, shape [3]) has been "
                                           "modified by an in-place operation: its version is 1, "
                                           "it was 0"),
                         std::logic_error);
  }
  SUBCASE("copy_") {
    Tensor x = Tensor::from({1, 2, 3}).requires_grad_();
    Tensor y = x * x;
    x.copy_(Tensor::from({4, 5, 6}));
    CHECK_THROWS_WITH_AS(sum(y).backward(), doctest::Contains("HINT: clone() the tensor"),
                         std::logic_error);
  }
  SUBCASE("an op that saved its output: exp") {
    Tensor x = Tensor::from({0, 1}).requires_grad_();
    Tensor y = exp(x);
    y.detach().zero_();  // detach shares the storage, and so the version
    CHECK_THROWS_WITH_AS(sum(y).backward(), doctest::Contains("'exp' (its output, shape [2])"),
                         std::logic_error);
  }
  SUBCASE("a write through data() that says so") {
    Tensor w = Tensor::from({{1, 2}}).requires_grad_();
    Tensor y = matmul(w, Tensor::ones({2, 1}).requires_grad_());
    w.data()[0] = 5.0f;
    w.bump_version();
    CHECK_THROWS_AS(sum(y).backward(), std::logic_error);
  }
}

TEST_CASE("in-place writes that no backward reads are allowed, as in PyTorch") {
  Tensor x = Tensor::from({1, 2, 3}).requires_grad_();
  Tensor y = x + 1.0f;  // add's backward reads neither input
  x.fill_(10.0f);
  sum(y).backward();
  CHECK(x.grad().to_vector() == std::vector<float>{1, 1, 1});
  // After backward() the graph is gone: the usual zero_grad / step / forward cycle is fine.
  Tensor w = Tensor::from({1, 2}).requires_grad_();
  sum(w * w).backward();
  w.fill_(0.0f);
  sum(w * w).backward();
  CHECK(w.grad().to_vector() == std::vector<float>{2, 4});
}
