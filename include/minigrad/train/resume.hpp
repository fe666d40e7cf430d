// A resume checkpoint: what a training run needs to continue exactly where it stopped. Beside the
// model file's contents (weights, BatchNorm's running statistics, input scaling) it holds the
// optimizer's state, the position (epoch and step), every generator (the loader's shuffling and
// each Dropout's masks), the curves so far, and the flags that shape the run, so that resuming
// with other flags is refused rather than silently different. Layout: docs/reliability.md.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "minigrad/data/class_labels.hpp"
#include "minigrad/data/dataset.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/io/model_checkpoint.hpp"
#include "minigrad/nn/dropout.hpp"
#include "minigrad/nn/module.hpp"
#include "minigrad/optim/optimizer.hpp"
#include "minigrad/state_dict.hpp"
#include "minigrad/train/config.hpp"
#include "minigrad/train/progress.hpp"

namespace minigrad::train {

/// Where a run stands, and what its generators and curves hold there.
struct TrainingState {
  int epoch = 1;                      // the epoch to run next (1-based)
  int64_t step = 0;                   // batches of that epoch already done
  int64_t steps = 0;                  // batches per epoch (a changed training set is refused)
  std::array<uint64_t, 4> shuffle{};  // the loader's generator before `epoch`'s shuffle
  std::vector<std::array<uint64_t, 4>> masks;  // each Dropout's generator, in module order
  // The unfinished epoch's sums so far, so its mean loss and accuracy cover all its batches.
  Progress::Totals partial;
  std::vector<double> epoch_loss, epoch_accuracy;  // finished epochs
  int64_t skipped = 0;                             // steps left out by --on-nonfinite skip-step
};

/// Where this run's resume checkpoint goes: <checkpoint-dir or --save's directory>/<--save's
/// name without .safetensors>.resume.safetensors ("resume.safetensors" without --save); "" when
/// neither --save nor --checkpoint-dir is given.
std::string resume_checkpoint_path(const TrainConfig& config);

/// Every Dropout of `model`, in module order: the owners of the mask generators.
std::vector<nn::Dropout*> dropouts_of(nn::Module& model);

/// Writes the resume checkpoint to `path` atomically (a file whole or absent), with the labels of
/// the model's outputs.
void save_resume(const std::string& path, const TrainConfig& config, const nn::Module& model,
                 const data::FeatureTransform& transform, const data::ClassLabels& labels,
                 const optim::Optimizer& optimizer, const TrainingState& state);

/// Whether a file's metadata is a resume checkpoint's (as opposed to a model's).
bool is_resume_checkpoint(const io::Metadata& metadata);

/// What load_resume() brings back.
struct ResumeCheckpoint {
  io::ModelCheckpoint checkpoint;  // the model (weights and buffers) and its input scaling
  StateDict optimizer;             // for Optimizer::load_state_dict
  TrainingState state;
};

/// Reads config.resume_path and checks it against `config`: a model file that is not a resume
/// checkpoint, a flag that differs from the interrupted run's, or fewer --epochs than already
/// done is a std::invalid_argument naming the file and the flag, with a HINT.
ResumeCheckpoint load_resume(const TrainConfig& config, Generator& gen);

}  // namespace minigrad::train
