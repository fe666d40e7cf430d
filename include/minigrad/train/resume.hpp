// A resume checkpoint: what a training run needs to continue exactly where it stopped. Beside the
// model file's contents (weights, BatchNorm's running statistics, input scaling) it holds the
// optimizer's state, the position (epoch and step), every generator (the loader's shuffling and
// each Dropout's masks), the curves so far, and the flags that shape the run, so that resuming
// with other flags is refused rather than silently different. Layout: docs/reliability.md; the
// parts every training loop shares: resume_state.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "minigrad/data/class_labels.hpp"
#include "minigrad/data/dataset.hpp"
#include "minigrad/dist/process_group.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/io/model_checkpoint.hpp"
#include "minigrad/nn/dropout.hpp"
#include "minigrad/nn/module.hpp"
#include "minigrad/optim/optimizer.hpp"
#include "minigrad/state_dict.hpp"
#include "minigrad/train/config.hpp"
#include "minigrad/train/resume_state.hpp"

namespace minigrad::train {

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

/// Every process's Dropout generators (each Dropout of `model` in module order), in rank order,
/// on every process: what a resume checkpoint holds. One collective in a group of several.
std::vector<std::array<uint64_t, 4>> dropout_generators(nn::Module& model,
                                                        const dist::ProcessGroup& group);

/// Sets this process's Dropout generators from `all` (every process's, as dropout_generators()
/// gives them). In a data-parallel job, call it after prepare_data_parallel(), which seeds them.
void restore_dropout_generators(nn::Module& model, const std::vector<std::array<uint64_t, 4>>& all,
                                const dist::ProcessGroup& group);

/// Refuses (std::invalid_argument naming `resume_path`, with a HINT) to continue a run of
/// `processes` processes in a group of another size: it would share the batches and draw the
/// masks otherwise.
void check_processes(const std::string& resume_path, int processes,
                     const dist::ProcessGroup& group);

/// Sets the optimizer's state and this process's Dropout generators from `from`. Refuses
/// (std::invalid_argument) a checkpoint of another number of processes or batches per epoch.
/// In a data-parallel job, call it after prepare_data_parallel(), which seeds the generators.
void restore_resume(const TrainConfig& config, const ResumeCheckpoint& from, int64_t steps,
                    optim::Optimizer& optimizer, nn::Module& model,
                    const dist::ProcessGroup& group);

}  // namespace minigrad::train
