// The training and test sets a TrainConfig names: one CSV split in two, or two CSVs, checked
// against a loaded model's features and classes, their labels numbered as the model's outputs
// (class_labels.hpp), and scaled (the model's own scaling, a divisor,
// or standardisation with statistics from the training rows only).
// Leaves out: IDX files (see data/idx.hpp) and validation sets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "minigrad/data/class_labels.hpp"
#include "minigrad/data/dataset.hpp"
#include "minigrad/io/model_checkpoint.hpp"
#include "minigrad/train/config.hpp"

namespace minigrad::train {

struct TrainingData {
  data::Dataset train, test;  // train is empty with --eval-only --test; labels are output indices
  int classes = 0;
  int64_t features = 0;
  // The label of each output: a loaded model's, else the distinct labels of --data (the whole
  // file, before the split) or of --train.
  data::ClassLabels labels;
  std::vector<std::string> warnings;  // for the user: a class with no training rows
};

/// Reads, splits and scales the data of `config`; `loaded` (may be null) is the model the data
/// must fit. Throws data::DataError naming the file and line for data that does not fit, such as
/// a test label that is not one of the classes.
TrainingData load_training_data(const TrainConfig& config, const io::ModelCheckpoint* loaded);

}  // namespace minigrad::train
