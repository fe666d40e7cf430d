// Resume checkpoints: the model file of io/checkpoint.hpp plus the optimizer's state as tensors
// ("optimizer.state.<i>.<what>") and the position, generators, curves and flags as metadata
// ("minigrad.resume.*"). Generator states are written as hex text: 256 bits a float cannot hold.
#include "minigrad/train/resume.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string_view>

#include "minigrad/io/safetensors.hpp"

namespace minigrad::train {

namespace {

constexpr std::string_view kOptimizerPrefix = "optimizer.";
constexpr const char* kKey = "minigrad.resume.";  // every metadata key of the training state
constexpr std::string_view kFlagKey = "minigrad.resume.flag.";

std::string key(const char* name) { return std::string(kKey) + name; }

// The flags that shape a run's numbers, as text: a resume must give the same ones. --epochs may
// differ (a run can be extended); --threads may too (results are identical).
std::map<std::string, std::string> run_flags(const TrainConfig& c) {
  std::map<std::string, std::string> f;
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
  return f;
}

std::string hex(const std::array<uint64_t, 4>& s) {
  return fmt::format("{:016x}", fmt::join(s, ""));
}

// ---- reading metadata back, every failure naming the file and key ----
struct Reader {
  const io::Metadata& metadata;
  const std::string& path;

