// Tests of the Module base: registration and its errors, dotted names, train/eval reaching nested
// modules, zero_grad, state_dict sharing storage, load_state_dict round trips and its errors
// (each missing key, unexpected key and shape mismatch named; nothing copied on failure), repr,
// and the ForwardObserver that summary() relies on.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/activation.hpp"
#include "minigrad/nn/batchnorm.hpp"
#include "minigrad/nn/linear.hpp"
#include "minigrad/nn/module.hpp"
#include "minigrad/nn/sequential.hpp"

using namespace minigrad;
using namespace minigrad::nn;

namespace {

// A module with a parameter, an I64 buffer and two levels of children.
class Block : public Module {
 public:
  explicit Block(Generator& gen) {
    scale_ = register_parameter("scale", Tensor::ones({3}));
    steps_ = register_buffer("steps", Tensor::scalar(0.0f), DType::I64);
    body_ = register_module(
        "body", std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
                    std::make_shared<Linear>(3, 3, gen), std::make_shared<BatchNorm1d>(3)}));
  }
  Tensor forward(const Tensor& x) override { return (*body_)(x); }
  std::string type_name() const override { return "Block"; }
  void on_train(bool on) override { mode_changes.push_back(on); }

  // Registration errors are reported by the protected API; these expose it to the tests.
  void add_parameter(const std::string& name, Tensor t) { register_parameter(name, std::move(t)); }
  void add_module(const std::string& name, std::shared_ptr<Module> m) {
    register_module(name, std::move(m));
  }

  std::vector<bool> mode_changes;
  Tensor scale_, steps_;
  std::shared_ptr<Sequential> body_;
};

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

std::vector<std::string> keys(const StateDict& sd) {
  std::vector<std::string> out;
  for (const NamedTensor& nt : sd) out.push_back(nt.name);
  return out;
}

}  // namespace

TEST_CASE("Module gives parameters and buffers PyTorch's dotted names and order") {
  Generator gen(0);
  Block block(gen);
  CHECK(keys(block.state_dict()) ==
        std::vector<std::string>{"scale", "steps", "body.0.weight", "body.0.bias", "body.1.weight",
                                 "body.1.bias", "body.1.running_mean", "body.1.running_var",
                                 "body.1.num_batches_tracked"});
  const auto params = block.named_parameters();
  REQUIRE(params.size() == 5);
  CHECK(params[0].first == "scale");
  CHECK(params[4].first == "body.1.bias");
  const auto buffers = block.named_buffers();
  REQUIRE(buffers.size() == 4);
  CHECK(buffers[0].first == "steps");
  CHECK(buffers[3].first == "body.1.num_batches_tracked");
  const std::vector<Tensor> unnamed = block.buffers();  // the same handles, in the same order
  REQUIRE(unnamed.size() == buffers.size());
  for (size_t i = 0; i < unnamed.size(); ++i) CHECK(unnamed[i].is_same(buffers[i].second));
  CHECK(block.num_parameters() == 3 + 9 + 3 + 3 + 3);
  CHECK(block.parameters().size() == 5);
  CHECK(block.parameters()[0].is_same(block.scale_));  // handles, not copies
  CHECK(block.scale_.requires_grad());
  CHECK_FALSE(block.steps_.requires_grad());
}

TEST_CASE("Module rejects a bad registration and says why") {
  Generator gen(1);
  Block block(gen);
  CHECK(message_of([&] {
          block.add_parameter("scale", Tensor::ones({1}));
        }).find("'scale' is already registered") != std::string::npos);
  CHECK(message_of([&] {
          block.add_module("body", std::make_shared<ReLU>());
        }).find("'body' is already registered") != std::string::npos);
  CHECK(message_of([&] { block.add_parameter("a.b", Tensor::ones({1})); }).find("contains a '.'") !=
        std::string::npos);
  CHECK_THROWS_AS(block.add_parameter("", Tensor::ones({1})), std::invalid_argument);
  CHECK_THROWS_AS(block.add_parameter("undefined", Tensor()), std::invalid_argument);
  CHECK_THROWS_AS(block.add_module("none", nullptr), std::invalid_argument);
}

TEST_CASE("train() and eval() reach every nested module") {
  Generator gen(2);
  Block block(gen);
  CHECK(block.is_training());
  block.eval();
  CHECK_FALSE(block.is_training());
  CHECK_FALSE(block.body_->is_training());
  CHECK_FALSE((*block.body_)[1]->is_training());  // a grandchild
  CHECK(block.mode_changes == std::vector<bool>{false});
  block.train();
  CHECK((*block.body_)[0]->is_training());
  CHECK((*block.body_)[1]->is_training());
  CHECK(block.mode_changes == std::vector<bool>{false, true});
}

TEST_CASE("zero_grad zeroes, or drops, every parameter's gradient") {
  Generator gen(3);
  Block block(gen);
  Tensor y = block(Tensor::randn({4, 3}, gen));
  y.backward(Tensor::ones({4, 3}));
  for (const Tensor& p : block.parameters()) {
    if (p.is_same(block.scale_)) continue;  // scale takes no part in forward
    REQUIRE(p.grad().defined());
  }
  CHECK(block.body_->at<Linear>(0)->weight().grad().to_vector() != std::vector<float>(9, 0.0f));
  block.zero_grad();
  CHECK(block.body_->at<Linear>(0)->weight().grad().to_vector() == std::vector<float>(9, 0.0f));
  block.zero_grad(true);
  CHECK_FALSE(block.body_->at<Linear>(0)->weight().grad().defined());
}

