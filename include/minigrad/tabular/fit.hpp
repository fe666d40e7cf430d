// Training an MLP on encoded tabular rows: cross entropy for classification, MSE / L1 / Huber on
// the standardised target for regression, an optional validation part scored every epoch, and
// early stopping that restores the best epoch's weights (Keras's restore_best_weights).
// Leaves out: learning-rate schedules, class weights.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "minigrad/nn/mlp.hpp"
#include "minigrad/tabular/preprocessing.hpp"

namespace minigrad::tabular {

enum class RegressionLoss { MSE, L1, Huber };

struct FitOptions {
  int epochs = 10;
  int64_t batch_size = 32;
  double lr = 0.1;
  double momentum = 0.0;
  double weight_decay = 0.0;
  std::string optimizer = "sgd";  // sgd | adam | adamw
  uint64_t seed = 42;             // shuffling (and, through the model, dropout)
  RegressionLoss loss = RegressionLoss::MSE;
  int patience = 0;  // stop after this many epochs without a better validation loss; 0: never
  int threads = 1;   // threads for minigrad's kernels: 1 or 2, or 0 for auto (ThreadChooser)
};

/// One epoch's figures. The metric is accuracy (classification) or R² (regression); the
/// validation values are NaN without a validation part.
struct EpochStats {
  double train_loss = 0.0;
  double train_metric = 0.0;
  double val_loss = 0.0;
  double val_metric = 0.0;
};

struct FitResult {
  std::vector<EpochStats> epochs;
  int best_epoch = 0;  // 1-based epoch whose weights the model holds (with a validation)
  bool stopped_early = false;
  double train_seconds = 0.0;
  int threads = 1;              // threads the steps ran on (the one auto chose)
  std::string threads_summary;  // what --threads auto did, or ""
};

/// Loss and metric of `model` on `rows` in eval mode without a graph; `outputs`, if given,
/// receives the model's outputs (rows, classes) logits or (rows, 1) standardised values.
struct Scores {
  double loss = 0.0;
  double metric = 0.0;
};
Scores score(nn::Module& model, const EncodedRows& rows, Task task, RegressionLoss loss,
             std::vector<float>* outputs = nullptr);

/// The model's outputs in eval mode for `rows` rows of `inputs` features: (rows, outputs).
std::vector<float> forward_rows(nn::Module& model, const float* x, int64_t rows, int64_t inputs);

/// Trains `model` on `train`, scoring `val` after every epoch if it has rows. `on_epoch` is
/// called after each epoch (for the progress line). Throws std::invalid_argument for options
/// the optimizer refuses.
FitResult fit(nn::Module& model, const EncodedRows& train, const EncodedRows& val, Task task,
              const FitOptions& options,
              const std::function<void(int, const EpochStats&)>& on_epoch = {});

/// "mse", "l1", "huber".
std::string loss_name(RegressionLoss loss);

}  // namespace minigrad::tabular
