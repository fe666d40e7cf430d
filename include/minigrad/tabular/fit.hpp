// Training an MLP on encoded tabular rows: cross entropy for classification, MSE / L1 / Huber on
// the standardised target for regression, an optional validation part scored every epoch, and
// early stopping that restores the best epoch's weights (Keras's restore_best_weights), and
// stopping on Ctrl-C or SIGTERM with a resume checkpoint (FitState) to continue exactly. Also
// across the processes of a data-parallel job (parallel.hpp), with one process's figures.
// Leaves out: learning-rate schedules, class weights.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "minigrad/nn/mlp.hpp"
#include "minigrad/optim/optimizer.hpp"
#include "minigrad/state_dict.hpp"
#include "minigrad/tabular/preprocessing.hpp"
#include "minigrad/train/config.hpp"

namespace minigrad::tabular {

enum class RegressionLoss { MSE, L1, Huber };
struct FitAcross;  // parallel.hpp

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
  // Across processes: BatchNorm's batch statistics over every rank's rows, or each rank's own.
  train::BnStats bn_stats = train::BnStats::Sync;
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

/// Where fit() stands between two steps: what a resume checkpoint holds beside the model and the
/// optimizer, so that a resumed run continues with the same numbers.
struct FitState {
  int epoch = 1;                      // the epoch to run next (1-based)
  int64_t step = 0;                   // batches of that epoch already done
  int64_t steps = 0;                  // batches per epoch
  std::array<uint64_t, 4> shuffle{};  // the shuffle generator before `epoch`'s permutation
  int processes = 1;                  // data-parallel processes that ran (each has its masks)
  // Each Dropout's generator, in module order, for each process in rank order.
  std::vector<std::array<uint64_t, 4>> masks;
  // The unfinished epoch so far: its losses' sum, steps, rows, and outputs (B, C) and targets
  // (in one process), or the sums of its training metric (across processes: the correct rows,
  // or Σ (y - ŷ)², Σ y and Σ y²).
  double loss_sum = 0.0;
  int64_t steps_done = 0, rows_done = 0;
  std::vector<float> outputs, targets;
  std::array<double, 3> sums{};
  std::vector<EpochStats> epochs;  // the finished epochs' figures
  // Early stopping: the best validation loss, its epoch and weights, and epochs since then.
  double best_loss = std::numeric_limits<double>::infinity();
  int best_epoch = 0;
  int since_best = 0;
  StateDict best;
};

/// How fit() stops and resumes. The first SIGINT or SIGTERM ends the current step, then `save`
/// writes a resume checkpoint and fit() throws train::Interrupted; a second one ends the process.
struct FitControl {
  const FitState* resume = nullptr;  // continue from here, with `optimizer_state` (or start)
  const StateDict* optimizer_state = nullptr;
  /// Writes a resume checkpoint of the model, `optimizer` and the state, after an interrupt or
  /// (`periodic`) after every checkpoint_every epochs; empty: nowhere to write.
  std::function<void(const FitState&, const optim::Optimizer&, bool periodic)> save;
  std::string checkpoint;    // where `save` writes, for messages
  int checkpoint_every = 0;  // also save after every N epochs (0: only when interrupted)
  std::vector<int64_t> raise_sigint_after_steps;  // for tests: as if Ctrl-C came after these
  /// Training across the processes of a data-parallel job (parallel.hpp), or null. fit()'s
  /// `train` and `val` are then this rank's rows; every rank gets one process's figures. A
  /// signal stops every rank after the same step; rank 0 alone calls `save`, with every rank's
  /// generators in the state, and the others wait until it returns.
  const FitAcross* across = nullptr;
};

/// Loss and metric of `model` on `rows` in eval mode without a graph; `outputs`, if given,
/// receives the model's outputs (rows, classes) logits or (rows, 1) standardised values.
struct Scores {
  double loss = 0.0;
  double metric = 0.0;
};
Scores score(nn::Module& model, const EncodedRows& rows, Task task, RegressionLoss loss,
             std::vector<float>* outputs = nullptr);
/// The same from the outputs (rows, width) already computed and the targets y (rows).
Scores score_outputs(const std::vector<float>& outputs, const std::vector<float>& y, int64_t width,
                     Task task, RegressionLoss loss);

/// The model's outputs in eval mode for `rows` rows of `inputs` features: (rows, outputs).
std::vector<float> forward_rows(nn::Module& model, const float* x, int64_t rows, int64_t inputs);

/// Trains `model` on `train`, scoring `val` after every epoch if it has rows. `on_epoch` is
/// called after each epoch (for the progress line). Throws std::invalid_argument for options
/// the optimizer refuses or a resume state that does not fit, train::Interrupted as FitControl
/// says.
FitResult fit(nn::Module& model, const EncodedRows& train, const EncodedRows& val, Task task,
              const FitOptions& options,
              const std::function<void(int, const EpochStats&)>& on_epoch = {},
              const FitControl& control = {});

/// "mse", "l1", "huber".
std::string loss_name(RegressionLoss loss);

}  // namespace minigrad::tabular