TEST_CASE("state_dict shares storage; load_state_dict copies values in by name") {
  Generator g1(10), g2(20);
  Block a(g1), b(g2);
  a(Tensor::randn({5, 3}, g1));  // move a's BatchNorm statistics
  StateDict sd = a.state_dict();
  sd[0].tensor.data()[0] = 7.0f;
  CHECK(a.scale_.data()[0] == 7.0f);  // the state dict holds the module's own tensors

  Tensor x = Tensor::randn({4, 3}, g1);
  a.eval();
  b.eval();
  CHECK(a(x).to_vector() != b(x).to_vector());
  b.load_state_dict(a.state_dict());
  CHECK(a(x).to_vector() == b(x).to_vector());
  CHECK(b.steps_.is_same(b.named_buffers()[0].second));  // loaded in place, handles still valid
  auto bn = b.body_->at<BatchNorm1d>(1);
  CHECK(bn->num_batches_tracked().item() == 1.0f);
  CHECK(bn->running_mean().to_vector() == a.body_->at<BatchNorm1d>(1)->running_mean().to_vector());
}

TEST_CASE("load_state_dict names each missing key, unexpected key and shape mismatch") {
  Generator gen(4);
  Block block(gen);
  const std::vector<float> before = block.body_->at<Linear>(0)->weight().to_vector();

  StateDict sd = block.state_dict();
  for (NamedTensor& nt : sd) nt.tensor = nt.tensor.clone();
  sd.erase(sd.begin() + 8);  // body.1.num_batches_tracked
  sd.erase(sd.begin() + 3);  // body.0.bias
  sd.push_back({"body.2.weight", Tensor::zeros({3}), DType::F32});
  sd[2].tensor = Tensor::zeros({4, 3});  // body.0.weight, transposed by mistake
  sd[0].tensor = Tensor::zeros({3});     // scale: right shape, new values

  const std::string msg = message_of([&] { block.load_state_dict(sd); });
  CHECK(msg.find("Error(s) in loading state_dict for Block") != std::string::npos);
  CHECK(
      msg.find("Missing key(s) in state_dict: \"body.0.bias\", \"body.1.num_batches_tracked\".") !=
      std::string::npos);
  CHECK(msg.find("Unexpected key(s) in state_dict: \"body.2.weight\".") != std::string::npos);
  CHECK(msg.find("size mismatch for body.0.weight: copying a param with shape [4, 3] from "
                 "checkpoint, the shape in current model is [3, 3]") != std::string::npos);
  CHECK(msg.find("HINT") != std::string::npos);
  // Nothing was copied, not even the entries that were fine.
  CHECK(block.scale_.to_vector() == std::vector<float>{1, 1, 1});
  CHECK(block.body_->at<Linear>(0)->weight().to_vector() == before);

  // strict=false skips missing and unexpected keys but never a shape mismatch.
  CHECK_THROWS_AS(block.load_state_dict(sd, false), std::runtime_error);
  sd[2].tensor = Tensor::zeros({3, 3});
  block.load_state_dict(sd, false);
  CHECK(block.scale_.to_vector() == std::vector<float>{0, 0, 0});
  CHECK(block.body_->at<Linear>(0)->weight().to_vector() == std::vector<float>(9, 0.0f));

  StateDict dup = block.state_dict();
  dup.push_back(dup[0]);
  CHECK(message_of([&] { block.load_state_dict(dup); }).find("appears twice") != std::string::npos);
}

TEST_CASE("repr nests like PyTorch's print(model)") {
  Generator gen(5);
  Block block(gen);
  CHECK(block.repr() ==
        "Block(\n"
        "  (body): Sequential(\n"
        "    (0): Linear(in_features=3, out_features=3, bias=True)\n"
        "    (1): BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
        "  )\n"
        ")");
}

TEST_CASE("ForwardObserver sees every call made through operator(), innermost first") {
  Generator gen(6);
  Block block(gen);
  std::vector<std::string> outer_seen, inner_seen;
  {
    ForwardObserver outer(
        [&](const Module& m, const Tensor&) { outer_seen.push_back(m.type_name()); });
    {
      ForwardObserver inner([&](const Module& m, const Tensor& y) {
        inner_seen.push_back(m.type_name() + shape_str(y.shape()));
      });
      block(Tensor::zeros({2, 3}));
    }
    block.forward(Tensor::zeros({2, 3}));  // forward() skips the block itself, not its children
  }
  block(Tensor::zeros({2, 3}));  // no observer left
  CHECK(inner_seen == std::vector<std::string>{"Linear[2, 3]", "BatchNorm1d[2, 3]",
                                               "Sequential[2, 3]", "Block[2, 3]"});
  CHECK(outer_seen == std::vector<std::string>{"Linear", "BatchNorm1d", "Sequential"});
}
