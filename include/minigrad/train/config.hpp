// TrainConfig: everything one training run needs, as plain data. The command-line apps fill it
// from flags (cli.hpp); a C++ program can fill it directly and call run_training().
// Defaults are the documents' experiment: 784-128-64-10 with BatchNorm1d and Dropout(0.3), SGD lr
// 0.1, batch 32, 10 epochs, an 80/20 split.
// "The documents": README.md#the-documents.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "minigrad/data/csv.hpp"

namespace minigrad::train {

/// What a non-finite loss or gradient does to a run (nonfinite_guard.hpp).
enum class OnNonFinite {
  Stop,      // stop at once: exit 3, no checkpoint
  SkipStep,  // leave the parameters as they were before that batch, and go on
};

/// Whose rows BatchNorm's batch statistics cover when several processes train (data_parallel.hpp).
enum class BnStats {
  Sync,   // every process's: the step of one process on the whole batch (PyTorch's SyncBatchNorm)
  Local,  // each process's own share (DistributedDataParallel's default): fewer collectives
};

/// How features are scaled before they reach the model.
enum class Scaling {
  Standardize,  // (x - mean) / std with statistics from the training part only
  Divide,       // x / scale (the documents' x / 255)
};

struct TrainConfig {
  // ---- data: either data_path (split into train/test) or train_path + test_path ----
  std::string data_path;
  std::string train_path;
  std::string test_path;
  double test_fraction = 0.2;  // share of data_path held out for testing
  uint64_t split_seed = 20;    // the documents' random_state=20 (the rows differ from sklearn's)
  data::CsvOptions csv;        // delimiter, header, skip_rows, label column
  Scaling scaling = Scaling::Standardize;
  float scale = 255.0f;  // divisor for Scaling::Divide

  // ---- model ----
  std::string model = "mlp";   // mlp | cnn (make_cnn's convolutional model)
  std::vector<int64_t> image;  // cnn: one row as (C, H, W); empty: a square grey image
  std::vector<int64_t> hidden = {128, 64};
  bool batchnorm = true;
  float dropout = 0.3f;
  std::string model_name = "MLP";  // shown by --summary

  // ---- optimisation ----
  int epochs = 10;
  int64_t batch_size = 32;
  double lr = 0.1;
  double momentum = 0.0;
  double weight_decay = 0.0;
  std::string optimizer = "sgd";  // sgd | adam | adamw
  uint64_t seed = 42;
  OnNonFinite on_nonfinite = OnNonFinite::Stop;
  int threads = 0;  // 0: auto (1 and 2 timed during training, the faster kept)
  BnStats bn_stats = BnStats::Sync;  // no effect in one process, or without BatchNorm

  // ---- input/output ----
  std::string save_path;    // safetensors checkpoint written after training
  std::string load_path;    // checkpoint to start from (or to evaluate with eval_only)
  std::string report_path;  // JSON report
  bool eval_only = false;
  bool summary = false;
  bool quiet = false;
  bool confusion_matrix = true;
  std::vector<std::string> class_names;  // for the confusion matrix; empty: class ids

  // ---- interrupts and resume (resume.hpp, interrupt.hpp) ----
  std::string resume_path;     // resume checkpoint to continue from
  std::string checkpoint_dir;  // where resume checkpoints go ("": beside save_path)
  int checkpoint_every = 0;    // also write one every N epochs (0: only when interrupted)
  /// For tests: raise SIGINT in the process after each of these steps (counted from this
  /// process's first step), as if Ctrl-C had been pressed then.
  std::vector<int64_t> raise_sigint_after_steps;
};

}  // namespace minigrad::train
