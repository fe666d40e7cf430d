// Tests of nn::Sequential: children named "0", "1", ... (parameter-free layers included), forward
// in order, indexing with bounds and type checks, and PyTorch's repr.
#include <doctest/doctest.h>

#include <string>

#include "minigrad/nn/activation.hpp"
#include "minigrad/nn/dropout.hpp"
#include "minigrad/nn/linear.hpp"
#include "minigrad/nn/sequential.hpp"
#include "minigrad/gradcheck.hpp"

using namespace minigrad;
using namespace minigrad::nn;

TEST_CASE("Sequential names children by position, like PyTorch") {
  Generator gen(0);
  Sequential seq({std::make_shared<Linear>(4, 3, gen), std::make_shared<ReLU>()});
  seq.push_back(std::make_shared<Linear>(3, 2, gen));
  const auto names = seq.named_parameters();
  REQUIRE(names.size() == 4);
  CHECK(names[0].first == "0.weight");
  CHECK(names[1].first == "0.bias");
  CHECK(names[2].first == "2.weight");  // ReLU took index 1
  CHECK(names[3].first == "2.bias");
  CHECK(seq.size() == 3);
  CHECK(seq.children()[1].first == "1");
}

TEST_CASE("Sequential runs its children in order") {
  Generator gen(1);
  auto fc = std::make_shared<Linear>(2, 2, gen);
  fc->weight().copy_(Tensor::from({{1, 0}, {0, -1}}));
  fc->bias().fill_(0.0f);
  Sequential seq;
  seq.add(fc).add(std::make_shared<ReLU>());
  // ReLU after the Linear zeroes the negated column; the other order would not.
  CHECK(max_abs_diff(seq(Tensor::from({{2, 3}})), {2, 0}) == 0.0);
  Sequential empty;
  Tensor x = Tensor::from({1, 2});
  CHECK(empty(x).is_same(x));

  Tensor xin = Tensor::randn({3, 2}, gen).requires_grad_();
  GradCheckResult r = gradcheck([&seq](const std::vector<Tensor>& in) { return seq(in[0]); },
                                {xin, fc->weight(), fc->bias()});
  CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("Sequential indexing checks bounds and types") {
  Generator gen(2);
  Sequential seq({std::make_shared<Linear>(4, 3, gen), std::make_shared<Dropout>(0.2f)});
  CHECK(seq[0]->type_name() == "Linear");
  CHECK(seq.at<Linear>(0)->out_features() == 3);
  CHECK(seq.at<Dropout>(1)->p() == doctest::Approx(0.2));
  CHECK_THROWS_AS(seq[2], std::out_of_range);
  try {
    seq.at<Linear>(1);
    FAIL("a Dropout is not a Linear");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("module 1 is a Dropout") != std::string::npos);
  }
  CHECK_THROWS_AS(seq.push_back(nullptr), std::invalid_argument);
}

TEST_CASE("Sequential prints like PyTorch") {
  Generator gen(3);
  Sequential seq({std::make_shared<Linear>(4, 3, gen), std::make_shared<ReLU>()});
  CHECK(seq.repr() ==
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        ")");
  CHECK(Sequential().repr() == "Sequential()");
}
