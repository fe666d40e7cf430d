// run_training(): the whole pipeline behind both apps. Load the CSV(s), split and scale, build
// the MLP (or load a checkpoint), train with progress per epoch, evaluate in eval mode, print the
// confusion matrix, save the model and the JSON report.
// Leaves out: early stopping, validation during training, regression targets.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "minigrad/data/dataloader.hpp"
#include "minigrad/data/dataset.hpp"
#include "minigrad/dist/process_group.hpp"
#include "minigrad/nn/mlp.hpp"
#include "minigrad/optim/optimizer.hpp"
#include "minigrad/train/config.hpp"
#include "minigrad/train/evaluate.hpp"
#include "minigrad/train/metrics.hpp"

namespace minigrad::train {

struct TrainResult {
  std::vector<double> epoch_loss;      // mean training loss of each epoch
  std::vector<double> epoch_accuracy;  // training accuracy of each epoch (train mode, as Keras)
  double test_accuracy = 0.0;
  double test_loss = 0.0;           // mean cross-entropy over the test rows, eval mode
  double train_seconds = 0.0;       // the training loop alone: no loading, no evaluation
  double samples_per_second = 0.0;  // training rows processed / train_seconds
  int64_t n_train = 0;
  int64_t n_test = 0;
  int64_t parameters = 0;
  int64_t features = 0;
  int64_t classes = 0;
  std::vector<int32_t> class_labels;  // the label of each output (0..classes-1 for class ids)
  double peak_rss_mb = 0.0;           // the process's peak resident memory, at the end
  std::string blas;                   // the backend line, backend::describe()
  int threads = 1;                    // threads the matrix products ran on (chosen, with auto)
  int processes = 1;                  // data-parallel processes (MPI ranks) that trained together
  std::vector<int64_t> rows_held;     // training and test rows each process held, in rank order
};

/// Runs `config` end to end, printing progress and results to `out` (nothing with quiet, but
/// the final accuracy line). Throws data::DataError for bad data files, std::invalid_argument
/// for inconsistent settings and std::runtime_error for unreadable checkpoints.
TrainResult run_training(const TrainConfig& config, std::FILE* out);
/// The same, as one rank of a data-parallel job (data_parallel.hpp): every rank calls it with the
/// same config; rank 0 alone writes the model and the report (pass a sink as `out` elsewhere).
TrainResult run_training(const TrainConfig& config, std::FILE* out,
                         const dist::ProcessGroup& group);

/// One training step on `batch`: forward, cross-entropy, zero_grad, backward, optimizer step.
/// Returns the batch's mean loss and how many rows the (pre-step) logits classified right.
/// With OnNonFinite::SkipStep the gradients are checked before the update, so that a batch with
/// a non-finite gradient leaves the parameters untouched (stepped false).
struct StepStats {
  double loss = 0.0;
  int64_t correct = 0;
  std::string non_finite;  // what was not finite ("the loss is nan"), or "" when all was
  bool stepped = false;    // the optimizer updated the parameters
  bool skippable = false;  // non_finite is the loss or a gradient, which skip-step leaves out
  int signal = 0;          // data parallel: SIGINT or SIGTERM if a process had one (or 0)
};
StepStats train_step(nn::Module& model, optim::Optimizer& optimizer, const data::Batch& batch,
                     std::vector<int>& predictions, OnNonFinite on_nonfinite = OnNonFinite::Stop);

}  // namespace minigrad::train
