// Tests of nn/softmax.hpp: the Softmax module is softmax along its dim and prints as PyTorch.
#include <doctest/doctest.h>

#include "minigrad/gradcheck.hpp"
#include "minigrad/nn/softmax.hpp"
#include "minigrad/ops/softmax.hpp"

using namespace minigrad;
using namespace minigrad::nn;

TEST_CASE("Softmax(dim) is softmax along dim, with PyTorch's repr") {
  Tensor x = Tensor::from({{1, 2, 3}, {0, 0, 0}});
  CHECK(Softmax(1)(x).to_vector() == softmax(x, 1).to_vector());
  CHECK(Softmax(0)(x).to_vector() == softmax(x, 0).to_vector());
  CHECK(max_abs_diff(Softmax(-1)(x),
                     {0.09003057f, 0.24472847f, 0.66524096f, 1 / 3.0f, 1 / 3.0f, 1 / 3.0f}) < 1e-7);
  CHECK(Softmax(1).repr() == "Softmax(dim=1)");
  Softmax m(1);
  GradCheckResult r = gradcheck([&m](const std::vector<Tensor>& in) { return m(in[0]); },
                                {Tensor::from({{0.5f, -1, 2}}).requires_grad_()});
  CHECK_MESSAGE(r.ok, r.report);
}
