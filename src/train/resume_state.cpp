// Resume metadata shared by the training loops: position, generators and curves as text under
// "minigrad.resume.*", flags under "minigrad.resume.flag.*", and the optimizer's tensors under
// "optimizer.". Generator states are written as hex text: 256 bits a float cannot hold.
#include "minigrad/train/resume_state.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>

namespace minigrad::train {

namespace {

constexpr std::string_view kOptimizerPrefix = "optimizer.";
constexpr std::string_view kKey = "minigrad.resume.";
constexpr std::string_view kFlagKey = "minigrad.resume.flag.";

std::string hex(const std::array<uint64_t, 4>& s) {
  return fmt::format("{:016x}", fmt::join(s, ""));
}

}  // namespace

std::string resume_key(std::string_view name) { return std::string(kKey) + std::string(name); }

bool is_resume_checkpoint(const io::Metadata& metadata) {
  return metadata.find(resume_key("epoch")) != metadata.end();
}

void write_training_state(io::Metadata& m, const TrainingState& s, const RunFlags& flags) {
  m[resume_key("epoch")] = fmt::format("{}", s.epoch);
  m[resume_key("step")] = fmt::format("{}", s.step);
  m[resume_key("steps")] = fmt::format("{}", s.steps);
  m[resume_key("shuffle_generator")] = hex(s.shuffle);
  m[resume_key("processes")] = fmt::format("{}", s.processes);
  std::vector<std::string> masks;
  for (const auto& g : s.masks) masks.push_back(hex(g));
  m[resume_key("dropout_generators")] = fmt::format("{}", fmt::join(masks, ","));
  // fmt writes a double as its shortest exact text, so the curves come back bit for bit.
  m[resume_key("epoch_loss")] = fmt::format("{}", fmt::join(s.epoch_loss, ","));
  m[resume_key("epoch_accuracy")] = fmt::format("{}", fmt::join(s.epoch_accuracy, ","));
  m[resume_key("partial_epoch")] = fmt::format("{},{},{},{}", s.partial.loss_sum, s.partial.steps,
                                               s.partial.correct, s.partial.rows);
  m[resume_key("skipped")] = fmt::format("{}", s.skipped);
  for (const auto& [name, value] : flags) m[std::string(kFlagKey) + name] = value;
}

void add_optimizer_state(StateDict& tensors, const optim::Optimizer& optimizer) {
  for (NamedTensor& nt : optimizer.state_dict())
    tensors.push_back({std::string(kOptimizerPrefix) + nt.name, nt.tensor, nt.dtype});
}

StateDict take_optimizer_state(StateDict& tensors) {
  StateDict optimizer, rest;
  for (NamedTensor& nt : tensors) {
    if (std::string_view(nt.name).substr(0, kOptimizerPrefix.size()) == kOptimizerPrefix)
      optimizer.push_back({nt.name.substr(kOptimizerPrefix.size()), nt.tensor, nt.dtype});
    else
      rest.push_back(std::move(nt));
  }
  tensors = std::move(rest);
  return optimizer;
}

// ---- reading back ----

void ResumeReader::fail(std::string_view name, const std::string& what) const {
  throw std::invalid_argument(fmt::format(
      "{}: metadata {} {} (HINT: the file is damaged or was not written by minigrad; start "
      "afresh without --resume)",
      path_, resume_key(name), what));
}

const std::string& ResumeReader::text(std::string_view name) const {
  const auto it = metadata_.find(resume_key(name));
  if (it == metadata_.end()) fail(name, "is missing");
  return it->second;
}

std::vector<std::string_view> ResumeReader::list(std::string_view name) const {
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
T ResumeReader::number(std::string_view s, std::string_view name) const {
  T value{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty())
    fail(name, fmt::format("holds '{}', expected a number", s));
  return value;
}
template int ResumeReader::number<int>(std::string_view, std::string_view) const;
template int64_t ResumeReader::number<int64_t>(std::string_view, std::string_view) const;
template double ResumeReader::number<double>(std::string_view, std::string_view) const;

std::vector<double> ResumeReader::doubles(std::string_view name) const {
  std::vector<double> v;
  for (std::string_view s : list(name)) v.push_back(number<double>(s, name));
  return v;
}

std::array<uint64_t, 4> ResumeReader::generator(std::string_view s, std::string_view name) const {
  std::array<uint64_t, 4> state{};
  if (s.size() != 64) fail(name, fmt::format("holds '{}', expected 64 hex digits", s));
  for (size_t i = 0; i < 4; ++i) {
    const std::string_view part = s.substr(16 * i, 16);
    const auto [end, ec] = std::from_chars(part.data(), part.data() + 16, state[i], 16);
    if (ec != std::errc() || end != part.data() + 16)
      fail(name, fmt::format("holds '{}', expected 64 hex digits", s));
  }
  if (state == std::array<uint64_t, 4>{}) fail(name, "is all zeros, not a generator state");
  return state;
}

TrainingState ResumeReader::training_state() const {
  TrainingState s;
  s.epoch = number<int>("epoch");
  s.step = number<int64_t>("step");
  s.steps = number<int64_t>("steps");
  if (s.epoch < 1 || s.step < 0 || s.step >= std::max<int64_t>(s.steps, 1))
    fail("step", fmt::format("{} of epoch {} is not a position in an epoch of {} steps", s.step,
                             s.epoch, s.steps));
  s.shuffle = generator(text("shuffle_generator"), "shuffle_generator");
  // Absent in checkpoints written before runs of several processes could be resumed: one.
  if (metadata_.count(resume_key("processes"))) s.processes = number<int>("processes");
  if (s.processes < 1) fail("processes", fmt::format("holds {}, expected 1 or more", s.processes));
  for (std::string_view g : list("dropout_generators"))
    s.masks.push_back(generator(g, "dropout_generators"));
  s.epoch_loss = doubles("epoch_loss");
  s.epoch_accuracy = doubles("epoch_accuracy");
  if (s.epoch_loss.size() != static_cast<size_t>(s.epoch - 1) ||
      s.epoch_accuracy.size() != s.epoch_loss.size())
    fail("epoch_loss",
         fmt::format("does not have the {} values of the finished epochs", s.epoch - 1));
  const std::vector<std::string_view> partial = list("partial_epoch");
  if (partial.size() != 4) fail("partial_epoch", "does not hold loss_sum,steps,correct,rows");
  s.partial.loss_sum = number<double>(partial[0], "partial_epoch");
  s.partial.steps = number<int64_t>(partial[1], "partial_epoch");
  s.partial.correct = number<int64_t>(partial[2], "partial_epoch");
  s.partial.rows = number<int64_t>(partial[3], "partial_epoch");
  s.skipped = number<int64_t>("skipped");
  return s;
}

void check_flags(const io::Metadata& metadata, const RunFlags& now, const std::string& path,
                 const RunFlags& added_later) {
  for (const auto& [name, value] : now) {
    const auto it = metadata.find(std::string(kFlagKey) + name);
    const auto earlier = added_later.find(name);
    const std::string then = it != metadata.end()           ? it->second
                             : earlier != added_later.end() ? earlier->second
                                                            : "(not given)";
    if (then != value)
      throw std::invalid_argument(fmt::format(
          "--resume {}: the interrupted run had --{} {}, this one has --{} {} (HINT: resume with "
          "the flags of the interrupted run; only --epochs and --threads may change)",
          path, name, then.empty() ? "''" : then, name, value.empty() ? "''" : value));
  }
}

void check_epochs(const TrainingState& s, int epochs, const std::string& path) {
  if (epochs < s.epoch - 1)
    throw std::invalid_argument(fmt::format(
        "--resume {}: the interrupted run finished {} epochs, more than --epochs {} (HINT: give "
        "--epochs {} or more)",
        path, s.epoch - 1, epochs, s.epoch - 1));
}

std::invalid_argument not_a_resume_checkpoint(const std::string& path) {
  return std::invalid_argument(fmt::format(
      "--resume {}: the file is a model, not a resume checkpoint (HINT: start from it with "
      "--load {}, or resume from the *.resume.safetensors file an interrupted run wrote)",
      path, path));
}

}  // namespace minigrad::train
