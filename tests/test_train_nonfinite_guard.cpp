// Tests of train/nonfinite_guard.hpp through train_step: a NaN or an infinity in the loss, a
// gradient, an updated parameter or a buffer is reported with the tensor's name; with skip-step a
// bad gradient leaves every parameter and the optimizer's state as they were.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "minigrad/nn/mlp.hpp"
#include "minigrad/optim/sgd.hpp"
#include "minigrad/train/nonfinite_guard.hpp"
#include "minigrad/train/trainer.hpp"
#include "support/pattern.hpp"

using namespace minigrad;
using train::OnNonFinite;

namespace {

// Linear(2, 3), BatchNorm1d(3), ReLU, Linear(3, 2): network.0, network.1 and network.3; without
// BatchNorm, Linear(2, 3), ReLU, Linear(3, 2): network.0 and network.2.
std::shared_ptr<nn::Mlp> small_model(bool batchnorm = true) {
  Generator gen(5);
  return nn::make_mlp(
      {.in_features = 2, .hidden = {3}, .classes = 2, .batchnorm = batchnorm, .dropout = 0.0f},
      gen);
}

// Four rows, all of class 0, with inputs `scale` times a small pattern.
struct SmallBatch {
  data::Batch batch;
  std::vector<int32_t> labels = {0, 0, 0, 0};
  explicit SmallBatch(double scale) {
    batch.x = pattern({4, 2}, 3, 1, 7, 4.0);
    for (int64_t k = 0; k < batch.x.numel(); ++k) batch.x.data()[k] *= static_cast<float>(scale);
    batch.y = Tensor::from({0.0f, 0.0f, 0.0f, 0.0f});
    batch.labels = labels;
  }
};

Tensor named(const nn::Module& model, const std::string& name) {
  for (const auto& [n, t] : model.named_parameters())
    if (n == name) return t;
  for (const auto& [n, t] : model.named_buffers())
    if (n == name) return t;
  FAIL("no tensor " << name);
  return {};
}

std::vector<std::vector<float>> values(const nn::Module& model) {
  std::vector<std::vector<float>> v;
  for (const Tensor& p : model.parameters()) v.push_back(p.to_vector());
  return v;
}

// A finite loss whose first layer's weight gradient overflows (without BatchNorm): inputs of
// 1e10 and first-layer weights of 1e-10 give hidden values of 2, the last layer's weights of
// ±1e30 (class 1 favoured, every label 0) logits of about ±6e30 and a loss of 1.2e31, and the
// first layer's weight gradient Σ over 4 rows of 5e29 · 1e10 = 2e40, past float's 3.4e38.
std::shared_ptr<nn::Mlp> gradient_overflow_model() {
  auto model = small_model(/*batchnorm=*/false);
  Tensor w0 = named(*model, "network.0.weight"), b0 = named(*model, "network.0.bias");
  std::fill_n(w0.data(), w0.numel(), 1e-10f);
  std::fill_n(b0.data(), b0.numel(), 0.0f);
  Tensor w2 = named(*model, "network.2.weight");  // (2, 3)
  std::fill_n(w2.data(), 3, -1e30f);
  std::fill_n(w2.data() + 3, 3, 1e30f);
  return model;
}

}  // namespace

TEST_CASE("train_step: a finite step reports nothing") {
  auto model = small_model();
  optim::SGD sgd(model->parameters(), {.lr = 0.1});
  SmallBatch b(1.0);
  std::vector<int> predictions;
  const train::StepStats st = train::train_step(*model, sgd, b.batch, predictions);
  CHECK(st.non_finite.empty());
  CHECK(st.stepped);
  CHECK(std::isfinite(st.loss));
}

TEST_CASE("train_step: a non-finite loss stops before backward and can be skipped") {
  auto model = small_model();
  optim::SGD sgd(model->parameters(), {.lr = 0.1});
  SmallBatch b(1.0);
  b.batch.x.data()[0] = std::numeric_limits<float>::quiet_NaN();
  std::vector<int> predictions;
  const train::StepStats st = train::train_step(*model, sgd, b.batch, predictions);
  CHECK(st.non_finite.rfind("the loss is ", 0) == 0);
  CHECK(st.skippable);
  CHECK_FALSE(st.stepped);
}

TEST_CASE("train_step: a non-finite gradient is named; skip-step leaves the weights untouched") {
  SmallBatch b(1.0);
  std::fill_n(b.batch.x.data(), b.batch.x.numel(), 1e10f);
  std::vector<int> predictions;
  SUBCASE("stop: found by the optimizer's check after the update, named from the gradients") {
    auto model = gradient_overflow_model();
    optim::SGD sgd(model->parameters(), {.lr = 0.1});
    const train::StepStats st = train::train_step(*model, sgd, b.batch, predictions);
    CHECK(std::isfinite(st.loss));
    CHECK(st.non_finite == "'network.0.weight.grad' holds a NaN or an infinity");
    CHECK(st.skippable);  // the message offers skip-step
    CHECK(st.stepped);    // but this run stops: the weights have moved
  }
  SUBCASE("skip-step: found before the update, which does not happen") {
    auto model = gradient_overflow_model();
    optim::SGD sgd(model->parameters(), {.lr = 0.1, .momentum = 0.9});
    const std::vector<std::vector<float>> before = values(*model);
    const train::StepStats st =
        train::train_step(*model, sgd, b.batch, predictions, OnNonFinite::SkipStep);
    CHECK(st.non_finite == "'network.0.weight.grad' holds a NaN or an infinity");
    CHECK(st.skippable);
    CHECK_FALSE(st.stepped);
    CHECK(values(*model) == before);  // bit for bit
    for (size_t i = 0; i < sgd.params().size(); ++i)
      CHECK_FALSE(sgd.momentum_buffer(i).defined());  // no first step taken either
  }
}

TEST_CASE("train_step: an update that overflows a parameter is named and cannot be skipped") {
  for (OnNonFinite mode : {OnNonFinite::Stop, OnNonFinite::SkipStep}) {
    auto model = small_model();
    // Logits of about 3e38 (log_softmax subtracts the largest, so the loss stays finite); the
    // class-0 bias's gradient is about -0.5, so a step of 1e38 takes it past 3.4e38.
    Tensor bias = named(*model, "network.3.bias");
    std::fill_n(bias.data(), bias.numel(), 3e38f);
    optim::SGD sgd(model->parameters(), {.lr = 1e38});
    SmallBatch b(0.01);
    std::vector<int> predictions;
    const train::StepStats st = train::train_step(*model, sgd, b.batch, predictions, mode);
    CHECK(std::isfinite(st.loss));
    CHECK(st.non_finite.find("holds a NaN or an infinity after the update") != std::string::npos);
    CHECK_FALSE(st.skippable);
    CHECK(st.stepped);
  }
}

TEST_CASE("train_step: a non-finite buffer is named after the update") {
  auto model = small_model();
  named(*model, "network.1.running_mean").data()[1] = std::numeric_limits<float>::infinity();
  optim::SGD sgd(model->parameters(), {.lr = 0.1});
  SmallBatch b(1.0);
  std::vector<int> predictions;
  const train::StepStats st = train::train_step(*model, sgd, b.batch, predictions);
  CHECK(st.non_finite == "'network.1.running_mean' holds a NaN or an infinity after the update");
  CHECK_FALSE(st.skippable);
}
