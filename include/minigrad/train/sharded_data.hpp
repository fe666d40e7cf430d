// Training data spread over the processes of a data-parallel job: each rank parses and holds only
// its part of each CSV file (CsvOptions::part), yet the classes, the train/test split and the
// scaling are those one process computes from the whole file, because the few things that need
// every row (the distinct labels, the row counts, the standardisation sums) are summed across
// the ranks. Every rank also knows where each training row lives, for sharded_loader.hpp.
// Leaves out: standard input (a stream cannot be split), re-balancing parts of unequal rows.
#pragma once

#include <cstdint>
#include <vector>

#include "minigrad/data/dataset.hpp"
#include "minigrad/dist/process_group.hpp"
#include "minigrad/io/model_checkpoint.hpp"
#include "minigrad/train/config.hpp"
#include "minigrad/train/training_data.hpp"

namespace minigrad::train {

/// The whole job's training rows, spread over the ranks. Row t is the one-process training set's
/// row t (after the split): rank owner[t] holds it, as row local[t] of its `held`.
struct ShardedRows {
  data::Dataset held;          // this rank's training rows, in file order, scaled when gathered
  std::vector<int32_t> owner;  // (n_train)
  std::vector<int64_t> local;  // (n_train)
  int64_t size() const { return static_cast<int64_t>(owner.size()); }
};

struct ShardedTrainingData {
  TrainingData data;  // as one process has it, but train is empty and test holds this rank's rows
  ShardedRows train;
  int64_t test_rows = 0;           // the whole job's
  std::vector<int64_t> rows_held;  // training and test rows each rank holds, in rank order
};

/// load_training_data() for rank group.rank() of group.size(), which reads and keeps only its
/// part of the rows. The same errors, named by the rank that meets them.
ShardedTrainingData load_sharded_training_data(const TrainConfig& config,
                                               const io::ModelCheckpoint* loaded,
                                               const dist::ProcessGroup& group);

}  // namespace minigrad::train
