// The training and test sets a TrainConfig names: one CSV split in two, or two CSVs, checked
// against a loaded model's features and classes, and scaled (the model's own scaling, a divisor,
// or standardisation with statistics from the training rows only).
// Leaves out: IDX files (see data/idx.hpp) and validation sets.
#pragma once

#include <cstdint>

#include "minigrad/data/dataset.hpp"
#include "minigrad/io/model_checkpoint.hpp"
#include "minigrad/train/config.hpp"

namespace minigrad::train {

struct TrainingData {
  data::Dataset train, test;  // train is empty with --eval-only --test
  int classes = 0;
  int64_t features = 0;
};

/// Reads, splits and scales the data of `config`; `loaded` (may be null) is the model the data
/// must fit. Throws data::DataError naming the file and line for data that does not fit.
TrainingData load_training_data(const TrainConfig& config, const io::ModelCheckpoint* loaded);

}  // namespace minigrad::train
