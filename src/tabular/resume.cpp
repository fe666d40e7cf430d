// minigrad train's resume checkpoints: the model file, then "optimizer.*" (the optimizer's
// state), "best.*" (early stopping's best weights) and "fit.outputs" / "fit.targets" (the
// unfinished epoch's outputs, for its R² or accuracy) as tensors, and FitState's figures as
// "minigrad.resume.*" metadata; across processes, every rank's generators and the unfinished
// epoch's metric sums.
#include "minigrad/tabular/resume.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include "minigrad/io/safetensors.hpp"
#include "minigrad/train/data_parallel.hpp"
#include "minigrad/train/digest.hpp"
#include "minigrad/train/resume.hpp"

namespace minigrad::tabular {

namespace {

constexpr std::string_view kBestPrefix = "best.";
constexpr const char* kOutputs = "fit.outputs";
constexpr const char* kTargets = "fit.targets";

std::string doubles_text(const std::vector<EpochStats>& epochs, double EpochStats::*field) {
  std::vector<double> v;
  for (const EpochStats& e : epochs) v.push_back(e.*field);
  return fmt::format("{}", fmt::join(v, ","));  // shortest exact text
}

Tensor vector_tensor(const std::vector<float>& v) {
  return Tensor::from(v, {static_cast<int64_t>(v.size())});
}

}  // namespace

uint64_t data_fingerprint(const Preprocessing& prep, const EncodedRows& train,
                          const EncodedRows& val, const dist::ProcessGroup& group) {
  train::Digest h;
  const std::string prep_json = to_json(prep);
  h.add(prep_json.data(), prep_json.size());
  for (const EncodedRows* rows : {&train, &val}) {
    h.add(&rows->rows, sizeof rows->rows);
    h.add(rows->x.data(), rows->x.size() * sizeof(float));
    h.add(rows->y.data(), rows->y.size() * sizeof(float));
  }
  if (group.size() == 1) return h.value;
  train::Digest all;  // every rank's digest, in rank order
  for (const std::array<uint64_t, 4>& d : train::all_gather(group, {{h.value, 0, 0, 0}}))
    all.add(&d[0], sizeof d[0]);
  return all.value;
}

void save_resume(const std::string& path, const TabularModel& m, const optim::Optimizer& optimizer,
                 const FitState& s, const train::RunFlags& flags, uint64_t fingerprint) {
  io::SafetensorsContents file = model_file_contents(m);
  train::add_optimizer_state(file.tensors, optimizer);
  for (const NamedTensor& nt : s.best)
    file.tensors.push_back({std::string(kBestPrefix) + nt.name, nt.tensor, nt.dtype});
  if (!s.outputs.empty()) {  // safetensors holds no empty tensor; absent means none
    file.tensors.push_back({kOutputs, vector_tensor(s.outputs)});
    file.tensors.push_back({kTargets, vector_tensor(s.targets)});
  }
  train::TrainingState position;
  position.epoch = s.epoch, position.step = s.step, position.steps = s.steps;
  position.shuffle = s.shuffle, position.processes = s.processes, position.masks = s.masks;
  position.partial = {s.loss_sum, s.steps_done, 0, s.rows_done};
  for (const EpochStats& e : s.epochs) {
    position.epoch_loss.push_back(e.train_loss);
    position.epoch_accuracy.push_back(e.train_metric);
  }
  io::Metadata& meta = file.metadata;
  train::write_training_state(meta, position, flags);
  meta[train::resume_key("program")] = "minigrad train";
  meta[train::resume_key("val_loss")] = doubles_text(s.epochs, &EpochStats::val_loss);
  meta[train::resume_key("val_metric")] = doubles_text(s.epochs, &EpochStats::val_metric);
  meta[train::resume_key("best")] =
      fmt::format("{},{},{}", s.best_loss, s.best_epoch, s.since_best);
  meta[train::resume_key("data_fingerprint")] = fmt::format("{:016x}", fingerprint);
  meta[train::resume_key("partial_sums")] = fmt::format("{}", fmt::join(s.sums, ","));
  io::save_safetensors(path, file.tensors, meta);
}

TabularResume load_resume(const std::string& path, const train::RunFlags& flags, int epochs,
                          uint64_t fingerprint, const std::string& data_flag,
                          const dist::ProcessGroup& group) {
  io::SafetensorsContents file = io::load_safetensors_with_metadata(path);
  if (!train::is_resume_checkpoint(file.metadata)) throw train::not_a_resume_checkpoint(path);
  const auto program = file.metadata.find(train::resume_key("program"));
  if (program == file.metadata.end() || program->second != "minigrad train")
    throw std::invalid_argument(fmt::format(
        "--resume {}: the checkpoint was written by {}, not by minigrad train (HINT: resume it "
        "with the program that wrote it)",
        path, program == file.metadata.end() ? "train_csv or train_fmnist" : program->second));
  train::check_flags(file.metadata, flags, path, {{"decimal", "."}});  // --decimal came later
  const train::ResumeReader read(file.metadata, path);
  const train::TrainingState position = read.training_state();
  // Before the data: across processes, the fingerprint covers each rank's part.
  train::check_processes(path, position.processes, group);
  if (read.text("data_fingerprint") != fmt::format("{:016x}", fingerprint))
    throw std::invalid_argument(fmt::format(
        "--resume {}: the training data differs from the interrupted run's ({}, after the split "
        "and preprocessing) (HINT: resume on the same, unchanged data file, or start afresh)",
        path, data_flag));

  TabularResume r;
  r.optimizer = train::take_optimizer_state(file.tensors);
  train::check_epochs(position, epochs, path);
  FitState& s = r.state;
  s.epoch = position.epoch, s.step = position.step, s.steps = position.steps;
  s.shuffle = position.shuffle, s.processes = position.processes, s.masks = position.masks;
  s.loss_sum = position.partial.loss_sum;
  s.steps_done = position.partial.steps, s.rows_done = position.partial.rows;
  const std::vector<double> val_loss = read.doubles("val_loss");
  const std::vector<double> val_metric = read.doubles("val_metric");
  if (val_loss.size() != position.epoch_loss.size() || val_metric.size() != val_loss.size())
    read.fail("val_loss", fmt::format("does not have the {} values of the finished epochs",
                                      position.epoch_loss.size()));
  for (size_t i = 0; i < val_loss.size(); ++i)
    s.epochs.push_back(
        {position.epoch_loss[i], position.epoch_accuracy[i], val_loss[i], val_metric[i]});
  const std::vector<std::string_view> best = read.list("best");
  if (best.size() != 3) read.fail("best", "does not hold best_loss,best_epoch,since_best");
  s.best_loss = read.number<double>(best[0], "best");
  s.best_epoch = read.number<int>(best[1], "best");
  s.since_best = read.number<int>(best[2], "best");
  // Absent in checkpoints written before runs of several processes could be resumed: zeros.
  if (file.metadata.count(train::resume_key("partial_sums"))) {
    const std::vector<double> sums = read.doubles("partial_sums");
    if (sums.size() != s.sums.size()) read.fail("partial_sums", "does not hold 3 numbers");
    std::copy(sums.begin(), sums.end(), s.sums.begin());
  }

  StateDict model;
  for (NamedTensor& nt : file.tensors) {
    if (nt.name.rfind(kBestPrefix, 0) == 0) {
      s.best.push_back({nt.name.substr(kBestPrefix.size()), nt.tensor, nt.dtype});
    } else if (nt.name == kOutputs || nt.name == kTargets) {
      std::vector<float>& to = nt.name == kOutputs ? s.outputs : s.targets;
      to.assign(nt.tensor.data(), nt.tensor.data() + nt.tensor.numel());
    } else {
      model.push_back(std::move(nt));
    }
  }
  // One process keeps the unfinished epoch's outputs; several keep their sums (partial_sums).
  const size_t kept = s.processes == 1 ? static_cast<size_t>(s.rows_done) : 0;
  if (s.targets.size() != kept || (kept > 0 && s.outputs.size() % kept != 0))
    read.fail("partial_epoch", fmt::format("counts {} rows, but the file holds {} outputs and {} "
                                           "targets of the unfinished epoch",
                                           s.rows_done, s.outputs.size(), s.targets.size()));
  r.model = model_from_file_contents({std::move(model), std::move(file.metadata)}, path);
  if (train::dropouts_of(*r.model.model).size() * static_cast<size_t>(s.processes) !=
      s.masks.size())
    read.fail("dropout_generators", "does not hold one state per Dropout layer and process");
  if (!s.best.empty()) {
    StateDict now = r.model.model->state_dict();
    for (NamedTensor& nt : now) nt.tensor = nt.tensor.clone();
    try {  // the best weights must have the model's names and shapes
      r.model.model->load_state_dict(s.best, true);
      r.model.model->load_state_dict(now, true);
    } catch (const std::exception& e) {
      read.fail("best", fmt::format("weights do not fit the model: {}", e.what()));
    }
  }
  return r;
}

}  // namespace minigrad::tabular
