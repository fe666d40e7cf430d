// Data-parallel training, as PyTorch's DistributedDataParallel does it: every process holds the
// same model, takes its share of each global batch, and the gradients are summed across the
// processes before each (identical) optimizer step. BatchNorm's batch statistics are synchronised,
// or each process's own with their running statistics averaged. Each process holds only its part
// of the rows (sharded_data.hpp, sharded_loader.hpp).
// Leaves out: bucketed all-reduce overlapped with the backward (docs/distributed.md says why).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "minigrad/data/dataset.hpp"
#include "minigrad/dist/process_group.hpp"
#include "minigrad/nn/module.hpp"
#include "minigrad/optim/optimizer.hpp"
#include "minigrad/train/sharded_loader.hpp"
#include "minigrad/train/trainer.hpp"

namespace minigrad::train {

/// Makes `model` ready to train in `group`: its BatchNorm layers synchronised across the group
/// (BnStats::Sync) or left local, each Dropout's generator seeded for this rank from `seed`
/// (different masks on each rank, the same run after run). Checks that every rank has the same
/// number of parameters and of steps per epoch, and that every batch gives each rank a row (two
/// with local BatchNorm statistics); throws std::invalid_argument.
void prepare_data_parallel(nn::Module& model, const dist::ProcessGroup& group,
                           const ShardedLoader& loader, uint64_t seed,
                           BnStats bn_stats = BnStats::Sync);

/// One step on `share`, this rank's share of a global batch of B rows: forward and backward on
/// its rows with the loss Σ over its rows / B, so that the sum of every rank's
/// gradients is the gradient of the mean loss over the whole batch; the gradients are summed
/// (MPI_Allreduce) and every rank takes the same optimizer step. The loss and the correct count
/// returned are the whole batch's, and so is `signal`: SIGTERM if any rank had one before the
/// step, else SIGINT if any had that, so that every rank stops after the same step. `buffer` is
/// reused between steps for the flat gradients. The running statistics of BatchNorm layers that are
/// not synchronised travel in the same buffer, weighted by each rank's share of the batch: every
/// rank ends the step with their average, as if one layer had seen the whole batch (exact for the
/// mean; the variance is the mean of the shares' variances). The non-finite checks are
/// train_step's.
StepStats data_parallel_step(nn::Module& model, optim::Optimizer& optimizer,
                             const data::Batch& share, int64_t B, const dist::ProcessGroup& group,
                             std::vector<int>& predictions, std::vector<float>& buffer,
                             OnNonFinite on_nonfinite = OnNonFinite::Stop, int signal = 0);

/// The second half of data_parallel_step, for a loop with a loss of its own (a regression loss):
/// once the backward of this rank's `rows` rows of a global batch of B rows has run with the loss
/// Σ over its rows / B, sums the gradients, `loss_sum` (this rank's Σ) and the caller's `totals`
/// (in place) across the ranks in one call, and takes the optimizer step on every rank. The
/// returned loss is the whole batch's mean; `correct` is left 0.
StepStats all_reduce_step(nn::Module& model, optim::Optimizer& optimizer, float loss_sum,
                          int64_t rows, int64_t B, const dist::ProcessGroup& group,
                          std::vector<float>& buffer, std::span<float> totals = {},
                          OnNonFinite on_nonfinite = OnNonFinite::Stop, int signal = 0);

/// Every rank's `mine`, in rank order, on every rank: as many 256-bit values on each rank
/// (generator states, or digests in the first word).
std::vector<std::array<uint64_t, 4>> all_gather(const dist::ProcessGroup& group,
                                                const std::vector<std::array<uint64_t, 4>>& mine);

/// Every rank's `mine`, in rank order, on every rank: the lists of text the ranks must agree on
/// (the categories each saw), sent as a sum in two collectives (the lengths, then the bytes).
std::vector<std::vector<std::string>> all_gather_strings(const dist::ProcessGroup& group,
                                                         const std::vector<std::string>& mine);

/// Checks that every rank holds the same parameters and buffers, bit for bit, by comparing a
/// digest of each rank's (one collective); throws std::logic_error naming a rank that differs and
/// the first tensor where its digest does. Data parallelism's invariant, checked after training.
void check_replicas_agree(const nn::Module& model, const dist::ProcessGroup& group);

/// evaluate() of each rank's own test rows `data`, with the confusion counts and the loss summed:
/// every rank returns the whole test set's evaluation.
Evaluation evaluate_data_parallel(nn::Module& model, const data::Dataset& data, int classes,
                                  const dist::ProcessGroup& group);

}  // namespace minigrad::train
