// Tests of nn::ModuleList: parameters registered under positional names, a custom module's
// forward looping over it (a residual stack) with a gradient check, indexing, and its errors.
#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>

#include "minigrad/gradcheck.hpp"
#include "minigrad/nn/activation.hpp"
#include "minigrad/nn/linear.hpp"
#include "minigrad/nn/module_list.hpp"
#include "minigrad/ops/activation.hpp"
#include "minigrad/ops/elementwise.hpp"

using namespace minigrad;
using namespace minigrad::nn;

namespace {
// h ← h + tanh(layer(h)) for each layer: the kind of forward Sequential cannot express.
class Residual : public Module {
 public:
  Residual(int64_t width, int depth, Generator& gen) {
    layers_ = register_module("layers", std::make_shared<ModuleList>());
    for (int i = 0; i < depth; ++i) layers_->append(std::make_shared<Linear>(width, width, gen));
  }
  Tensor forward(const Tensor& x) override {
    Tensor h = x;
    for (const auto& layer : *layers_) h = h + minigrad::tanh((*layer)(h));
    return h;
  }
  std::string type_name() const override { return "Residual"; }
  std::shared_ptr<ModuleList> layers_;
};
}  // namespace

TEST_CASE("ModuleList registers its modules as layers.0, layers.1, ...") {
  Generator gen(0);
  Residual net(3, 2, gen);
  const auto names = net.named_parameters();
  REQUIRE(names.size() == 4);
  CHECK(names[0].first == "layers.0.weight");
  CHECK(names[3].first == "layers.1.bias");
  CHECK(net.layers_->size() == 2);
  CHECK(net.layers_->at<Linear>(1)->out_features() == 3);
  CHECK(net.state_dict().size() == 4);
}

TEST_CASE("a forward that loops over a ModuleList: values and gradient check") {
  Generator gen(1);
  Residual net(3, 2, gen);
  Tensor x = Tensor::randn({4, 3}, gen).requires_grad_();
  // by hand: the same two steps
  Tensor h = x.detach();
  for (size_t i = 0; i < 2; ++i) h = h + minigrad::tanh((*(*net.layers_)[i])(h));
  CHECK(max_abs_diff(net(x), h.to_vector()) == 0.0);
  std::vector<Tensor> inputs = {x};
  for (const Tensor& p : net.parameters()) inputs.push_back(p);
  GradCheckResult r =
      gradcheck([&net](const std::vector<Tensor>& in) { return net(in[0]); }, inputs);
  CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("ModuleList has no forward, checks its index and type, prints like PyTorch") {
  Generator gen(2);
  ModuleList list({std::make_shared<Linear>(2, 2, gen), std::make_shared<ReLU>()});
  CHECK(list.repr() ==
        "ModuleList(\n  (0): Linear(in_features=2, out_features=2, bias=True)\n  (1): ReLU()\n)");
  CHECK_THROWS_WITH_AS(list(Tensor::zeros({1, 2})),
                       doctest::Contains("ModuleList of 2 modules has no forward"),
                       std::logic_error);
  CHECK_THROWS_WITH_AS(list[2], doctest::Contains("index 2 is out of range for 2 modules"),
                       std::out_of_range);
  CHECK_THROWS_WITH_AS(list.at<Linear>(1), doctest::Contains("module 1 is a ReLU"),
                       std::invalid_argument);
  CHECK_THROWS_AS(list.push_back(nullptr), std::invalid_argument);
  CHECK(list.size() == 2);
  CHECK_FALSE(list.empty());
}
