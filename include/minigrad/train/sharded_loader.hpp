// ShardedLoader: a DataLoader over training rows spread across the ranks (sharded_data.hpp).
// Every rank draws the epoch order that one process's DataLoader draws for the whole training
// set, and batch b brings each rank its share of that batch's rows: the rows it holds are
// gathered here, the others come from the ranks that hold them, in one exchange
// (MPI_Alltoallv) of scaled features and labels per batch. N ranks see one process's batches.
// Leaves out: gathering the next batch ahead of the step, reusing the batch's storage.
#pragma once

#include <cstdint>
#include <vector>

#include "minigrad/data/dataloader.hpp"
#include "minigrad/dist/process_group.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/train/sharded_data.hpp"

namespace minigrad::train {

/// Rows [begin, end) of a batch (or table) of n rows.
struct RowRange {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};

/// The share of n rows that `rank` of `ranks` takes: n / ranks rows each, and one more for each
/// of the first n % ranks ranks, in rank order (10 rows on 3 ranks: 0-3, 4-6, 7-9).
RowRange share_of(int64_t n, int rank, int ranks);

class ShardedLoader {
 public:
  /// Batches of `batch_size` rows (the global batch) of `rows`, shuffled every epoch by `gen`
  /// exactly as DataLoader({.batch_size = batch_size, .shuffle = true}, gen) shuffles.
  /// `rows` and `group` must outlive the loader. `drop_single_row`: a last batch of one row is
  /// left out of the epoch instead of joining the one before (minigrad train's rule).
  ShardedLoader(const ShardedRows& rows, int64_t batch_size, Generator gen,
                const dist::ProcessGroup& group, bool drop_single_row = false);

  /// Batches per epoch, the same on every rank.
  int64_t size() const { return static_cast<int64_t>(starts_.size()); }
  /// Rows in global batch b (DataLoader's batch_rows).
  int64_t batch_rows(int64_t b) const;
  /// Starts an epoch: redraws the order.
  void new_epoch() { data::shuffle_order(order_, gen_); }
  /// This rank's share of batch b: x (b_r, F), y (b_r), share_of(batch_rows(b)) rows. Every
  /// rank must ask for the same batch at the same time (the rows are exchanged).
  const data::Batch& batch(int64_t b);
  /// The shuffling generator: its state before new_epoch() fixes that epoch's order.
  Generator& generator() { return gen_; }

 private:
  const ShardedRows& rows_;
  const dist::ProcessGroup& group_;
  int64_t batch_size_;
  Generator gen_;
  std::vector<int64_t> order_;   // the epoch's order of the training rows
  std::vector<int64_t> starts_;  // first position in order_ of each batch
  int64_t last_rows_ = 0;        // rows in the last batch
  std::vector<float> send_, recv_;
  std::vector<int32_t> labels_;
  data::Batch batch_;
};

}  // namespace minigrad::train
