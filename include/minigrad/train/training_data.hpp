// The training and test sets a TrainConfig names: one CSV split in two, or two CSVs, checked
// against a loaded model's features and classes, their labels numbered as the model's outputs
// (class_labels.hpp), and scaled (the model's own scaling, a divisor,
// or standardisation with statistics from the training rows only).
// Leaves out: IDX files (see data/idx.hpp) and validation sets.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
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

// ---- the steps, shared with sharded_data.hpp ----

/// One labelled CSV; `features` (when > 0) is what `model_source` ("the model in m.safetensors")
/// expects. Throws data::DataError for a table without labels or with other features.
data::CsvTable read_table(const std::string& path, const data::CsvOptions& csv, int64_t features,
                          const std::string& model_source);
/// The table with its labels turned into output indices of `labels` (`whose` classes they are).
data::Dataset to_dataset(data::CsvTable&& table, const data::ClassLabels& labels,
                         const std::string& whose);
/// With --data the classes are the whole file's labels; a class with no row in the training part
/// (train_rows[k] == 0) has an output that training never sees: a warning says so.
std::vector<std::string> untrained_classes(const data::ClassLabels& labels,
                                           std::span<const int64_t> train_rows,
                                           const std::string& path);
/// The scaling: a loaded model's own, else the configured one, with standardisation statistics
/// from `train` (train_rows rows in all; `sum_across` adds sums up across processes, or null).
data::FeatureTransform choose_transform(const TrainConfig& c, const io::ModelCheckpoint* loaded,
                                        const data::Dataset& train, int64_t train_rows,
                                        const std::function<void(std::span<double>)>& sum_across);

}  // namespace minigrad::train
