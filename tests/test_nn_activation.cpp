// Tests of the activation modules: each computes its op, has no parameters, prints like PyTorch,
// and passes a gradient check in train and eval mode.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "minigrad/nn/activation.hpp"
#include "minigrad/gradcheck.hpp"

using namespace minigrad;
using namespace minigrad::nn;

TEST_CASE("ReLU, Sigmoid and Tanh compute their functions") {
  Tensor x = Tensor::from({-2.0f, 0.0f, 0.5f});
  CHECK(max_abs_diff(ReLU()(x), {0.0f, 0.0f, 0.5f}) == 0.0);
  CHECK(max_abs_diff(Sigmoid()(x), {0.11920292f, 0.5f, 0.62245933f}) < 1e-7);
  CHECK(max_abs_diff(Tanh()(x), {-0.96402758f, 0.0f, 0.46211716f}) < 1e-7);
}

TEST_CASE("activation modules: no parameters, PyTorch's repr") {
  CHECK(ReLU().repr() == "ReLU()");
  CHECK(Sigmoid().repr() == "Sigmoid()");
  CHECK(Tanh().repr() == "Tanh()");
  CHECK(ReLU().num_parameters() == 0);
  CHECK(Tanh().state_dict().empty());
}

TEST_CASE("activation modules pass gradient checks in train and eval mode") {
  Generator gen(8);
  // Values kept away from ReLU's kink at 0, where a central difference straddles two slopes.
  Tensor x = Tensor::uniform({4, 5}, 0.1f, 2.0f, gen);
  for (int64_t i = 0; i < x.numel(); i += 2) x.data()[i] = -x.data()[i];
  x.requires_grad_();
  ReLU relu;
  Sigmoid sigmoid;
  Tanh tanh_module;
  for (Module* m : std::vector<Module*>{&relu, &sigmoid, &tanh_module}) {
    for (bool training : {true, false}) {
      CAPTURE(m->type_name());
      CAPTURE(training);
      m->train(training);
      GradCheckResult r =
          gradcheck([m](const std::vector<Tensor>& in) { return (*m)(in[0]); }, {x});
      CHECK_MESSAGE(r.ok, r.report);
    }
  }
}
