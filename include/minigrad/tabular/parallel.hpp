// minigrad train across the processes of a data-parallel job (docs/distributed.md): each rank
// reads its part of each file, the ranks agree on how each column is stored and on the row
// counts, each holds its own rows of one process's split, and what every rank must see in one
// process's order (the training rows' places, the validation and test outputs) is gathered, so
// that every figure is one process's. With a group of one, these are one process's steps.
// Leaves out: standard input (a stream cannot be read in parts).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "minigrad/dist/process_group.hpp"
#include "minigrad/tabular/evaluate.hpp"
#include "minigrad/tabular/fit.hpp"
#include "minigrad/tabular/preprocessing.hpp"
#include "minigrad/train/sharded_data.hpp"

namespace minigrad::tabular {

/// This rank's part of a file, and where every rank's part lies.
struct TablePart {
  Table table;                 // this rank's rows
  std::vector<int64_t> first;  // (ranks + 1) each rank's first row among the file's rows, then n
  int64_t rows() const { return first.back(); }
};

/// read_table() of part group.rank() of group.size() of the file. A column that any rank had to
/// read as Text (a cell that is not a number) is read as Text on every rank, so that its cells
/// keep their spelling everywhere. Throws DataError as read_table does, when the whole file has
/// no data rows too.
TablePart read_table_part(const std::string& path, ReadOptions options,
                          const std::vector<std::string>& na_values, const StoragePlan& plan,
                          const dist::ProcessGroup& group);

/// One process's rows of a run, as file rows in its order. With `split_test`, the test rows are
/// the first ceil(test_fraction · n) of a Fisher-Yates permutation of the n rows drawn from
/// `seed` (train_csv's split), the rest the training rows; else every row trains, in file order.
/// `val_fraction` of the training rows are held out for validation the same way (seed + 1).
struct RunRows {
  std::vector<int64_t> train, val, test;
};
RunRows split_run(int64_t n, bool split_test, double test_fraction, double val_fraction,
                  uint64_t seed);

/// The rows of `list` (file rows, in one process's order) that this rank's part holds, as rows
/// of its table, with their places in `list`.
struct HeldRows {
  std::vector<int64_t> rows, positions;
};
HeldRows held_rows(const std::vector<int64_t>& list, const TablePart& part, int rank);

/// Where the encoded rows of a list (those with a label) live: one process's encoded row g is
/// row local[g] of rank owner[g]'s; this rank's row i is one process's row mine[i].
struct RowPlaces {
  int64_t total = 0;
  std::vector<int64_t> mine;
  std::vector<int32_t> owner;
  std::vector<int64_t> local;
};
RowPlaces place_rows(const EncodedRows& encoded, const HeldRows& held,
                     const std::vector<int64_t>& list, const TablePart& part,
                     const dist::ProcessGroup& group);

/// Each rank's rows of `width` values each (rows of `places`), in one process's order, on every
/// rank.
std::vector<float> gather_rows(const std::vector<float>& mine, int64_t width,
                               const RowPlaces& places, const dist::ProcessGroup& group);

/// fit() across the ranks: the group, every training row's place, with this rank's training rows
/// (the target travels as a last feature column: a regression target is not a class id), and
/// the validation rows' places.
struct FitAcross {
  const dist::ProcessGroup& group;
  train::ShardedRows train;
  const RowPlaces& val;
  int64_t outputs = 1;  // the model's: classes, or 1 for regression
};
train::ShardedRows sharded_rows(const EncodedRows& mine, const RowPlaces& places);

/// score() of every rank's validation rows: their outputs gathered, so every rank returns one
/// process's figures.
Scores score_across(nn::Module& model, const EncodedRows& mine, const RowPlaces& places,
                    int64_t width, Task task, RegressionLoss loss, const dist::ProcessGroup& group);

/// evaluate_model() of every rank's test rows, the same way.
TabularEvaluation evaluate_across(const TabularModel& m, const EncodedRows& mine,
                                  const RowPlaces& places, RegressionLoss loss,
                                  const dist::ProcessGroup& group);

}  // namespace minigrad::tabular
