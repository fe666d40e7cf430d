// train_csv's resume checkpoints: the model file of io/checkpoint.hpp plus the optimizer's state,
// position, generators, curves and flags of resume_state.hpp, and the flags that shape a
// train_csv run; restoring them, in one process or in each rank of a data-parallel job.
#include "minigrad/train/resume.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <stdexcept>

#include "minigrad/io/safetensors.hpp"
#include "minigrad/train/data_parallel.hpp"

namespace minigrad::train {

namespace {

// The flags that shape a run's numbers, as text: a resume must give the same ones. --epochs may
// differ (a run can be extended); --threads may too (results are identical).
RunFlags run_flags(const TrainConfig& c) {
  RunFlags f;
  f["data"] = c.data_path;
  f["train"] = c.train_path;
  f["test"] = c.test_path;
  if (!c.data_path.empty()) f["split"] = fmt::format("{}", c.test_fraction);
  if (!c.data_path.empty()) f["split-seed"] = fmt::format("{}", c.split_seed);
  f["label"] = c.csv.label.str();
  f["delimiter"] = std::string(1, c.csv.delimiter);
  f["skip-rows"] = fmt::format("{}", c.csv.skip_rows);
  f["scale"] = c.scaling == Scaling::Divide ? fmt::format("{}", c.scale) : "standardize";
  f["model"] = c.model;
  f["image"] = fmt::format("{}", fmt::join(c.image, "x"));
  f["hidden"] = c.hidden.empty() ? "none" : fmt::format("{}", fmt::join(c.hidden, ","));
  f["dropout"] = fmt::format("{}", c.dropout);
  f["no-batchnorm"] = c.batchnorm ? "no" : "yes";
  f["batch-size"] = fmt::format("{}", c.batch_size);
  f["lr"] = fmt::format("{}", c.lr);
  f["momentum"] = fmt::format("{}", c.momentum);
  f["weight-decay"] = fmt::format("{}", c.weight_decay);
  f["optimizer"] = c.optimizer;
  f["seed"] = fmt::format("{}", c.seed);
  f["on-nonfinite"] = c.on_nonfinite == OnNonFinite::Stop ? "stop" : "skip-step";
  f["bn-stats"] = c.bn_stats == BnStats::Sync ? "sync" : "local";
  return f;
}

}  // namespace

std::string resume_checkpoint_path(const TrainConfig& c) {
  namespace fs = std::filesystem;
  if (c.save_path.empty() && c.checkpoint_dir.empty()) return "";
  std::string stem = "resume";
  fs::path dir = c.checkpoint_dir;
  if (!c.save_path.empty()) {
    const fs::path save(c.save_path);
    stem = save.extension() == ".safetensors" ? save.stem().string() + ".resume"
                                              : save.filename().string() + ".resume";
    if (dir.empty()) dir = save.parent_path();
  }
  return (dir / (stem + ".safetensors")).string();
}

std::vector<nn::Dropout*> dropouts_of(nn::Module& model) {
  std::vector<nn::Dropout*> found;
  std::vector<nn::Module*> stack = {&model};  // depth first, children in registration order
  while (!stack.empty()) {
    nn::Module* m = stack.back();
    stack.pop_back();
    if (auto* d = dynamic_cast<nn::Dropout*>(m)) found.push_back(d);
    const auto& children = m->children();
    for (auto it = children.rbegin(); it != children.rend(); ++it)
      stack.push_back(it->second.get());
  }
  return found;
}

void save_resume(const std::string& path, const TrainConfig& c, const nn::Module& model,
                 const data::FeatureTransform& transform, const data::ClassLabels& labels,
                 const optim::Optimizer& optimizer, const TrainingState& s) {
  io::SafetensorsContents file = io::model_contents(model, transform, &labels);
  add_optimizer_state(file.tensors, optimizer);
  write_training_state(file.metadata, s, run_flags(c));
  io::save_safetensors(path, file.tensors, file.metadata);
}

ResumeCheckpoint load_resume(const TrainConfig& c, Generator& gen) {
  const std::string& path = c.resume_path;
  io::SafetensorsContents file = io::load_safetensors_with_metadata(path);
  if (!is_resume_checkpoint(file.metadata)) throw not_a_resume_checkpoint(path);
  check_flags(file.metadata, run_flags(c), path);

  ResumeCheckpoint r;
  r.optimizer = take_optimizer_state(file.tensors);
  const ResumeReader read(file.metadata, path);
  r.state = read.training_state();
  check_epochs(r.state, c.epochs, path);

  // A CNN's image shape is in the metadata; the flags were checked to match it above.
  r.checkpoint = io::model_from_contents({std::move(file.tensors), std::move(file.metadata)}, path,
                                         c.model_name, gen, nn::CnnOptions{});
  if (dropouts_of(*r.checkpoint.model).size() * r.state.processes != r.state.masks.size())
    read.fail("dropout_generators", "does not hold one state per Dropout layer and process");
  return r;
}

std::vector<std::array<uint64_t, 4>> dropout_generators(nn::Module& model,
                                                        const dist::ProcessGroup& group) {
  std::vector<std::array<uint64_t, 4>> mine;
  for (nn::Dropout* d : dropouts_of(model)) mine.push_back(d->generator().get_state());
  return group.size() > 1 ? all_gather(group, mine) : mine;
}

void restore_dropout_generators(nn::Module& model, const std::vector<std::array<uint64_t, 4>>& all,
                                const dist::ProcessGroup& group) {
  const std::vector<nn::Dropout*> dropouts = dropouts_of(model);
  const size_t first = dropouts.size() * static_cast<size_t>(group.rank());  // this rank's
  for (size_t i = 0; i < dropouts.size(); ++i) dropouts[i]->generator().set_state(all[first + i]);
}

void check_processes(const std::string& resume_path, int processes,
                     const dist::ProcessGroup& group) {
  // Each process's Dropout masks continue its own stream: another count of processes would
  // draw other masks, and share the batches otherwise (not the same run).
  if (processes != group.size())
    throw std::invalid_argument(fmt::format(
        "--resume {}: the interrupted run had {} process{}, this one has {} (HINT: resume with "
        "the same number of processes, {})",
        resume_path, processes, processes == 1 ? "" : "es", group.size(),
        processes == 1 ? "without mpirun" : fmt::format("mpirun -np {}", processes)));
}

void restore_resume(const TrainConfig& c, const ResumeCheckpoint& from, int64_t steps,
                    optim::Optimizer& optimizer, nn::Module& model,
                    const dist::ProcessGroup& group) {
  check_processes(c.resume_path, from.state.processes, group);
  if (from.state.steps != steps)
    throw std::invalid_argument(fmt::format(
        "--resume {}: the interrupted run had {} batches per epoch, this one has {} (HINT: the "
        "training data changed; resume on the same data, or start afresh)",
        c.resume_path, from.state.steps, steps));
  try {
    optimizer.load_state_dict(from.optimizer);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("--resume {}: {}", c.resume_path, e.what()));
  }
  restore_dropout_generators(model, from.state.masks, group);
}

}  // namespace minigrad::train
