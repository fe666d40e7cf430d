// Tests of nn::make_cnn(): the layer layout and state_dict names of the PyTorch nn.Sequential it
// mirrors (and its parameter count, 422,090 for Fashion-MNIST), both input layouts, the errors,
// and a small end-to-end run in which the loss falls and held-out images are classified.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/cnn.hpp"
#include "minigrad/nn/loss.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/reduce.hpp"
#include "minigrad/optim/sgd.hpp"

using namespace minigrad;

namespace {

// Images 1x8x8 of noise plus a bright vertical bar: in the left half for class 0, in the right
// half for class 1. Returns (images (n, 1, 8, 8), labels (n)).
std::pair<Tensor, Tensor> bars(int64_t n, Generator& gen) {
  Tensor x = Tensor::rand({n, 1, 8, 8}, gen) * 0.5f;
  Tensor labels = Tensor::empty({n});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t label = static_cast<int64_t>(gen.randint(2));
    const int64_t column = label * 4 + static_cast<int64_t>(gen.randint(4));
    for (int64_t r = 0; r < 8; ++r) x.at({i, 0, r, column}) += 1.0f;
    labels.data()[i] = static_cast<float>(label);
  }
  return {x.detach(), labels};
}

}  // namespace

TEST_CASE("make_cnn builds PyTorch's layer layout, names and parameter count") {
  Generator gen(1);
  auto model = nn::make_cnn({}, gen);
  StateDict sd = model->state_dict();
  const std::vector<std::pair<std::string, Shape>> expected = {{"network.0.weight", {32, 1, 3, 3}},
                                                               {"network.0.bias", {32}},
                                                               {"network.1.weight", {32}},
                                                               {"network.1.bias", {32}},
                                                               {"network.4.weight", {64, 32, 3, 3}},
                                                               {"network.9.weight", {128, 3136}},
                                                               {"network.10.running_var", {128}},
                                                               {"network.13.weight", {10, 128}},
                                                               {"network.13.bias", {10}}};
  for (const auto& entry : expected) {
    const std::string& name = entry.first;
    const Shape& shape = entry.second;
    CAPTURE(name);
    bool found = false;
    for (const NamedTensor& t : sd)
      if (t.name == name) found = t.tensor.shape() == shape;
    CHECK(found);
  }
  CHECK(model->num_parameters() == 422090);  // sum(p.numel()) of the same nn.Sequential
  CHECK(model->network()->children().size() == 14);
}

TEST_CASE("make_cnn takes images or rows of pixels, and names a wrong shape") {
  Generator gen(2);
  auto model = nn::make_cnn({.conv_channels = {4, 8}, .hidden = 16}, gen);
  model->eval();
  Tensor images = Tensor::rand({3, 1, 28, 28}, gen);
  Tensor rows = images.reshape({3, 784});
  Tensor a = (*model)(images), b = (*model)(rows);
  CHECK(a.shape() == Shape{3, 10});
  for (int64_t k = 0; k < a.numel(); ++k) CHECK(a.data()[k] == b.data()[k]);
  CHECK_THROWS_WITH_AS((*model)(Tensor::zeros({3, 785})),
                       doctest::Contains("expected images [B, 1, 28, 28] or rows of 784 pixels"),
                       std::invalid_argument);
  CHECK_THROWS_AS(nn::make_cnn({.height = 2, .width = 2}, gen), std::invalid_argument);
}

TEST_CASE("a small CNN learns where the bar is: the loss falls and held-out images are right") {
  Generator gen(7);
  auto model = nn::make_cnn({.height = 8,
                             .width = 8,
                             .conv_channels = {4, 8},
                             .hidden = 16,
                             .classes = 2,
                             .dropout = 0.0f},
                            gen);
  optim::SGD sgd(model->parameters(), {.lr = 0.05f, .momentum = 0.9f});
  float first = 0, last = 0;
  for (int step = 0; step < 40; ++step) {
    auto [x, labels] = bars(16, gen);
    Tensor loss = nn::cross_entropy((*model)(x), labels);
    if (step == 0) first = loss.item();
    last = loss.item();
    sgd.zero_grad();
    loss.backward();
    sgd.step();
  }
  CHECK(last < 0.5f * first);
  model->eval();
  auto [x, labels] = bars(200, gen);
  Tensor predicted = argmax((*model)(x), 1);
  int64_t correct = 0;
  for (int64_t i = 0; i < 200; ++i) correct += predicted.data()[i] == labels.data()[i];
  CHECK(correct >= 180);
}
