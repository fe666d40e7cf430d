// Data-parallel training, as PyTorch's DistributedDataParallel does it: every process holds the
// same model, takes its share of each global batch, and the gradients are summed across the
// processes before each (identical) optimizer step. BatchNorm statistics are synchronised.
// Leaves out: bucketed all-reduce overlapped with the backward (docs/distributed.md says why).
#pragma once

#include <cstdint>
#include <vector>

#include "minigrad/data/dataloader.hpp"
#include "minigrad/data/dataset.hpp"
#include "minigrad/dist/process_group.hpp"
#include "minigrad/nn/module.hpp"
#include "minigrad/optim/optimizer.hpp"
#include "minigrad/train/trainer.hpp"

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

/// Makes `model` ready to train in `group`: its BatchNorm layers synchronised across the group,
/// each Dropout's generator seeded for this rank from `seed` (different masks on each rank, the
/// same run after run). Checks that every rank has the same number of parameters and of steps
/// per epoch, and that every batch gives each rank a row (throws std::invalid_argument).
void prepare_data_parallel(nn::Module& model, const dist::ProcessGroup& group,
                           const data::DataLoader& loader, uint64_t seed);

/// One step on this rank's share of the global `batch`: forward and backward on its rows with
/// the loss Σ over its rows / B (B the global batch size), so that the sum of every rank's
/// gradients is the gradient of the mean loss over the whole batch; the gradients are summed
/// (MPI_Allreduce) and every rank takes the same optimizer step. The loss and the correct count
/// returned are the whole batch's. `buffer` is reused between steps for the flat gradients.
/// The non-finite checks are train_step's.
StepStats data_parallel_step(nn::Module& model, optim::Optimizer& optimizer,
                             const data::Batch& batch, const dist::ProcessGroup& group,
                             std::vector<int>& predictions, std::vector<float>& buffer,
                             OnNonFinite on_nonfinite = OnNonFinite::Stop);

/// evaluate() with the rows of `data` split across the ranks (share_of) and the confusion counts
/// and loss summed: every rank returns the whole table's evaluation.
Evaluation evaluate_data_parallel(nn::Module& model, const data::Dataset& data, int classes,
                                  const dist::ProcessGroup& group);

}  // namespace minigrad::train
