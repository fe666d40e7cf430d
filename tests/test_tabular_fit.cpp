// Tests of tabular/fit.hpp: classification and regression learn, the validation part is scored,
// and early stopping keeps the best epoch's weights (the restored model scores exactly the best
// validation loss).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "minigrad/generator.hpp"
#include "minigrad/tabular/fit.hpp"

using namespace minigrad;
using namespace minigrad::tabular;

namespace {

// rows x 3 features; the class is the index of the largest feature (classification) or the
// target is 2·x0 - x1 + 0.5·x2 (regression). `noise_labels` draws random classes instead.
EncodedRows make_rows(int64_t rows, Task task, uint64_t seed, bool noise_labels = false) {
  Generator gen(seed);
  EncodedRows e;
  e.rows = rows;
  e.inputs = 3;
  for (int64_t r = 0; r < rows; ++r) {
    float x[3] = {gen.normal(), gen.normal(), gen.normal()};
    e.x.insert(e.x.end(), x, x + 3);
    if (task == Task::Regression)
      e.y.push_back(2 * x[0] - x[1] + 0.5f * x[2]);
    else if (noise_labels)
      e.y.push_back(static_cast<float>(gen.randint(3)));
    else
      e.y.push_back(static_cast<float>(std::max_element(x, x + 3) - x));
  }
  return e;
}

std::shared_ptr<nn::Mlp> mlp(int64_t outputs, uint64_t seed) {
  Generator gen(seed);
  return nn::make_mlp({.in_features = 3, .hidden = {16}, .classes = outputs, .dropout = 0.0f}, gen);
}

}  // namespace

TEST_CASE("fit learns a classification and scores the validation part every epoch") {
  const EncodedRows train = make_rows(600, Task::Classification, 1);
  const EncodedRows val = make_rows(200, Task::Classification, 2);
  auto model = mlp(3, 3);
  int calls = 0;
  const FitResult r =
      fit(*model, train, val, Task::Classification, {.epochs = 8, .lr = 0.1, .seed = 4},
          [&](int epoch, const EpochStats&) { CHECK(epoch == ++calls); });
  CHECK(calls == 8);
  REQUIRE(r.epochs.size() == 8);
  CHECK(r.epochs.back().train_loss < r.epochs.front().train_loss);
  CHECK(r.epochs.back().val_metric > 0.9);
  CHECK(r.best_epoch == 8);  // without patience the last epoch's weights stay
  const Scores s = score(*model, val, Task::Classification, RegressionLoss::MSE);
  CHECK(s.loss == doctest::Approx(r.epochs.back().val_loss));
  // Without a validation part its figures are NaN.
  auto other = mlp(3, 3);
  const FitResult nv = fit(*other, train, EncodedRows{}, Task::Classification, {.epochs = 1});
  CHECK(std::isnan(nv.epochs[0].val_loss));
}

TEST_CASE("fit learns a regression with each loss") {
  const EncodedRows train = make_rows(500, Task::Regression, 5);
  const EncodedRows val = make_rows(200, Task::Regression, 6);
  for (RegressionLoss loss : {RegressionLoss::MSE, RegressionLoss::L1, RegressionLoss::Huber}) {
    CAPTURE(loss_name(loss));
    auto model = mlp(1, 7);
    const FitResult r = fit(*model, train, val, Task::Regression,
                            {.epochs = 30, .lr = 0.01, .optimizer = "adam", .loss = loss});
    CHECK(r.epochs.back().val_metric > 0.95);  // R²
  }
}

TEST_CASE("early stopping keeps the best epoch's weights") {
  // Random labels: the model can only memorise, so the validation loss soon rises.
  const EncodedRows train = make_rows(60, Task::Classification, 8, true);
  const EncodedRows val = make_rows(60, Task::Classification, 9, true);
  auto model = mlp(3, 10);
  const FitResult r = fit(*model, train, val, Task::Classification,
                          {.epochs = 300, .batch_size = 8, .lr = 0.2, .patience = 3});
  CHECK(r.stopped_early);
  CHECK(static_cast<int>(r.epochs.size()) == r.best_epoch + 3);
  double best = 1e9;
  for (const EpochStats& s : r.epochs) best = std::min(best, s.val_loss);
  CHECK(r.epochs[static_cast<size_t>(r.best_epoch - 1)].val_loss == best);
  // The model now holds the best epoch's weights, not the last epoch's.
  const Scores now = score(*model, val, Task::Classification, RegressionLoss::MSE);
  CHECK(now.loss == doctest::Approx(best).epsilon(1e-6));
  CHECK(now.loss < r.epochs.back().val_loss);
}

TEST_CASE("fit refuses an unknown optimizer") {
  auto model = mlp(3, 1);
  CHECK_THROWS_AS(fit(*model, make_rows(10, Task::Classification, 1), EncodedRows{},
                      Task::Classification, {.optimizer = "rmsprop"}),
                  std::invalid_argument);
}
