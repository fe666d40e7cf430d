// The parts of a resume checkpoint that every training loop shares: where the run stands (epoch,
// step, generators, curves so far), the optimizer's state as tensors, and the flags a resume must
// repeat, written as safetensors metadata and read back with every failure naming file and key.
// train_csv's checkpoint (resume.hpp) and minigrad train's (tabular/resume.hpp) are built on it.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "minigrad/io/safetensors.hpp"
#include "minigrad/optim/optimizer.hpp"
#include "minigrad/state_dict.hpp"
#include "minigrad/train/progress.hpp"

namespace minigrad::train {

/// Where a run stands, and what its generators and curves hold there.
struct TrainingState {
  int epoch = 1;                      // the epoch to run next (1-based)
  int64_t step = 0;                   // batches of that epoch already done
  int64_t steps = 0;                  // batches per epoch (a changed training set is refused)
  std::array<uint64_t, 4> shuffle{};  // the loader's generator before `epoch`'s shuffle
  int processes = 1;                  // data-parallel processes that ran (each has its masks)
  // Each Dropout's generator, in module order, for each process in rank order.
  std::vector<std::array<uint64_t, 4>> masks;
  // The unfinished epoch's sums so far, so its mean loss and accuracy cover all its batches.
  Progress::Totals partial;
  std::vector<double> epoch_loss, epoch_accuracy;  // finished epochs
  int64_t skipped = 0;                             // steps left out by --on-nonfinite skip-step
};

/// The flags that shape a run's numbers, by name (without "--"), as text.
using RunFlags = std::map<std::string, std::string>;

/// "minigrad.resume.<name>": every metadata key of the training state.
std::string resume_key(std::string_view name);

/// Whether a file's metadata is a resume checkpoint's (as opposed to a model's).
bool is_resume_checkpoint(const io::Metadata& metadata);

/// Adds the state's metadata and the flags to `m`.
void write_training_state(io::Metadata& m, const TrainingState& s, const RunFlags& flags);

/// Adds `optimizer`'s state to `tensors` as "optimizer.<name>".
void add_optimizer_state(StateDict& tensors, const optim::Optimizer& optimizer);
/// Moves the "optimizer.*" tensors out of `tensors`, without the prefix (for load_state_dict).
StateDict take_optimizer_state(StateDict& tensors);

/// Reads resume metadata back. Every failure is a std::invalid_argument naming the file and key,
/// with a HINT.
class ResumeReader {
 public:
  ResumeReader(const io::Metadata& metadata, const std::string& path)
      : metadata_(metadata), path_(path) {}

  [[noreturn]] void fail(std::string_view name, const std::string& what) const;
  /// The text of "minigrad.resume.<name>".
  const std::string& text(std::string_view name) const;
  /// Its comma-separated items ("" gives none).
  std::vector<std::string_view> list(std::string_view name) const;
  template <class T>
  T number(std::string_view text, std::string_view name) const;
  template <class T>
  T number(std::string_view name) const {
    return number<T>(text(name), name);
  }
  std::vector<double> doubles(std::string_view name) const;
  std::array<uint64_t, 4> generator(std::string_view text, std::string_view name) const;

  /// The state write_training_state() wrote, checked for consistency.
  TrainingState training_state() const;

 private:
  const io::Metadata& metadata_;
  const std::string& path_;
};

/// Refuses a resume whose flags differ from the interrupted run's: a std::invalid_argument
/// naming the flag and both values.
/// `added_later` names flags newer than some checkpoints, with the value a run before them had:
/// a checkpoint without the flag matches that value.
void check_flags(const io::Metadata& metadata, const RunFlags& now, const std::string& resume_path,
                 const RunFlags& added_later = {});

/// Refuses --epochs smaller than the epochs the interrupted run finished.
void check_epochs(const TrainingState& s, int epochs, const std::string& resume_path);

/// The error for a --resume file that is a model rather than a resume checkpoint.
std::invalid_argument not_a_resume_checkpoint(const std::string& path);

}  // namespace minigrad::train