  [[noreturn]] void fail(const std::string& name, const std::string& what) const {
    throw std::invalid_argument(fmt::format(
        "{}: metadata {} {} (HINT: the file is damaged or was not written by minigrad; start "
        "afresh without --resume)",
        path, name, what));
  }
  const std::string& text(const char* name) const {
    const auto it = metadata.find(key(name));
    if (it == metadata.end()) fail(key(name), "is missing");
    return it->second;
  }
  std::vector<std::string_view> list(const char* name) const {
    std::vector<std::string_view> items;
    const std::string_view all = text(name);
    for (size_t start = 0; start < all.size();) {
      const size_t comma = std::min(all.find(',', start), all.size());
      items.push_back(all.substr(start, comma - start));
      start = comma + 1;
    }
    return items;
  }
  template <class T>
  T number(std::string_view s, const char* name) const {
    T value{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty())
      fail(key(name), fmt::format("holds '{}', expected a number", s));
    return value;
  }
  template <class T>
  T number(const char* name) const {
    return number<T>(text(name), name);
  }
  std::vector<double> doubles(const char* name) const {
    std::vector<double> v;
    for (std::string_view s : list(name)) v.push_back(number<double>(s, name));
    return v;
  }
  std::array<uint64_t, 4> generator(std::string_view s, const char* name) const {
    std::array<uint64_t, 4> state{};
    if (s.size() != 64) fail(key(name), fmt::format("holds '{}', expected 64 hex digits", s));
    for (size_t i = 0; i < 4; ++i) {
      const std::string_view part = s.substr(16 * i, 16);
      const auto [end, ec] = std::from_chars(part.data(), part.data() + 16, state[i], 16);
      if (ec != std::errc() || end != part.data() + 16)
        fail(key(name), fmt::format("holds '{}', expected 64 hex digits", s));
    }
    if (state == std::array<uint64_t, 4>{}) fail(key(name), "is all zeros, not a generator state");
    return state;
  }
};

void check_flags(const io::Metadata& metadata, const TrainConfig& c) {
  const std::map<std::string, std::string> now = run_flags(c);
  for (const auto& [name, value] : now) {
    const auto it = metadata.find(std::string(kFlagKey) + name);
    const std::string then = it == metadata.end() ? "(not given)" : it->second;
    if (then != value)
      throw std::invalid_argument(fmt::format(
          "--resume {}: the interrupted run had --{} {}, this one has --{} {} (HINT: resume with "
          "the flags of the interrupted run; only --epochs and --threads may change)",
          c.resume_path, name, then.empty() ? "''" : then, name, value.empty() ? "''" : value));
  }
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
  for (NamedTensor& nt : optimizer.state_dict())
    file.tensors.push_back({std::string(kOptimizerPrefix) + nt.name, nt.tensor, nt.dtype});
  io::Metadata& m = file.metadata;
  m[key("epoch")] = fmt::format("{}", s.epoch);
  m[key("step")] = fmt::format("{}", s.step);
  m[key("steps")] = fmt::format("{}", s.steps);
  m[key("shuffle_generator")] = hex(s.shuffle);
  std::vector<std::string> masks;
  for (const auto& g : s.masks) masks.push_back(hex(g));
  m[key("dropout_generators")] = fmt::format("{}", fmt::join(masks, ","));
  m[key("epoch_loss")] = fmt::format("{}", fmt::join(s.epoch_loss, ","));  // shortest exact text
  m[key("epoch_accuracy")] = fmt::format("{}", fmt::join(s.epoch_accuracy, ","));
  m[key("partial_epoch")] = fmt::format("{},{},{},{}", s.partial.loss_sum, s.partial.steps,
                                        s.partial.correct, s.partial.rows);
  m[key("skipped")] = fmt::format("{}", s.skipped);
  for (const auto& [name, value] : run_flags(c)) m[std::string(kFlagKey) + name] = value;
  io::save_safetensors(path, file.tensors, file.metadata);
}

bool is_resume_checkpoint(const io::Metadata& metadata) {
  return metadata.find(key("epoch")) != metadata.end();
}

ResumeCheckpoint load_resume(const TrainConfig& c, Generator& gen) {
  const std::string& path = c.resume_path;
  io::SafetensorsContents file = io::load_safetensors_with_metadata(path);
  if (!is_resume_checkpoint(file.metadata))
    throw std::invalid_argument(fmt::format(
        "--resume {}: the file is a model, not a resume checkpoint (HINT: start from it with "
        "--load {}, or resume from the *.resume.safetensors file an interrupted run wrote)",
        path, path));
  check_flags(file.metadata, c);

  ResumeCheckpoint r;
  StateDict model_tensors;
  for (NamedTensor& nt : file.tensors) {
    if (std::string_view(nt.name).substr(0, kOptimizerPrefix.size()) == kOptimizerPrefix)
      r.optimizer.push_back({nt.name.substr(kOptimizerPrefix.size()), nt.tensor, nt.dtype});
    else
      model_tensors.push_back(std::move(nt));
  }
  const Reader read{file.metadata, path};
  TrainingState& s = r.state;
  s.epoch = read.number<int>("epoch");
  s.step = read.number<int64_t>("step");
  s.steps = read.number<int64_t>("steps");
  if (s.epoch < 1 || s.step < 0 || s.step >= std::max<int64_t>(s.steps, 1))
    read.fail(key("step"), fmt::format("{} of epoch {} is not a position in an epoch of {} steps",
                                       s.step, s.epoch, s.steps));
  s.shuffle = read.generator(read.text("shuffle_generator"), "shuffle_generator");
  for (std::string_view g : read.list("dropout_generators"))
    s.masks.push_back(read.generator(g, "dropout_generators"));
  s.epoch_loss = read.doubles("epoch_loss");
  s.epoch_accuracy = read.doubles("epoch_accuracy");
  if (s.epoch_loss.size() != static_cast<size_t>(s.epoch - 1) ||
      s.epoch_accuracy.size() != s.epoch_loss.size())
    read.fail(key("epoch_loss"),
              fmt::format("does not have the {} values of the finished epochs", s.epoch - 1));
  const std::vector<std::string_view> partial = read.list("partial_epoch");
  if (partial.size() != 4)
    read.fail(key("partial_epoch"), "does not hold loss_sum,steps,correct,rows");
  s.partial.loss_sum = read.number<double>(partial[0], "partial_epoch");
  s.partial.steps = read.number<int64_t>(partial[1], "partial_epoch");
  s.partial.correct = read.number<int64_t>(partial[2], "partial_epoch");
  s.partial.rows = read.number<int64_t>(partial[3], "partial_epoch");
  s.skipped = read.number<int64_t>("skipped");
  if (c.epochs < s.epoch - 1)
    throw std::invalid_argument(fmt::format(
        "--resume {}: the interrupted run finished {} epochs, more than --epochs {} (HINT: give "
        "--epochs {} or more)",
        path, s.epoch - 1, c.epochs, s.epoch - 1));

  // A CNN's image shape is in the metadata; the flags were checked to match it above.
  r.checkpoint = io::model_from_contents({std::move(model_tensors), std::move(file.metadata)},
                                         path, c.model_name, gen, nn::CnnOptions{});
  if (dropouts_of(*r.checkpoint.model).size() != s.masks.size())
    read.fail(key("dropout_generators"), "does not hold one state per Dropout layer");
  return r;
}

}  // namespace minigrad::train
